"""The meetings service's read models: the meetings, their agenda items as they stand (with the
documents they consider now), the decisions and the reservations placed on them, and the silence
procedures. Every row comes from the log alone, so a rebuild from position 0 gives the same
digest as the live tables."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.meetings.considered import with_supplement
from services.meetings.domain import base_symbol, ends_at, first_instant, starts_at
from services.meetings.events import (
    AgendaAdopted,
    AgendaAmendedByDecision,
    AgendaAnnotated,
    AgendaDrafted,
    AgendaItem,
    AgendaRevised,
    ConsideredDocumentRevised,
    ConsideredDocumentSupplemented,
    DecisionObjected,
    DecisionObjectionWithdrawn,
    DecisionProposed,
    DecisionRecorded,
    MeetingScheduled,
    ObjectionRaised,
    ObjectionWithdrawn,
    ParticipantAdded,
    ParticipantRemoved,
    ReservationPlaced,
    SilenceProcedureConcluded,
    SilenceProcedureStarted,
)
from shared.eventstore import RecordedEvent
from shared.projections import Projection, projection_metadata

tables = projection_metadata()

meetings_table = Table(
    "meetings_meetings",
    tables,
    Column("meeting_id", Text, primary_key=True),
    Column("body", Text, nullable=False, index=True),
    Column("session", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("venue", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("starts_at_local", Text),
    Column("ends_on", Date, nullable=False),
    Column("ends_at_local", Text),
    Column("time_zone", Text),
    Column("starts_at", DateTime(timezone=True)),  # when its time is known
    Column("ends_at", DateTime(timezone=True)),
    Column("first_instant", DateTime(timezone=True), nullable=False),  # to list in order
    Column("participants", JSONB, nullable=False),
    Column("agenda_symbol", Text),
    Column("agenda_status", Text, nullable=False),  # none, draft, adopted
    Column("version", Integer, nullable=False),
)

agenda_items = Table(
    "meetings_agenda_items",
    tables,
    Column("meeting_id", Text, primary_key=True),
    Column("ref", Text, primary_key=True),  # "3" or "3(c)"
    Column("ordinal", Integer, nullable=False),
    Column("number", Text, nullable=False),
    Column("letter", Text),
    Column("title", Text, nullable=False),
    Column("annotation", Text, nullable=False),
    Column("action", Text),
    Column("considers", JSONB, nullable=False),
    Column("document_bases", JSONB, nullable=False),  # symbols without /Rev.N, to search by
    Column("cites_notes", JSONB, nullable=False),
    Column("note_numbers", JSONB, nullable=False),  # the numbers alone, to search by
)

decisions = Table(
    "meetings_decisions",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("decision_id", Text, nullable=False, unique=True),
    Column("meeting_id", Text, nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("session", Text, nullable=False),
    Column("item", Text),
    Column("outcome", Text, nullable=False),
    Column("subject", JSONB, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("text", Text),
    Column("recorded_in", JSONB),
    Column("on_recommendation_of", JSONB),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

reservations = Table(
    "meetings_reservations",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("decision_id", Text, nullable=False, index=True),
    Column("meeting_id", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("kind", Text, nullable=False),  # reservation, statement
    Column("text", Text, nullable=False),
)

meetings = Projection(
    "meetings_meetings",
    version=4,  # 4: meetings dated by day (a time when known); decisions' sources
    tables=[meetings_table, agenda_items, decisions, reservations],
    description="Meetings with their participants (following membership), agenda items as "
    "they stand (with the newest revision of each document they consider, and its addenda and "
    "corrigenda, and the notes verbales they cite), decisions, and the reservations and "
    "interpretative statements placed on drafts and decisions.",
)


def _meeting_id(record: RecordedEvent) -> str:
    return record.stream_id.removeprefix("meeting-")


async def _touch(connection: AsyncConnection, record: RecordedEvent, **values: Any) -> None:
    await connection.execute(
        update(meetings_table)
        .where(meetings_table.c.meeting_id == _meeting_id(record))
        .values(version=record.version, **values)
    )


def _rows(meeting_id: str, items: tuple[AgendaItem, ...]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        entries: list[tuple[str, str | None, Any]] = [(item.number, None, item)]
        entries += [(f"{item.number}({s.letter})", s.letter, s) for s in item.sub_items]
        for ref, letter, entry in entries:
            considers = [d.model_dump(mode="json") for d in entry.considers]
            notes = [n.model_dump(mode="json") for n in entry.cites_notes]
            rows.append({
                "meeting_id": meeting_id, "ref": ref, "ordinal": len(rows) + 1,
                "number": item.number, "letter": letter, "title": entry.title,
                "annotation": entry.annotation, "action": entry.action, "considers": considers,
                "document_bases": [base_symbol(d["symbol"])[0] for d in considers],
                "cites_notes": notes, "note_numbers": [n["number"] for n in notes],
            })
    return rows


async def _replace_items(
    connection: AsyncConnection, record: RecordedEvent, items: tuple[AgendaItem, ...]
) -> None:
    meeting_id = _meeting_id(record)
    await connection.execute(delete(agenda_items).where(agenda_items.c.meeting_id == meeting_id))
    rows = _rows(meeting_id, items)
    if rows:
        await connection.execute(insert(agenda_items), rows)


@meetings.on(MeetingScheduled)
async def when_meeting_scheduled(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    def clock(local: time | None) -> str | None:
        return None if local is None else local.isoformat()

    await connection.execute(insert(meetings_table).values(
        meeting_id=event.meeting_id, body=event.body, session=event.session, title=event.title,
        venue=event.venue, starts_on=event.starts_on, starts_at_local=clock(event.starts_at_local),
        ends_on=event.ends_on, ends_at_local=clock(event.ends_at_local),
        time_zone=event.time_zone, starts_at=starts_at(event), ends_at=ends_at(event),
        first_instant=first_instant(event), participants=list(event.participants),
        agenda_symbol=None, agenda_status="none", version=record.version,
    ))


async def _participants(connection: AsyncConnection, record: RecordedEvent) -> list[str]:
    return list((await connection.execute(
        select(meetings_table.c.participants)
        .where(meetings_table.c.meeting_id == _meeting_id(record))
    )).scalar_one())


@meetings.on(ParticipantAdded)
async def when_participant_added(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    current = await _participants(connection, record)
    await _touch(connection, record, participants=sorted({*current, event.state}))


@meetings.on(ParticipantRemoved)
async def when_participant_removed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    current = await _participants(connection, record)
    await _touch(connection, record, participants=[s for s in current if s != event.state])


@meetings.on(AgendaDrafted, AgendaRevised)
async def when_agenda_circulated(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _touch(connection, record, agenda_symbol=event.symbol, agenda_status="draft")
    await _replace_items(connection, record, event.items)


@meetings.on(AgendaAdopted)
async def when_agenda_adopted(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _touch(connection, record, agenda_symbol=event.symbol, agenda_status="adopted")
    await _replace_items(connection, record, event.items)


@meetings.on(AgendaAmendedByDecision)
async def when_agenda_amended(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _touch(connection, record)
    await _replace_items(connection, record, event.items)


@meetings.on(ConsideredDocumentRevised)
async def when_considered_document_revised(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    key = (agenda_items.c.meeting_id == _meeting_id(record)) & (agenda_items.c.ref == event.item)
    considers = (await connection.execute(select(agenda_items.c.considers).where(key))
                 ).scalar_one()
    current = event.current.model_dump(mode="json")
    base = base_symbol(event.current.symbol)[0]
    considers = [current if base_symbol(d["symbol"])[0] == base else d for d in considers]
    await connection.execute(update(agenda_items).where(key).values(considers=considers))
    await _touch(connection, record)


@meetings.on(ConsideredDocumentSupplemented)
async def when_considered_document_supplemented(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    key = (agenda_items.c.meeting_id == _meeting_id(record)) & (agenda_items.c.ref == event.item)
    considers = (await connection.execute(select(agenda_items.c.considers).where(key))
                 ).scalar_one()
    parent = base_symbol(event.parent.symbol)[0]
    considers = with_supplement(considers, event.added.model_dump(mode="json"), parent,
                                lambda d: d["symbol"])
    await connection.execute(update(agenda_items).where(key).values(
        considers=considers, document_bases=[base_symbol(d["symbol"])[0] for d in considers]))
    await _touch(connection, record)


@meetings.on(DecisionProposed, DecisionObjected, DecisionObjectionWithdrawn, AgendaAnnotated)
async def when_the_meeting_moves_on(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    """A draft, an objection or an annotated agenda: the meeting's version moves on."""
    await _touch(connection, record)


