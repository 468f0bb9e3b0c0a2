"""The rules of a meeting's decisions with no database: a body decides within its competence
(`shared.competence`), a state's objection to a draft can be withdrawn by that state, and a
participating state places a reservation or an interpretative statement on record without
blocking the decision."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.meetings import domain
from services.meetings.events import (
    AgendaItem,
    DecisionObjectionWithdrawn,
    DecisionRecorded,
    ReservationPlaced,
)
from services.meetings.seed import (
    MEMBER_STATES_2022,
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_KUWAIT,
    SUMMIT_MEETING,
)
from shared.competence import OutsideCompetenceError
from shared.eventstore import DomainEvent
from tests.meetings.support import as_scheduled
from tests.meetings.test_domain import AS_MEMBER, MEETING, adopted

KUWAIT = {"kind": "membership_application", "state": "KWT"}
ASTANA = {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"}
SUMMIT = "SUM-2022"


def at_the_soc(history: list[DomainEvent]) -> domain.Meeting:
    return domain.meeting(MEETING, history)


def kuwait(decision_id: UUID, **changes) -> dict:  # type: ignore[no-untyped-def]
    return {
        "decision_id": decision_id,
        "item": "2",
        "outcome": "recommended_for_adoption",
        "subject": KUWAIT,
        "text": "Kuwait",
        "decided_on": date(2022, 10, 11),
    } | changes


def summit_adopted() -> list[DomainEvent]:
    fields = as_scheduled(SUMMIT_MEETING)
    history = list(
        domain.schedule(domain.meeting(SUMMIT, []), participants=MEMBER_STATES_2022, **fields)
    )
    items = [
        AgendaItem(number="1", title="Adoption of the agenda", action="adopt_agenda"),
        AgendaItem.model_validate(
            {
                "number": "2",
                "title": "Admission of Kuwait",
                "considers": [{"symbol": "SUM/2022/DRAFT/4"}],
            }
        ),
        AgendaItem.model_validate(
            {
                "number": "3",
                "title": "Astana Statement",
                "considers": [{"symbol": ASTANA["symbol"]}],
            }
        ),
    ]
    history += domain.draft_agenda(
        domain.meeting(SUMMIT, history),
        symbol="SUM/2022/Agenda/1",
        circulated_on=date(2022, 10, 11),
        items=items,
    )
    return history + domain.adopt_agenda(
        domain.meeting(SUMMIT, history), adopted_on=date(2022, 10, 12)
    )


# ------------------------------------------------------------------------------ competence


@pytest.mark.parametrize(
    ("item", "outcome", "subject"),
    [
        ("2", "adopted", KUWAIT),  # the SOC recommends an admission; the Summit adopts it
        ("3(c)", "adopted", ASTANA),  # the Summit's document
        ("5(a)", "adopted", {"kind": "chairmanship", "state": "KAZ", "period": "2024-2026"}),
    ],
)
def test_the_soc_does_not_take_what_is_not_its_to_decide(item, outcome, subject):
    state = at_the_soc(adopted())
    decision = {
        "decision_id": uuid4(),
        "item": item,
        "outcome": outcome,
        "subject": subject,
        "text": "x",
        "decided_on": date(2022, 10, 11),
    }
    with pytest.raises(OutsideCompetenceError) as refused:
        domain.record_decision(state, **decision)
    assert refused.value.rule == "outside-competence"
    with pytest.raises(OutsideCompetenceError):
        domain.propose_decision(state, **decision)


def test_the_soc_recommends_kuwait_and_the_astana_statement_and_adopts_its_own_documents():
    state = at_the_soc(adopted())
    for decision in (RECOMMEND_KUWAIT, RECOMMEND_ASTANA_STATEMENT):
        (event,) = domain.record_decision(
            state, **{**decision, "decided_on": date.fromisoformat(decision["decided_on"])}
        )
        assert event.outcome == "recommended_for_adoption"
    (own,) = domain.record_decision(  # PP5: documents adopted by the SOC (its SOC/ series)
        state,
        decision_id=uuid4(),
        item="3(d)",
        outcome="adopted",
        subject={"kind": "document", "symbol": "SOC/2021/DRAFT/3/Rev.6"},
        text="Adopted.",
        decided_on=date(2022, 10, 11),
    )
    assert isinstance(own, DecisionRecorded)


def test_the_summit_adopts_kuwaits_admission_and_the_astana_statement_and_recommends_nothing():
    state = domain.meeting(SUMMIT, summit_adopted())
    for item, subject in (("2", KUWAIT), ("3", ASTANA)):
        (event,) = domain.record_decision(
            state,
            decision_id=uuid4(),
            item=item,
            outcome="adopted",
            subject=subject,
            text="Adopted.",
            decided_on=date(2022, 10, 12),
        )
        assert (event.body, event.outcome) == ("SUMMIT", "adopted")
    with pytest.raises(OutsideCompetenceError):  # the Summit recommends to no other body
        domain.record_decision(
            state,
            decision_id=uuid4(),
            item="3",
            outcome="recommended_for_adoption",
            subject=ASTANA,
            text="x",
            decided_on=date(2022, 10, 12),
        )


# ------------------------------------------------------------------------------ withdrawals


def objected(decision_id: UUID, *states: str) -> list[DomainEvent]:
    history = adopted()
    history += domain.propose_decision(at_the_soc(history), **kuwait(decision_id))
    for state in states:
        history += domain.object_to_decision(
            at_the_soc(history), decision_id=decision_id, member_state=state, **AS_MEMBER
        )
    return history


def test_a_withdrawn_objection_no_longer_stands_and_the_draft_is_taken():
    drafted = uuid4()
    history = objected(drafted, "IND")
    with pytest.raises(domain.NoConsensusError):
        domain.record_decision(at_the_soc(history), **kuwait(drafted))
    (withdrawn,) = domain.withdraw_objection_to_decision(
        at_the_soc(history), decision_id=drafted, member_state="IND", reason="Consulted."
    )
    assert isinstance(withdrawn, DecisionObjectionWithdrawn)
    history += [withdrawn]
    state = at_the_soc(history)
    assert (state.objections[drafted], state.withdrawals[drafted]) == ([], [withdrawn])
    (taken,) = domain.record_decision(state, **kuwait(drafted))
    assert taken.decision_id == drafted


def test_one_states_withdrawal_leaves_anothers_objection_standing_under_any_id():
    drafted = uuid4()
    history = objected(drafted, "IND", "CHN")
    history += domain.withdraw_objection_to_decision(
        at_the_soc(history), decision_id=drafted, member_state="IND"
    )
    with pytest.raises(domain.NoConsensusError) as refused:
        domain.record_decision(at_the_soc(history), **kuwait(uuid4()))
    assert refused.value.members["objections"] == ["CHN"]


def test_an_objection_is_withdrawn_once_and_only_by_a_state_that_objected():
    drafted = uuid4()
    history = objected(drafted, "IND")
    history += domain.withdraw_objection_to_decision(
        at_the_soc(history), decision_id=drafted, member_state="IND"
    )
    state = at_the_soc(history)
    assert (
        domain.withdraw_objection_to_decision(state, decision_id=drafted, member_state="IND") == []
    )
    with pytest.raises(domain.NoStandingObjectionError) as refused:
        domain.withdraw_objection_to_decision(state, decision_id=drafted, member_state="KAZ")
    assert refused.value.rule == "no-standing-objection"
    with pytest.raises(domain.NotFoundError):
        domain.withdraw_objection_to_decision(state, decision_id=uuid4(), member_state="IND")


def test_an_objection_raised_again_after_its_withdrawal_stands_again():
    drafted = uuid4()
    history = objected(drafted, "IND")
    history += domain.withdraw_objection_to_decision(
        at_the_soc(history), decision_id=drafted, member_state="IND"
    )
    history += domain.object_to_decision(
        at_the_soc(history), decision_id=drafted, member_state="IND", **AS_MEMBER
    )
    with pytest.raises(domain.NoConsensusError):
        domain.record_decision(at_the_soc(history), **kuwait(drafted))


# ------------------------------------------------------------------------------ reservations


def test_a_reservation_on_a_draft_does_not_block_it_and_stays_with_the_decision():
    drafted = uuid4()
    history = objected(drafted)
    (placed,) = domain.place_reservation(
        at_the_soc(history),
        decision_id=drafted,
        member_state="IND",
        kind="statement",
        text="OP5 means", **AS_MEMBER,
    )
    assert isinstance(placed, ReservationPlaced)
    history += [placed]
    history += domain.record_decision(at_the_soc(history), **kuwait(drafted))
    (after,) = domain.place_reservation(
        at_the_soc(history),
        decision_id=drafted,
        member_state="CHN",
        kind="reservation",
        text="Not OP3", **AS_MEMBER,
    )
    state = at_the_soc([*history, after])
    assert [d.decision_id for d in state.decisions] == [drafted]
    assert [(r.state, r.kind) for r in state.reservations[drafted]] == [
        ("IND", "statement"),
        ("CHN", "reservation"),
    ]


def test_a_reservation_is_a_participants_on_a_draft_or_decision_of_the_meeting_once():
    drafted = uuid4()
    history = objected(drafted)
    history += domain.place_reservation(
        at_the_soc(history),
        decision_id=drafted,
        member_state="IND",
        kind="statement",
        text="OP5 means", **AS_MEMBER,
    )
    state = at_the_soc(history)
    assert (
        domain.place_reservation(
            state, decision_id=drafted, member_state="IND", kind="statement", text="OP5 means",
            **AS_MEMBER,
        )
        == []
    )
    with pytest.raises(domain.NotParticipantError):
        domain.place_reservation(
            state, decision_id=drafted, member_state="FRA", kind="reservation", text="x",
            **AS_MEMBER,
        )
    with pytest.raises(domain.NotFoundError):
        domain.place_reservation(
            state, decision_id=uuid4(), member_state="IND", kind="reservation", text="x",
            **AS_MEMBER,
        )
