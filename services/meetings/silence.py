"""The silence procedure's rules: a draft decision circulated to a body's members, adopted at the
deadline if none of them objected (a decision by written procedure). A procedure folds its
stream (``silence-<id>``) into state; each rule is a pure function from that state to new events,
or an error that says why not. No I/O: the present instant, the meeting the procedure is tied
to, the member states the service knows and the time zone of the seat are arguments.

- It goes to the body's members when it starts: the participants of the meeting it is tied to,
  else the member states on the day it starts at the seat (not those suspended or withdrawn
  by then). The caller does not choose them, and they do not change while it runs.
- It is the body's: its session is one of the body's, its meeting (if any) the body's meeting
  in that session, and what it decides within the body's competence (`shared.competence`).
- An objection raised before the deadline, by a state it was sent to that is a member state
  that day (not suspended, not withdrawn), breaks the silence; its state may withdraw it
  before the deadline, and then it no longer counts. An objection raised while its state was a
  member stays on record and counts at the deadline, whatever became of its membership since.
- The decision taken at the deadline is dated at the seat: a deadline of 20:00 UTC on
  10 October 2022 is 11 October in Astana.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID, uuid5

from services.meetings.domain import (
    InvalidRequestError,
    Meeting,
    MeetingsError,
    NoStandingObjectionError,
    NotFoundError,
    NotParticipantError,
    check_member,
    check_session,
    zone,
)
from services.meetings.events import (
    DecisionRecorded,
    DraftDecision,
    ObjectionRaised,
    ObjectionWithdrawn,
    SilenceProcedureConcluded,
    SilenceProcedureStarted,
)
from shared import competence
from shared import domain as kinds
from shared.access.model import Membership
from shared.eventstore import DomainEvent

DECISIONS = UUID("3f0b8f2e-6a44-4d0e-9b8e-5a8d2c1e7f10")
"""The namespace of the ids of decisions taken by silence procedure."""


class DeadlinePassedError(MeetingsError, title="Deadline passed", rule="deadline-passed"): ...


class ProcedureConcludedError(
    MeetingsError, title="Silence procedure concluded", rule="silence-procedure-concluded"
): ...


class DeadlineNotReachedError(
    MeetingsError, title="Deadline not reached", rule="deadline-not-reached"
): ...


class DeadlineInThePastError(
    InvalidRequestError, title="Deadline in the past", rule="deadline-in-the-past"
):
    """A silence procedure starts with its deadline still to come: the states it is sent to
    have until then to break the silence."""


class NoRecipientsError(MeetingsError, title="No recipients", rule="no-recipients"):
    """A silence procedure goes to the body's members: with none known that day (none followed
    from the registry yet, or all suspended or withdrawn), there is no one to keep or break the
    silence."""


class ProcedureIdTakenError(MeetingsError, title="Procedure id taken", rule="procedure-id-taken"):
    """A procedure id names one silence procedure: started again as it was started, nothing is
    recorded; with another body, session, meeting, draft or deadline, it is refused."""


class MeetingOfAnotherSessionError(
    kinds.InvalidError, title="Meeting of another session", rule="meeting-of-another-session"
):
    """A procedure tied to a meeting is that meeting's body's, in that meeting's session."""


def seat_date(instant: datetime, seat_time_zone: str) -> date:
    """The date at the seat (in `seat_time_zone`) of an exact instant."""
    return instant.astimezone(zone(seat_time_zone)).date()


@dataclass
class SilenceProcedure:
    procedure_id: UUID
    started: SilenceProcedureStarted | None = None
    objections: list[ObjectionRaised] = field(default_factory=list)
    """The objections that stand (one withdrawn is no longer among them)."""
    withdrawals: list[ObjectionWithdrawn] = field(default_factory=list)
    concluded: SilenceProcedureConcluded | None = None


def silence_procedure(procedure_id: UUID, events: Iterable[DomainEvent]) -> SilenceProcedure:
    state = SilenceProcedure(procedure_id)
    for event in events:
        if isinstance(event, SilenceProcedureStarted):
            state.started = event
        elif isinstance(event, ObjectionRaised):
            state.objections.append(event)
        elif isinstance(event, ObjectionWithdrawn):
            state.objections = [o for o in state.objections if o.state != event.state]
            state.withdrawals.append(event)
        elif isinstance(event, SilenceProcedureConcluded):
            state.concluded = event
    return state


def _started(state: SilenceProcedure) -> SilenceProcedureStarted:
    if state.started is None:
        raise NotFoundError(
            f"The silence procedure {state.procedure_id}", procedure_id=str(state.procedure_id)
        )
    return state.started


def _running(state: SilenceProcedure, now: datetime) -> SilenceProcedureStarted:
    """The procedure, while the silence can still be broken (or an objection withdrawn)."""
    started = _started(state)
    if state.concluded is not None:
        raise ProcedureConcludedError(
            f"The silence procedure was concluded ({state.concluded.outcome})."
        )
    if now >= started.deadline:
        raise DeadlinePassedError(
            f"The silence was to be broken before {started.deadline.isoformat()}.",
            deadline=started.deadline.isoformat(),
        )
    return started


# ------------------------------------------------------------------------------ starting


