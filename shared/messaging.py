"""The NATS adapter: the only module of the kit that imports `nats`.

The connection is opened in the background and retried for ever, so a service starts (and
answers `/healthz`) while NATS is still down; `/readyz` says whether NATS answers.

NATS is a network like any other, so each service connects as an identity of its own (a user
and a password; the password kept in a file), and the server lets that identity do only what
the service needs (`permissions`): publish on its own subjects, keep its own stream, and read
through its own durable consumers the streams of the services it reacts to. Replies come back
on an inbox of its own (``_INBOX.<user>.``), so no other identity may listen to them. TLS, where
the server offers it, is verified against the CA the settings name.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import nats
import structlog
from nats.aio.client import Client
from nats.errors import Error as NatsError

from shared.envelope import stream_name, subject_token
from shared.retry import Backoff, RetryCallState, retrying
from shared.settings import NatsIdentity, NatsServers

__all__ = [
    "NatsConnection",
    "NatsIdentity",
    "NatsServers",
    "durable_name",
    "inbox_prefix",
    "permissions",
    "without_credentials",
]

log = structlog.get_logger(__name__)

INBOX = "_INBOX"


def durable_name(service: str, producer: str) -> str:
    """The durable JetStream consumer through which `service` reads `producer`'s stream."""
    return f"{service}-from-{producer}"


def inbox_prefix(user: str) -> str:
    """Where the replies to `user`'s requests (JetStream's acks and API answers, and the
    messages its pull consumers fetch) are delivered: ``_INBOX.<user>``."""
    return f"{INBOX}.{subject_token(user)}"


def permissions(
    service: str, producers: Iterable[str], *, user: str | None = None
) -> dict[str, list[str]]:
    """What the NATS identity of `service` (the user `user`, by default the service's name)
    may publish and subscribe to, and nothing else:

    - publish its events (``cica.<service>.>``), and create or update its own stream;
    - for each producer it reacts to: create and look up its own durable consumer on that
      producer's stream, fetch from it and acknowledge what it fetched;
    - receive on its own inbox: no subscription to any event subject at all, so it reads
      another service's events only through its consumers, of the streams it declares.
    """
    own = stream_name(service)
    publish = [
        f"cica.{service}.>",
        f"$JS.API.STREAM.CREATE.{own}",
        f"$JS.API.STREAM.UPDATE.{own}",
    ]
    for producer in sorted(set(producers)):
        stream, durable = stream_name(producer), durable_name(service, producer)
        publish += [
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
        ]
    return {"publish": publish, "subscribe": [f"{inbox_prefix(user or service)}.>"]}


def without_credentials(url: str) -> str:
    """`url` with any user and password taken out (what may be logged or shown)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _credentials_in(servers: Sequence[str]) -> tuple[str, str] | None:
    """The user and password that a server URL carries (``nats://user:password@host``, the
    form every NATS client accepts; percent-encoded), if any does."""
    for url in servers:
        parts = urlsplit(url)
        if parts.username is not None and parts.password is not None:
            return unquote(parts.username), unquote(parts.password)
    return None


def tls_context(ca_file: Path) -> ssl.SSLContext:
    """A client TLS context that trusts the CA in `ca_file` (and checks the server's name)."""
    return ssl.create_default_context(cafile=str(ca_file))


class NatsConnection:
    def __init__(
        self,
        servers: Sequence[str],
        *,
        name: str,
        stream_replicas: int = 1,
        identity: NatsIdentity | None = None,
        tls_ca_file: Path | None = None,
    ) -> None:
        """`servers`: their URLs (`NatsServers` from a service's settings also say the
        identity and the CA). The identity is `identity`, or the one `servers` names, or else
        the user and password that the URLs carry (``nats://user:password@host``: taken out of
        them here, never logged); none: anonymous, which a server with users refuses.
        `tls_ca_file`: the CA to verify the servers' certificates with (``tls://`` URLs, or
        a server that requires TLS), instead of the system's."""
        if isinstance(servers, NatsServers):
            identity = identity or servers.identity
            tls_ca_file = tls_ca_file or servers.tls_ca_file
        self._servers = [without_credentials(url.strip()) for url in servers]
        self._name = name
        self.stream_replicas = stream_replicas
        """How many nodes keep each stream created over this connection (the cluster's
        size, ``CICA_NATS_STREAM_REPLICAS``)."""
        self._user: str | None = None
        self._password: str | Callable[[], str] | None = None
        if identity is not None:
            self._user, self._password = identity.user, identity.password
        elif (carried := _credentials_in(servers)) is not None:
            self._user, self._password = carried
        self._tls_ca_file = tls_ca_file
        self._client: Client | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect(), name=f"{self._name}-nats-connect")

    async def _connect(self) -> None:
        """Connect, trying again with backoff (0.1 s doubling to 5 s) until NATS answers."""

        def before_sleep(retry_state: RetryCallState) -> None:
            assert retry_state.outcome is not None
            error = retry_state.outcome.exception()
            log.warning("nats.unavailable", error=str(error), retry_in=retry_state.upcoming_sleep)

        async for attempt in retrying(
            on=(OSError, NatsError, TimeoutError),
            attempts=None,
            wait=Backoff(base=0.1, cap=5.0),
            before_sleep=before_sleep,
        ):
            with attempt:
                self._client = await nats.connect(**self._options())
        log.info("nats.connected", servers=self._servers, user=self._user)
        self._connected.set()

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "servers": self._servers,
            "name": self._name,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "connect_timeout": 2,
            "allow_reconnect": True,
        }
        if self._user is not None:
            options.update(
                user=self._user,
                password=self._password,
                inbox_prefix=inbox_prefix(self._user),
            )
        if self._tls_ca_file is not None:
            options["tls"] = tls_context(self._tls_ca_file)
        return options

    @property
    def user(self) -> str | None:
        """The identity this connection authenticates as (None: anonymous)."""
        return self._user

    @property
    def client(self) -> Client | None:
        return self._client

    async def connected(self) -> Client:
        """The client, once the first connection is made (it reconnects by itself after)."""
        await self._connected.wait()
        assert self._client is not None
        return self._client

    async def ping(self, within: float = 1.0) -> bool:
        """True when the server answers a round trip within `within` seconds."""
        client = self._client
        if client is None or not client.is_connected:
            return False
        try:
            await client.flush(timeout=within)
        except (NatsError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        if self._connecting is not None:
            await _cancel(self._connecting)
        if self._client is not None and not self._client.is_closed:
            try:
                await asyncio.wait_for(self._client.drain(), 5)
            except (NatsError, TimeoutError, OSError):  # e.g. closed while reconnecting
                with contextlib.suppress(NatsError, TimeoutError, OSError):
                    await asyncio.wait_for(self._client.close(), 5)


async def _cancel(task: asyncio.Task[None], *, within: float = 10.0) -> None:
    """Cancel `task` and wait for it to end. A cancellation can be swallowed by the
    `asyncio.wait_for` inside nats-py's connect loop (Python 3.11, CPython gh-86296), which then
    goes on trying for ever: cancel again each second, for `within` seconds at most, rather
    than wait for it unbounded (a shutdown that hangs while NATS is away)."""
    deadline = asyncio.get_running_loop().time() + within
    while not task.done() and asyncio.get_running_loop().time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.done():
        log.warning("nats.connect_not_cancelled", within=within)
    elif not task.cancelled() and task.exception() is not None:
        log.warning("nats.connect_failed", error=repr(task.exception()))
