"""The registry's rules with no database: given events, when a decision, then these events or
this error."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.registry import domain
from services.registry.events import (
    AdmissionRecommended,
    BodyEstablished,
    BodyRenamed,
    ChairmanshipPeriodOpened,
    CoordinatorRole,
    DecisionRef,
    Dimension,
    FoundingMemberRegistered,
    MemberAdmitted,
    MembershipApplied,
    NoteRef,
    PriorityAreaEstablished,
    RenamingProposed,
    event_types,
)
from services.registry.seed import KUWAIT, MEMBER_STATES_2022, MEMBERS_ON
from shared.competence import OutsideCompetenceError
from shared.domain import AwaitingError
from shared.http.problems import domain_status

NOTE = NoteRef(number="SOC/OI/88", dated=date(2022, 2, 3))


def decision(body: str = "SUMMIT", outcome: str = "adopted", on: str = "2022-10-12"):
    return DecisionRef(decision_id=uuid4(), body=body, session="SUM/2022",
                       decided_on=date.fromisoformat(on), outcome=outcome)


SOC_RECOMMENDS = DecisionRef(decision_id=uuid4(), body="SOC", session="SOC/2022-III",
                             decided_on=date(2022, 10, 11), outcome="recommended_for_adoption")


def kuwait_applied() -> list:
    """Kuwait's application, and the SOC's recommendation of its admission."""
    return [MembershipApplied(state="KWT", names=KUWAIT, applied_on=date(2022, 2, 3),
                              application_note=NOTE),
            AdmissionRecommended(state="KWT", recommended_on=date(2022, 10, 11),
                                 decision=SOC_RECOMMENDS)]


def test_an_applicant_admitted_by_the_summit_is_a_member_from_the_decisions_date():
    summit = decision()
    state = domain.member_state("KWT", kuwait_applied())

    (admitted,) = domain.admit(state, summit)

    assert admitted == MemberAdmitted(state="KWT", names=KUWAIT, admitted_on=date(2022, 10, 12),
                                      decision=summit)
    after = domain.member_state("KWT", [*kuwait_applied(), admitted])
    assert after.status is domain.MembershipStatus.MEMBER
    assert after.member_since == date(2022, 10, 12)


def test_the_same_adoption_again_records_nothing():
    summit = decision()
    history = [*kuwait_applied(), *domain.admit(domain.member_state("KWT", kuwait_applied()),
                                                summit)]

    assert domain.admit(domain.member_state("KWT", history), summit) == []


def test_another_adoption_for_a_member_is_refused():
    history = [*kuwait_applied()]
    history += domain.admit(domain.member_state("KWT", history), decision())

    with pytest.raises(domain.AlreadyMemberError, match="KWT is a member state already"):
        domain.admit(domain.member_state("KWT", history), decision())


def test_an_adoption_for_a_state_that_never_applied_is_refused_with_the_reason():
    with pytest.raises(domain.NeverAppliedError) as refused:
        domain.admit(domain.member_state("NZL", []), decision())

    assert domain_status(refused.value) == 409
    assert "NZL has never applied for membership" in refused.value.detail


def test_an_admission_dated_before_the_application_is_refused():
    with pytest.raises(domain.InvalidFactError, match="cannot be admitted before"):
        domain.admit(domain.member_state("KWT", kuwait_applied()), decision(on="2021-12-31"))


def test_the_summit_admits_only_what_the_soc_recommended_and_not_before():
    applied_only = kuwait_applied()[:1]
    with pytest.raises(domain.NotRecommendedError) as refused:
        domain.admit(domain.member_state("KWT", applied_only), decision())
    assert refused.value.rule == "admission-not-recommended"
    assert isinstance(refused.value, AwaitingError)  # a reaction waits for the recommendation
    assert domain_status(refused.value) == 409
    with pytest.raises(domain.InvalidFactError, match="cannot adopt it before"):
        domain.admit(domain.member_state("KWT", kuwait_applied()), decision(on="2022-10-10"))


@pytest.mark.parametrize(("body", "outcome"), [
    ("SWG", "adopted"), ("SOC", "adopted"), ("SUMMIT", "deferred"), ("SUMMIT", "noted"),
    ("MC", "adopted"), ("SUMMIT", "recommended_for_adoption"),
])
def test_an_admission_rests_on_the_summits_adoption_and_nothing_else(body, outcome):
    with pytest.raises(OutsideCompetenceError) as refused:
        domain.admit(domain.member_state("KWT", kuwait_applied()), decision(body, outcome))
    assert refused.value.rule == "outside-competence"
    assert domain_status(refused.value) == 409


def test_a_recommendation_rests_on_the_socs_and_nothing_else():
    with pytest.raises(OutsideCompetenceError):
        domain.recommend_admission(domain.member_state("KWT", kuwait_applied()[:1]),
                                   decision("SWG", "recommended_for_adoption"))
    with pytest.raises(OutsideCompetenceError):
        domain.recommend_admission(domain.member_state("KWT", kuwait_applied()[:1]),
                                   decision("SOC", "approved"))


def test_a_chairmanship_rests_on_the_summits_adoption():
    opened = domain.chairmanship("2024-2026", [ChairmanshipPeriodOpened(
        period="2024-2026", effective_on=date(2022, 10, 7))])
    with pytest.raises(OutsideCompetenceError):
        domain.assign_chairmanship(opened, state="AZE", effective_on=date(2022, 10, 13),
                                   decision=decision("SOC", "adopted"))
    (assigned,) = domain.assign_chairmanship(opened, state="AZE", effective_on=date(2022, 10, 13),
                                             decision=decision("SUMMIT", "adopted"))
    assert assigned.chair == "AZE"


def test_the_socs_recommendation_is_recorded_once_and_needs_an_application():
    soc = decision("SOC", "recommended_for_adoption", "2022-10-11")
    (recommended,) = domain.recommend_admission(domain.member_state("KWT", kuwait_applied()), soc)

    assert recommended == AdmissionRecommended(state="KWT", recommended_on=date(2022, 10, 11),
                                               decision=soc)
    again = domain.member_state("KWT", [*kuwait_applied(), recommended])
    assert domain.recommend_admission(again, soc) == []
    with pytest.raises(domain.NeverAppliedError):
        domain.recommend_admission(domain.member_state("NZL", []), soc)


def test_a_registered_member_cannot_apply_or_be_registered_twice():
    known = [FoundingMemberRegistered(state="KAZ", names=MEMBER_STATES_2022["KAZ"],
                                      member_on=MEMBERS_ON)]
    state = domain.member_state("KAZ", known)

    with pytest.raises(domain.AlreadyMemberError,
                       match="a member on 2022-10-07, joining date unknown"):
        domain.apply_for_membership(state, names=MEMBER_STATES_2022["KAZ"],
                                    applied_on=date(2022, 10, 8), note=NOTE)
    with pytest.raises(domain.AlreadyRegisteredError):
        domain.register_known_member(state, names=MEMBER_STATES_2022["KAZ"],
                                     member_on=MEMBERS_ON, member_since=None)


def test_a_member_known_on_a_day_is_registered_with_no_joining_day_made_up():
    (registered,) = [domain.register_known_member(
        domain.member_state("AFG", []), names=MEMBER_STATES_2022["AFG"], member_on=MEMBERS_ON,
        member_since=None,
    )]

    assert registered == FoundingMemberRegistered(
        state="AFG", names=MEMBER_STATES_2022["AFG"], member_on=MEMBERS_ON, member_since=None)
    state = domain.member_state("AFG", [registered])
    assert (state.status, state.member_since, state.member_on, state.member_from) == (
        domain.MembershipStatus.MEMBER, None, MEMBERS_ON, MEMBERS_ON)


def test_a_joining_day_after_the_day_a_source_shows_the_state_a_member_is_refused_by_name():
    with pytest.raises(domain.JoinedAfterKnownMemberError) as refused:
        domain.register_known_member(domain.member_state("AFG", []),
                                     names=MEMBER_STATES_2022["AFG"], member_on=MEMBERS_ON,
                                     member_since=date(2022, 10, 8))

    assert domain_status(refused.value) == 422
    assert refused.value.rule == "joined-after-member-on"
    assert refused.value.members == {"state": "AFG", "member_since": "2022-10-08",
                                     "member_on": "2022-10-07"}
    joined = domain.register_known_member(domain.member_state("AFG", []),
                                          names=MEMBER_STATES_2022["AFG"], member_on=MEMBERS_ON,
                                          member_since=MEMBERS_ON)
    assert joined.member_since == MEMBERS_ON  # on the day itself: no contradiction


def test_a_suspension_before_the_day_a_member_is_known_one_is_refused():
    known = [FoundingMemberRegistered(state="KAZ", names=MEMBER_STATES_2022["KAZ"],
                                      member_on=MEMBERS_ON)]

    with pytest.raises(domain.InvalidFactError, match="before its last change, on 2022-10-07"):
        domain.suspend(domain.member_state("KAZ", known), effective_on=date(2022, 10, 1),
                       reason="a reason", decision=None)


def test_a_v1_registration_is_read_as_a_member_on_its_joining_day():
    """The log's older shape (``member_since`` alone, v1) reads as v2: a member on that day."""
    data = event_types.upcast("FoundingMemberRegistered", 1, {
        "state": "KAZ", "names": {"en": "Kazakhstan"}, "member_since": "1999-09-14"})
    event = event_types.decode("FoundingMemberRegistered", 1, {
        "state": "KAZ", "names": {"en": "Kazakhstan"}, "member_since": "1999-09-14"})

    assert data["member_on"] == "1999-09-14"
    assert (event.member_on, event.member_since) == (date(1999, 9, 14), date(1999, 9, 14))
    assert domain.member_state("KAZ", [event]).member_from == date(1999, 9, 14)


