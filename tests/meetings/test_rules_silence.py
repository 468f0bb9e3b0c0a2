"""The silence procedure's rules with no database: given events, when a rule, then these events
or this error. It goes to the body's members when it starts (the member states of the day at
the seat, or its meeting's participants), it is the body's (its session, its meeting, its
competence), an objection withdrawn before the deadline no longer counts, and the decision it
takes is dated at the seat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.meetings import domain, silence
from services.meetings.events import (
    DecisionRecorded,
    DraftDecision,
    MembershipNoted,
    ObjectionRaised,
    ObjectionWithdrawn,
    SilenceProcedureConcluded,
)
from services.meetings.seed import MEMBER_STATES_2022, SOC_MEETING
from shared.access.model import Membership, MembershipChange
from shared.competence import OutsideCompetenceError
from shared.eventstore import DomainEvent
from tests.meetings.support import as_scheduled

STARTED_AT = datetime(2022, 11, 1, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2022, 11, 15, 12, 0, tzinfo=UTC)
SEAT = "Asia/Almaty"
MEMBERS = domain.members(
    [
        *(MembershipNoted(state=state, change=MembershipChange.FOUNDING,
                          effective_on=date(1999, 9, 14)) for state in MEMBER_STATES_2022),
        MembershipNoted(state="KWT", change=MembershipChange.ADMITTED,
                        effective_on=date(2022, 10, 12)),
    ]
)
DRAFT = DraftDecision(
    outcome="approved",
    subject={"kind": "document", "symbol": "SOC/2021/DRAFT/3/Rev.6"},
    text="The SOC approves the Plan of Action.",
)
SOC = "SOC-2022-III"


def start(procedure_id: UUID | None = None, **changes) -> list[DomainEvent]:  # type: ignore[no-untyped-def]
    arguments = {
        "body": "SOC",
        "session": "SOC/2022-III",
        "meeting": None,
        "members": MEMBERS,
        "draft": DRAFT,
        "now": STARTED_AT,
        "deadline": DEADLINE,
        "seat_time_zone": SEAT,
    } | changes
    return list(
        silence.start_silence_procedure(
            silence.silence_procedure(procedure_id or uuid4(), []), **arguments
        )
    )


def started(**changes) -> tuple[silence.SilenceProcedure, list[DomainEvent]]:  # type: ignore[no-untyped-def]
    procedure_id = uuid4()
    events = start(procedure_id, **changes)
    return silence.silence_procedure(procedure_id, events), events


def then(state: silence.SilenceProcedure, *events: DomainEvent) -> silence.SilenceProcedure:
    assert state.started is not None
    return silence.silence_procedure(state.procedure_id, [state.started, *events])


def soc_meeting(participants: tuple[str, ...] = ("CHN", "IND", "KAZ")) -> domain.Meeting:
    fields = as_scheduled(SOC_MEETING)
    scheduled = domain.schedule(domain.meeting(SOC, []), participants=participants, **fields)
    return domain.meeting(SOC, scheduled)


# ------------------------------------------------------------------------------ who it goes to


def test_it_goes_to_the_member_states_of_the_day_it_starts_at_the_seat():
    """Kuwait, a member from 12 October 2022, receives a procedure started at 01:00 that day
    in Astana (19:00 UTC the day before), not one started an hour before midnight there."""
    evening = datetime(2022, 10, 11, 17, 0, tzinfo=UTC)  # 23:00 on 11 October in Astana
    night = datetime(2022, 10, 11, 19, 0, tzinfo=UTC)  # 01:00 on 12 October in Astana
    (before,) = start(now=evening)
    (after,) = start(now=night)
    assert before.participants == tuple(sorted(MEMBER_STATES_2022))
    assert after.participants == tuple(sorted((*MEMBER_STATES_2022, "KWT")))


def test_tied_to_a_meeting_it_goes_to_the_meetings_participants():
    (event,) = start(meeting=soc_meeting(), members=Membership())
    assert (event.meeting_id, event.participants) == (SOC, ("CHN", "IND", "KAZ"))


def test_with_no_member_states_known_there_is_no_one_to_send_it_to():
    with pytest.raises(silence.NoRecipientsError):
        start(members=Membership())
    with pytest.raises(silence.NoRecipientsError):  # not a member yet on the day it starts
        start(members=Membership.of([("KAZ", MembershipChange.ADMITTED, date(2023, 1, 1))]))


# ------------------------------------------------------------------------------ whose it is


def test_the_session_is_one_of_the_bodys_sessions():
    """As when a session is scheduled: a SOC session's symbol begins with SOC/."""
    fields = {**as_scheduled(SOC_MEETING), "session": "SUM/2022"}
    with pytest.raises(domain.SessionOfAnotherBodyError):
        domain.schedule(domain.meeting("SUM-2022", []), participants=["KAZ"], **fields)
    with pytest.raises(domain.SessionOfAnotherBodyError):
        start(session="SUM/2022")
    with pytest.raises(domain.SessionOfAnotherBodyError):
        start(
            body="SWG",
            session="SOC/2022-III",
            draft=DRAFT.model_copy(update={"outcome": "recommended_for_adoption"}),
        )


