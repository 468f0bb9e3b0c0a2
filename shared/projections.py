"""Projections: read models folded from the service's own log, and rebuildable from it.

A projection is a set of SQLAlchemy Core tables, one handler per event type, a name and a
version::

    members = Table("members", projection_metadata, Column("code", Text, primary_key=True), ...)
    member_list = Projection("member_list", version=1, tables=[members])

    @member_list.on(MemberAdmitted)
    async def when_member_admitted(connection, record, event):
        await connection.execute(insert(members).values(code=event.state_code, ...))

Its checkpoint (the last position applied) is a row of `projection_checkpoints`, written in the
same transaction as the rows its handlers write: a crash or a failing handler leaves both or
neither. A `ProjectionRunner` follows the log and applies each batch to every projection; on
start-up it rebuilds (deletes the rows, then replays from position 0) every projection whose
declared version differs from its checkpoint's. `digest` hashes a projection's rows in primary
key order, so a rebuilt projection can be compared with the live one, byte for byte.

Several processes of one service may run projections on the same database: each batch locks
the projection's checkpoint row and applies only the events after the position it finds there,
so no event is applied twice, and a process whose code declares another version than the one
stored stops applying (another process has rebuilt the projection under a newer declaration).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

import rfc8785
import structlog
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import sort_tables

from shared.eventstore.follow import LogNotifier, follow
from shared.eventstore.hashing import format_instant
from shared.eventstore.postgres import DATABASE_AWAY, PostgresEventStore
from shared.eventstore.schema import NAMING_CONVENTION, metadata
from shared.eventstore.types import DomainEvent, EventTypes, RecordedEvent
from shared.http.problems import database_unavailable
from shared.retry import Backoff, RetryCallState, backoff, retrying

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncConnection, RecordedEvent, DomainEvent], Awaitable[None]]
BatchHandler = Callable[
    [AsyncConnection, Sequence[tuple[RecordedEvent, DomainEvent]]], Awaitable[None]
]
H = TypeVar("H", bound=Handler)
B = TypeVar("B", bound=BatchHandler)
T = TypeVar("T")

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("position >= 0", name="position_not_negative"),
)


def projection_metadata() -> MetaData:
    """A MetaData for a service's projection tables, with the kit's naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class ProjectionError(Exception):
    """A projection that cannot be applied as declared."""


class ProjectionSupersededError(ProjectionError):
    """The stored checkpoint has another version than this process declares: another process
    rebuilt the projection under its own declaration, and this one must not write into it."""

    def __init__(self, name: str, declared: int, stored: int) -> None:
        super().__init__(
            f"projection {name!r} is stored at version {stored}, this process declares {declared}"
        )
        self.name, self.declared, self.stored = name, declared, stored


class _BehindError(ProjectionError):
    """The stored checkpoint is behind the batch in hand (the projection was reset, by a
    rebuild elsewhere): read again from `position`."""

    def __init__(self, position: int) -> None:
        super().__init__(f"the checkpoint is at {position}, behind the batch in hand")
        self.position = position