@meetings.on(ReservationPlaced)
async def when_reservation_placed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await connection.execute(insert(reservations).values(
        position=record.position, decision_id=str(event.decision_id),
        meeting_id=_meeting_id(record), state=event.state, kind=event.kind, text=event.text,
    ))
    await _touch(connection, record)


def _json(model: BaseModel | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(mode="json")


@meetings.on(DecisionRecorded)
async def when_decision_recorded(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await connection.execute(insert(decisions).values(
        position=record.position, decision_id=str(event.decision_id),
        meeting_id=event.meeting_id, body=event.body, session=event.session, item=event.item,
        outcome=event.outcome, subject=event.subject.model_dump(mode="json"),
        decided_on=event.decided_on, text=event.text,
        recorded_in=_json(event.recorded_in),
        on_recommendation_of=_json(event.on_recommendation_of), recorded_at=record.recorded_at,
    ))
    if record.stream_type == "meeting":
        await _touch(connection, record)


# ------------------------------------------------------------------------------ silence procedures

silence_procedures = Table(
    "meetings_silence_procedures",
    tables,
    Column("procedure_id", Text, primary_key=True),
    Column("body", Text, nullable=False),
    Column("session", Text, nullable=False),
    Column("meeting_id", Text),
    Column("draft", JSONB, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False, index=True),
    Column("participants", JSONB, nullable=False),
    Column("objections", JSONB, nullable=False),  # those that stand
    Column("status", Text, nullable=False),  # running, adopted, not_adopted
    Column("concluded_at", DateTime(timezone=True)),
    Column("decision_id", Text),
    Column("version", Integer, nullable=False),
)

procedures = Projection(
    "meetings_silence_procedures",
    version=2,
    tables=[silence_procedures],
    description="Decisions by written procedure: their deadlines, objections and outcomes.",
)


def _procedure_id(record: RecordedEvent) -> str:
    return record.stream_id.removeprefix("silence-")


@procedures.on(SilenceProcedureStarted)
async def when_silence_started(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await connection.execute(insert(silence_procedures).values(
        procedure_id=str(event.procedure_id), body=event.body, session=event.session,
        meeting_id=event.meeting_id, draft=event.draft.model_dump(mode="json"),
        started_at=event.started_at, deadline=event.deadline,
        participants=list(event.participants), objections=[], status="running",
        version=record.version,
    ))


@procedures.on(ObjectionRaised)
async def when_objection_raised(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    key = silence_procedures.c.procedure_id == _procedure_id(record)
    current = (await connection.execute(select(silence_procedures.c.objections).where(key))
               ).scalar_one()
    objection = {"state": event.state, "raised_at": event.raised_at.isoformat(),
                 "reason": event.reason}
    await connection.execute(update(silence_procedures).where(key).values(
        objections=[*current, objection], version=record.version))


@procedures.on(ObjectionWithdrawn)
async def when_objection_withdrawn(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    key = silence_procedures.c.procedure_id == _procedure_id(record)
    current = (await connection.execute(select(silence_procedures.c.objections).where(key))
               ).scalar_one()
    standing = [o for o in current if o["state"] != event.state]
    await connection.execute(update(silence_procedures).where(key).values(
        objections=standing, version=record.version))


@procedures.on(SilenceProcedureConcluded)
async def when_silence_concluded(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await connection.execute(
        update(silence_procedures)
        .where(silence_procedures.c.procedure_id == _procedure_id(record))
        .values(status=event.outcome, concluded_at=event.concluded_at,
                decision_id=None if event.decision_id is None else str(event.decision_id),
                version=record.version)
    )


projections = [meetings, procedures]
