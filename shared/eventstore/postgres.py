"""`PostgresEventStore`: the append-only, hash-chained event log of one service, in PostgreSQL.

How appends work. Every `append` call becomes a request on an in-process queue (its events'
JSON and canonical bytes made there, before any lock); a writer takes every request waiting and
commits them together in one transaction (group commit), so a burst of concurrent commands
costs one round of statements and one WAL flush. Inside that transaction the writer takes
``LOCK TABLE events IN EXCLUSIVE MODE``, which serialises appends across processes (two replicas
of a service share one log) while leaving reads free. Holding the lock, it reads in one
statement the head of the log, the streams' versions and which event ids are known, checks each
request's expected version and event ids, gives the accepted events the next positions, chains
their hashes and inserts the group in one more statement, so positions are gapless and in
commit order: a reader that has seen position N has seen everything before it. Two writers take
turns: the next gathers its group and queues for the lock while the current one commits. A
store that committed the last group knows the head and its streams' versions, so its next group
is planned on them and written in one statement without the lock, which the unique keys and
the statement's own checks refuse if the log moved meanwhile (`_write_at_head`); the group
then goes the locked way. A request that conflicts fails alone; the others in the batch
commit. If the batch's transaction fails as a whole, each of its requests is retried in a
transaction of its own, so one bad request cannot sink the others (a group queued behind it may
then commit first).

How commands read. Every command reads its stream, decoded to the current models, before it
decides (`read_decoded`, under `shared.commands.read_history` and `load`). A long stream would
cost a full read and a pydantic decode of every event on every command, so the store keeps the
streams it has decoded (`StreamCache`: least recently used first out, bounded by the events it
holds and by the length of their stored data) and reads only what follows. The cache is never
the record: see `read_decoded` for why what it returns is always what a full read would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from pydantic_core import from_json
from sqlalchemy import Integer, and_, bindparam, event, select
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
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
    ChainBreak,
    canonical_text,
    chain_break,
    chain_hash,
    check_storable,
    document_parts,
    finish_document,
    instant_json,
)
from shared.eventstore.schema import events
from shared.eventstore.types import (
    AppendResult,
    ChainReport,
    DomainEvent,
    EventTypes,
    NewEvent,
    RecordedEvent,
    recorded_event,
    stored_event,
)
from shared.settings import asyncpg_url

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "cica_events"
ANY_VERSION: None = None
"""Pass as `expected_version` to append whatever the stream's version is."""
MAX_NAME_LENGTH = 512
NO_STREAM = 0
"""Pass as `expected_version` to append only if the stream does not exist yet."""
_LANES = 2
"""Writers of one store: one commits while the next gathers its group and waits for the lock
(or, when the one committing writes without the lock, for it to end: `_lane`)."""
STREAM_VERSIONS_KEPT = 10_000
"""Streams whose last version a store keeps from its own appends, for requests that expect no
version (`_write_at_head`); one it does not keep sends its group the locked way."""
LOCKED_GROUPS_AFTER_REFUSAL = 8
"""After a one-statement write is refused (another process wrote since this one's last group;
or, rarely, a request repeats an event id recorded already), this many groups take the lock at
once: a replica writing in turn with another would otherwise plan each group twice and pay a
refused round trip each time. Two stores on one log, 32 writers each, in one process:
8,500-8,700 events/s without, 10,300-11,500 with (one store alone: 13,000-15,200, either
way)."""
HISTORY_CACHE_EVENTS = 20_000
"""Decoded events a store keeps for its commands by default (`StreamCache`): every stream of a
small service, the busy streams of a large one. A decoded event of a few fields takes about a
KiB; a draft's revision (`DraftRevised`, a whole text of a few paragraphs) about 4 KiB and a
byte or so more for each character of its text."""
HISTORY_CACHE_CHARACTERS = 32 * 1024 * 1024
"""The characters of stored JSON whose decoded events a store keeps by default, however few
events they are: a revision may carry a text of megabytes (up to the body limit), and 20,000
of them would hold tens of GiB."""


DRIVER_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError,)
"""What the server's refusals raise from the statements the store sends to the driver itself
(`read_all`, `read_committed`, `head_position`, ...), unwrapped by SQLAlchemy: the HTTP layer
judges them as it judges SQLAlchemy's `DBAPIError` (by SQLSTATE)."""
LOST_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InternalClientError,
)
"""What the driver raises, itself or under SQLAlchemy, when a connection is being lost: in the
middle of a statement, or before one. A server shutting down tells each idle connection so
before it closes it; asyncpg, which expects nothing while idle, then takes the connection for
busy ("another operation is in progress", an `InternalClientError`) until the close arrives,
and a statement sent in between fails so (seen by the PostgreSQL-restart fault test, once in
seven runs: the pool had handed the connection out in that instant)."""


_GROUP_FAILURES: tuple[type[Exception], ...] = (
    DBAPIError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    *LOST_CONNECTION_ERRORS,
)
"""What a group's transaction on the driver fails with when the server refuses it or the
connection fails under it: each of its requests is then tried alone (`_retry_alone`)."""