def start_silence_procedure(
    state: SilenceProcedure,
    *,
    body: str,
    session: str,
    meeting: Meeting | None,
    members: Membership,
    draft: DraftDecision,
    now: datetime,
    deadline: datetime,
    seat_time_zone: str,
) -> list[SilenceProcedureStarted]:
    """Circulate `draft` under silence until `deadline`, to the participants of `meeting` (the
    meeting it is tied to, if any) or to the member states of `members` on the day it starts at
    the seat. The same procedure started again records nothing; another body, session,
    meeting, draft or deadline under its id is refused (`ProcedureIdTakenError`)."""
    if state.started is not None:
        earlier = state.started
        same = (earlier.body, earlier.session, earlier.meeting_id, earlier.draft,
                earlier.deadline) == (
            body, session, meeting.meeting_id if meeting else None, draft, deadline)
        if same:
            return []  # started once; a retry records nothing
        raise ProcedureIdTakenError(
            f"The silence procedure {state.procedure_id} was started already with another "
            "body, session, meeting, draft or deadline; another procedure takes a new id.",
            procedure_id=str(state.procedure_id),
        )
    if deadline.tzinfo is None:
        raise InvalidRequestError("The deadline is an exact instant: give its offset.")
    if deadline <= now:
        raise DeadlineInThePastError(
            f"The deadline {deadline.isoformat()} has passed already.")
    check_session(body, session)
    competence.check_competence(body, draft.subject.model_dump(mode="json"), draft.outcome)
    if meeting is None:
        participants = members.on(seat_date(now, seat_time_zone))
    else:
        participants = _participants_of(meeting, body=body, session=session)
    if not participants:
        raise NoRecipientsError(
            f"The {body} has no members to send the draft to on {seat_date(now, seat_time_zone)}: "
            "the member states come from the registry's events.",
            body=body,
        )
    return [
        SilenceProcedureStarted(
            procedure_id=state.procedure_id,
            body=body,  # type: ignore[arg-type]
            session=session,
            meeting_id=meeting.meeting_id if meeting else None,
            draft=draft,
            started_at=now,
            deadline=deadline,
            participants=tuple(sorted(set(participants))),
        )
    ]


def _participants_of(meeting: Meeting, *, body: str, session: str) -> list[str]:
    """The participants of the meeting a procedure is tied to, once it is the body's meeting in
    the procedure's session."""
    scheduled = meeting.scheduled
    if scheduled is None:
        raise NotFoundError(f"The meeting {meeting.meeting_id}", meeting_id=meeting.meeting_id)
    if (scheduled.body, scheduled.session) != (body, session):
        raise MeetingOfAnotherSessionError(
            f"The meeting {meeting.meeting_id} is the {scheduled.body}'s in {scheduled.session}, "
            f"not the {body}'s in {session}.",
            meeting_id=meeting.meeting_id,
            meeting_body=scheduled.body,
            meeting_session=scheduled.session,
        )
    return meeting.participants


# ------------------------------------------------------------------------------ objections


def raise_objection(
    state: SilenceProcedure, *, member_state: str, membership: Membership, now: datetime,
    reason: str = "",
) -> list[ObjectionRaised]:
    """A state the draft was sent to breaks the silence before the deadline, while it is a
    member state (`now`, by `membership`); objected already, nothing more is recorded."""
    started = _running(state, now)
    if member_state not in started.participants:
        raise NotParticipantError(
            f"{member_state} is not among the member states the procedure was sent to.",
            state=member_state,
        )
    check_member(membership, member_state, now, acting="breaks the silence")
    if any(o.state == member_state for o in state.objections):
        return []
    return [ObjectionRaised(state=member_state, raised_at=now, reason=reason)]


def withdraw_objection(
    state: SilenceProcedure, *, member_state: str, now: datetime, reason: str = ""
) -> list[ObjectionWithdrawn]:
    """A state withdraws its own objection before the deadline: at the deadline it no longer
    counts. Withdrawn already (and not raised again), nothing more is recorded; a state with no
    objection to withdraw is refused."""
    _running(state, now)
    if any(o.state == member_state for o in state.objections):
        return [ObjectionWithdrawn(state=member_state, withdrawn_at=now, reason=reason)]
    if any(w.state == member_state for w in state.withdrawals):
        return []
    raise NoStandingObjectionError(
        f"{member_state} has no objection to this silence procedure to withdraw.",
        state=member_state,
    )


# ------------------------------------------------------------------------------ conclusion


def conclude_silence_procedure(
    state: SilenceProcedure, *, now: datetime, seat_time_zone: str
) -> list[SilenceProcedureConcluded | DecisionRecorded]:
    """At the deadline: adopted if no objection stands, else not adopted; the decision is dated
    on the deadline's date at the seat. Exactly once: a procedure concluded already records
    nothing more."""
    started = _started(state)
    if state.concluded is not None:
        return []
    if now < started.deadline:
        raise DeadlineNotReachedError(
            f"The silence procedure runs until {started.deadline.isoformat()}.",
            deadline=started.deadline.isoformat(),
        )
    objections = tuple(o.state for o in state.objections)
    if objections:
        return [
            SilenceProcedureConcluded(
                outcome="not_adopted", concluded_at=now, objections=objections
            )
        ]
    decision_id = uuid5(DECISIONS, f"silence/{state.procedure_id}")
    return [
        SilenceProcedureConcluded(
            outcome="adopted", concluded_at=now, objections=(), decision_id=decision_id
        ),
        DecisionRecorded(
            decision_id=decision_id,
            meeting_id=started.meeting_id or f"silence-{state.procedure_id}",
            body=started.body,
            session=started.session,
            decided_on=seat_date(started.deadline, seat_time_zone),
            outcome=started.draft.outcome,
            subject=started.draft.subject,
            text=started.draft.text,
        ),
    ]