def test_a_meeting_it_is_tied_to_exists_and_is_the_bodys_in_that_session():
    with pytest.raises(domain.NotFoundError):
        start(meeting=domain.meeting("SOC-2099-I", []))
    with pytest.raises(silence.MeetingOfAnotherSessionError):
        start(meeting=soc_meeting(), session="SOC/2023-I")
    with pytest.raises(silence.MeetingOfAnotherSessionError):
        start(
            meeting=soc_meeting(),
            body="SWG",
            session="SWG/2022-III",
            draft=DRAFT.model_copy(update={"outcome": "recommended_for_adoption"}),
        )


@pytest.mark.parametrize(
    ("body", "session", "outcome", "symbol"),
    [
        ("SOC", "SOC/2022-III", "adopted", "SUM/2022/DRAFT/1/Rev.8"),  # the Summit's document
        ("SWG", "SWG/2022-III", "approved", "SOC/2021/DRAFT/3/Rev.6"),  # the SWG recommends only
        ("SUMMIT", "SUM/2022", "recommended_for_adoption", "SUM/2022/DRAFT/1/Rev.8"),
    ],
)
def test_what_it_decides_is_within_the_bodys_competence(body, session, outcome, symbol):
    draft = DraftDecision(
        outcome=outcome, subject={"kind": "document", "symbol": symbol}, text="A draft decision."
    )
    with pytest.raises(OutsideCompetenceError):
        start(body=body, session=session, draft=draft)


