"""The one command path every service takes: read the stream → decide → append.

A use case of a service is a `decide` function, pure, over the stream's `History`, returning
the events to record (none, one or several); the kit does the rest::

    async def admit_member(*, store, state, decision, expected=None) -> Recorded:
        def decide(history: History) -> list[DomainEvent]:
            return domain.admit(domain.member_state(state, history.events), decision)

        return await run_command(store, state_stream(state), MEMBER_STATE, decide,
                                 expected=expected)

- `decide_and_append` runs in the caller's transaction (a reaction's, or a command that
  writes several streams at once): the stream is read on the connection that appends, so the
  decision is taken on exactly what the append follows, and the append expects that version.
- `run_command` runs one on its own: it reads the stream as committed and appends through the
  store's group commit, with the same check of the version read. When the client stated the
  version it decided on (If-Match: `expected`), a stream that has moved is a conflict (412),
  and nothing is recorded. When it did not, and another write got in between the read and
  the append, the command is decided again on the newer state, a few times
  (`COMMAND_ATTEMPTS`): the rules are asked again every time, so the newer state may refuse
  it.
- `event_ids` gives the appended events ids of the caller's choosing (derived from the event a
  reaction follows, say: `derived_event_ids`), so that doing the same work twice records it
  once.
- `Folds` keeps what a service's `decide` functions fold their streams to, so that a command
  folds only the events that follow the last one it folded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID, uuid5

from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.types import DomainEvent, NewEvent
from shared.retry import retrying

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from shared.eventstore.postgres import DecodedStream, PostgresEventStore

T = TypeVar("T")
S = TypeVar("S")

COMMAND_ATTEMPTS = 5
"""Times a command with no stated version is decided in all, when other writes keep getting
in first."""

EventIds = Callable[[int, int], UUID]
"""`event_ids(version, i)`: the id of the i-th new event appended after `version`."""


@dataclass(frozen=True)
class History:
    """A stream as a command reads it: its events (decoded to their current models), when
    each was recorded, and its version (0: no such stream)."""

    stream_id: str
    version: int
    events: list[DomainEvent]
    recorded_at: list[datetime]

    def timed(self) -> list[tuple[DomainEvent, datetime]]:
        """Each event with the instant it was recorded."""
        return list(zip(self.events, self.recorded_at, strict=True))


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the stream, its version now (the ETag), and the new events
    (none when the rules found nothing to record). `duplicate`: the events were in the log
    already under the ids the command chose (a concurrent retry of the same work got in
    first), so nothing new was written and `version` is where those events stand."""

    stream_id: str
    version: int
    events: list[DomainEvent]
    duplicate: bool = field(default=False, kw_only=True)


FOLDED_STREAMS_KEPT = 1024
"""Streams whose folded state a `Folds` keeps by default, least recently used first out."""


@dataclass(frozen=True, slots=True)
class _Folded(Generic[S]):
    count: int
    """How many of the stream's events, from its first, `state` folds."""
    last: DomainEvent
    state: S