class Projection:
    """A read model: tables, one handler per event type, a name and a version.

    Bump `version` whenever the handlers or the tables change what the projection holds: the
    next start-up rebuilds it from the log.
    """

    def __init__(
        self, name: str, *, version: int, tables: Sequence[Table], description: str = ""
    ) -> None:
        if not name or len(name) > 200:
            raise ValueError("a projection's name is 1 to 200 characters")
        if version < 1:
            raise ValueError("projection versions start at 1")
        for table in tables:
            if not table.primary_key.columns:
                raise ValueError(f"table {table.name!r} needs a primary key (the digest's order)")
        self.name = name
        self.version = version
        self.tables: tuple[Table, ...] = tuple(tables)
        self.description = description
        self._handlers: dict[str, Handler] = {}
        self._batch_handler: BatchHandler | None = None
        self._batch_types: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Projection({self.name!r}, version={self.version})"

    def on(self, *event_types: str | type[DomainEvent]) -> Callable[[H], H]:
        """Register the decorated function as the handler of these event types (models or
        names). Each event type has at most one handler in a projection."""
        names = self._names(event_types)
        if self._batch_handler is not None:
            raise ValueError(f"{self.name} has a batch handler: it takes no per-event handler")

        def decorate(handler: H) -> H:
            for name in names:
                self._handlers[name] = handler
            return handler

        return decorate

    def on_batch(self, *event_types: str | type[DomainEvent]) -> Callable[[B], B]:
        """Register the decorated function as the one handler of these event types, called
        once per batch with all of the batch's events of these types, in log order, as
        (record, event) pairs. For read models that fold a batch in memory and write it
        with a few set-based statements, rather than a statement per event (a round trip
        each): a rebuild is then bound by reading and decoding the log, not by the database's
        latency. A projection has either per-event handlers or one batch handler."""
        names = self._names(event_types)
        if self._handlers or self._batch_handler is not None:
            raise ValueError(f"{self.name} has handlers already: one batch handler, or none")

        def decorate(handler: B) -> B:
            self._batch_handler = handler
            self._batch_types = frozenset(names)
            return handler

        return decorate

    def _names(self, event_types: Sequence[str | type[DomainEvent]]) -> list[str]:
        if not event_types:
            raise ValueError("name at least one event type")
        names = [t if isinstance(t, str) else t.event_type for t in event_types]
        for name in names:
            if not name:
                raise ValueError("register the event model with an EventTypes registry first")
            if name in self._handlers or name in self._batch_types:
                raise ValueError(f"{self.name}: {name} already has a handler")
        return names

    @property
    def handled(self) -> frozenset[str]:
        return frozenset(self._handlers) | self._batch_types

    def handles(self, event_type: str) -> bool:
        return event_type in self._handlers or event_type in self._batch_types

    def check(self, event_types: EventTypes) -> None:
        """Raise if a handler names an event type the service does not know."""
        unknown = sorted(name for name in self.handled if name not in event_types)
        if unknown:
            raise ProjectionError(f"{self.name} handles unknown event types: {unknown}")

    async def apply(
        self,
        connection: AsyncConnection,
        records: Sequence[RecordedEvent],
        decode: Callable[[RecordedEvent], DomainEvent],
    ) -> None:
        """Apply `records` in order, on `connection`: each to its handler, or all that the
        batch handler takes to it at once. Events nothing handles are skipped, undecoded."""
        if self._batch_handler is not None:
            items = [(r, decode(r)) for r in records if r.event_type in self._batch_types]
            if items:
                await self._batch_handler(connection, items)
            return
        handlers = self._handlers
        for record in records:
            handler = handlers.get(record.event_type)
            if handler is not None:
                await handler(connection, record, decode(record))

    async def clear(self, connection: AsyncConnection) -> None:
        """Delete every row of the projection's tables (dependants first)."""
        for table in reversed(sort_tables(self.tables)):
            await connection.execute(delete(table))

    async def digest(self, connection: AsyncConnection) -> str:
        """sha256, hex, over the projection's rows: tables by name, rows in primary-key order,
        each as RFC 8785 canonical JSON. Identical state gives an identical digest."""
        hasher = hashlib.sha256()
        for table in sorted(self.tables, key=lambda t: t.name):
            columns = list(table.columns)
            hasher.update(rfc8785.dumps(["table", table.name, [c.name for c in columns]]))
            query = select(*columns).order_by(*table.primary_key.columns)
            result = await connection.stream(query)
            async for rows in result.partitions(1000):
                for row in rows:
                    hasher.update(rfc8785.dumps([_canonical(value) for value in row]))
        return hasher.hexdigest()


_SAFE_INTEGER = 2**53