def test_an_application_twice_is_refused():
    with pytest.raises(domain.AlreadyRegisteredError, match="application of 2022-02-03"):
        domain.apply_for_membership(domain.member_state("KWT", kuwait_applied()), names=KUWAIT,
                                    applied_on=date(2022, 3, 1), note=NOTE)


def test_an_open_chair_is_filled_by_a_decision_once():
    opened = [ChairmanshipPeriodOpened(period="2024-2026", effective_on=date(2022, 10, 7))]
    summit = decision()
    chair = domain.chairmanship("2024-2026", opened)
    assert chair.opened and chair.chair is None

    (assigned,) = domain.assign_chairmanship(chair, state="AZE", effective_on=summit.decided_on,
                                             decision=summit)
    filled = domain.chairmanship("2024-2026", [*opened, assigned])

    assert filled.chair == "AZE"
    assert domain.assign_chairmanship(filled, state="AZE", effective_on=summit.decided_on,
                                      decision=summit) == []
    with pytest.raises(domain.AlreadyRegisteredError, match="The chair of 2024-2026"):
        domain.assign_chairmanship(filled, state="KAZ", effective_on=summit.decided_on,
                                   decision=decision())


@pytest.mark.parametrize("period", ["2024", "2026-2024", "24-26", "2024-2024"])
def test_a_malformed_period_is_refused(period):
    with pytest.raises(domain.InvalidFactError):
        domain.check_period(period)