DATABASE_AWAY: tuple[type[BaseException], ...] = (
    OSError,
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    *LOST_CONNECTION_ERRORS,
)
"""What reading the log raises when the database is away or going away, through SQLAlchemy or
from the driver itself (`read_all`, `head_position`, ...): what a follower (the projections,
a live stream) waits out and reads again after, rather than die of (the projection runner's
task died so once, of a `ConnectionDoesNotExistError` from `read_all`, in the
PostgreSQL-restart fault test, and the documents' read models stopped where they were)."""


def create_engine(database_url: str, **options: Any) -> AsyncEngine:
    """An asyncpg engine for `database_url` (a plain ``postgresql://`` URL is fine).

    A connection is checked as it leaves the pool without a round trip to the server
    (`_refuse_closed`). SQLAlchemy's `pool_pre_ping` costs three on asyncpg (BEGIN, an empty
    query, ROLLBACK: its ping runs in a transaction) on every checkout: profiled under the HTTP
    benchmark, they were more than a third of all the statements a revision cost (its command,
    the projections' batch and the relay's confirmation each check out a connection). A
    connection the server has closed (a restart, a terminated backend) is known to the driver
    as soon as the event loop reads the end of its socket, and the pool replaces it; one whose
    server went away without a word fails its first statement, and SQLAlchemy invalidates it,
    and on a disconnect every connection of the pool older than it, as it always has.
    `pool_pre_ping=True` still asks for the ping.

    Up to 30 connections, all kept once opened (`pool_size` 30, no overflow). With 10 kept and
    20 more of overflow, as before, a burst of requests opened overflow connections and closed
    each as it came back: under the HTTP benchmark's 100 clients, opening (with its TLS
    attempt) and closing them was about a seventh of the documents service's CPU. Kept, the
    same load measured 218 and 250 revisions/s against 172 and 155, and 3.5-3.9 ms of CPU a
    revision against 4.5-4.8 (two runs each, alternated, same machine). At most as many
    connections as before are open at once."""
    options.setdefault("pool_size", 30)
    options.setdefault("max_overflow", 0)
    options.setdefault("pool_pre_ping", False)
    engine = create_async_engine(asyncpg_url(database_url), **options)
    if not options["pool_pre_ping"]:
        event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