def test_a_body_decides_by_silence_what_it_may_decide_at_a_meeting():
    draft = DraftDecision(
        outcome="adopted",
        subject={"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
        text="The Summit adopts the Astana Statement.",
    )
    (event,) = start(body="SUMMIT", session="SUM/2022", draft=draft)
    assert event.draft == draft


def test_a_deadline_in_the_past_is_refused():
    with pytest.raises(domain.InvalidRequestError) as refused:
        start(now=DEADLINE, deadline=STARTED_AT)
    assert refused.value.rule == "deadline-in-the-past"


@pytest.mark.parametrize(
    "change",
    [
        lambda: {"draft": DRAFT.model_copy(update={"text": "The SOC approves another text."})},
        lambda: {"draft": DRAFT.model_copy(update={"outcome": "continue_consideration"})},
        lambda: {"deadline": DEADLINE + timedelta(days=1)},
        lambda: {"session": "SOC/2022-IV"},
        lambda: {"meeting": soc_meeting()},
    ],
    ids=["text", "outcome", "deadline", "session", "meeting"],
)
def test_a_procedure_started_again_records_nothing_and_another_under_its_id_is_refused(change):
    """The same procedure again, later, records nothing (the instant differs, the draft does
    not); another draft, deadline, session or meeting under a procedure id taken is refused."""
    state, _ = started()
    again = {"body": "SOC", "session": "SOC/2022-III", "meeting": None, "members": MEMBERS,
             "draft": DRAFT, "now": STARTED_AT + timedelta(hours=1), "deadline": DEADLINE,
             "seat_time_zone": SEAT}
    assert silence.start_silence_procedure(state, **again) == []
    at_the_seat = DEADLINE.astimezone(domain.zone(SEAT))  # the same instant, another offset
    assert silence.start_silence_procedure(state, **(again | {"deadline": at_the_seat})) == []
    with pytest.raises(silence.ProcedureIdTakenError, match=str(state.procedure_id)) as refused:
        silence.start_silence_procedure(state, **(again | change()))
    assert refused.value.rule == "procedure-id-taken"
    assert refused.value.members == {"procedure_id": str(state.procedure_id)}


# ------------------------------------------------------------------------------ objections


def test_silence_kept_to_the_deadline_adopts_the_decision_once():
    state, _ = started()
    with pytest.raises(silence.DeadlineNotReachedError):
        silence.conclude_silence_procedure(
            state, now=DEADLINE - timedelta(seconds=1), seat_time_zone=SEAT
        )
    concluded, decision = silence.conclude_silence_procedure(
        state, now=DEADLINE, seat_time_zone=SEAT
    )
    assert isinstance(concluded, SilenceProcedureConcluded) and concluded.outcome == "adopted"
    assert isinstance(decision, DecisionRecorded)
    assert (decision.outcome, decision.decision_id) == ("approved", concluded.decision_id)
    after = then(state, concluded, decision)
    assert (
        silence.conclude_silence_procedure(
            after, now=DEADLINE + timedelta(days=1), seat_time_zone=SEAT
        )
        == []
    )


def test_an_objection_before_the_deadline_breaks_the_silence():
    state, _ = started()
    (objection,) = silence.raise_objection(
        state, member_state="IND", now=DEADLINE - timedelta(minutes=1), membership=MEMBERS
    )
    assert isinstance(objection, ObjectionRaised)
    (concluded,) = silence.conclude_silence_procedure(
        then(state, objection), now=DEADLINE, seat_time_zone=SEAT
    )
    assert (concluded.outcome, concluded.objections) == ("not_adopted", ("IND",))


def test_an_objection_at_or_after_the_deadline_or_by_a_non_participant_is_refused():
    state, _ = started()
    with pytest.raises(silence.DeadlinePassedError):
        silence.raise_objection(state, member_state="IND", now=DEADLINE, membership=MEMBERS)
    with pytest.raises(domain.NotParticipantError):
        silence.raise_objection(state, member_state="FRA", now=STARTED_AT, membership=MEMBERS)


def test_an_objection_withdrawn_before_the_deadline_no_longer_counts():
    state, _ = started()
    (objection,) = silence.raise_objection(
        state, member_state="IND", now=STARTED_AT, membership=MEMBERS
    )
    objected = then(state, objection)
    (withdrawn,) = silence.withdraw_objection(
        objected, member_state="IND", now=STARTED_AT, reason="Consultations held."
    )
    assert isinstance(withdrawn, ObjectionWithdrawn)
    after = then(state, objection, withdrawn)
    assert (after.objections, after.withdrawals) == ([], [withdrawn])
    concluded, decision = silence.conclude_silence_procedure(
        after, now=DEADLINE, seat_time_zone=SEAT
    )
    assert (concluded.outcome, concluded.objections) == ("adopted", ())
    assert isinstance(decision, DecisionRecorded)


def test_an_objection_is_withdrawn_once_by_its_state_and_before_the_deadline():
    state, _ = started()
    (objection,) = silence.raise_objection(
        state, member_state="IND", now=STARTED_AT, membership=MEMBERS
    )
    (withdrawn,) = silence.withdraw_objection(
        then(state, objection), member_state="IND", now=STARTED_AT
    )
    after = then(state, objection, withdrawn)
    assert silence.withdraw_objection(after, member_state="IND", now=STARTED_AT) == []
    with pytest.raises(domain.NoStandingObjectionError):
        silence.withdraw_objection(after, member_state="KAZ", now=STARTED_AT)
    with pytest.raises(silence.DeadlinePassedError):
        silence.withdraw_objection(then(state, objection), member_state="IND", now=DEADLINE)


def test_an_objection_raised_again_after_its_withdrawal_breaks_the_silence_again():
    state, _ = started()
    (first,) = silence.raise_objection(
        state, member_state="IND", now=STARTED_AT, membership=MEMBERS
    )
    (withdrawn,) = silence.withdraw_objection(
        then(state, first), member_state="IND", now=STARTED_AT
    )
    (again,) = silence.raise_objection(
        then(state, first, withdrawn), member_state="IND", now=STARTED_AT, membership=MEMBERS
    )
    (concluded,) = silence.conclude_silence_procedure(
        then(state, first, withdrawn, again), now=DEADLINE, seat_time_zone=SEAT
    )
    assert (concluded.outcome, concluded.objections) == ("not_adopted", ("IND",))


# ------------------------------------------------------------------------------ its date


def test_the_decision_is_dated_at_the_seat():
    """20:00 UTC on 10 October 2022 is 02:00 on 11 October in Astana: the decision is of the
    11th there, though it is still the 10th at UTC."""
    deadline = datetime(2022, 10, 10, 20, 0, tzinfo=UTC)
    state, _ = started(now=datetime(2022, 10, 1, tzinfo=UTC), deadline=deadline)
    _, in_astana = silence.conclude_silence_procedure(state, now=deadline, seat_time_zone=SEAT)
    _, at_utc = silence.conclude_silence_procedure(state, now=deadline, seat_time_zone="UTC")
    assert isinstance(in_astana, DecisionRecorded) and isinstance(at_utc, DecisionRecorded)
    assert in_astana.decided_on == date(2022, 10, 11)
    assert at_utc.decided_on == date(2022, 10, 10)