def test_a_coordinator_needs_an_established_area_and_holds_one_role_at_a_time():
    area = [PriorityAreaEstablished(area="trade-and-investment", dimension=Dimension.ECONOMIC,
                                    names={"en": "Trade and Investment"},
                                    effective_on=date(2019, 1, 1))]
    with pytest.raises(domain.NotFoundError) as missing:
        domain.appoint_coordinator(domain.priority_area("tourism", []), state="KGZ",
                                   role=CoordinatorRole.CO_COORDINATOR,
                                   effective_on=date(2022, 10, 11), term_ends_on=None,
                                   decision=None)
    assert isinstance(missing.value, AwaitingError)  # a decision appointing to it waits
    soc = decision("SOC", "approved", "2022-10-11")
    appointed = domain.appoint_coordinator(
        domain.priority_area("trade-and-investment", area), state="KGZ",
        role=CoordinatorRole.CO_COORDINATOR, effective_on=date(2022, 10, 11), term_ends_on=None,
        decision=soc,
    )
    after = domain.priority_area("trade-and-investment", [*area, *appointed])
    assert domain.appoint_coordinator(  # the same decision again: nothing
        after, state="KGZ", role=CoordinatorRole.CO_COORDINATOR,
        effective_on=date(2022, 10, 11), term_ends_on=None, decision=soc,
    ) == []
    with pytest.raises(domain.AlreadyRegisteredError):
        domain.appoint_coordinator(
            after, state="KGZ", role=CoordinatorRole.COORDINATOR, effective_on=date(2023, 1, 1),
            term_ends_on=None, decision=None,
        )
    with pytest.raises(OutsideCompetenceError):  # the SWG recommends; the SOC approves
        domain.appoint_coordinator(
            domain.priority_area("trade-and-investment", area), state="KGZ",
            role=CoordinatorRole.CO_COORDINATOR, effective_on=date(2022, 10, 11),
            term_ends_on=None, decision=decision("SWG", "approved"),
        )


