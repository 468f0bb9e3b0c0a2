"""Membership as periods, folded from the registry's changes (`shared.access.model`): a member
from its founding or admission, not while suspended, not from its withdrawal on; a state
recorded as a member twice is one from the earlier day; changes apply by their effective day,
whatever order they were recorded in."""

from __future__ import annotations

from datetime import date

from shared.access.membership import (
    MembershipNoted,
    MemberStateAdmitted,
    MemberStatesRegistered,
    change_of,
    members,
    note_change,
)
from shared.access.model import Membership, MembershipChange, Period, members_on

FOUNDING, ADMITTED, SUSPENDED, REINSTATED, WITHDRAWN = MembershipChange
ONE_DAY = date(1999, 9, 14)


def test_suspension_and_withdrawal_end_a_period_and_reinstatement_opens_one():
    known = Membership.of([
        ("IND", FOUNDING, ONE_DAY),
        ("IND", SUSPENDED, date(2023, 1, 10)),
        ("IND", REINSTATED, date(2023, 6, 1)),
        ("IND", WITHDRAWN, date(2024, 2, 1)),
        ("KWT", ADMITTED, date(2022, 10, 12)),
    ])  # fmt: skip

    assert known.periods["IND"] == (
        Period(ONE_DAY, date(2023, 1, 10)), Period(date(2023, 6, 1), date(2024, 2, 1)))
    assert known.is_member("IND", date(2023, 1, 9))
    assert not known.is_member("IND", date(2023, 1, 10)), "suspended from its effective day"
    assert known.is_member("IND", date(2023, 6, 1)), "reinstated from its effective day"
    assert not known.is_member("IND", date(2024, 2, 1))
    assert known.on(date(2022, 10, 11)) == ["IND"]
    assert known.on(date(2022, 10, 12)) == ["IND", "KWT"]
    assert known.on(date(2024, 3, 1)) == members_on(known, date(2024, 3, 1)) == ["KWT"]
    assert known.since("IND") == ONE_DAY and known.since("QAT") is None
    assert known.ever() == ["IND", "KWT"]


def test_changes_apply_by_their_effective_day_and_a_second_admission_changes_nothing():
    late_record = Membership.of([
        ("KWT", WITHDRAWN, date(2030, 1, 1)),
        ("KWT", ADMITTED, date(2022, 10, 12)),
        ("KWT", FOUNDING, date(2022, 10, 14)),
    ])  # fmt: skip
    assert late_record.periods["KWT"] == (Period(date(2022, 10, 12), date(2030, 1, 1)),)


def test_a_services_log_folds_old_set_up_events_and_the_registrys_changes_alike():
    log = [
        MemberStatesRegistered(states=("IND", "KAZ"), member_since=ONE_DAY),
        MemberStateAdmitted(state="KWT", admitted_on=date(2022, 10, 12)),
        MembershipNoted(state="IND", change=WITHDRAWN, effective_on=date(2024, 2, 1)),
    ]
    known = members(log)
    assert known.on(date(2023, 1, 1)) == ["IND", "KAZ", "KWT"]
    assert known.on(date(2024, 2, 1)) == ["KAZ", "KWT"]

    assert note_change(log, state="IND", change=WITHDRAWN, effective_on=date(2024, 2, 1)) == []
    [again] = note_change(log, state="IND", change=REINSTATED, effective_on=date(2024, 5, 1))
    assert (again.state, again.change) == ("IND", REINSTATED)


def test_each_registry_membership_event_names_its_change_and_its_day():
    assert change_of("FoundingMemberRegistered", {"state": "KAZ", "member_since": "1999-09-14"}) \
        == ("KAZ", FOUNDING, ONE_DAY)
    # v2: a member a source shows on a day, its joining day unknown, counts from that day.
    assert change_of("FoundingMemberRegistered",
                     {"state": "KAZ", "member_on": "2022-10-07", "member_since": None}) \
        == ("KAZ", FOUNDING, date(2022, 10, 7))
    assert change_of("MemberAdmitted", {"state": "KWT", "admitted_on": "2022-10-12"}) == (
        "KWT", ADMITTED, date(2022, 10, 12))
    for event_type, change in [("MembershipSuspended", SUSPENDED),
                               ("MembershipReinstated", REINSTATED),
                               ("MemberWithdrew", WITHDRAWN)]:
        assert change_of(event_type, {"state": "IND", "effective_on": "2024-02-01"}) == (
            "IND", change, date(2024, 2, 1))