@contextlib.asynccontextmanager
async def on_the_driver(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The asyncpg connection under one of the pool's, for statements sent to the driver
    itself, outside any transaction (each its own).

    If a statement fails (the server going away, the caller cancelled, or anything else),
    the connection is invalidated, not handed back to the pool: SQLAlchemy saw nothing of the
    statement, and asyncpg may still be in the middle of it, so the next checkout could meet
    "another operation is in progress" (found by the PostgreSQL-restart fault test: a read
    answered 500 so, once in seven runs). These statements are reads and one upsert, which
    the server refuses only when it is going away, so a new connection costs nothing else."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        try:
            yield raw.driver_connection
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            raise


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection the server has closed is not handed out: raising
    `DisconnectionError` at checkout makes the pool discard it and connect anew."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


@dataclass(slots=True)
class _Row:
    """An event ready to be stored: its JSON as text for the JSONB columns, and its canonical
    document but for the position, version and instant (`document_parts`), made before the
    log is locked so that only the chaining runs under the lock."""

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    data_text: str
    metadata_text: str
    document: tuple[bytes, bytes]


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


@dataclass(slots=True)
class _Plan:
    """What deciding a group gives: each request's outcome in order, `_INSERT`'s arguments
    (None: nothing to insert), the head the insert leaves (position, hash, instant) and each
    appended stream's last version and type."""

    outcomes: list[AppendResult | Exception]
    insert: tuple[Any, ...] | None
    head: tuple[int, bytes, datetime] | None
    streams: dict[str, tuple[int, str]]


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

# The appending statements, as driver SQL ($n parameters): under the log's lock an append costs
# two statements and the commit, whatever the size of the group.
_LOCK = "LOCK TABLE events IN EXCLUSIVE MODE"
# The lanes' first message: a transaction and the lock, in one round trip (the simple query
# protocol runs both; the transaction stays open after it).
_BEGIN_AND_LOCK = f"BEGIN ISOLATION LEVEL READ COMMITTED; {_LOCK}"
# What deciding a group needs, in one round trip: the head of the log (kind 0), the last
# version and the type of each stream the group appends to (kind 1; one index probe a stream),
# and where any of the group's event ids is recorded already (kind 2).
_STATE = (
    "(SELECT 0 AS kind, NULL::text AS stream_id, position, NULL::integer AS version, "
    "NULL::text AS stream_type, NULL::uuid AS event_id, hash, recorded_at "
    "FROM events ORDER BY position DESC LIMIT 1) "
    "UNION ALL "
    "(SELECT 1, last.stream_id, NULL, last.version, last.stream_type, NULL, NULL, NULL "
    "FROM unnest($1::text[]) AS wanted(stream_id) CROSS JOIN LATERAL ("
    "SELECT e.stream_id, e.version, e.stream_type FROM events AS e "
    "WHERE e.stream_id = wanted.stream_id ORDER BY e.version DESC LIMIT 1) AS last) "
    "UNION ALL "
    "(SELECT 2, stream_id, position, version, NULL, event_id, NULL, NULL "
    "FROM events WHERE event_id = ANY($2::uuid[]))"
)
# The group's rows, column arrays unnested ($1-$12; $13 is the new head, for the notice).
_INSERT_ROWS = (
    "INSERT INTO events (position, event_id, stream_id, stream_type, version, "
    "event_type, schema_version, data, metadata, recorded_at, prev_hash, hash) "
    "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, "
    "data::jsonb, metadata::jsonb, $10::timestamptz, prev_hash, hash "
    "FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::integer[], $6::text[], "
    "$7::smallint[], $8::text[], $9::text[], $11::bytea[], $12::bytea[]) "
    "AS new (position, event_id, stream_id, stream_type, version, "
    "event_type, schema_version, data, metadata, prev_hash, hash) "
)
# The whole group in one statement, and the notice of the new head (delivered at commit, like
# the rows).
_INSERT = (
    f"WITH inserted AS ({_INSERT_ROWS}RETURNING 1) "
    f"SELECT pg_notify('{NOTIFY_CHANNEL}', $13::text)"
)

# The group in one statement, planned on the head this store last committed (`_write_at_head`):
# `_INSERT`'s rows, written only if the head's hash is $17 (which names its position too: the
# position is in what it hashes) and each stream $14 is at version $15 (0: no such stream) of
# type $16; the number of rows written (0: refused), and the notice when there are some.
_INSERT_AT_HEAD = (
    "WITH head AS (SELECT position, hash FROM events ORDER BY position DESC LIMIT 1), "
    "refused AS ("
    "SELECT 1 WHERE (SELECT hash FROM head) IS DISTINCT FROM $17::bytea "
    "UNION ALL "
    "SELECT 1 FROM unnest($14::text[], $15::integer[], $16::text[]) "
    "AS wanted(stream_id, version, stream_type) LEFT JOIN LATERAL ("
    "SELECT e.version, e.stream_type FROM events AS e "
    "WHERE e.stream_id = wanted.stream_id ORDER BY e.version DESC LIMIT 1) AS last ON true "
    "WHERE coalesce(last.version, 0) <> wanted.version "
    "OR last.stream_type <> wanted.stream_type), "
    f"inserted AS ({_INSERT_ROWS}WHERE NOT EXISTS (SELECT 1 FROM refused) RETURNING 1), "
    "appended AS (SELECT count(*) AS n FROM inserted), "
    f"notified AS (SELECT pg_notify('{NOTIFY_CHANNEL}', $13::text) FROM appended "
    "WHERE appended.n > 0) "
    "SELECT n FROM appended WHERE (SELECT count(*) FROM notified) >= 0"
)

# `read_all` on the driver: the same columns as _COLUMNS, bound parameters ($1 after, $2 limit).
# JSONB comes as text and is decoded here by pydantic-core's JSON parser: the driver's text
# codec and that parser cost a quarter of what the Python-level JSONB codec SQLAlchemy installs
# on the connection (json.loads) does.
_READ_ALL = (
    "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, "
    "data::text, metadata::text, recorded_at, prev_hash, hash FROM events "
    "WHERE position > $1 ORDER BY position LIMIT $2"
)
# `read_stream` on the driver, for the same reasons ($1 stream, $2 first version, $3 last).
_READ_STREAM = (
    "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, "
    "data::text, metadata::text, recorded_at, prev_hash, hash FROM events "
    "WHERE stream_id = $1 AND version >= $2 AND version <= $3 ORDER BY version"
)
# What a command reads of its stream (`read_decoded`), on the caller's connection and in its
# transaction: the events from version $2 on, with the hash of each, the first of which anchors
# the cached prefix to the log. One index range scan on (stream_id, version).
_READ_DECODED = (
    "SELECT version, event_type, schema_version, data::text, recorded_at, hash FROM events "
    "WHERE stream_id = $1 AND version >= $2 ORDER BY version"
)
_HEAD_POSITION = "SELECT coalesce(max(position), 0) FROM events"
_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
_INT_MAX = 2**31 - 1
"""The largest version (INTEGER): the bound of a read to a stream's end."""


def _record_of_driver_row(row: Any) -> RecordedEvent:
    """A row of `_READ_ALL` or `_READ_STREAM`, its data kept as the stored text until asked for
    (`stored_event`): decoding an event validates that text into its model in one pass. The
    metadata's JSON is parsed caching the keys' strings only (`cache_strings="keys"`):
    pydantic-core's default looks every string of up to 64 characters up in its cache, which
    for an event's values (names, texts, identifiers: seldom two alike) costs more than it
    saves. Parsing such a document took a third less time so."""
    position, event_id, stream_id, stream_type, version, event_type, schema_version = row[:7]
    data, metadata, recorded_at, prev_hash, hash_ = row[7:]
    return stored_event(
        position,
        event_id,
        stream_id,
        stream_type,
        version,
        event_type,
        schema_version,
        data,
        from_json(metadata, cache_strings="keys") if metadata != "{}" else {},
        recorded_at,
        prev_hash,
        hash_,
    )


def _record(row: Any) -> RecordedEvent:
    """A row of ``select(*_COLUMNS)``, whose columns are the record's fields in their order."""
    *columns, prev_hash, hash_ = row
    return recorded_event(*columns, bytes(prev_hash), bytes(hash_))


@dataclass(frozen=True, slots=True)
class DecodedStream:
    """A stream as commands read it: its events decoded to their current models, when each was
    recorded, its version (0: no such stream), and the hash of the event at that version, which
    names that event and, through the chain, everything the log held before it."""

    version: int
    events: tuple[DomainEvent, ...]
    recorded_at: tuple[datetime, ...]
    last_hash: bytes
    characters: int = 0
    """The length of its events' data as stored (JSON text): what the cache bounds them by."""


_NO_EVENTS = DecodedStream(0, (), (), b"")


class StreamCache:
    """The decoded streams a store keeps for its commands, by stream id, least recently read
    first out, holding at most `max_events` events and `max_characters` characters of their
    stored data in all (0: keep nothing). A stream bigger than that is not kept. Entries are
    immutable (`DecodedStream`, tuples), so a command that holds one is never changed under it
    by another command extending it."""

    def __init__(
        self, max_events: int, max_characters: int = HISTORY_CACHE_CHARACTERS
    ) -> None:
        if max_events < 0 or max_characters < 0:
            raise ValueError("a cache holds zero events or more, and zero characters or more")
        self.max_events = max_events
        self.max_characters = max_characters
        self.events_held = 0
        self.characters_held = 0
        self._entries: OrderedDict[str, DecodedStream] = OrderedDict()

    def __contains__(self, stream_id: str) -> bool:
        return stream_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, stream_id: str) -> DecodedStream | None:
        """The entry, if any, without counting it as read."""
        return self._entries.get(stream_id)

    def get(self, stream_id: str) -> DecodedStream | None:
        entry = self._entries.get(stream_id)
        if entry is not None:
            self._entries.move_to_end(stream_id)
        return entry

    def put(self, stream_id: str, entry: DecodedStream) -> None:
        self.drop(stream_id)
        if (
            entry.version == 0
            or len(entry.events) > self.max_events
            or entry.characters > self.max_characters
        ):
            return
        self._entries[stream_id] = entry
        self.events_held += len(entry.events)
        self.characters_held += entry.characters
        while self.events_held > self.max_events or self.characters_held > self.max_characters:
            _, oldest = self._entries.popitem(last=False)
            self._forget(oldest)

    def drop(self, stream_id: str) -> None:
        entry = self._entries.pop(stream_id, None)
        if entry is not None:
            self._forget(entry)

    def _forget(self, entry: DecodedStream) -> None:
        self.events_held -= len(entry.events)
        self.characters_held -= entry.characters