def test_a_proposed_renaming_changes_no_name_until_a_renaming_decides_it():
    established = [BodyEstablished(body="CICA", names={"en": "CICA"},
                                   effective_on=date(1992, 10, 5))]
    proposal = domain.propose_renaming(
        domain.body("CICA", established), proposal_id=uuid4(), names={"en": "OICA"},
        proposed_by=["KAZ"], proposed_on=date(2022, 10, 7),
    )
    assert isinstance(proposal, RenamingProposed)
    proposed = domain.body("CICA", [*established, proposal])
    assert proposed.names == {"en": "CICA"}
    assert list(proposed.open_proposals) == [proposal.proposal_id]

    renamed = domain.rename_body(proposed, names={"en": "OICA"}, effective_on=date(2024, 1, 1),
                                 decision=None, proposal_id=proposal.proposal_id)
    assert isinstance(renamed, BodyRenamed)
    decided = domain.body("CICA", [*established, proposal, renamed])
    assert decided.names == {"en": "OICA"} and decided.open_proposals == {}


def test_a_body_is_not_renamed_before_it_exists():
    established = [BodyEstablished(body="SUMMIT", names={"en": "Summit"},
                                   effective_on=date(2002, 6, 4))]
    with pytest.raises(domain.InvalidFactError, match="cannot be renamed before"):
        domain.rename_body(domain.body("SUMMIT", established), names={"en": "Council"},
                           effective_on=date(2001, 1, 1), decision=None, proposal_id=None)
    with pytest.raises(domain.NotFoundError):
        domain.rename_body(domain.body("MC", []), names={"en": "Council"},
                           effective_on=date(2022, 10, 13), decision=None, proposal_id=None)


def test_names_need_english():
    with pytest.raises(ValueError, match="at least the English name"):
        MembershipApplied(state="KWT", names={"ru": "Кувейт"}, applied_on=date(2022, 2, 3),
                          application_note=NOTE)


def kuwait_member() -> list:
    history = kuwait_applied()
    return history + domain.admit(domain.member_state("KWT", history), decision())


def test_a_member_suspended_then_reinstated_then_withdrawn():
    history = kuwait_member()
    suspended = domain.suspend(domain.member_state("KWT", history), effective_on=date(2023, 1, 1),
                               reason="a hypothetical decision", decision=None)
    history.append(suspended)
    assert domain.member_state("KWT", history).status is domain.MembershipStatus.SUSPENDED
    with pytest.raises(domain.AlreadyMemberError):
        domain.apply_for_membership(domain.member_state("KWT", history), names=KUWAIT,
                                    applied_on=date(2023, 2, 1), note=NOTE)
    history.append(domain.reinstate(domain.member_state("KWT", history),
                                    effective_on=date(2024, 1, 1), decision=None))
    assert domain.member_state("KWT", history).status is domain.MembershipStatus.MEMBER
    history.append(domain.withdraw(domain.member_state("KWT", history),
                                   effective_on=date(2025, 1, 1), note=None))
    assert domain.member_state("KWT", history).status is domain.MembershipStatus.WITHDRAWN


def test_only_members_are_suspended_and_only_the_suspended_reinstated():
    with pytest.raises(domain.NotAMemberError, match="KWT is applicant"):
        domain.suspend(domain.member_state("KWT", kuwait_applied()),
                       effective_on=date(2023, 1, 1), reason="x", decision=None)
    with pytest.raises(domain.NotAMemberError, match="not suspended"):
        domain.reinstate(domain.member_state("KWT", kuwait_member()),
                         effective_on=date(2023, 1, 1), decision=None)
    with pytest.raises(domain.NotAMemberError):
        domain.withdraw(domain.member_state("NZL", []), effective_on=date(2023, 1, 1), note=None)


def test_a_suspension_dated_before_the_admission_is_refused():
    with pytest.raises(domain.InvalidFactError, match="before its last change"):
        domain.suspend(domain.member_state("KWT", kuwait_member()),
                       effective_on=date(2022, 10, 1), reason="x", decision=None)
