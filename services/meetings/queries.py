"""The meetings service's reads: its streams, folded as they stand or as they stood at an
instant, and its read models (the meetings, their agenda items and every decision)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import RowMapping, Select, select
from sqlalchemy.dialects.postgresql import distinct_on

from services.meetings import bodies, distributions, domain, silence
from services.meetings.events import DocumentDistributionNoted, event_types
from services.meetings.projections import agenda_items, decisions, meetings_table, reservations
from shared.access import Viewer
from shared.access.model import MEMBER_STATES_ONLY, Distribution, Membership
from shared.commands import read_history
from shared.eventstore import DomainEvent, PostgresEventStore, RecordedEvent
from shared.eventstore.schema import events as events_table
from shared.http.pages import Keys, Keyset, Page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from shared.access.distribution import Required

MEMBERS_STREAM = "member-states"


MEETINGS_ORDER = Keyset(meetings_table.c.first_instant, meetings_table.c.meeting_id)
"""`/meetings`: by start (the start of the first day when no time is known:
`domain.first_instant`), then by id (two meetings may start at the same instant)."""
AGENDA_ITEMS_ORDER = Keyset(agenda_items.c.meeting_id, agenda_items.c.ordinal)
"""`/agenda-items`: by meeting, then in the agenda's order (an item's ordinal is unique in its
meeting)."""
DECISIONS_ORDER = Keyset(decisions.c.position)
"""`/decisions`: in the order recorded (each decision's position in the log)."""


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def silence_stream(procedure_id: UUID) -> str:
    return f"silence-{procedure_id}"


def decision_stream(decision_id: UUID) -> str:
    return f"decision-{decision_id}"


# ------------------------------------------------------------------------------ the streams


async def streams_of_type(connection: AsyncConnection, stream_type: str) -> list[str]:
    """The id of every stream of `stream_type`, in order."""
    query = (
        select(events_table.c.stream_id)
        .where(events_table.c.stream_type == stream_type)
        .group_by(events_table.c.stream_id)
        .order_by(events_table.c.stream_id)
    )
    return list((await connection.execute(query)).scalars())


async def known_members(connection: AsyncConnection, store: PostgresEventStore) -> Membership:
    """Each state's periods of membership, as the meetings service followed them from the
    registry (its ``member-states`` stream)."""
    return domain.members((await read_history(connection, store, MEMBERS_STREAM)).events)


async def members_on(store: PostgresEventStore, day: date) -> list[str]:
    """The member states on `day` (not those suspended or withdrawn by then), sorted."""
    async with store.engine.connect() as connection:
        return (await known_members(connection, store)).on(day)


async def bodies_on(store: PostgresEventStore, day: date) -> list[bodies.NamedBody]:
    """Every body the registry has named to the meetings service, with its names on `day`."""
    async with store.engine.connect() as connection:
        history = await read_history(connection, store, bodies.STREAM)
    return bodies.names_on(bodies.bodies(history.events), day)


async def due_silence_procedures(engine: AsyncEngine, now: datetime) -> list[UUID]:
    """The procedures whose deadline has come by `now` and that are not concluded yet."""
    started = (
        select(events_table.c.stream_id, events_table.c.data)
        .where(events_table.c.event_type == "SilenceProcedureStarted")
        .where(events_table.c.stream_id.not_in(
            select(events_table.c.stream_id)
            .where(events_table.c.event_type == "SilenceProcedureConcluded")
        ))
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(started)).all()
    return [
        UUID(row.data["procedure_id"]) for row in rows
        if datetime.fromisoformat(row.data["deadline"]) <= now
    ]


# ------------------------------------------------------------------------------ distributions


async def noted_distributions(
    connection: AsyncConnection, bases: Iterable[str]
) -> dict[str, Distribution]:
    """The distribution last noted of each document of `bases` (base symbols) that the
    service heard of, read from its log (so never behind it); the others are left out."""
    streams = {distributions.document_stream(base): base for base in bases}
    if not streams:
        return {}
    e = events_table
    query = (
        select(e.c.stream_id, e.c.event_type, e.c.schema_version, e.c.data)
        .where(e.c.stream_type == distributions.STREAM_TYPE)
        .where(e.c.stream_id.in_(list(streams)))
        .where(e.c.event_type == "DocumentDistributionNoted")
        .ext(distinct_on(e.c.stream_id))
        .order_by(e.c.stream_id, e.c.version.desc())
    )
    noted = {}
    for row in (await connection.execute(query)).all():
        event = event_types.decode(row.event_type, row.schema_version, row.data)
        assert isinstance(event, DocumentDistributionNoted)
        noted[streams[row.stream_id]] = event.distribution
    return noted


def _distribution_of(noted: Mapping[str, Distribution], base: str) -> Distribution:
    """A document's distribution as noted; one never noted is a meeting's: member states
    only."""
    return noted.get(base, MEMBER_STATES_ONLY)


async def documents_seen(
    engine: AsyncEngine, viewer: Viewer, bases: Iterable[str]
) -> distributions.Sees:
    """Whether `viewer` may see the document a symbol names, for symbols of the documents
    `bases` (base symbols): judged by the distribution noted last (now)."""
    if viewer.principal.sees_everything:
        return lambda _symbol: True
    async with engine.connect() as connection:
        noted = await noted_distributions(connection, bases)
    return lambda symbol: viewer.sees(_distribution_of(noted, domain.base_symbol(symbol)[0]))


async def distributions_required_by_events(
    engine: AsyncEngine, records: Sequence[RecordedEvent]
) -> Mapping[int, Required]:
    """What each of `records` that names documents requires of a reader of the feed and the
    live streams besides its stream's distribution: the distribution of each document it
    names, as last noted in the log (a document never noted: member states only). Reads the
    log, never a projection, so nothing it judges by lags behind the records."""
    named = {
        record.position: distributions.documents_named(
            event_types.decode(record.event_type, record.schema_version, record.data)
        )
        for record in records
        if record.event_type in event_types
    }
    bases = {base for documents in named.values() for base in documents}
    if not bases:
        return {}
    async with engine.connect() as connection:
        noted = await noted_distributions(connection, bases)
    return {
        position: tuple(_distribution_of(noted, base) for base in sorted(documents))
        for position, documents in named.items()
        if documents
    }


async def _history(
    store: PostgresEventStore, stream_id: str, as_of: datetime | None
) -> tuple[list[DomainEvent], int]:
    if as_of is None:  # as the commands read it: only what the store has not decoded yet
        return await store.load(stream_id)
    records = await store.read_stream_as_of(stream_id, as_of)
    return [store.decode(r) for r in records], (records[-1].version if records else 0)


async def meeting(
    store: PostgresEventStore, meeting_id: str, as_of: datetime | None
) -> tuple[domain.Meeting, int]:
    """A meeting as it stands (as it stood at `as_of`) and its stream's version; 404 if it
    was not scheduled (by then)."""
    history, version = await _history(store, meeting_stream(meeting_id), as_of)
    state = domain.meeting(meeting_id, history)
    if not state.exists:
        suffix = f" as of {as_of.isoformat()}" if as_of else ""
        raise domain.NotFoundError(f"The meeting {meeting_id}{suffix}", meeting_id=meeting_id)
    return state, version


async def silence_procedure(
    store: PostgresEventStore, procedure_id: UUID, as_of: datetime | None
) -> tuple[silence.SilenceProcedure, int]:
    """A silence procedure as it stands (stood at `as_of`) and its stream's version; 404 if it
    was not started (by then)."""
    history, version = await _history(store, silence_stream(procedure_id), as_of)
    state = silence.silence_procedure(procedure_id, history)
    if state.started is None:
        raise domain.NotFoundError(f"The silence procedure {procedure_id}",
                                   procedure_id=str(procedure_id))
    return state, version


# ------------------------------------------------------------------------------ read models


async def _rows(engine: AsyncEngine, query: Select[Any]) -> Sequence[RowMapping]:
    async with engine.connect() as connection:
        return (await connection.execute(query)).mappings().all()


async def meetings(
    engine: AsyncEngine, *, body: str | None, after: Keys | None, limit: int
) -> Page[RowMapping]:
    """A page of the meetings (of `body`), by start then id (`MEETINGS_ORDER`), after the
    cursor's."""
    query = select(meetings_table)
    if body is not None:
        query = query.where(meetings_table.c.body == body)
    rows = await _rows(engine, MEETINGS_ORDER.seek(query, after, limit))
    return MEETINGS_ORDER.page(rows, limit)


async def agenda_items_considering(
    engine: AsyncEngine, document: str, *, after: Keys | None, limit: int
) -> Page[RowMapping]:
    """A page of the agenda items of every meeting that consider `document`, at any revision,
    by meeting and in the agenda's order (`AGENDA_ITEMS_ORDER`), after the cursor's."""
    base = domain.base_symbol(document)[0]
    query = select(agenda_items).where(agenda_items.c.document_bases.contains([base]))
    rows = await _rows(engine, AGENDA_ITEMS_ORDER.seek(query, after, limit))
    return AGENDA_ITEMS_ORDER.page(rows, limit)


async def agenda_items_citing(
    engine: AsyncEngine, note: str, *, after: Keys | None, limit: int
) -> Page[RowMapping]:
    """A page of the agenda items of every meeting that cite the note verbale numbered `note`,
    by meeting and in the agenda's order (`AGENDA_ITEMS_ORDER`), after the cursor's."""
    query = select(agenda_items).where(agenda_items.c.note_numbers.contains([note]))
    rows = await _rows(engine, AGENDA_ITEMS_ORDER.seek(query, after, limit))
    return AGENDA_ITEMS_ORDER.page(rows, limit)


async def recorded_decisions(
    engine: AsyncEngine, *, body: str | None, after: Keys | None, limit: int
) -> Page[dict[str, Any]]:
    """A page of the decisions recorded (by `body`), at meetings and by silence procedure, in
    the order recorded (`DECISIONS_ORDER`) after the cursor's, each with the reservations and
    statements placed on it (or on its draft), in order."""
    query = select(decisions)
    if body is not None:
        query = query.where(decisions.c.body == body)
    async with engine.connect() as connection:
        query = DECISIONS_ORDER.seek(query, after, limit)
        rows = (await connection.execute(query)).mappings().all()
        placed = (await connection.execute(
            select(reservations)
            .where(reservations.c.decision_id.in_([row["decision_id"] for row in rows]))
            .order_by(reservations.c.position)
        )).mappings().all()
    on: dict[str, list[dict[str, Any]]] = {}
    for reservation in placed:
        on.setdefault(reservation["decision_id"], []).append(dict(reservation))
    return DECISIONS_ORDER.page(
        rows, limit, lambda row: {**row, "reservations": on.get(row["decision_id"], [])})