def _canonical(value: Any) -> Any:
    """A column value as a JSON value that means the same in every run."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < _SAFE_INTEGER else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, datetime):
        return format_instant(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def check_projections(projections: Iterable[Projection], event_types: EventTypes) -> None:
    """Raise if two projections share a name or a handler names an unknown event type."""
    names = [p.name for p in projections]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ProjectionError(f"projection names must be unique: {duplicates}")
    for projection in projections:
        projection.check(event_types)


# ----------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    name: str
    version: int
    position: int
    updated_at: datetime


async def read_checkpoint(
    connection: AsyncConnection, name: str, *, lock: bool = False
) -> Checkpoint | None:
    query = select(projection_checkpoints).where(projection_checkpoints.c.name == name)
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return None if row is None else Checkpoint(row.name, row.version, row.position, row.updated_at)


# The checkpoint's statements, built once: a statement made anew for each batch costs its
# construction and the computation of its cache key every time. The lock: an upsert that
# creates the row if missing and returns it, locked.
_lock_statement = pg_insert(projection_checkpoints).values(
    name=bindparam("checkpoint_name"),
    version=bindparam("checkpoint_version"),
    position=0,
    updated_at=bindparam("checkpoint_updated_at"),
)
_LOCK_CHECKPOINT = _lock_statement.on_conflict_do_update(
    index_elements=[projection_checkpoints.c.name],
    set_={"name": _lock_statement.excluded.name},
).returning(*projection_checkpoints.c)
_SAVE_CHECKPOINT = (
    projection_checkpoints.update()
    .where(projection_checkpoints.c.name == bindparam("checkpoint_name"))
    .values(
        version=bindparam("checkpoint_version"),
        position=bindparam("checkpoint_position"),
        updated_at=bindparam("checkpoint_updated_at"),
    )
)


# A batch's checkpoint moved from just before its first record to its last, if it is there and
# at the declared version: one statement, which locks the row as it moves it (`_apply_batch_on`).
_ADVANCE_CHECKPOINT = (
    projection_checkpoints.update()
    .where(
        projection_checkpoints.c.name == bindparam("checkpoint_name"),
        projection_checkpoints.c.version == bindparam("checkpoint_version"),
        projection_checkpoints.c.position == bindparam("checkpoint_from"),
    )
    .values(
        position=bindparam("checkpoint_position"),
        updated_at=bindparam("checkpoint_updated_at"),
    )
    .returning(projection_checkpoints.c.position)
)


async def _locked_checkpoint(connection: AsyncConnection, projection: Projection) -> Checkpoint:
    """The projection's checkpoint, locked until the transaction ends; created at position 0
    and the declared version when missing. One statement: an upsert that changes nothing on a
    conflict still locks the row, and returns it."""
    parameters = {
        "checkpoint_name": projection.name,
        "checkpoint_version": projection.version,
        "checkpoint_updated_at": _now(),
    }
    row = (await connection.execute(_LOCK_CHECKPOINT, parameters)).one()
    return Checkpoint(row.name, row.version, row.position, row.updated_at)


async def _save_checkpoint(
    connection: AsyncConnection, projection: Projection, position: int
) -> None:
    parameters = {
        "checkpoint_name": projection.name,
        "checkpoint_version": projection.version,
        "checkpoint_position": position,
        "checkpoint_updated_at": _now(),
    }
    await connection.execute(_SAVE_CHECKPOINT, parameters)


async def _advanced_checkpoint(
    connection: AsyncConnection, projection: Projection, start: int, end: int
) -> bool:
    """Move the checkpoint from `start` to `end` if it is at `start` and the declared version,
    locking it until the transaction ends; False (and nothing moved, nothing locked) if not."""
    parameters = {
        "checkpoint_name": projection.name,
        "checkpoint_version": projection.version,
        "checkpoint_from": start,
        "checkpoint_position": end,
        "checkpoint_updated_at": _now(),
    }
    return (await connection.execute(_ADVANCE_CHECKPOINT, parameters)).first() is not None


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------- applying and rebuilding


class _Decoder:
    """Decodes a batch's records for `projections`: each at most once, however many of them
    handle it.

    Only the events of types that several of them handle are kept for the batch: one that a
    single projection handles is decoded once anyway, and keeping it to the batch's end would
    carry it past the garbage collector's young generations (a rebuild then rescans the heap
    more often). A record stored at its type's current schema version goes to the model's
    validation directly, from its stored JSON text where the store read it so (`stored_event`):
    what `PostgresEventStore.decode` does with it, as no upcaster applies, without the lookups
    around it, which cost a third of decoding a small event."""

    def __init__(self, store: PostgresEventStore, projections: Iterable[Projection]) -> None:
        self._store = store
        handlers = Counter(name for projection in projections for name in projection.handled)
        self._shared = frozenset(name for name, count in handlers.items() if count > 1)
        self._events: dict[int, DomainEvent] = {}
        self._models: dict[str, type[DomainEvent]] = {}

    def __call__(self, record: RecordedEvent) -> DomainEvent:
        if record.event_type in self._shared:
            event = self._events.get(record.position)
            if event is None:
                event = self._events[record.position] = self._decode(record)
            return event
        return self._decode(record)

    def _model(self, event_type: str) -> type[DomainEvent]:
        model = self._models.get(event_type)
        if model is None:
            model = self._models[event_type] = self._store.event_types.model(event_type)
        return model

    def _decode(self, record: RecordedEvent) -> DomainEvent:
        model = self._model(record.event_type)
        if record.schema_version == model.schema_version:
            data_text = getattr(record, "data_text", None)  # see `stored_event`
            if data_text is not None:
                return model.__pydantic_validator__.validate_json(data_text)  # type: ignore[no-any-return]
            return model.__pydantic_validator__.validate_python(record.data)  # type: ignore[no-any-return]
        return self._store.decode(record)


async def apply_batch(
    engine: AsyncEngine,
    projection: Projection,
    records: Sequence[RecordedEvent],
    decode: Callable[[RecordedEvent], DomainEvent],
) -> int:
    """Apply the records after the projection's checkpoint, and move the checkpoint to the end
    of `records` (in log order, as read), in one transaction. Returns the checkpoint's new
    position.

    Raises ProjectionSupersededError when the stored version is not the declared one, and
    `_BehindError` when the checkpoint is behind the first record (read again from there)."""
    async with engine.connect() as connection:
        return await _apply_batch_on(connection, projection, records, decode)


async def _apply_batch_on(
    connection: AsyncConnection,
    projection: Projection,
    records: Sequence[RecordedEvent],
    decode: Callable[[RecordedEvent], DomainEvent],
) -> int:
    """`apply_batch` in a transaction of its own on `connection`, which is outside any.

    Mostly the checkpoint is just before the batch: then it is moved to the batch's end first,
    in the statement that locks it, and the handlers run after, in the same transaction (three
    round trips to the server with BEGIN and COMMIT, rather than four). Otherwise (a checkpoint
    missing, at another version, inside the batch or behind it) it is locked and read, and
    what it says is done."""
    async with connection.begin():
        if records and await _advanced_checkpoint(
            connection, projection, records[0].position - 1, records[-1].position
        ):
            await projection.apply(connection, records, decode)
            return records[-1].position
        checkpoint = await _locked_checkpoint(connection, projection)
        if checkpoint.version != projection.version:
            raise ProjectionSupersededError(projection.name, projection.version, checkpoint.version)
        if records and records[0].position > checkpoint.position:
            todo = records  # the common case: all of them (they are in log order)
        else:
            todo = [r for r in records if r.position > checkpoint.position]
        if not todo:
            return checkpoint.position
        if todo[0].position != checkpoint.position + 1:
            raise _BehindError(checkpoint.position)
        await projection.apply(connection, todo, decode)
        await _save_checkpoint(connection, projection, todo[-1].position)
        return todo[-1].position


async def reset(engine: AsyncEngine, projection: Projection) -> None:
    """Delete the projection's rows and set its checkpoint to position 0 at the declared
    version, in one transaction."""
    async with engine.begin() as connection:
        await _locked_checkpoint(connection, projection)
        await projection.clear(connection)
        await _save_checkpoint(connection, projection, 0)
    log.info("projection.reset", projection=projection.name, version=projection.version)


async def prepare(engine: AsyncEngine, projection: Projection) -> bool:
    """Make sure the projection has a checkpoint, and reset it when its stored version is not
    the declared one (the caller then replays it). True if it was reset."""
    async with engine.begin() as connection:
        checkpoint = await _locked_checkpoint(connection, projection)
        if checkpoint.version == projection.version:
            return False
        log.info(
            "projection.version_changed",
            projection=projection.name,
            stored=checkpoint.version,
            declared=projection.version,
        )
        await projection.clear(connection)
        await _save_checkpoint(connection, projection, 0)
        return True


async def catch_up(
    store: PostgresEventStore,
    projections: Sequence[Projection],
    *,
    until: int | None = None,
    batch_size: int = 1000,
) -> int:
    """Apply the log to `projections` up to `until` (the head when this is called, if None),
    batch by batch, reading the next batch while the current one is applied. Returns the
    number of events read. The batches are applied on one connection, held throughout: a
    transaction each, as `apply_batch` does, without a checkout from the pool for each."""
    async with store.engine.connect() as connection:
        return await _catch_up_on(connection, store, projections, until, batch_size)


async def _catch_up_on(
    connection: AsyncConnection,
    store: PostgresEventStore,
    projections: Sequence[Projection],
    until: int | None,
    batch_size: int,
) -> int:
    target = await store.head_position() if until is None else until
    async with connection.begin():
        checkpoints = [await read_checkpoint(connection, p.name) for p in projections]
    after = min((c.position if c else 0 for c in checkpoints), default=target)

    def read_from(position: int) -> asyncio.Task[list[RecordedEvent]] | None:
        if position >= target:
            return None
        limit = min(batch_size, target - position)
        return asyncio.create_task(store.read_all(after=position, limit=limit))

    read = 0
    ahead = read_from(after)
    try:
        while ahead is not None:
            records = await ahead
            if not records:
                break
            read += len(records)
            end = records[-1].position
            ahead = read_from(end)
            decode = _Decoder(store, projections)
            resume = end
            for projection in projections:
                try:
                    await _apply_batch_on(connection, projection, records, decode)
                except _BehindError as behind:  # reset meanwhile, by another process
                    resume = min(resume, behind.position)
            if resume < end:
                if ahead is not None:
                    ahead.cancel()
                ahead = read_from(resume)
    finally:
        if ahead is not None and not ahead.done():
            ahead.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ahead
    return read


@dataclass(frozen=True, slots=True)
class RebuildReport:
    name: str
    version: int
    digest_before: str
    position_before: int
    digest_after: str
    position_after: int
    events: int
    seconds: float


async def rebuild(
    store: PostgresEventStore,
    projection: Projection,
    *,
    until: int | None = None,
    batch_size: int = 1000,
) -> RebuildReport:
    """Delete the projection's rows, replay the log from position 0 up to `until` (the head,
    if None), and report its digest before and after."""
    engine = store.engine
    before = await projection_state(engine, projection)
    started = time.perf_counter()
    await reset(engine, projection)
    events = await catch_up(store, [projection], until=until, batch_size=batch_size)
    seconds = time.perf_counter() - started
    after = await projection_state(engine, projection)
    log.info("projection.rebuilt", projection=projection.name, events=events, seconds=seconds)
    return RebuildReport(
        name=projection.name,
        version=projection.version,
        digest_before=before.digest,
        position_before=before.position,
        digest_after=after.digest,
        position_after=after.position,
        events=events,
        seconds=seconds,
    )


async def replay_digest(
    store: PostgresEventStore, projection: Projection, *, until: int, batch_size: int = 1000
) -> str:
    """The digest the projection would have at position `until`, replayed from position 0
    into a scratch schema: the live tables are neither read nor written. ProjectionError if
    the log ends before `until` (the digest of a shorter fold is not the one at `until`)."""
    schema = f"cica_scratch_{uuid.uuid4().hex[:16]}"
    engine = store.engine.execution_options(schema_translate_map={None: schema})
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        for table in sort_tables(projection.tables):
            await connection.run_sync(lambda sync, t=table: t.create(sync))
    try:
        after = 0
        while after < until:
            records = await store.read_all(after=after, limit=min(batch_size, until - after))
            if not records:
                break
            async with engine.begin() as connection:
                await projection.apply(connection, records, _Decoder(store, [projection]))
            after = records[-1].position
        if after < until:
            raise ProjectionError(
                f"{projection.name}: cannot replay to position {until}, the log ends at {after}"
            )
        async with engine.connect() as connection:
            return await projection.digest(connection)
    finally:
        async with store.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@dataclass(frozen=True, slots=True)
class ProjectionState:
    """What `GET /projections` shows of a projection: its checkpoint and the digest of its
    rows, read in one snapshot so that they agree."""

    name: str
    version: int
    declared_version: int
    position: int
    digest: str
    updated_at: datetime | None


async def projection_state(engine: AsyncEngine, projection: Projection) -> ProjectionState:
    async with engine.connect() as connection:
        snapshot = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with snapshot.begin():
            checkpoint = await read_checkpoint(snapshot, projection.name)
            digest = await projection.digest(snapshot)
    return ProjectionState(
        name=projection.name,
        version=checkpoint.version if checkpoint else projection.version,
        declared_version=projection.version,
        position=checkpoint.position if checkpoint else 0,
        digest=digest,
        updated_at=checkpoint.updated_at if checkpoint else None,
    )


# --------------------------------------------------------------------------------- the runner


class _Outcome(Enum):
    APPLIED = "applied"
    BEHIND = "behind"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


class SharedRead(Generic[T]):
    """An async read whose callers share its calls: each caller gets the result of a call
    made after it asked, and callers who ask while a call is out share the next one.

    For the log's head, which every read over HTTP asks for before it waits for the read
    models (`ProjectionRunner.wait_until_caught_up`): a head read before the caller asked could
    miss a write the caller made just before, one made after it cannot. Under the read
    benchmark (100 clients), each read asked for the head once, a statement through the pool
    of about 120 us of CPU; shared, a few reads in flight at a time ask once between them."""

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._next: asyncio.Future[T] | None = None
        self._reading: asyncio.Task[None] | None = None

    async def __call__(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieved)
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._calls(), name="shared-read")
        # Shielded: a caller cancelled leaves the call to the others.
        return await asyncio.shield(self._next)

    async def _calls(self) -> None:
        """Make the next call while a caller waits for one; the callers who ask meanwhile
        wait for the call after it."""
        while self._next is not None:
            future, self._next = self._next, None
            try:
                result = await self._read()
            except asyncio.CancelledError:  # the loop ending: its callers are not left waiting
                future.cancel()
                raise
            except Exception as error:  # each of its callers gets the error instead
                future.set_exception(error)
            else:
                future.set_result(result)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a shared call's error seen, should all its callers have been cancelled."""
    if not future.cancelled():
        future.exception()


