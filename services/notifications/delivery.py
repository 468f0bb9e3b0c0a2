"""Delivery by webhook: the worker that makes the attempts (the rules of one delivery, a fold of
its ``delivery-<id>`` stream, are `domain.progress` and `domain.is_due`).

Each attempt is recorded *before* its request is sent (``DeliveryAttempted``), and its outcome
after (``DeliverySucceeded``, or ``DeliveryFailed`` with the next attempt's time, from
exponential backoff with full jitter; after the last attempt ``DeliveryDeadLettered``).

- **Several replicas** may run the worker: an attempt is appended at the stream version the
  worker read, so of two workers racing for one delivery one appends and the other gets a
  version conflict and leaves it.
- **After a restart** an attempt with no outcome is one whose receiver never answered (or whose
  answer was never recorded): once its lease (the request timeout and a margin) has run out,
  it is attempted again. A delivery that succeeded is never attempted again.
- **Waking**: the worker picks due deliveries from the read model (`delivery_projections`),
  wakes when the log grows (the app's `LogNotifier`) or when the next delivery falls due, and
  polls as a fallback.
- **Where it goes**: the endpoint's address is checked before each attempt
  (`webhooks.check_address`), and the request connects to an address that check resolved
  (`pinned_request`), never to a second resolution of the name.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import commands, domain
from services.notifications.delivery_projections import deliveries, endpoints, messages
from services.notifications.domain import ATTEMPTING, FAILED, PENDING, is_due, progress
from services.notifications.events import (
    DELIVERY,
    DeliveryAttempted,
    DeliveryDeadLettered,
    DeliveryFailed,
    DeliverySucceeded,
    delivery_stream,
)
from services.notifications.webhooks import (
    Destination,
    EndpointAddressRefusedError,
    IPAddress,
    check_address,
    encode_body,
    signature_headers,
    webhook_body,
)
from shared import retry
from shared.consumers import UNAVAILABLE
from shared.eventstore import ConcurrencyError, DomainEvent, PostgresEventStore
from shared.eventstore.follow import LogNotifier
from shared.projections import ProjectionRunner

WORKER = {"actor": "service:notifications"}
"""Who records a delivery's attempts and outcomes: the service's own worker (no request, no
event of another service, is their cause)."""
log = structlog.get_logger("cica.notifications.delivery")

RESPONSE_BYTES = 4096
"""How much of a receiver's answer is read (its body is otherwise ignored)."""
LEASE_MARGIN = 2.0
"""Seconds beyond the request timeout before an attempt with no outcome is taken as lost."""


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the attempt after `attempt` (1 for the first): the kit's exponential
    backoff with full jitter, uniform in [0, min(cap, base * 2**(attempt - 1))]."""
    return retry.backoff(attempt, base=base, cap=cap, jitter=True, rng=rng)


# ------------------------------------------------------------------------------ the worker


@dataclass(frozen=True)
class WorkerSettings:
    timeout: float
    max_attempts: int
    base_delay: float
    max_delay: float
    poll_interval: float
    concurrency: int
    allow_private: bool

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout + LEASE_MARGIN)

    @classmethod
    def of(cls, settings: Any) -> WorkerSettings:
        """From the service's `NotificationsSettings` (``delivery_<field>``, and
        ``allow_private_endpoints``)."""
        delivery = (f.name for f in fields(cls) if f.name != "allow_private")
        values = {name: getattr(settings, f"delivery_{name}") for name in delivery}
        return cls(**values, allow_private=settings.allow_private_endpoints)


def _eligible_endpoint() -> Any:
    e = endpoints
    d = deliveries
    return and_(
        e.c.state == d.c.state,
        e.c.removed.is_(False),
        e.c.kinds.op("?")(d.c.kind),
        or_(e.c.registered_position < d.c.message_position, d.c.requeued.is_(True)),
    )


class DeliveryWorker:
    """Finds due deliveries and attempts them, a few at a time, until closed."""

    def __init__(
        self,
        *,
        store: PostgresEventStore,
        settings: WorkerSettings,
        key: bytes | None,
        notifier: LogNotifier | None = None,
        runner: ProjectionRunner | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.key = key
        self.notifier = notifier
        self.runner = runner
        # Certificates are verified against the system's trusted roots (certifi's), whichever
        # address the connection is pinned to: against the endpoint's host name.
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="notifications-delivery")

    async def close(self) -> None:
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    async def _run(self) -> None:
        if self.key is None:
            log.warning("delivery.no_webhook_key", detail="no webhook is sent without a key")
            return
        poll = self.settings.poll_interval
        while True:
            waiter = self.notifier.waiter() if self.notifier is not None else None
            wait = poll
            try:
                await self._caught_up()
                await self.round(datetime.now(UTC))
                due_in = await self._next_due_in(datetime.now(UTC))
                if due_in is not None:
                    wait = max(0.02, min(poll, due_in))
            except UNAVAILABLE as error:
                log.warning("delivery.unavailable", error=str(error))
            except Exception:  # keep delivering: the next round may well succeed
                log.exception("delivery.round_failed")
            if waiter is not None and self.notifier is not None:
                await self.notifier.wait(waiter, wait)
            else:
                await asyncio.sleep(wait)

    async def _caught_up(self) -> None:
        if self.runner is not None and self.notifier is not None and self.notifier.head:
            with contextlib.suppress(TimeoutError):
                await self.runner.wait_for(self.notifier.head, within=1.0)

    def _due_clause(self, now: datetime) -> Any:
        d = deliveries
        return or_(
            and_(d.c.status.in_([PENDING, FAILED]), d.c.next_attempt_at <= now),
            and_(d.c.status == ATTEMPTING, d.c.last_attempted_at <= now - self.settings.lease),
        )

    async def due(self, now: datetime, limit: int) -> list[str]:
        """The deliveries due at `now` that have an endpoint to go to, oldest first."""
        d = deliveries
        query = (
            select(d.c.delivery_id)
            .where(
                self._due_clause(now),
                select(endpoints.c.endpoint_id).where(_eligible_endpoint()).exists(),
            )
            .order_by(func.coalesce(d.c.next_attempt_at, d.c.last_attempted_at), d.c.delivery_id)
            .limit(limit)
        )
        if self._in_flight:
            query = query.where(d.c.delivery_id.not_in(list(self._in_flight)))
        async with self.store.engine.connect() as connection:
            return list((await connection.execute(query)).scalars())

    async def _next_due_in(self, now: datetime) -> float | None:
        d = deliveries
        when = func.min(
            func.coalesce(d.c.next_attempt_at, d.c.last_attempted_at + self.settings.lease)
        )
        query = select(when).where(
            d.c.status.in_([PENDING, FAILED, ATTEMPTING]),
            select(endpoints.c.endpoint_id).where(_eligible_endpoint()).exists(),
        )
        if self._in_flight:
            query = query.where(d.c.delivery_id.not_in(list(self._in_flight)))
        async with self.store.engine.connect() as connection:
            earliest = (await connection.execute(query)).scalar()
        return None if earliest is None else (earliest - now).total_seconds()

    async def round(self, now: datetime) -> int:
        """Start an attempt for each due delivery, up to the concurrency allowed."""
        room = self.settings.concurrency - len(self._in_flight)
        if room <= 0:
            return 0
        started = 0
        for delivery_id in await self.due(now, room):
            task = asyncio.create_task(
                self._attempt_quietly(delivery_id), name=f"delivery-{delivery_id}"
            )
            self._in_flight[delivery_id] = task
            task.add_done_callback(lambda _t, i=delivery_id: self._in_flight.pop(i, None))
            started += 1
        return started

    async def _attempt_quietly(self, delivery_id: str) -> None:
        try:
            await self.attempt(delivery_id)
        except UNAVAILABLE as error:
            log.warning("delivery.unavailable", delivery_id=delivery_id, error=str(error))
        except Exception:  # logged here: nobody awaits this task's result
            log.exception("delivery.attempt_failed", delivery_id=delivery_id)

    async def _target(self, connection: AsyncConnection, delivery_id: str) -> Any:
        d, e, m = deliveries, endpoints, messages
        query = (
            select(d.c.message_id, d.c.state, d.c.kind, m.c.data, e.c.endpoint_id)
            .join(m, m.c.message_id == d.c.message_id)
            .join(e, _eligible_endpoint())
            .where(d.c.delivery_id == delivery_id)
            .order_by(e.c.registered_position.desc())
            .limit(1)
        )
        return (await connection.execute(query)).first()

    async def attempt(self, delivery_id: str) -> str | None:
        """One attempt of a delivery, if it is due: recorded, sent, and its outcome recorded.
        Returns the outcome's event type, or None when no attempt was made."""
        stream = delivery_stream(delivery_id)
        now = datetime.now(UTC)
        history, version = await self.store.load(stream)
        current = progress(history)
        if not is_due(current, now, lease=self.settings.lease):
            return None
        async with self.store.engine.connect() as connection:
            target = await self._target(connection, delivery_id)
        if target is None:
            return None
        endpoint = await commands.find_endpoint(self.store, UUID(target.endpoint_id))
        if endpoint is None or endpoint.removed:
            return None
        attempt = current.attempts + 1
        attempted = DeliveryAttempted(
            delivery_id=UUID(delivery_id),
            message_id=UUID(target.message_id),
            state=target.state,
            endpoint_id=endpoint.endpoint_id,
            attempt=attempt,
            attempted_at=now,
        )
        try:
            result = await self.store.append(
                stream, [attempted], stream_type=DELIVERY, expected_version=version,
                metadata=WORKER,
            )
        except ConcurrencyError:  # another worker got there first
            return None
        status_code, reason = await self._send(delivery_id, target, endpoint, now)
        outcome = self._outcome(attempt, status_code, reason)
        if not await self._record_outcome(stream, outcome, attempt, result.version):
            log.warning("delivery.outcome_superseded", delivery_id=delivery_id, attempt=attempt)
            return None
        log.info(
            "delivery.attempted",
            delivery_id=delivery_id,
            state=target.state,
            attempt=attempt,
            outcome=outcome[-1].event_type,
            reason=reason,
        )
        return outcome[-1].event_type

    async def _record_outcome(
        self, stream: str, outcome: list[DomainEvent], attempt: int, version: int
    ) -> bool:
        """Append the attempt's outcome after it. A receipt the state acknowledged meanwhile
        (in the same stream) does not stop it; another worker's attempt does: this attempt
        was taken for lost, and the outcome is the newer attempt's to record."""
        for _ in range(10):
            try:
                await self.store.append(
                    stream, outcome, stream_type=DELIVERY, expected_version=version,
                    metadata=WORKER,
                )
                return True
            except ConcurrencyError:
                history, version = await self.store.load(stream)
                current = progress(history)
                if current.status != ATTEMPTING or current.attempts != attempt:
                    return False
        return False

    def _outcome(self, attempt: int, status_code: int | None, reason: str) -> list[DomainEvent]:
        now = datetime.now(UTC)
        if status_code is not None and 200 <= status_code < 300:
            return [DeliverySucceeded(attempt=attempt, status_code=status_code, answered_at=now)]
        settings = self.settings
        last = attempt >= settings.max_attempts
        delay = None if last else backoff(attempt, base=settings.base_delay, cap=settings.max_delay)
        failed = DeliveryFailed(
            attempt=attempt,
            reason=reason,
            status_code=status_code,
            failed_at=now,
            next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
        )
        if last:
            return [failed, DeliveryDeadLettered(attempts=attempt, dead_lettered_at=now)]
        return [failed]

    async def _send(
        self, delivery_id: str, target: Any, endpoint: domain.Endpoint, now: datetime
    ) -> tuple[int | None, str]:
        """POST the message to the endpoint: (status code, reason) of what came back."""
        try:
            destination = await check_address(
                endpoint.url, allow_private=self.settings.allow_private
            )
        except EndpointAddressRefusedError as refused:
            return None, f"address refused: {refused.members['reason']}"
        assert self.key is not None
        secrets = [
            commands.secret_of(self.key, endpoint.endpoint_id, generation)
            for generation in endpoint.generations_in_force(now)
        ]
        body = encode_body(
            webhook_body(
                target.data,
                kind=target.kind,
                delivery_id=UUID(delivery_id),
                state=target.state,
                languages=endpoint.languages,
            )
        )
        headers = signature_headers(
            secrets, webhook_id=delivery_id, timestamp=datetime.now(UTC), body=body
        )
        headers["content-type"] = "application/json"
        headers["user-agent"] = "cica-notifications"
        try:
            code = await self.post(destination, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return None, "timeout"
        except (httpx.HTTPError, OSError) as error:
            return None, f"connection: {type(error).__name__}"
        return code, f"status {code}"

    async def post(
        self, destination: Destination, *, content: bytes, headers: dict[str, str]
    ) -> int:
        """POST `content` to `destination`, pinned to the addresses its check resolved: to the
        first of them, or the next when one refuses the connection; the status it answers.

        A client of its own for each attempt: its connections are to the addresses checked
        for this endpoint's host, and are never reused for another host that shares one."""
        async with httpx.AsyncClient(
            verify=self._ssl_context,
            timeout=httpx.Timeout(self.settings.timeout),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            if not destination.addresses:  # development: where the URL says
                request = client.build_request(
                    "POST", destination.url, content=content, headers=headers
                )
                return await _status_of(client, request)
            *others, last = destination.addresses
            for address in others:
                with contextlib.suppress(httpx.ConnectError):
                    return await _status_of(
                        client, pinned_request(client, destination, address, content, headers)
                    )
            return await _status_of(
                client, pinned_request(client, destination, last, content, headers)
            )


def pinned_request(
    client: httpx.AsyncClient,
    destination: Destination,
    address: IPAddress,
    content: bytes,
    headers: dict[str, str],
) -> httpx.Request:
    """The request to `destination`'s URL, sent to `address`: the URL's host replaced by the
    address, the Host header the URL's, and the TLS server name (SNI, and the name the
    certificate must match) the URL's host, by httpx's documented ``sni_hostname`` request
    extension. So nothing resolves the name again between the check and the connection."""
    url = httpx.URL(destination.url)
    return client.build_request(
        "POST",
        url.copy_with(host=str(address)),
        content=content,
        headers={**headers, "host": url.netloc.decode("ascii")},
        extensions={"sni_hostname": url.raw_host.decode("ascii")},
    )


async def _status_of(client: httpx.AsyncClient, request: httpx.Request) -> int:
    """Send `request` and read at most `RESPONSE_BYTES` of the answer: its status code."""
    response = await client.send(request, stream=True)
    try:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= RESPONSE_BYTES:
                break
        return response.status_code
    finally:
        await response.aclose()


def install_delivery(app: FastAPI) -> None:
    """Run the delivery worker for as long as the app runs (inside the kit's lifespan, so the
    store, the notifier and the projections are there), unless ``delivery_enabled`` is off.
    The worker is ``app.state.delivery_worker``."""
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with outer(app):
            settings = app.state.settings
            worker = DeliveryWorker(
                store=app.state.store,
                settings=WorkerSettings.of(settings),
                key=settings.webhook_key_bytes(),
                notifier=app.state.notifier,
                runner=app.state.projection_runner,
            )
            app.state.delivery_worker = worker
            if settings.delivery_enabled:
                worker.start()
            try:
                yield
            finally:
                await worker.close()

    app.router.lifespan_context = lifespan
