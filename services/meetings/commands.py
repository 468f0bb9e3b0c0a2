"""The meetings service's use cases: one async function each, a rule of the domain decided on
its stream by the kit's command path (`shared.commands`): read the stream → decide → append, in
one transaction. A client that sent If-Match gets a 412 if the stream has moved; one that did
not gets its command decided again on the newer state (a reaction adding a participant to the
same meeting, say), and the rules asked again.

The silence procedure is concluded by the service itself (`conclude_due_silence_procedures`,
run at start-up and then periodically by the app): a conclusion appends with event ids derived
from the procedure, so two replicas (or a trigger and the clock) racing to conclude record it
once; the loser decides again, finds it concluded and records nothing.

The member states come from the registry's events alone (`services.meetings.reactions`): there
is no command of the service's own to register them. An objection or a reservation is decided
on the membership the service knows, read in the command's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.meetings import domain, queries, silence
from services.meetings.events import (
    AgendaItem,
    Annotation,
    DraftDecision,
    Recommendation,
    RecordedIn,
    ReservationKind,
    Subject,
)
from services.meetings.queries import decision_stream, meeting_stream, silence_stream
from shared.access.model import Membership
from shared.commands import (
    Decide,
    Decision,
    Recorded,
    decide_and_append,
    derived_event_ids,
    in_transaction,
    read_history,
    run_command,
)
from shared.eventstore import PostgresEventStore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

MEETING = "meeting"
SILENCE_PROCEDURE = "silence_procedure"
MEMBERSHIP = "membership"
DECISION_ID = "decision_id"
_IDS = UUID("6b0c1f57-8f0c-4a7e-9d1e-2c4b7a9e3d51")


def on_meeting(meeting_id: str, rule: Callable[..., Decision], **arguments: Any) -> Decide:
    """`rule(meeting, **arguments)` decided on the meeting a stream's history folds to."""
    return lambda history: rule(domain.meeting(meeting_id, history.events), **arguments)


def on_procedure(procedure_id: UUID, rule: Callable[..., Decision], **arguments: Any) -> Decide:
    """`rule(procedure, **arguments)` decided on the silence procedure a history folds to."""
    return lambda history: rule(silence.silence_procedure(procedure_id, history.events),
                                **arguments)


async def _meeting_command(
    store: PostgresEventStore, meeting_id: str, expected: int | None,
    rule: Callable[..., Decision], **arguments: Any,
) -> Recorded:
    return await run_command(store, meeting_stream(meeting_id), MEETING,
                             on_meeting(meeting_id, rule, **arguments), expected=expected)


async def _as_a_member(
    store: PostgresEventStore, stream_id: str, stream_type: str, expected: int | None,
    decide: Callable[[Membership], Decide],
) -> Recorded:
    """`decide(membership)` on a stream, with the membership the service knows read in the
    same transaction (a rule that asks whether a state is a member state)."""

    async def work(connection: AsyncConnection) -> Recorded:
        membership = await queries.known_members(connection, store)
        return await decide_and_append(connection, store, stream_id, stream_type,
                                       decide(membership), expected=expected)

    return await in_transaction(store, work, again=expected is None)


# ------------------------------------------------------------------------------ meetings


async def schedule_meeting(
    *, store: PostgresEventStore, body: str, session: str, title: str, venue: str,
    starts_on: date, ends_on: date, starts_at_local: time | None = None,
    ends_at_local: time | None = None, time_zone: str | None = None,
    participants: Sequence[str] | None, expected: int | None = None,
) -> Recorded:
    """Schedule a session; its participants are the member states on its first day (those the
    meetings service knows, suspended and withdrawn ones excepted) unless the request names
    them. Later changes of membership follow (`domain.follow_membership`)."""
    meeting_id = domain.meeting_id_of(session)
    async with store.engine.begin() as connection:
        if participants is None:
            known = await queries.known_members(connection, store)
            participants = known.on(starts_on)
        decide = on_meeting(
            meeting_id, domain.schedule, body=body, session=session, title=title, venue=venue,
            starts_on=starts_on, starts_at_local=starts_at_local, ends_on=ends_on,
            ends_at_local=ends_at_local, time_zone=time_zone, participants=participants,
        )
        return await decide_and_append(connection, store, meeting_stream(meeting_id), MEETING,
                                       decide, expected=expected)


