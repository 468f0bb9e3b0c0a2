"""The meetings service's use cases: one async function each, load the stream → decide →
append, in one transaction (the stream is read on the connection that appends, so a concurrent
writer makes the append fail with a version conflict: 409, or 412 when the client sent
If-Match; nothing is recorded).

The silence procedure is concluded by the service itself (`conclude_due_silence_procedures`,
run at start-up and then periodically by the app): a conclusion reads the procedure's stream
and appends at the version it read with event ids derived from the procedure, so two replicas
(or a trigger and the clock) racing to conclude record it once; the loser finds it concluded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.meetings import domain
from services.meetings.events import (
    AgendaItem,
    DraftDecision,
    MemberStatesRegistered,
    Subject,
)
from shared.access import record_admission
from shared.eventstore import ConcurrencyError, DomainEvent, NewEvent, PostgresEventStore
from shared.eventstore.schema import events as events_table

MEETING = "meeting"
SILENCE_PROCEDURE = "silence_procedure"
MEMBERSHIP = "membership"
MEMBERS_STREAM = "member-states"
_IDS = UUID("6b0c1f57-8f0c-4a7e-9d1e-2c4b7a9e3d51")


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def silence_stream(procedure_id: UUID) -> str:
    return f"silence-{procedure_id}"


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the stream, its version now (the ETag), and the events."""

    stream_id: str
    version: int
    events: list[DomainEvent]


async def load_in(
    connection: AsyncConnection, store: PostgresEventStore, stream_id: str
) -> tuple[list[DomainEvent], int]:
    """A stream's events, decoded, and its version, read on `connection` (so that a reaction
    sees what its own transaction has appended)."""
    query = (
        select(events_table.c.event_type, events_table.c.schema_version, events_table.c.data,
               events_table.c.version)
        .where(events_table.c.stream_id == stream_id)
        .order_by(events_table.c.version)
    )
    rows = (await connection.execute(query)).all()
    decoded = [store.event_types.decode(r.event_type, r.schema_version, r.data) for r in rows]
    return decoded, (rows[-1].version if rows else 0)


async def streams_of_type(connection: AsyncConnection, stream_type: str) -> list[str]:
    query = (
        select(events_table.c.stream_id)
        .where(events_table.c.stream_type == stream_type)
        .group_by(events_table.c.stream_id)
        .order_by(events_table.c.stream_id)
    )
    return list((await connection.execute(query)).scalars())


async def decide_and_append(
    connection: AsyncConnection,
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Callable[[list[DomainEvent]], Sequence[DomainEvent]],
    *,
    expected: int | None,
    metadata: dict[str, Any] | None = None,
    event_ids: Callable[[int, int], UUID] | None = None,
) -> Recorded:
    """`event_ids(version, i)`: the id of the i-th new event appended after `version`."""
    history, version = await load_in(connection, store, stream_id)
    if expected is not None and expected != version:
        raise ConcurrencyError(stream_id, expected, version)
    new = list(decide(history))
    if not new:
        return Recorded(stream_id, version, [])
    to_append: list[DomainEvent | NewEvent] = (
        [NewEvent(e, event_id=event_ids(version, i)) for i, e in enumerate(new)]
        if event_ids else list(new)
    )
    result = await store.append_in(
        connection, stream_id, to_append, stream_type=stream_type, expected_version=version,
        metadata=metadata,
    )
    return Recorded(stream_id, result.version, new)


async def _in_transaction(
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Callable[[list[DomainEvent]], Sequence[DomainEvent]],
    *,
    expected: int | None,
) -> Recorded:
    """A command in its own transaction. A client that stated no version (no If-Match) gets
    its command decided again on the newer state when another write got in between (a
    reaction adding a participant to the same meeting, say), a few times; one that stated a
    version gets the conflict."""
    attempts = 1 if expected is not None else MAX_RETRIES
    for attempt in range(1, attempts + 1):
        try:
            async with store.engine.begin() as connection:
                return await decide_and_append(
                    connection, store, stream_id, stream_type, decide, expected=expected
                )
        except ConcurrencyError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


