"""`PostgresEventStore`: the append-only, hash-chained event log of one service, in PostgreSQL.

How appends work. Every `append` call becomes a request on an in-process queue; one writer task
takes every request waiting and commits them together in one transaction (group commit), so a
burst of concurrent commands costs one round of statements and one WAL flush. Inside that
transaction the writer takes ``LOCK TABLE events IN EXCLUSIVE MODE``, which serialises appends
across processes (two replicas of a service share one log) while leaving reads free. Holding the
lock, it reads the head of the log, checks each request's expected version and event ids, and
gives the accepted events the next positions, so positions are gapless and in commit order: a
reader that has seen position N has seen everything before it. A request that conflicts fails
alone; the others in the batch commit. If the batch's transaction fails as a whole, each of its
requests is retried in a transaction of its own, so one bad request cannot sink the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic_core import from_json
from sqlalchemy import Integer, Text, and_, any_, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared import context
from shared.eventstore.errors import (
    ConcurrencyError,
    EventIdConflictError,
    InvalidEventError,
    StreamTypeMismatchError,
)
from shared.eventstore.hashing import (
    GENESIS_HASH,
    canonical_document,
    chain_hash,
    check_storable,
)
from shared.eventstore.schema import events
from shared.eventstore.types import (
    AppendResult,
    ChainReport,
    DomainEvent,
    EventTypes,
    NewEvent,
    RecordedEvent,
)
from shared.settings import asyncpg_url

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "cica_events"
ANY_VERSION: None = None
"""Pass as `expected_version` to append whatever the stream's version is."""
MAX_NAME_LENGTH = 512
NO_STREAM = 0
"""Pass as `expected_version` to append only if the stream does not exist yet."""


def create_engine(database_url: str, **options: Any) -> AsyncEngine:
    """An asyncpg engine for `database_url` (a plain ``postgresql://`` URL is fine)."""
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(asyncpg_url(database_url), **options)


@dataclass(slots=True)
class _Row:
    event_id: uuid.UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]


@dataclass(slots=True)
class _Request:
    stream_id: str
    stream_type: str
    expected_version: int | None
    rows: list[_Row]
    future: asyncio.Future[AppendResult]
    event_ids: frozenset[uuid.UUID] = field(init=False)

    def __post_init__(self) -> None:
        self.event_ids = frozenset(row.event_id for row in self.rows)


_COLUMNS = (
    events.c.position,
    events.c.event_id,
    events.c.stream_id,
    events.c.stream_type,
    events.c.version,
    events.c.event_type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
    events.c.prev_hash,
    events.c.hash,
)

_HEAD = select(events.c.position, events.c.hash, events.c.recorded_at).order_by(
    events.c.position.desc()
).limit(1)
_STREAM_HEADS = (
    select(events.c.stream_id, func.max(events.c.version), func.min(events.c.stream_type))
    .where(events.c.stream_id == any_(bindparam("stream_ids", type_=ARRAY(Text))))
    .group_by(events.c.stream_id)
)
_KNOWN_IDS = select(
    events.c.event_id, events.c.stream_id, events.c.position, events.c.version
).where(events.c.event_id == any_(bindparam("event_ids", type_=ARRAY(UUID(as_uuid=True)))))


# `read_all` on the driver: the same columns as _COLUMNS, bound parameters ($1 after, $2 limit).
# JSONB comes as text and is decoded here by pydantic-core's JSON parser: the driver's text
# codec and that parser cost a quarter of what the Python-level JSONB codec SQLAlchemy installs
# on the connection (json.loads) does.
_READ_ALL = (
    "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, "
    "data::text, metadata::text, recorded_at, prev_hash, hash FROM events "
    "WHERE position > $1 ORDER BY position LIMIT $2"
)


def _record_of_driver_row(row: Any) -> RecordedEvent:
    position, event_id, stream_id, stream_type, version, event_type, schema_version = row[:7]
    data, metadata, recorded_at, prev_hash, hash_ = row[7:]
    return RecordedEvent(
        position,
        event_id,
        stream_id,
        stream_type,
        version,
        event_type,
        schema_version,
        from_json(data),
        from_json(metadata) if metadata != "{}" else {},
        recorded_at,
        prev_hash,
        hash_,
    )


def _record(row: Any) -> RecordedEvent:
    return RecordedEvent(
        position=row.position,
        event_id=row.event_id,
        stream_id=row.stream_id,
        stream_type=row.stream_type,
        version=row.version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=row.data,
        metadata=row.metadata,
        recorded_at=row.recorded_at,
        prev_hash=bytes(row.prev_hash),
        hash=bytes(row.hash),
    )


