"""`cica audit state --as-of` on the registry's members (shared/system/audit/history.py), on
made-up logs: the 27 registered as the seed shows them, members on 7 October 2022 (the note
verbale SOC/OI/1280) with no joining day, are unknown before that day, not members; a log of
the former shape (`FoundingMemberRegistered` v1, `member_since` alone) folds as before."""

from __future__ import annotations

import uuid

from services.registry.seed import MEMBER_STATES_2022, MEMBERS_ON
from shared.system.audit.history import describe_state, parse_instant, state_as_of


def registered(position: int, state: str, data: dict) -> dict:  # type: ignore[type-arg]
    return {
        "position": position, "event_id": str(uuid.uuid4()),
        "event_type": "FoundingMemberRegistered", "stream_id": f"state-{state}",
        "data": {"state": state, "names": MEMBER_STATES_2022.get(state, {"en": state}), **data},
        "metadata": {}, "recorded_at": "2026-11-27T10:00:00Z",
    }  # fmt: skip


def the_27() -> dict[str, list[dict]]:  # type: ignore[type-arg]
    return {"registry": [
        registered(n, code, {"member_on": MEMBERS_ON.isoformat(), "member_since": None})
        for n, code in enumerate(MEMBER_STATES_2022, start=1)
    ]}


def test_before_the_day_the_sources_show_them_members_the_27_are_unknown_not_counted() -> None:
    state = state_as_of(the_27(), parse_instant("2000-01-01"))
    lines = list(describe_state(state))

    assert state["members"] == {}
    assert sorted(state["unknown"]) == sorted(MEMBER_STATES_2022)
    assert state["unknown"]["KAZ"] == {"name": "Kazakhstan", "member_on": "2022-10-07"}
    assert "  members: 0" in lines
    assert (
        "  membership unknown: 27 members of unknown joining date known from 2022-10-07 on "
        f"({', '.join(sorted(MEMBER_STATES_2022))})"
    ) in lines


def test_from_the_day_after_the_note_the_27_are_members_of_unknown_joining_date() -> None:
    state = state_as_of(the_27(), parse_instant("2022-10-08"))
    lines = list(describe_state(state))

    assert (len(state["members"]), state["unknown"]) == (27, {})
    assert state["members"]["KAZ"] == {"name": "Kazakhstan", "since": None, "status": "member",
                                       "member_on": "2022-10-07"}
    assert "    KAZ  Kazakhstan, a member on 2022-10-07, joining date unknown" in lines
    assert not any("membership unknown" in line for line in lines)


def test_a_sourced_joining_day_and_a_former_registration_make_members_from_that_day() -> None:
    logs = {"registry": [
        registered(1, "KAZ", {"member_on": "2022-10-07", "member_since": "2022-10-01"}),
        registered(2, "CHN", {"member_since": "1999-09-14"}),  # v1, as older logs hold it
    ]}

    before = state_as_of(logs, parse_instant("2022-09-30"))
    after = state_as_of(logs, parse_instant("2022-10-02"))

    assert (list(before["members"]), before["unknown"]) == (["CHN"], {})
    assert after["members"]["KAZ"] == {"name": "Kazakhstan", "since": "2022-10-01",
                                       "status": "member"}
    assert after["members"]["CHN"]["since"] == "1999-09-14"
