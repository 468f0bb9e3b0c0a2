"""`JetStreamRelay`: publishes what a service's log has committed to its JetStream stream.

The event table is the outbox: request code never publishes. The relay follows the log (woken
by LISTEN/NOTIFY, polling as the fallback), publishes each event as a CloudEvent on
`cica.<service>.<stream_type>.<EventType>` with `Nats-Msg-Id` = the event id, many in flight
at once, and records how far it has published once NATS has acknowledged them. After a crash
it publishes again from the recorded position: JetStream drops what it already has within its
duplicate window, and consumers skip anything they have tracked, so nothing is applied twice.

With several replicas of a service one relay publishes at a time: the one holding a
PostgreSQL session advisory lock. When its process dies, its connection closes, the lock is
released, and another replica's relay takes over.
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
from sqlalchemy.dialects.postgresql import insert

from shared.envelope import encode, stream_name, subject
from shared.eventstore.follow import LogNotifier, plain_dsn
from shared.eventstore.postgres import PostgresEventStore
from shared.eventstore.schema import relay_progress
from shared.eventstore.types import RecordedEvent
from shared.messaging import NatsConnection
from shared.retry import backoff

log = structlog.get_logger(__name__)

DUPLICATE_WINDOW_SECONDS = 300.0
"""How long JetStream remembers a `Nats-Msg-Id` (at least two minutes, as the issue asks)."""


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


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode())


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
        stopping = self._stop_requested.wait()
        tasks = {asyncio.ensure_future(sleeping), asyncio.ensure_future(stopping)}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self) -> None:
        """Wait for leadership, then publish until closed; on any trouble start over."""
        rounds = 0  # over the relay's life
        while not self._stopping:
            rounds += 1
            delay = backoff(rounds, base=0.2, cap=5.0)
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, NatsError, TimeoutError) as error:
                log.warning("relay.interrupted", error=repr(error), retry_in=delay)
            except Exception:  # a relay that stops silently loses nothing but delays everything
                log.exception("relay.failed", retry_in=delay)
            self.is_leader = False
            await asyncio.sleep(delay)

    async def _lead(self) -> None:
        lock = await asyncpg.connect(plain_dsn(self.store.engine))
        try:
            key = _lock_key(f"cica.relay.{self.service}")
            leading = await lock.fetchval("SELECT pg_try_advisory_lock($1)", key)
            while not leading:
                if self._stopping:
                    return
                await asyncio.sleep(self.poll_interval)
                leading = await lock.fetchval("SELECT pg_try_advisory_lock($1)", key)
            self.is_leader = True
            log.info("relay.leading", stream=self.stream)
            await self._publish_forever(lock)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lock.close(), 2)

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
                    confirming.result()  # its failure ends this round; `run` starts over
                    raise ConnectionError("the relay's confirmation task ended")
                if lock.is_closed():
                    raise ConnectionError("lost the relay's lock connection")
                waiter = self.notifier.waiter() if self.notifier is not None else None
                records = await self.store.read_all(after=sent_up_to, limit=self.batch_size)
                if not records:
                    await self._idle(waiter)
                    continue
                futures = await self.send(records)
                await in_flight.put((records[-1].position, futures))
                sent_up_to = records[-1].position
            # Closing: the confirmations of what is in flight end the confirming task.
            await in_flight.put(None)
            await confirming
        finally:
            confirming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await confirming
            while not in_flight.empty():
                batch = in_flight.get_nowait()
                for future in batch[1] if batch is not None else ():
                    future.cancel()

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
        now = datetime.now(UTC)
        statement = insert(relay_progress).values(stream=self.stream, position=position,
                                                  updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[relay_progress.c.stream],
            set_={"position": position, "updated_at": now},
        )
        async with self.store.engine.begin() as connection:
            await connection.execute(statement)