class PostgresEventStore:
    def __init__(
        self,
        engine: AsyncEngine,
        event_types: EventTypes,
        *,
        max_batch_events: int = 2000,
    ) -> None:
        self.engine = engine
        self.event_types = event_types
        self._max_batch_events = max_batch_events
        self._queue: asyncio.Queue[_Request | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    # ----------------------------------------------------------------------------- appending

    async def append(
        self,
        stream_id: str,
        events_: Sequence[DomainEvent | NewEvent],
        *,
        stream_type: str,
        expected_version: int | None,
        metadata: dict[str, Any] | None = None,
    ) -> AppendResult:
        """Append `events_` to `stream_id` if it is at `expected_version` (`NO_STREAM` for a new
        stream, `ANY_VERSION` for no check). Raises ConcurrencyError on a mismatch, having
        appended nothing. Appending events whose ids are all recorded already appends nothing
        and returns where they were recorded (`duplicate=True`)."""
        if self._closed:
            raise RuntimeError("the event store is closed")
        rows = self._rows(stream_id, stream_type, events_, metadata)
        loop = asyncio.get_running_loop()
        request = _Request(stream_id, stream_type, expected_version, rows, loop.create_future())
        self._queue.put_nowait(request)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever(), name="event-store-writer")
        return await asyncio.shield(request.future)

    def _rows(
        self,
        stream_id: str,
        stream_type: str,
        events_: Sequence[DomainEvent | NewEvent],
        metadata: dict[str, Any] | None,
    ) -> list[_Row]:
        if not events_:
            raise InvalidEventError("an append needs at least one event")
        for name, value in (("stream id", stream_id), ("stream type", stream_type)):
            if not value or len(value) > MAX_NAME_LENGTH or "\x00" in value:
                raise InvalidEventError(f"a {name} is 1 to {MAX_NAME_LENGTH} characters, no NUL")
        rows = [self._row(event, metadata) for event in events_]
        if len({row.event_id for row in rows}) != len(rows):
            raise InvalidEventError("the same event id appears twice in one append")
        return rows

    def _row(self, event: DomainEvent | NewEvent, metadata: dict[str, Any] | None) -> _Row:
        new = event if isinstance(event, NewEvent) else NewEvent(event)
        payload = new.payload
        if payload.event_type not in self.event_types:
            raise InvalidEventError(f"{type(payload).__name__} is not a registered event type")
        data = payload.model_dump(mode="json")
        meta = _context_metadata()
        meta.update(metadata or {})
        meta.update(new.metadata or {})
        check_storable(data, "data")
        check_storable(meta, "metadata")
        return _Row(
            event_id=new.event_id or uuid.uuid4(),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            data=data,
            metadata=meta,
        )

    async def _write_forever(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.rows)
            while not self._queue.empty() and size < self._max_batch_events:
                request = self._queue.get_nowait()
                if request is None:
                    stopping = True
                    break
                batch.append(request)
                size += len(request.rows)
            try:
                await self._commit(batch)
            except DBAPIError as error:
                if len(batch) == 1:
                    _fail(batch[0], error)
                    continue
                # One request may carry what PostgreSQL refuses; give each its own transaction.
                log.warning("event_store.batch_failed", error=str(error), requests=len(batch))
                for request in batch:
                    try:
                        await self._commit([request])
                    except Exception as single_error:  # every waiter must hear of its failure
                        _fail(request, single_error)
            except asyncio.CancelledError:
                for request in batch:
                    _fail(request, RuntimeError("the event store was closed during the append"))
                raise
            except Exception as error:  # every waiter must hear of its failure, then go on
                log.exception("event_store.batch_error", requests=len(batch))
                for request in batch:
                    _fail(request, error)

    async def _commit(self, batch: list[_Request]) -> None:
        async with self.engine.begin() as connection:
            outcomes = await self._write(connection, batch)
        for request, outcome in zip(batch, outcomes, strict=True):
            if request.future.done():
                continue
            if isinstance(outcome, Exception):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)

    async def append_in(
        self,
        connection: AsyncConnection,
        stream_id: str,
        events_: Sequence[DomainEvent | NewEvent],
        *,
        stream_type: str,
        expected_version: int | None,
        metadata: dict[str, Any] | None = None,
    ) -> AppendResult:
        """`append`, inside the caller's transaction on `connection`: the events commit with
        whatever else the caller writes there (a reaction's tracking row, say), or not at all.
        The log stays locked until that transaction ends, so keep it short."""
        rows = self._rows(stream_id, stream_type, events_, metadata)
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        request = _Request(stream_id, stream_type, expected_version, rows, future)
        (outcome,) = await self._write(connection, [request])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _write(
        self, connection: AsyncConnection, batch: list[_Request]
    ) -> list[AppendResult | Exception]:
        """Lock the log, decide each request, insert the accepted events. Returns each request's
        outcome in order; commits nothing itself."""
        outcomes: list[AppendResult | Exception] = []
        await connection.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
        head = (await connection.execute(_HEAD)).first()
        position = head.position if head else 0
        prev_hash = bytes(head.hash) if head else GENESIS_HASH
        last_instant = head.recorded_at if head else None
        stream_ids = list({request.stream_id for request in batch})
        streams = {
            row[0]: (row[1], row[2])
            for row in await connection.execute(_STREAM_HEADS, {"stream_ids": stream_ids})
        }
        versions = {stream: version for stream, (version, _) in streams.items()}
        all_ids = [row.event_id for request in batch for row in request.rows]
        known = {
            row.event_id: (row.stream_id, row.position, row.version)
            for row in await connection.execute(_KNOWN_IDS, {"event_ids": all_ids})
        }
        now = datetime.now(UTC)
        recorded_at = now if last_instant is None or now > last_instant else last_instant
        to_insert: list[dict[str, Any]] = []
        for request in batch:
            outcome = self._decide(request, known, versions, streams)
            if outcome is not None:
                outcomes.append(outcome)
                continue
            version = versions.get(request.stream_id, 0)
            first = position + 1
            for row in request.rows:
                position += 1
                version += 1
                document = canonical_document(
                    position=position,
                    event_id=row.event_id,
                    stream_id=request.stream_id,
                    stream_type=request.stream_type,
                    version=version,
                    event_type=row.event_type,
                    schema_version=row.schema_version,
                    data=row.data,
                    metadata=row.metadata,
                    recorded_at=recorded_at,
                )
                digest = chain_hash(prev_hash, document)
                to_insert.append(
                    {
                        "position": position,
                        "event_id": row.event_id,
                        "stream_id": request.stream_id,
                        "stream_type": request.stream_type,
                        "version": version,
                        "event_type": row.event_type,
                        "schema_version": row.schema_version,
                        "data": row.data,
                        "metadata": row.metadata,
                        "recorded_at": recorded_at,
                        "prev_hash": prev_hash,
                        "hash": digest,
                    }
                )
                known[row.event_id] = (request.stream_id, position, version)
                prev_hash = digest
            versions[request.stream_id] = version
            streams.setdefault(request.stream_id, (version, request.stream_type))
            outcomes.append(AppendResult(request.stream_id, first, position, version))
        if to_insert:
            await connection.execute(insert(events), to_insert)
            await connection.execute(
                select(func.pg_notify(NOTIFY_CHANNEL, str(position)))
            )
        return outcomes

    @staticmethod
    def _decide(
        request: _Request,
        known: dict[uuid.UUID, tuple[str, int, int]],
        versions: dict[str, int],
        streams: dict[str, tuple[int, str]],
    ) -> AppendResult | Exception | None:
        """None when the request may be appended; else its answer (a duplicate or an error)."""
        seen = [known[event_id] for event_id in request.event_ids if event_id in known]
        if seen:
            if len(seen) == len(request.rows) and all(s == request.stream_id for s, _, _ in seen):
                return AppendResult(
                    request.stream_id,
                    first_position=min(p for _, p, _ in seen),
                    last_position=max(p for _, p, _ in seen),
                    version=max(v for _, _, v in seen),
                    duplicate=True,
                )
            return EventIdConflictError(
                request.stream_id, sorted(i for i in request.event_ids if i in known)
            )
        if request.stream_id in streams and streams[request.stream_id][1] != request.stream_type:
            return StreamTypeMismatchError(
                request.stream_id, request.stream_type, streams[request.stream_id][1]
            )
        current = versions.get(request.stream_id, 0)
        if request.expected_version is not None and request.expected_version != current:
            return ConcurrencyError(request.stream_id, request.expected_version, current)
        return None

    # ------------------------------------------------------------------------------- reading

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        """The events of one stream, from `from_version` to `to_version` inclusive."""
        query = select(*_COLUMNS).where(
            events.c.stream_id == stream_id, events.c.version >= from_version
        )
        if to_version is not None:
            query = query.where(events.c.version <= to_version)
        async with self.engine.connect() as connection:
            result = await connection.execute(query.order_by(events.c.version))
            return [_record(row) for row in result]

    async def read_stream_as_of(self, stream_id: str, instant: datetime) -> list[RecordedEvent]:
        """The events of one stream recorded at or before `instant`: the stream as it stood."""
        if instant.tzinfo is None:
            raise ValueError("an instant needs a time zone")
        query = (
            select(*_COLUMNS)
            .where(and_(events.c.stream_id == stream_id, events.c.recorded_at <= instant))
            .order_by(events.c.version)
        )
        async with self.engine.connect() as connection:
            return [_record(row) for row in await connection.execute(query)]

    async def read_all(self, *, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events of the whole log with positions greater than `after`.

        The hot path of every follower (projections, the relay, the feed): it runs on the
        asyncpg connection underneath SQLAlchemy's, a prepared statement and no result
        processing, which reads about three times as fast as the Core query."""
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            rows = await raw.driver_connection.fetch(_READ_ALL, after, limit)  # type: ignore[union-attr]
        return [_record_of_driver_row(row) for row in rows]

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def head_position(self) -> int:
        query = select(func.coalesce(func.max(events.c.position), 0))
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    def decode(self, record: RecordedEvent) -> DomainEvent:
        """The record's event as the current model, through its upcasters."""
        return self.event_types.decode(record.event_type, record.schema_version, record.data)

    async def load(self, stream_id: str) -> tuple[list[DomainEvent], int]:
        """A stream's events, decoded to their current models, and its version."""
        records = await self.read_stream(stream_id)
        return [self.decode(r) for r in records], (records[-1].version if records else 0)

    # ------------------------------------------------------------------------- verification

    async def verify_chain(self, *, batch_size: int = 5000) -> ChainReport:
        """Recompute the hash chain from the first position; report the first bad one."""
        expected_position = 1
        prev_hash = GENESIS_HASH
        async with self.engine.connect() as connection:
            async for record in _iterate(connection, batch_size):
                problem = _check(record, expected_position, prev_hash)
                if problem is not None:
                    return ChainReport(
                        ok=False,
                        checked=expected_position - 1,
                        head_position=expected_position - 1,
                        head_hash=prev_hash,
                        first_bad_position=expected_position,
                        reason=problem,
                    )
                prev_hash = record.hash
                expected_position += 1
        return ChainReport(
            ok=True,
            checked=expected_position - 1,
            head_position=expected_position - 1,
            head_hash=prev_hash,
        )

    # ------------------------------------------------------------------------------ closing

    async def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        self._closed = True
        if self._writer is None or self._writer.done():
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=30)
        except TimeoutError:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        self._writer = None