class PostgresEventStore:
    def __init__(
        self,
        engine: AsyncEngine,
        event_types: EventTypes,
        *,
        max_batch_events: int = 2000,
        history_cache_events: int = HISTORY_CACHE_EVENTS,
        history_cache_characters: int = HISTORY_CACHE_CHARACTERS,
    ) -> None:
        self.engine = engine
        self.event_types = event_types
        self.history_cache = StreamCache(history_cache_events, history_cache_characters)
        # The streams each open transaction has appended to on a caller's connection
        # (`append_in`), by the SQLAlchemy transaction: gone with it.
        self._appended_in: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
        self._max_batch_events = max_batch_events
        self._queue: asyncio.Queue[_Request | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._turn = asyncio.Lock()
        self._closed = False
        # The log as this store last committed to it (`_write_at_head`): its head (position,
        # hash, instant) and the last version and type of the streams it wrote.
        self._head: tuple[int, bytes, datetime] | None = None
        self._versions: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._locked_groups_left = 0  # see LOCKED_GROUPS_AFTER_REFUSAL

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
        # Awaited as it is: a caller cancelled meanwhile cancels only its future, which the
        # writer then leaves alone (`_settle`); the request is still written with its group.
        return await request.future

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
        rows = [self._row(stream_id, stream_type, event, metadata) for event in events_]
        if len({row.event_id for row in rows}) != len(rows):
            raise InvalidEventError("the same event id appears twice in one append")
        return rows

    def _row(
        self,
        stream_id: str,
        stream_type: str,
        event: DomainEvent | NewEvent,
        metadata: dict[str, Any] | None,
    ) -> _Row:
        if isinstance(event, NewEvent):
            payload, event_id, extra = event.payload, event.event_id, event.metadata
        else:
            payload, event_id, extra = event, None, None
        event_type, schema_version = payload.event_type, payload.schema_version
        if event_type not in self.event_types:
            raise InvalidEventError(f"{type(payload).__name__} is not a registered event type")
        data = payload.model_dump(mode="json")
        meta = _context_metadata()
        if metadata:
            meta.update(metadata)
        if extra:
            meta.update(extra)
        event_id = event_id or uuid.uuid4()
        data_text, data_plain = canonical_text(data, check_storable(data, "data"))
        meta_text, meta_plain = canonical_text(meta, check_storable(meta, "metadata"))
        document = document_parts(
            event_id=event_id,
            stream_id=stream_id,
            stream_type=stream_type,
            event_type=event_type,
            schema_version=schema_version,
            data=data,
            metadata=meta,
            data_json=data_text.encode("utf-8"),
            metadata_json=meta_text.encode("utf-8"),
        )
        return _Row(
            event_id=event_id,
            event_type=event_type,
            schema_version=schema_version,
            # JSONB keeps values, not text: the canonical text stores the same value, except
            # that JCS writes a float such as 1.0 as 1, so a value with floats goes as JSON.
            data_text=data_text if data_plain else json.dumps(data, ensure_ascii=False),
            metadata_text=meta_text if meta_plain else json.dumps(meta, ensure_ascii=False),
            document=document,
        )

    async def _write_forever(self) -> None:
        await asyncio.gather(*(self._lane() for _ in range(_LANES)))

    async def _lane(self) -> None:
        """One of the writers: takes its turn to gather the waiting requests, locks the log,
        hands the turn on, and commits. The next lane gathers while this one commits, and its
        LOCK waits behind this one's, so groups still commit one after the other, in the order
        their requests arrived, while the next group forms (and the callers prepare their
        events) during this one's round trips and WAL flush.

        A group goes to the driver itself (`on_the_driver`). When this store knows the log's
        head (it committed the last group), the group is planned on it and written in one
        statement (`_write_at_head`), the turn held until it commits. Otherwise, or when that
        statement finds the log moved: BEGIN and LOCK in one message, the state, the insert,
        COMMIT, with the turn handed on once the lock is held. If the server refuses the
        group, or the connection fails under it, the connection is dropped (the server rolls
        the transaction back) and each request is tried alone, through SQLAlchemy."""
        while True:
            batch: list[_Request] = []
            await self._turn.acquire()
            turn = True
            try:
                first = await self._queue.get()
                if first is None:  # closing: leave the mark for the other lanes
                    self._queue.put_nowait(None)
                    return
                batch.append(first)
                async with on_the_driver(self.engine) as driver:
                    self._gather(batch)
                    plan = await self._write_at_head(driver, batch)
                    if plan is None:
                        self._head = None
                        await driver.execute(_BEGIN_AND_LOCK)
                        self._gather(batch)
                        self._turn.release()
                        turn = False
                        plan = await self._write_locked(driver, batch)
                        await driver.execute("COMMIT")
                    self._committed(plan)
                _settle(batch, plan.outcomes)
            except _GROUP_FAILURES as error:
                if turn:
                    self._turn.release()
                    turn = False
                await self._retry_alone(batch, error)
            except asyncio.CancelledError:
                for request in batch:
                    _fail(request, RuntimeError("the event store was closed during the append"))
                raise
            except Exception as error:  # every waiter must hear of its failure, then go on
                log.exception("event_store.batch_error", requests=len(batch))
                for request in batch:
                    _fail(request, error)
            finally:
                if turn:
                    self._turn.release()

    def _gather(self, batch: list[_Request]) -> None:
        """Add the requests waiting (up to the batch size) to `batch`."""
        size = sum(len(request.rows) for request in batch)
        while not self._queue.empty() and size < self._max_batch_events:
            request = self._queue.get_nowait()
            if request is None:  # closing: commit these, then stop
                self._queue.put_nowait(None)
                return
            batch.append(request)
            size += len(request.rows)

    async def _retry_alone(self, batch: list[_Request], error: Exception) -> None:
        if len(batch) == 1:
            _fail(batch[0], error)
            return
        # One request may carry what PostgreSQL refuses; give each its own transaction.
        log.warning("event_store.batch_failed", error=str(error), requests=len(batch))
        for request in batch:
            try:
                await self._commit([request])
            except Exception as single_error:  # every waiter must hear of its failure
                _fail(request, single_error)

    async def _commit(self, batch: list[_Request]) -> None:
        async with self.engine.begin() as connection:
            outcomes = await self._write(connection, batch)
        _settle(batch, outcomes)

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
        self._head = None  # this transaction moves the head, if it commits
        (outcome,) = await self._write(connection, [request])
        if isinstance(outcome, Exception):
            raise outcome
        if not outcome.duplicate:
            # Until this transaction ends, a read of the stream on it sees rows that may never
            # commit: `read_decoded` keeps none of them.
            self._appended_in.setdefault(_transaction_of(connection), set()).add(stream_id)
        return outcome

    async def _write(
        self, connection: AsyncConnection, batch: list[_Request]
    ) -> list[AppendResult | Exception]:
        """Lock the log, decide each request, insert the accepted events, in the transaction
        of `connection`. Returns each request's outcome in order; commits nothing itself."""
        await connection.exec_driver_sql(_LOCK)
        state = await connection.exec_driver_sql(_STATE, _state_arguments(batch))
        plan = self._plan(batch, state)
        if plan.insert is not None:
            await connection.exec_driver_sql(_INSERT, plan.insert)
        return plan.outcomes

    async def _write_locked(self, driver: Any, batch: list[_Request]) -> _Plan:
        """`_write` on an asyncpg connection whose transaction holds the log's lock."""
        state = await driver.fetch(_STATE, *_state_arguments(batch))
        plan = self._plan(batch, state)
        if plan.insert is not None:
            await driver.execute(_INSERT, *plan.insert)
        return plan

    async def _write_at_head(self, driver: Any, batch: list[_Request]) -> _Plan | None:
        """The group in one statement and its own transaction, without the log's lock, planned
        on the log as this store left it: the head it last committed, each stream at the
        version its first request expects (or, for a request that expects none, the version
        this store last wrote). None, having written nothing, when that is not how the log
        stands, or the server refuses the group: then the caller takes the lock and reads.

        Why no lock is needed. Positions are gapless, so whoever wrote after the head this
        store knows took the position after it, and the insert meets that row in the primary
        key (committed, or waited for until it is) and fails. The statement itself refuses
        when the head's hash is not the one this store committed (the log restored to an
        earlier state, or that position written again) or a stream's version or type is not
        the one assumed; an event id recorded already fails its unique index. So the group
        commits only on the very head and versions it was planned on, in one round trip,
        with its NOTIFY; commit order stays position order, since a writer learns of this
        group's positions only from its commit (this store) or under the lock, which waits
        for the insert's transaction."""
        head = self._head
        if head is None:
            return None
        if self._locked_groups_left:
            self._locked_groups_left -= 1
            return None
        position, head_hash, head_instant = head
        assumed: dict[str, tuple[int, str]] = {}
        for request in batch:
            if request.stream_id in assumed:
                continue
            if request.expected_version is not None:
                assumed[request.stream_id] = (request.expected_version, request.stream_type)
            elif (last := self._versions.get(request.stream_id)) is not None:
                assumed[request.stream_id] = last
            else:
                return None
        state: list[tuple[Any, ...]] = [
            (1, stream_id, None, version, stream_type, None, None, None)
            for stream_id, (version, stream_type) in assumed.items()
            if version > 0
        ]
        state.append((0, None, position, None, None, None, head_hash, head_instant))
        plan = self._plan(batch, state)
        if plan.insert is None:
            return None
        # The statement checks the version and type of only the streams this store did not
        # leave there itself. A stream it last wrote at version v is at v or later (versions
        # are gapless and the log append-only), so the group's row at v + 1 either continues
        # it or meets the row there in the (stream_id, version) unique index, and the statement
        # fails; a version assumed from elsewhere (the caller's) could be ahead of the stream,
        # and only the check refuses that. The check is an index probe a stream, a fifth of
        # the statement for a group of 64 streams.
        unknown = [
            (stream_id, version, stream_type)
            for stream_id, (version, stream_type) in assumed.items()
            if self._versions.get(stream_id) != (version, stream_type)
        ]
        checks = (
            [stream_id for stream_id, _, _ in unknown],
            [version for _, version, _ in unknown],
            [stream_type for _, _, stream_type in unknown],
            head_hash,
        )
        try:
            appended = await driver.fetchval(_INSERT_AT_HEAD, *plan.insert, *checks)
        except asyncpg.PostgresError as error:
            return self._refused(type(error).__name__)
        return plan if appended else self._refused(None)

    def _refused(self, error: str | None) -> None:
        """The one-statement write found the log moved: the next groups take the lock."""
        log.debug("event_store.head_moved", error=error)
        self._locked_groups_left = LOCKED_GROUPS_AFTER_REFUSAL

    def _committed(self, plan: _Plan) -> None:
        """Remember the head and the streams' versions `plan` left the log at."""
        if plan.head is not None:
            self._head = plan.head
        for stream_id, last in plan.streams.items():
            self._versions.pop(stream_id, None)
            self._versions[stream_id] = last
        while len(self._versions) > STREAM_VERSIONS_KEPT:
            self._versions.popitem(last=False)

    def _plan(self, batch: list[_Request], state: Any) -> _Plan:
        """Each request's outcome, given the log's state (the rows of `_STATE`), and the
        arguments of `_INSERT` for the accepted events."""
        outcomes: list[AppendResult | Exception] = []
        touched: set[str] = set()
        position, prev_hash, last_instant = 0, GENESIS_HASH, None
        streams: dict[str, tuple[int, str]] = {}
        known: dict[uuid.UUID, tuple[str, int, int]] = {}
        for kind, stream_id, at, version, stream_type, event_id, hash_, instant in state:
            if kind == 0:
                position, prev_hash, last_instant = at, bytes(hash_), instant
            elif kind == 1:
                streams[stream_id] = (version, stream_type)
            else:
                known[event_id] = (stream_id, at, version)
        versions = {stream: version for stream, (version, _) in streams.items()}
        now = datetime.now(UTC)
        recorded_at = now if last_instant is None or now > last_instant else last_instant
        instant = instant_json(recorded_at)
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [], [], [], [])
        (
            positions,
            event_ids,
            stream_column,
            type_column,
            version_column,
            event_types,
            schema_versions,
            data_column,
            metadata_column,
            prev_hashes,
            hashes,
        ) = columns
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
                digest = chain_hash(
                    prev_hash, finish_document(row.document, position, version, instant)
                )
                positions.append(position)
                event_ids.append(row.event_id)
                stream_column.append(request.stream_id)
                type_column.append(request.stream_type)
                version_column.append(version)
                event_types.append(row.event_type)
                schema_versions.append(row.schema_version)
                data_column.append(row.data_text)
                metadata_column.append(row.metadata_text)
                prev_hashes.append(prev_hash)
                hashes.append(digest)
                known[row.event_id] = (request.stream_id, position, version)
                prev_hash = digest
            versions[request.stream_id] = version
            streams.setdefault(request.stream_id, (version, request.stream_type))
            touched.add(request.stream_id)
            outcomes.append(AppendResult(request.stream_id, first, position, version))
        written = {stream: (versions[stream], streams[stream][1]) for stream in touched}
        if not positions:
            return _Plan(outcomes, None, None, written)
        insert = (*columns[:9], recorded_at, prev_hashes, hashes, str(position))
        return _Plan(outcomes, insert, (position, prev_hash, recorded_at), written)

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
        """The events of one stream, from `from_version` to `to_version` inclusive.

        On the driver, as `read_all` (which see): the Core query spent most of its time in the
        JSONB codec and in SQLAlchemy's row processing."""
        last = _INT_MAX if to_version is None else to_version
        async with on_the_driver(self.engine) as driver:
            rows = await driver.fetch(_READ_STREAM, stream_id, from_version, last)
        return [_record_of_driver_row(row) for row in rows]

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
        async with on_the_driver(self.engine) as driver:
            rows = await driver.fetch(_READ_ALL, after, limit)
        return [_record_of_driver_row(row) for row in rows]

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        return int(await self._fetchval(_STREAM_VERSION, stream_id))

    async def head_position(self) -> int:
        """The position of the log's last event; 0 when it is empty. Asked on every read that
        waits for the read models to catch up, so it is one statement on the driver, outside
        any transaction: through SQLAlchemy, BEGIN and ROLLBACK made it three round trips."""
        return int(await self._fetchval(_HEAD_POSITION))

    async def _fetchval(self, query: str, *arguments: Any) -> Any:
        async with on_the_driver(self.engine) as driver:
            return await driver.fetchval(query, *arguments)

    def decode(self, record: RecordedEvent) -> DomainEvent:
        """The record's event as the current model, through its upcasters."""
        return self.event_types.decode_record(record)

    async def load(self, stream_id: str) -> tuple[list[DomainEvent], int]:
        """A stream's events, decoded to their current models, and its version (as committed
        now: `read_committed`)."""
        stream = await self.read_committed(stream_id)
        return list(stream.events), stream.version

    async def read_decoded(self, connection: AsyncConnection, stream_id: str) -> DecodedStream:
        """The stream as a full read on `connection` would give it now, decoded; what it gives
        is the same, but only the events past the cached ones are read and decoded.

        Why this is always what the database says:

        - The read is on the caller's connection, in its transaction, every time: the events
          past the cached version are read there, so a command sees every other replica's
          commits and its own transaction's appends, and it appends expecting the version it
          read (the append's check stays the guard against a write that gets in between).
        - The cached prefix is anchored: the read starts *at* the cached version, and the row
          found there must carry the hash the cache noted for it. The hash chains every event
          before it in the log, so a match means the log still holds exactly the events cached.
          No row there, or another hash (a database restored from a backup, a log emptied and
          written again, as tests do, or anything else), and the entry is dropped and the
          stream read whole. (A row edited in place behind the append-only trigger, its hash
          kept, is tampering, which `verify_chain` finds; until the entry is evicted, commands
          go on deciding on the event as it was recorded.)
        - What is kept is committed. A transaction sees no other transaction's uncommitted
          rows; it sees its own only after it appended, and every append on a caller's
          connection goes through `append_in`, which notes the stream for that transaction.
          `decide_and_append` reads before it appends, so a command's first read of a stream
          is of committed rows; a second read of the same stream in the same transaction (a
          command or a reaction that writes one stream twice) is given what it sees, but the
          cache keeps nothing of it, as the transaction may yet roll back. (Were such rows kept
          all the same, the anchor would find them gone at the next read.)
        - Events are shared between the commands that read one stream, so they must not change:
          `DomainEvent`s are frozen, and the services' folds build new state from them (the
          events' own containers are tuples, or copied before any change). The entry's tuples
          cannot be appended to; callers get lists of their own (`shared.commands.History`).
        """

        async def fetch(start: int) -> Sequence[Any]:
            return (await connection.exec_driver_sql(_READ_DECODED, (stream_id, start))).all()

        return await self._read_through_cache(
            stream_id, fetch, keep=not self._appended_here(connection, stream_id)
        )

    async def read_committed(self, stream_id: str) -> DecodedStream:
        """`read_decoded` of what is committed now, in one statement outside any transaction:
        no BEGIN and no ROLLBACK around it, one round trip in all (or two when the cached prefix
        is gone). For a command in a transaction of its own (`shared.commands.run_command`),
        whose append goes through the group commit expecting the version read here: that check,
        under the log's lock, is the guard, as it is for `read_decoded`. Everything read is
        committed, so the cache keeps it."""
        async with on_the_driver(self.engine) as driver:

            async def fetch(start: int) -> Sequence[Any]:
                return await driver.fetch(_READ_DECODED, stream_id, start)  # type: ignore[no-any-return]

            return await self._read_through_cache(stream_id, fetch, keep=True)

    async def _read_through_cache(
        self,
        stream_id: str,
        fetch: Callable[[int], Awaitable[Sequence[Any]]],
        *,
        keep: bool,
    ) -> DecodedStream:
        """The stream, read with `fetch(first_version)` from the cached version on (the whole
        of it if the cached prefix is gone: see `read_decoded`); kept in the cache if `keep`."""
        cached = self.history_cache.get(stream_id)
        start = cached.version if cached is not None else 1
        rows = await fetch(start)
        if cached is None:
            stream = self._decoded(_NO_EVENTS, rows)
        elif rows and rows[0][0] == cached.version and bytes(rows[0][5]) == cached.last_hash:
            stream = self._decoded(cached, rows[1:])
        else:
            log.warning(
                "event_store.cached_stream_gone", stream_id=stream_id, cached_version=cached.version
            )
            self.history_cache.drop(stream_id)
            stream = self._decoded(_NO_EVENTS, await fetch(1))
        if keep:
            self.history_cache.put(stream_id, stream)
        return stream

    def _appended_here(self, connection: AsyncConnection, stream_id: str) -> bool:
        """Whether the transaction `connection` is in has appended to the stream."""
        transaction = _transaction_of(connection)
        return transaction is not None and stream_id in self._appended_in.get(transaction, ())

    def _decoded(self, prefix: DecodedStream, rows: Sequence[Any]) -> DecodedStream:
        """`prefix` followed by `rows` of `_READ_DECODED`, decoded."""
        if not rows:
            return prefix
        decode = self.event_types.decode_text
        return DecodedStream(
            version=rows[-1][0],
            events=prefix.events + tuple(decode(r[1], r[2], r[3]) for r in rows),
            recorded_at=prefix.recorded_at + tuple(r[4] for r in rows),
            last_hash=bytes(rows[-1][5]),
            characters=prefix.characters + sum(len(r[3]) for r in rows),
        )

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