MAX_RETRIES = 5
"""Times a command with no If-Match is decided again after another write got in first."""


# ------------------------------------------------------------------------------ member states


async def known_members(connection: AsyncConnection, store: PostgresEventStore) -> dict[str, date]:
    history, _ = await load_in(connection, store, MEMBERS_STREAM)
    return domain.members(history)


async def register_member_states(
    *, store: PostgresEventStore, states: Sequence[str], member_since: date,
    expected: int | None = None,
) -> Recorded:
    """The member states before the log began, as the Secretariat registers them; they read
    what is distributed to member states (the kit's admitted list) from `member_since`."""
    async with store.engine.begin() as connection:
        def decide(history: list[DomainEvent]) -> list[DomainEvent]:
            known = domain.members(history)
            new = tuple(sorted(set(states) - set(known)))
            return [MemberStatesRegistered(states=new, member_since=member_since)] if new else []

        recorded = await decide_and_append(connection, store, MEMBERS_STREAM, MEMBERSHIP, decide,
                                           expected=expected)
        for state in states:
            await record_admission(connection, state=state,
                                   admitted_at=datetime.combine(member_since, time.min, UTC))
        return recorded


# ------------------------------------------------------------------------------ meetings


async def schedule_meeting(
    *,
    store: PostgresEventStore,
    body: str,
    session: str,
    title: str,
    venue: str,
    starts_local: datetime,
    ends_local: datetime,
    time_zone: str,
    participants: Sequence[str] | None,
) -> Recorded:
    """Schedule a session; its participants are the member states on its first day (those the
    meetings service knows) unless the request names them."""
    meeting_id = domain.meeting_id_of(session)
    async with store.engine.begin() as connection:
        if participants is None:
            participants = domain.members_on(
                await known_members(connection, store), starts_local.date()
            )
        chosen = participants
        return await decide_and_append(
            connection, store, meeting_stream(meeting_id), MEETING,
            lambda history: domain.schedule(
                domain.meeting(meeting_id, history), body=body, session=session, title=title,
                venue=venue, starts_local=starts_local, ends_local=ends_local,
                time_zone=time_zone, participants=chosen,
            ),
            expected=None,
        )


async def draft_agenda(
    *, store: PostgresEventStore, meeting_id: str, symbol: str, circulated_on: date,
    items: Sequence[AgendaItem], expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.draft_agenda(
            domain.meeting(meeting_id, history), symbol=symbol, circulated_on=circulated_on,
            items=items),
        expected=expected,
    )


async def revise_agenda(
    *, store: PostgresEventStore, meeting_id: str, symbol: str, circulated_on: date,
    items: Sequence[AgendaItem], basis: str, expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.revise_agenda(
            domain.meeting(meeting_id, history), symbol=symbol, circulated_on=circulated_on,
            items=items, basis=basis),
        expected=expected,
    )


async def adopt_agenda(
    *, store: PostgresEventStore, meeting_id: str, adopted_on: date,
    items: Sequence[AgendaItem] | None, expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.adopt_agenda(
            domain.meeting(meeting_id, history), adopted_on=adopted_on, items=items),
        expected=expected,
    )


async def amend_adopted_agenda(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID,
    items: Sequence[AgendaItem], expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.amend_adopted_agenda(
            domain.meeting(meeting_id, history), decision_id=decision_id, items=items),
        expected=expected,
    )


async def record_decision(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, item: str, outcome: str,
    subject: Subject, text: str, decided_on: date, expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.record_decision(
            domain.meeting(meeting_id, history), decision_id=decision_id, item=item,
            outcome=outcome, subject=subject, text=text, decided_on=decided_on),
        expected=expected,
    )


async def propose_decision(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, item: str, outcome: str,
    subject: Subject, text: str, decided_on: date, expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.propose_decision(
            domain.meeting(meeting_id, history), decision_id=decision_id, item=item,
            outcome=outcome, subject=subject, text=text, decided_on=decided_on),
        expected=expected,
    )