def _fail(request: _Request, error: Exception) -> None:
    if not request.future.done():
        request.future.set_exception(error)


def _context_metadata() -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, var in (
        ("actor", context.actor),
        ("correlation_id", context.request_id),
        ("causation_id", context.causation_id),
    ):
        value = var.get()
        if value is not None:
            meta[key] = value
    return meta


async def _iterate(connection: AsyncConnection, batch_size: int) -> AsyncIterator[RecordedEvent]:
    after = 0
    while True:
        query = (
            select(*_COLUMNS)
            .where(events.c.position > after)
            .order_by(events.c.position)
            .limit(bindparam("limit", type_=Integer))
        )
        rows = (await connection.execute(query, {"limit": batch_size})).all()
        if not rows:
            return
        for row in rows:
            yield _record(row)
        after = rows[-1].position


def _check(record: RecordedEvent, expected_position: int, prev_hash: bytes) -> str | None:
    if record.position != expected_position:
        return f"position {expected_position} is missing (the next row is {record.position})"
    if record.prev_hash != prev_hash:
        return "prev_hash does not match the hash of the previous event"
    document = canonical_document(
        position=record.position,
        event_id=record.event_id,
        stream_id=record.stream_id,
        stream_type=record.stream_type,
        version=record.version,
        event_type=record.event_type,
        schema_version=record.schema_version,
        data=record.data,
        metadata=record.metadata,
        recorded_at=record.recorded_at,
    )
    if chain_hash(prev_hash, document) != record.hash:
        return "the event's content does not match its hash"
    return None
