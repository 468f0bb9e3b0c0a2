"""The NATS adapter: the only module of the kit that imports `nats`.

The connection is opened in the background and retried for ever, so a service starts (and
answers `/healthz`) while NATS is still down; `/readyz` says whether NATS answers.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
import structlog
from nats.aio.client import Client
from nats.errors import Error as NatsError

from shared.retry import Backoff, RetryCallState, retrying

log = structlog.get_logger(__name__)


class NatsConnection:
    def __init__(self, servers: list[str], *, name: str, stream_replicas: int = 1) -> None:
        self._servers = servers
        self._name = name
        self.stream_replicas = stream_replicas
        """How many nodes keep each stream created over this connection (the cluster's
        size, ``CICA_NATS_STREAM_REPLICAS``)."""
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
                self._client = await nats.connect(
                    servers=self._servers,
                    name=self._name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                )
        log.info("nats.connected", servers=self._servers)
        self._connected.set()

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
