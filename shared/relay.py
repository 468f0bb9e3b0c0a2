"""`JetStreamRelay`: publishes what a service's log has committed to its JetStream stream.

The event table is the outbox: request code never publishes. The relay follows the log (woken
by LISTEN/NOTIFY, polling as the fallback), publishes each event as a CloudEvent on
`cica.<service>.<stream_type>.<EventType>` with `Nats-Msg-Id` = the event id, many in flight
at once, and records how far it has published once NATS has acknowledged them. After a crash
it publishes again from the recorded position: JetStream drops what it already has within its
duplicate window, and consumers skip anything they have tracked, so nothing is applied twice.

With several replicas of a service one relay publishes at a time: the one holding a
PostgreSQL session advisory lock, on a connection of its own. When its process dies, its
connection closes, the lock is released, and another replica's relay takes over.

Leadership is the lock, and nothing else: only losing it (the lock's connection closes or stops
answering: the database restarted, the network between them broke) or being closed ends it.
Trouble on the NATS side (a node dying, publishes that time out, "no responders" while the
cluster elects a new leader for the stream) or a failed read or write of the log on the
store's own connections is the leader's to sit out: it keeps the lock and tries again with
backoff, from the position it last recorded. Dropping the lock for it would help nothing, since
the standby faces the same NATS, and would make leadership flip between replicas for as long as
NATS is in trouble. So ``relay.leading`` and ``relay.leadership_ended`` are logged once per
leadership; a streak of failed rounds is logged as it starts, at most once a minute while it
lasts (each retry at debug), and as it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from nats.errors import Error as NatsError
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from shared.envelope import encode, stream_name, subject
from shared.eventstore.follow import LogNotifier, plain_dsn
from shared.eventstore.postgres import PostgresEventStore, on_the_driver
from shared.eventstore.schema import relay_progress
from shared.eventstore.types import RecordedEvent
from shared.messaging import NatsConnection
from shared.retry import backoff

log = structlog.get_logger(__name__)

DUPLICATE_WINDOW_SECONDS = 300.0
"""How long JetStream remembers a `Nats-Msg-Id` (at least two minutes, as the issue asks)."""

TROUBLE_WARNING_INTERVAL = 60.0
"""While a streak of failures lasts, how often (seconds) it is logged again as a warning."""

LOCK_CHECK_TIMEOUT = 5.0
"""How long the lock's connection has to answer before the leader takes the lock for lost."""

_RECORD = (
    "INSERT INTO relay_progress (stream, position, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (stream) DO UPDATE SET position = excluded.position, "
    "updated_at = excluded.updated_at"
)
"""The relay's progress, noted by `JetStreamRelay._record`."""

_EXPECTED_TROUBLE = (
    OSError, TimeoutError, NatsError, asyncpg.PostgresError, asyncpg.InterfaceError,
    SQLAlchemyError,
)  # fmt: skip
"""What a server that is away, slow or electing raises: retried, and logged without a trace."""