@dataclass(slots=True)
class _Progress:
    projection: Projection
    position: int = 0
    error: str | None = None
    superseded: bool = False
    failures: int = 0


class ProjectionRunner:
    """Follows the service's own log and applies each batch to every projection.

    `start` spawns the work and returns: it prepares the projections (rebuilding those whose
    version changed), then follows the log. A projection whose handler fails is retried with
    backoff on its own follower, so it holds up neither the others nor the service. `stop`
    finishes the batch in hand and returns.
    """

    def __init__(
        self,
        store: PostgresEventStore,
        projections: Sequence[Projection],
        *,
        notifier: LogNotifier | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        retry_delay: float = 0.1,
        max_retry_delay: float = 30.0,
    ) -> None:
        check_projections(projections, store.event_types)
        self.store = store
        self.projections: tuple[Projection, ...] = tuple(projections)
        self.notifier = notifier
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self._progress = {p.name: _Progress(p) for p in projections}
        self._head = SharedRead(store.head_position)
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._prepared = False

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._tasks or not self.projections:
            return
        self._stopping = False
        self._spawn(self._prepare_then_follow(), "projections")

    async def stop(self, grace: float = 30.0) -> None:
        """Finish the batch in hand, then stop."""
        self._stopping = True
        for task in list(self._tasks):
            if task not in self._busy:
                task.cancel()
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        if self._stopping:
            work.close()
            return
        task = asyncio.create_task(work, name=f"projection-runner:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.contextmanager
    def _batch_in_hand(self) -> Iterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(task)  # type: ignore[arg-type]
        try:
            yield
        finally:
            self._busy.discard(task)  # type: ignore[arg-type]

    # ----------------------------------------------------------------------------- progress

    def positions(self) -> dict[str, int]:
        """The position each projection has committed, as this process last saw it."""
        return {name: p.position for name, p in self._progress.items()}

    def errors(self) -> dict[str, str]:
        """The last error of each projection that is failing now."""
        return {name: p.error for name, p in self._progress.items() if p.error is not None}

    async def wait_for(self, position: int, *, within: float = 10.0) -> None:
        """Return once every projection has applied the log up to `position`; raise
        TimeoutError (naming the laggards and their errors) after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            changed = self._changed
            lagging = {
                name: p
                for name, p in self._progress.items()
                if not self._prepared or p.position < position
            }
            if not lagging:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = ", ".join(
                    f"{name} at {p.position}" + (f" ({p.error})" if p.error else "")
                    for name, p in lagging.items()
                )
                raise TimeoutError(f"projections not at position {position}: {detail}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_until_caught_up(self, *, within: float = 10.0) -> int:
        """Wait until every projection has applied the log up to its head as of now (read
        after this call began: `SharedRead`)."""
        head = await self._head()
        await self.wait_for(head, within=within)
        return head

    def _advanced(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -------------------------------------------------------------------------------- work

    async def _prepare_then_follow(self) -> None:
        def before_sleep(retry_state: RetryCallState) -> None:
            assert retry_state.outcome is not None
            error = retry_state.outcome.exception()
            log.warning(
                "projections.prepare_failed", error=str(error), retry_in=retry_state.upcoming_sleep
            )

        if not self._prepared:
            async for attempt in retrying(
                on=DATABASE_AWAY,
                attempts=None,
                wait=Backoff(base=self.retry_delay, cap=self.max_retry_delay),
                before_sleep=before_sleep,
            ):
                with attempt, self._batch_in_hand():
                    for projection in self.projections:
                        await prepare(self.store.engine, projection)
                    async with self.store.engine.connect() as connection:
                        for progress in self._progress.values():
                            checkpoint = await read_checkpoint(connection, progress.projection.name)
                            progress.position = checkpoint.position if checkpoint else 0
            self._prepared = True
        self._advanced()
        await self._follow(list(self._progress.values()))

    async def _follow(self, group: list[_Progress]) -> None:
        """Follow the log for `group`, from the lowest of their positions. A member that fails
        leaves for a follower of its own; a lone member that fails is retried with backoff."""
        outage = 0  # reads or batches in a row that met the database away
        while group and not self._stopping:
            after = min(p.position for p in group)
            restart = False
            try:
                async for records in follow(
                    self.store,
                    after=after,
                    notifier=self.notifier,
                    batch_size=self.batch_size,
                    poll_interval=self.poll_interval,
                ):
                    with self._batch_in_hand():
                        decode = _Decoder(self.store, [p.projection for p in group])
                        for progress in list(group):
                            outcome = await self._apply(progress, records, decode)
                            if outcome is _Outcome.BEHIND:
                                restart = True
                            elif outcome is _Outcome.SUPERSEDED:
                                group.remove(progress)
                            elif outcome is _Outcome.FAILED and len(group) > 1:
                                group.remove(progress)
                                self._spawn(self._follow_alone(progress), progress.projection.name)
                            elif outcome is _Outcome.FAILED:
                                restart = True
                            elif outcome is _Outcome.UNAVAILABLE:
                                restart = True
                                outage += 1
                        if not restart:
                            outage = 0
                        self._advanced()
                    if self._stopping or restart or not group:
                        break
            except DATABASE_AWAY as error:
                log.warning("projections.read_failed", error=str(error))
                restart = True
                outage += 1
            if restart and group and not self._stopping:
                failures = max(p.failures for p in group)
                if failures:
                    wait = backoff(failures, base=self.retry_delay, cap=self.max_retry_delay)
                    await asyncio.sleep(wait)
                elif outage:  # waiting for the database: briefly, not at full speed
                    cap = min(self.retry_delay * 2**4, 1.0)
                    await asyncio.sleep(backoff(outage, base=self.retry_delay, cap=cap))

    async def _follow_alone(self, progress: _Progress) -> None:
        failures = max(progress.failures, 1)
        await asyncio.sleep(backoff(failures, base=self.retry_delay, cap=self.max_retry_delay))
        await self._follow([progress])

    async def _apply(
        self,
        progress: _Progress,
        records: list[RecordedEvent],
        decode: Callable[[RecordedEvent], DomainEvent],
    ) -> _Outcome:
        projection = progress.projection
        if records[-1].position <= progress.position:
            return _Outcome.APPLIED
        try:
            progress.position = await apply_batch(self.store.engine, projection, records, decode)
        except _BehindError as behind:
            log.info("projection.behind", projection=projection.name, position=behind.position)
            progress.position = behind.position
            return _Outcome.BEHIND
        except ProjectionSupersededError as error:
            log.warning("projection.superseded", projection=projection.name, error=str(error))
            progress.error = str(error)
            progress.superseded = True
            return _Outcome.SUPERSEDED
        except Exception as error:  # a failing handler must not stop the runner: retried later
            if database_unavailable(error):  # the database is away, not the handler wrong
                log.warning("projection.unavailable", projection=projection.name, error=str(error))
                return _Outcome.UNAVAILABLE
            progress.failures += 1
            progress.error = f"{type(error).__name__}: {error}"
            log.exception(
                "projection.failed",
                projection=projection.name,
                position=progress.position,
                failures=progress.failures,
            )
            return _Outcome.FAILED
        progress.failures = 0
        progress.error = None
        return _Outcome.APPLIED


__all__ = [
    "BatchHandler",
    "Checkpoint",
    "Handler",
    "Projection",
    "ProjectionError",
    "ProjectionRunner",
    "ProjectionState",
    "ProjectionSupersededError",
    "RebuildReport",
    "apply_batch",
    "catch_up",
    "check_projections",
    "prepare",
    "projection_checkpoints",
    "projection_metadata",
    "projection_state",
    "rebuild",
    "replay_digest",
    "reset",
]