async def draft_agenda(
    *, store: PostgresEventStore, meeting_id: str, symbol: str, circulated_on: date,
    items: Sequence[AgendaItem], expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected, domain.draft_agenda,
                                  symbol=symbol, circulated_on=circulated_on, items=items)


async def revise_agenda(
    *, store: PostgresEventStore, meeting_id: str, symbol: str, circulated_on: date,
    items: Sequence[AgendaItem], basis: str, expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected, domain.revise_agenda,
                                  symbol=symbol, circulated_on=circulated_on, items=items,
                                  basis=basis)


async def annotate_agenda(
    *, store: PostgresEventStore, meeting_id: str, symbol: str, circulated_on: date, title: str,
    annotations: Sequence[Annotation], expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected, domain.annotate_agenda,
                                  symbol=symbol, circulated_on=circulated_on, title=title,
                                  annotations=annotations)


async def adopt_agenda(
    *, store: PostgresEventStore, meeting_id: str, adopted_on: date,
    items: Sequence[AgendaItem] | None, expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected, domain.adopt_agenda,
                                  adopted_on=adopted_on, items=items)


async def amend_adopted_agenda(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID,
    items: Sequence[AgendaItem], expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected, domain.amend_adopted_agenda,
                                  decision_id=decision_id, items=items)


async def _decision(
    rule: Callable[..., Decision], *, store: PostgresEventStore, meeting_id: str,
    decision_id: UUID, item: str | None, outcome: str, subject: Subject, decided_on: date,
    text: str | None = None, recorded_in: RecordedIn | None = None,
    on_recommendation_of: Recommendation | None = None, expected: int | None = None,
) -> Recorded:
    """A draft or a decision (as `rule` says): its id taken for this meeting (refused if another
    meeting holds it) and the meeting's rule, in one transaction: both are recorded, or
    neither."""

    async def work(connection: AsyncConnection) -> Recorded:
        await decide_and_append(
            connection, store, decision_stream(decision_id), DECISION_ID,
            lambda history: domain.assign_decision_id(
                history.events, decision_id=decision_id, meeting_id=meeting_id),
        )
        return await decide_and_append(
            connection, store, meeting_stream(meeting_id), MEETING,
            on_meeting(meeting_id, rule, decision_id=decision_id, item=item, outcome=outcome,
                       subject=subject, text=text, decided_on=decided_on,
                       recorded_in=recorded_in, on_recommendation_of=on_recommendation_of),
            expected=expected,
        )

    return await in_transaction(store, work, again=expected is None)


# A decision and a draft put to the meeting take the same facts; only the rule differs.
record_decision = partial(_decision, domain.record_decision)
propose_decision = partial(_decision, domain.propose_decision)


async def object_to_decision(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, state: str, reason: str,
    now: datetime, expected: int | None = None,
) -> Recorded:
    return await _as_a_member(
        store, meeting_stream(meeting_id), MEETING, expected,
        lambda membership: on_meeting(meeting_id, domain.object_to_decision,
                                      decision_id=decision_id, member_state=state,
                                      membership=membership, now=now, reason=reason),
    )


async def withdraw_objection_to_decision(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, state: str, reason: str,
    expected: int | None = None,
) -> Recorded:
    return await _meeting_command(store, meeting_id, expected,
                                  domain.withdraw_objection_to_decision, decision_id=decision_id,
                                  member_state=state, reason=reason)