def stream_config(service: str, replicas: int = 1) -> StreamConfig:
    """The service's stream: file storage on `replicas` nodes, keeping everything,
    duplicates dropped."""
    return StreamConfig(
        name=stream_name(service),
        subjects=[f"cica.{service}.>"],
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=0,
        max_msgs=-1,
        max_bytes=-1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_stream(nats: NatsConnection, service: str) -> None:
    """Create the service's stream, or bring an existing one to the configuration above."""
    client = nats.client
    if client is None:
        raise ConnectionError("NATS is not connected")
    js = client.jetstream()
    config = stream_config(service, nats.stream_replicas)
    try:
        await js.add_stream(config)
    except BadRequestError:  # it exists with another configuration
        await js.update_stream(config)


def leadership_lock_key(service: str) -> int:
    """The PostgreSQL advisory lock that `service`'s relays campaign for (what to look for in
    ``pg_locks`` to find the leader's session)."""
    return zlib.crc32(f"cica.relay.{service}".encode())


class LeadershipLostError(ConnectionError):
    """The relay's lock connection closed or stopped answering: the lock may be another's."""


class _Streak:
    """Failures in a row of one kind: logged as a warning when the streak starts and at most
    every `TROUBLE_WARNING_INTERVAL` seconds while it lasts (each failure at debug), and once
    when it ends, so that an outage of NATS or PostgreSQL is a few lines, not one per retry."""

    def __init__(self, event: str, *, over: str) -> None:
        self.event = event
        self.over = over
        self.failures = 0
        self._since = 0.0
        self._warned_at = 0.0

    def failed(self, error: BaseException, *, retry_in: float, **fields: Any) -> None:
        now = time.monotonic()
        self.failures += 1
        if self.failures == 1:
            self._since = now
        details = {
            "error": repr(error),
            "failures": self.failures,
            "for_seconds": round(now - self._since, 1),
            "retry_in": round(retry_in, 2),
            **fields,
        }
        if not isinstance(error, _EXPECTED_TROUBLE):
            details["exc_info"] = error  # a bug, not an outage: show where
        if self.failures == 1 or now - self._warned_at >= TROUBLE_WARNING_INTERVAL:
            self._warned_at = now
            log.warning(self.event, **details)
        else:
            log.debug(self.event, **details)

    def ended(self, **fields: Any) -> None:
        if self.failures:
            log.info(
                self.over,
                failures=self.failures,
                for_seconds=round(time.monotonic() - self._since, 1),
                **fields,
            )
        self.failures = 0


class JetStreamRelay:
    def __init__(
        self,
        *,
        service: str,
        store: PostgresEventStore,
        nats: NatsConnection,
        notifier: LogNotifier | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        ack_timeout: float = 10.0,
        max_batches_in_flight: int = 4,
        record_interval: float = 0.5,
    ) -> None:
        self.service = service
        self.store = store
        self.nats = nats
        self.notifier = notifier
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.ack_timeout = ack_timeout
        self.max_batches_in_flight = max_batches_in_flight
        self.record_interval = record_interval
        self.stream = stream_name(service)
        self.published = 0
        self.is_leader = False
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._campaign_trouble = _Streak("relay.lock_unavailable", over="relay.lock_available")
        self._publishing_trouble = _Streak(
            "relay.publishing_interrupted", over="relay.publishing_resumed"
        )

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._stop_requested = asyncio.Event()
            self._task = asyncio.create_task(self.run(), name=f"{self.service}-relay")

    async def close(self, grace: float = 5.0) -> None:
        """Stop sending, let the batches in flight be acknowledged and their progress
        recorded (for up to `grace` seconds), then stop. What is not recorded by then is
        published again by the next relay, and dropped by JetStream as a duplicate."""
        if self._task is not None:
            self._stopping = True
            self._stop_requested.set()  # an idle relay stops at once, not at its next poll
            await asyncio.wait({self._task}, timeout=grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _idle(self, waiter: Any) -> None:
        """Wait for a commit (or the poll interval), or for `close`, whichever comes first."""
        if waiter is not None and self.notifier is not None:
            sleeping = self.notifier.wait(waiter, self.poll_interval)
        else:
            sleeping = asyncio.sleep(self.poll_interval)
        await self._sleep_unless_closed(sleeping)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or until `close`."""
        await self._sleep_unless_closed(asyncio.sleep(seconds))

    async def _sleep_unless_closed(self, sleeping: Any) -> None:
        stopping = self._stop_requested.wait()
        tasks = {asyncio.ensure_future(sleeping), asyncio.ensure_future(stopping)}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self) -> None:
        """Campaign for the lock, lead until the lock is lost (or the relay closed), and
        campaign again; when the database cannot be reached, try again with backoff."""
        while not self._stopping:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except LeadershipLostError:  # logged as it ended: campaign again, after the
                # standbys (polling every `poll_interval`) have had their chance to take over.
                await self._pause(2 * self.poll_interval)
            except Exception as error:  # a relay that stops loses nothing but delays everything
                failures = self._campaign_trouble.failures + 1
                delay = backoff(failures, base=0.2, cap=5.0)
                self._campaign_trouble.failed(error, retry_in=delay)
                await self._pause(delay)

    async def _lead(self) -> None:
        """Take the lock (waiting while another relay has it), then publish while it is
        held. Returns when the relay is closed; raises when the lock is lost or cannot be
        taken."""
        lock = await asyncpg.connect(
            plain_dsn(self.store.engine),
            server_settings={"application_name": f"cica-relay-{self.service}"[:63]},
        )
        try:
            key = leadership_lock_key(self.service)
            leading = await lock.fetchval("SELECT pg_try_advisory_lock($1)", key)
            self._campaign_trouble.ended()
            while not leading:
                if self._stopping:
                    return
                await self._pause(self.poll_interval)
                leading = await lock.fetchval("SELECT pg_try_advisory_lock($1)", key)
            self.is_leader = True
            log.info("relay.leading", stream=self.stream)
            reason = "closed"  # or cancelled, when `close`'s grace ran out
            try:
                await self._publish_while_leading(lock)
            except Exception as error:
                reason = repr(error)
                raise
            finally:
                self.is_leader = False
                ended = log.info if reason == "closed" else log.warning
                ended("relay.leadership_ended", stream=self.stream, reason=reason)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lock.close(), 2)

    async def _publish_while_leading(self, lock: asyncpg.Connection) -> None:
        """Publish until closed, starting over from the recorded position after any trouble,
        as long as the lock is still held: a failure with the lock gone ends the leadership
        (`LeadershipLostError`); any other is retried with backoff, the lock kept."""
        while not self._stopping:
            try:
                await self._publish_forever(lock)
            except asyncio.CancelledError:
                raise
            except LeadershipLostError:
                raise
            except Exception as error:
                if not await self._holds(lock):
                    raise LeadershipLostError("lost the relay's lock connection") from error
                failures = self._publishing_trouble.failures + 1
                delay = backoff(failures, base=0.2, cap=5.0)
                self._publishing_trouble.failed(error, retry_in=delay, stream=self.stream)
                await self._pause(delay)

    @staticmethod
    async def _holds(lock: asyncpg.Connection) -> bool:
        """The lock's connection is open and answers, so its session (and the session's
        advisory lock) is alive."""
        if lock.is_closed():
            return False
        try:
            await asyncio.wait_for(lock.fetchval("SELECT 1"), LOCK_CHECK_TIMEOUT)
        except _EXPECTED_TROUBLE:
            return False
        return True

    async def _publish_forever(self, lock: asyncpg.Connection) -> None:
        """Read and send batch after batch without waiting for JetStream's acks; a second task
        waits for them in order and records the progress. Reading the next batch, publishing
        this one and recording the last overlap, so no round trip stalls the pipeline."""
        await self.nats.connected()
        await ensure_stream(self.nats, self.service)
        self.published = await self._progress()
        sent_up_to = self.published
        in_flight: asyncio.Queue[tuple[int, list[asyncio.Future[Any]]] | None] = asyncio.Queue(
            maxsize=self.max_batches_in_flight
        )
        confirming = asyncio.create_task(self._confirm(in_flight), name="relay-confirm")
        try:
            while not self._stopping:
                if confirming.done():
                    confirming.result()  # its failure ends this round, to be started over
                    raise ConnectionError("the relay's confirmation task ended")
                if lock.is_closed():
                    raise LeadershipLostError("lost the relay's lock connection")
                waiter = self.notifier.waiter() if self.notifier is not None else None
                records = await self.store.read_all(after=sent_up_to, limit=self.batch_size)
                if not records:
                    await self._idle(waiter)
                    continue
                futures = await self.send(records)
                await self._put_in_flight(in_flight, (records[-1].position, futures), confirming)
                sent_up_to = records[-1].position
            # Closing: the confirmations of what is in flight end the confirming task.
            await self._put_in_flight(in_flight, None, confirming)
            await confirming
        finally:
            confirming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await confirming
            while not in_flight.empty():
                batch = in_flight.get_nowait()
                for future in batch[1] if batch is not None else ():
                    future.cancel()

    @staticmethod
    async def _put_in_flight(
        in_flight: asyncio.Queue[tuple[int, list[asyncio.Future[Any]]] | None],
        batch: tuple[int, list[asyncio.Future[Any]]] | None,
        confirming: asyncio.Task[None],
    ) -> None:
        """Queue `batch` for confirmation, unless the confirming task ends first (the acks of
        an earlier batch timed out, say): then raise its failure. Waiting on the queue alone
        would wait for ever once it is full, with no one left to empty it: a leader that
        publishes nothing again, lock in hand."""
        putting = asyncio.ensure_future(in_flight.put(batch))
        try:
            await asyncio.wait({putting, confirming}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not putting.done():
                putting.cancel()
                await asyncio.wait({putting})
                for future in batch[1] if batch is not None else ():
                    future.cancel()
        if putting.cancelled():
            confirming.result()  # its failure ends this round
            raise ConnectionError("the relay's confirmation task ended")

    async def _confirm(
        self, in_flight: asyncio.Queue[tuple[int, list[asyncio.Future[Any]]] | None]
    ) -> None:
        """Wait for each batch's acks, in order; record the progress when caught up, and at
        least every `record_interval` seconds while busy; on None (closing), record it and
        end."""
        recorded = self.published
        last_recorded_at = time.monotonic()
        while True:
            batch = await in_flight.get()
            if batch is None:
                if self.published != recorded:
                    await self._record(self.published)
                return
            position, futures = batch
            try:
                await asyncio.wait_for(asyncio.gather(*futures), self.ack_timeout)
            finally:
                for future in futures:
                    future.cancel()
            self.published = position
            self._publishing_trouble.ended(stream=self.stream, published=position)
            due = in_flight.empty() or (
                time.monotonic() - last_recorded_at >= self.record_interval
            )
            if due and position != recorded:
                await self._record(position)
                recorded = position
                last_recorded_at = time.monotonic()

    async def send(self, records: list[RecordedEvent]) -> list[asyncio.Future[Any]]:
        """Publish `records` without waiting: the futures of JetStream's acks, in order."""
        client = self.nats.client
        if client is None:
            raise ConnectionError("NATS is not connected")
        js = client.jetstream()
        futures: list[asyncio.Future[Any]] = []
        try:
            for record in records:
                futures.append(
                    await js.publish_async(
                        subject(self.service, record.stream_type, record.event_type),
                        encode(record, self.service),
                        headers={"Nats-Msg-Id": str(record.event_id)},
                        # No stall timeout: with one, every publish waits on a timer and the
                        # client flushes its socket once per message. A stalled sender is freed
                        # when `_confirm` times out and cancels the unacknowledged futures.
                    )
                )
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return futures

    async def _progress(self) -> int:
        query = select(relay_progress.c.position).where(relay_progress.c.stream == self.stream)
        async with self.store.engine.connect() as connection:
            return int((await connection.execute(query)).scalar() or 0)

    async def _record(self, position: int) -> None:
        """Note `position` as published: one statement on the driver, outside any transaction
        (one round trip; BEGIN and COMMIT around it were two more, on every confirmation)."""
        async with on_the_driver(self.store.engine) as driver:
            await driver.execute(_RECORD, self.stream, position, datetime.now(UTC))