async def object_to_decision(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, state: str, reason: str,
    expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, meeting_stream(meeting_id), MEETING,
        lambda history: domain.object_to_decision(
            domain.meeting(meeting_id, history), decision_id=decision_id, member_state=state,
            reason=reason),
        expected=expected,
    )


# ------------------------------------------------------------------------------ silence procedure


async def start_silence_procedure(
    *, store: PostgresEventStore, procedure_id: UUID, body: str, session: str,
    meeting_id: str | None, draft: DraftDecision, deadline: datetime,
    participants: Sequence[str] | None, now: datetime,
) -> Recorded:
    """Circulate a draft decision under silence until `deadline`; it goes to the meeting's
    participants, or to the member states of the day, unless the request names them."""
    async with store.engine.begin() as connection:
        if participants is None and meeting_id is not None:
            history, _ = await load_in(connection, store, meeting_stream(meeting_id))
            state = domain.meeting(meeting_id, history)
            if not state.exists:
                raise domain.NotFoundError(f"The meeting {meeting_id}", meeting_id=meeting_id)
            participants = state.participants
        elif participants is None:
            participants = domain.members_on(await known_members(connection, store), now.date())
        chosen = participants
        return await decide_and_append(
            connection, store, silence_stream(procedure_id), SILENCE_PROCEDURE,
            lambda history: domain.start_silence_procedure(
                domain.silence_procedure(procedure_id, history), body=body, session=session,
                meeting_id=meeting_id, draft=draft, now=now, deadline=deadline,
                participants=chosen),
            expected=None,
        )


async def raise_objection(
    *, store: PostgresEventStore, procedure_id: UUID, state: str, reason: str, now: datetime,
    expected: int | None,
) -> Recorded:
    return await _in_transaction(
        store, silence_stream(procedure_id), SILENCE_PROCEDURE,
        lambda history: domain.raise_objection(
            domain.silence_procedure(procedure_id, history), member_state=state, now=now,
            reason=reason),
        expected=expected,
    )


async def conclude_silence_procedure(
    *, store: PostgresEventStore, procedure_id: UUID, now: datetime
) -> Recorded:
    """Conclude at or after the deadline, exactly once: a concurrent conclusion makes this one
    find the procedure concluded and record nothing."""
    stream_id = silence_stream(procedure_id)

    def ids(version: int, index: int) -> UUID:
        return uuid5(_IDS, f"{stream_id}/conclusion/{index}")

    try:
        async with store.engine.begin() as connection:
            return await decide_and_append(
                connection, store, stream_id, SILENCE_PROCEDURE,
                lambda history: domain.conclude_silence_procedure(
                    domain.silence_procedure(procedure_id, history), now=now),
                expected=None, event_ids=ids,
            )
    except ConcurrencyError:
        async with store.engine.connect() as connection:
            _, version = await load_in(connection, store, stream_id)
        return Recorded(stream_id, version, [])


async def conclude_due_silence_procedures(
    *, store: PostgresEventStore, now: datetime
) -> list[Recorded]:
    """Conclude every procedure whose deadline has come and that is not concluded yet."""
    started = (
        select(events_table.c.stream_id, events_table.c.data)
        .where(events_table.c.event_type == "SilenceProcedureStarted")
        .where(events_table.c.stream_id.not_in(
            select(events_table.c.stream_id)
            .where(events_table.c.event_type == "SilenceProcedureConcluded")
        ))
    )
    async with store.engine.connect() as connection:
        rows = (await connection.execute(started)).all()
    due = [
        UUID(row.data["procedure_id"]) for row in rows
        if datetime.fromisoformat(row.data["deadline"]) <= now
    ]
    concluded = []
    for procedure_id in due:
        recorded = await conclude_silence_procedure(store=store, procedure_id=procedure_id,
                                                    now=now)
        if recorded.events:
            concluded.append(recorded)
    return concluded