def _transaction_of(connection: AsyncConnection) -> Any:
    """The SQLAlchemy transaction `connection` is in (None when in none): the same object from
    its beginning to its end, and a new one for the next."""
    sync = connection.sync_connection
    return sync.get_transaction() if sync is not None else None


def _state_arguments(batch: list[_Request]) -> tuple[list[str], list[uuid.UUID]]:
    """`_STATE`'s arguments for `batch`: the streams it appends to, the event ids it holds."""
    stream_ids = list({request.stream_id for request in batch})
    return stream_ids, [row.event_id for request in batch for row in request.rows]


def _settle(batch: list[_Request], outcomes: list[AppendResult | Exception]) -> None:
    for request, outcome in zip(batch, outcomes, strict=True):
        if request.future.done():
            continue
        if isinstance(outcome, Exception):
            request.future.set_exception(outcome)
        else:
            request.future.set_result(outcome)


def _fail(request: _Request, error: Exception) -> None:
    if not request.future.done():
        request.future.set_exception(error)


def _context_metadata() -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, var in (
        ("actor", context.actor),
        ("correlation_id", context.request_id),
        ("causation_id", context.causation_id),
        ("source", context.source),
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
    """The verification's wording of `chain_break`."""
    match chain_break(record, expected_position, prev_hash):
        case None:
            return None
        case ChainBreak.MISSING:
            return f"position {expected_position} is missing (the next row is {record.position})"
        case ChainBreak.PREV_HASH:
            return "prev_hash does not match the hash of the previous event"
        case ChainBreak.CONTENT:
            return "the event's content does not match its hash"