class Folds(Generic[S]):
    """What a service's commands fold their streams to (a document, a meeting), kept between
    commands, so that a command folds only the events after the last one folded, not the
    stream's whole history.

    `fold(state, events)` applies `events` (each with the instant it was recorded) to `state`
    (None: from the stream's start), changing it in place, and returns the result; `copy(state)`
    gives a state of its own to fold on, which folding does not change the original through.

    An entry is the state folded from a stream's first events, with the last of those events
    itself: the very object the store decoded. The store gives the same objects again
    while the log holds them (`PostgresEventStore.read_decoded`), so a history whose event at
    that place is that object extends what was folded, and only its later events are folded,
    onto a copy of the state kept. Any other history folds from the start: the store read the
    stream afresh, the log was restored, the event was its own transaction's and rolled back.
    The state is derived data, never the record: each caller gets a copy of its own, decides on
    the version it read, and the append expects that version."""

    def __init__(
        self,
        fold: Callable[[S | None, Iterable[tuple[DomainEvent, datetime]]], S | None],
        copy: Callable[[S], S],
        *,
        streams: int = FOLDED_STREAMS_KEPT,
    ) -> None:
        self._fold = fold
        self._copy = copy
        self.streams = streams
        self._entries: OrderedDict[str, _Folded[S]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def state(self, history: History) -> S | None:
        """The state `history`'s events fold to (None: the stream holds none), of the
        caller's own."""
        events = history.events
        entry = self._entries.get(history.stream_id)
        if (
            entry is not None
            and 0 < entry.count <= len(events)
            and events[entry.count - 1] is entry.last
        ):
            self._entries.move_to_end(history.stream_id)
            if entry.count == len(events):
                return self._copy(entry.state)
            start = entry.count
            state = self._fold(
                self._copy(entry.state),
                zip(events[start:], history.recorded_at[start:], strict=True),
            )
        else:
            state = self._fold(None, history.timed())
        if state is None or not events:
            return state
        self._entries.pop(history.stream_id, None)
        self._entries[history.stream_id] = _Folded(len(events), events[-1], state)
        while len(self._entries) > self.streams:
            self._entries.popitem(last=False)
        return self._copy(state)


Decision = Sequence[DomainEvent] | DomainEvent | None
Decide = Callable[[History], Decision]


async def read_history(
    connection: AsyncConnection, store: PostgresEventStore, stream_id: str
) -> History:
    """The stream's history, read on `connection` (so that a command sees what its own
    transaction has appended, and every write committed before it).

    Incremental: the store keeps the streams its commands have decoded and reads only the
    events that follow them, checking that the log still holds the ones it kept
    (`PostgresEventStore.read_decoded` says why that is always what a full read would give).
    The lists are the caller's own."""
    return _history(stream_id, await store.read_decoded(connection, stream_id))


def _history(stream_id: str, stream: DecodedStream) -> History:
    """The command's view of a decoded stream, in lists of its own."""
    return History(
        stream_id=stream_id,
        version=stream.version,
        events=list(stream.events),
        recorded_at=list(stream.recorded_at),
    )


def _as_list(decision: Decision) -> list[DomainEvent]:
    if decision is None:
        return []
    if isinstance(decision, DomainEvent):
        return [decision]
    return list(decision)


async def decide_and_append(
    connection: AsyncConnection,
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Decide,
    *,
    expected: int | None = None,
    metadata: dict[str, Any] | None = None,
    event_ids: EventIds | None = None,
) -> Recorded:
    """Read the stream on `connection`, check the client's `expected` version (a stale one
    appends nothing: `ConcurrencyError`), decide, and append what was decided in the caller's
    transaction, expecting the version it was decided on."""
    history = await read_history(connection, store, stream_id)
    if expected is not None and expected != history.version:
        raise ConcurrencyError(stream_id, expected, history.version)
    new = _as_list(decide(history))
    if not new:
        return Recorded(stream_id, history.version, [])
    result = await store.append_in(
        connection,
        stream_id,
        _with_ids(new, history.version, event_ids),
        stream_type=stream_type,
        expected_version=history.version,
        metadata=metadata,
    )
    return Recorded(stream_id, result.version, new, duplicate=result.duplicate)


async def run_command(
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Decide,
    *,
    expected: int | None = None,
    event_ids: EventIds | None = None,
) -> Recorded:
    """Read the stream as committed, check `expected`, decide, and append through the store's
    group commit expecting the version decided on; decided again on the newer state when
    another write got in first and the client stated no version (see the module's docstring).

    The same outcome as `decide_and_append` in a transaction of its own, for fewer round
    trips: the read is one statement outside any transaction (`read_committed`), and the
    append joins the other commands' appends waiting at that moment in one transaction of the
    log (one lock, one insert, one flush for the group), where each is checked against the
    version its command read, as `append_in` checks it."""
    attempts = COMMAND_ATTEMPTS if expected is None else 1
    # The first attempt outside tenacity: its retrying state is a reference cycle that only
    # the garbage collector frees, one a command, which under load set off full collections
    # (the event log's history the service holds makes each a long one). Only a command that
    # met another write goes through `retrying`, for the attempts it has left.
    try:
        return await _read_decide_append(store, stream_id, stream_type, decide, expected, event_ids)
    except ConcurrencyError:
        if attempts == 1:
            raise
    async for attempt in retrying(on=ConcurrencyError, attempts=attempts - 1):
        with attempt:
            return await _read_decide_append(
                store, stream_id, stream_type, decide, expected, event_ids
            )
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _read_decide_append(
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Decide,
    expected: int | None,
    event_ids: EventIds | None,
) -> Recorded:
    """One attempt of `run_command`."""
    history = _history(stream_id, await store.read_committed(stream_id))
    if expected is not None and expected != history.version:
        raise ConcurrencyError(stream_id, expected, history.version)
    new = _as_list(decide(history))
    if not new:
        return Recorded(stream_id, history.version, [])
    result = await store.append(
        stream_id,
        _with_ids(new, history.version, event_ids),
        stream_type=stream_type,
        expected_version=history.version,
    )
    return Recorded(stream_id, result.version, new, duplicate=result.duplicate)


def _with_ids(
    new: list[DomainEvent], version: int, event_ids: EventIds | None
) -> list[DomainEvent | NewEvent]:
    """The events to append, with the ids `event_ids` gives them after `version`, if any."""
    if event_ids is None:
        return list(new)
    return [NewEvent(e, event_id=event_ids(version, i)) for i, e in enumerate(new)]


async def in_transaction(
    store: PostgresEventStore,
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    again: bool,
) -> T:
    """`work` in a transaction of its own, for a command that writes several streams at once
    (each with `decide_and_append` on the connection it is given); run again from the start,
    up to `COMMAND_ATTEMPTS` times in all, when another write got in first and `again` (the
    client stated no version)."""
    async for attempt in retrying(on=ConcurrencyError, attempts=COMMAND_ATTEMPTS if again else 1):
        with attempt:
            async with store.engine.begin() as connection:
                return await work(connection)
    raise AssertionError("unreachable: the last attempt returns or raises")


def derived_event_ids(cause: UUID, prefix: str) -> EventIds:
    """Ids derived from the event that caused the work and the place of each new event
    (``uuid5(cause, prefix + index)``): a reaction run twice on one event derives the very
    same ids, and the store records them once."""
    return lambda version, index: uuid5(cause, f"{prefix}{index}")


def causation_metadata(cause_id: UUID, cause_metadata: dict[str, Any]) -> dict[str, str]:
    """The metadata of events recorded because of another: that event as their cause, and
    its correlation (the request or conversation it belongs to) carried on."""
    metadata = {"causation_id": str(cause_id)}
    correlation = cause_metadata.get("correlation_id")
    if correlation is not None:
        metadata["correlation_id"] = str(correlation)
    return metadata