async def place_reservation(
    *, store: PostgresEventStore, meeting_id: str, decision_id: UUID, state: str,
    kind: ReservationKind, text: str, now: datetime, expected: int | None = None,
) -> Recorded:
    return await _as_a_member(
        store, meeting_stream(meeting_id), MEETING, expected,
        lambda membership: on_meeting(meeting_id, domain.place_reservation,
                                      decision_id=decision_id, member_state=state, kind=kind,
                                      text=text, membership=membership, now=now),
    )


# ------------------------------------------------------------------------------ silence procedure


async def start_silence_procedure(
    *, store: PostgresEventStore, procedure_id: UUID, body: str, session: str,
    meeting_id: str | None, draft: DraftDecision, deadline: datetime, now: datetime,
    seat_time_zone: str, expected: int | None = None,
) -> Recorded:
    """Circulate a draft decision under silence until `deadline`, to the body's members: the
    participants of the meeting it is tied to, or the member states of the day at the seat."""
    async with store.engine.begin() as connection:
        meeting = None
        if meeting_id is not None:
            history = await read_history(connection, store, meeting_stream(meeting_id))
            meeting = domain.meeting(meeting_id, history.events)
        decide = on_procedure(
            procedure_id, silence.start_silence_procedure, body=body, session=session,
            meeting=meeting, members=await queries.known_members(connection, store),
            draft=draft, now=now, deadline=deadline, seat_time_zone=seat_time_zone,
        )
        return await decide_and_append(connection, store, silence_stream(procedure_id),
                                       SILENCE_PROCEDURE, decide, expected=expected)


async def _procedure_command(
    store: PostgresEventStore, procedure_id: UUID, expected: int | None,
    rule: Callable[..., Decision], **arguments: Any,
) -> Recorded:
    return await run_command(store, silence_stream(procedure_id), SILENCE_PROCEDURE,
                             on_procedure(procedure_id, rule, **arguments), expected=expected)


async def raise_objection(
    *, store: PostgresEventStore, procedure_id: UUID, state: str, reason: str, now: datetime,
    expected: int | None = None,
) -> Recorded:
    return await _as_a_member(
        store, silence_stream(procedure_id), SILENCE_PROCEDURE, expected,
        lambda membership: on_procedure(procedure_id, silence.raise_objection,
                                        member_state=state, membership=membership, now=now,
                                        reason=reason),
    )


async def withdraw_objection(
    *, store: PostgresEventStore, procedure_id: UUID, state: str, reason: str, now: datetime,
    expected: int | None = None,
) -> Recorded:
    return await _procedure_command(store, procedure_id, expected, silence.withdraw_objection,
                                    member_state=state, now=now, reason=reason)


async def conclude_silence_procedure(
    *, store: PostgresEventStore, procedure_id: UUID, now: datetime, seat_time_zone: str,
    expected: int | None = None,
) -> Recorded:
    """Conclude at or after the deadline, exactly once: a concurrent conclusion makes this one
    decide again, find the procedure concluded and record nothing."""
    stream_id = silence_stream(procedure_id)
    return await run_command(
        store, stream_id, SILENCE_PROCEDURE,
        on_procedure(procedure_id, silence.conclude_silence_procedure, now=now,
                     seat_time_zone=seat_time_zone),
        expected=expected, event_ids=derived_event_ids(_IDS, f"{stream_id}/conclusion/"),
    )


async def conclude_due_silence_procedures(
    *, store: PostgresEventStore, now: datetime, seat_time_zone: str
) -> list[Recorded]:
    """Conclude every procedure whose deadline has come and that is not concluded yet."""
    concluded = []
    for procedure_id in await queries.due_silence_procedures(store.engine, now):
        recorded = await conclude_silence_procedure(store=store, procedure_id=procedure_id,
                                                    now=now, seat_time_zone=seat_time_zone)
        if recorded.events:
            concluded.append(recorded)
    return concluded
