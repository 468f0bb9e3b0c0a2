"""`cica audit replay`, `state --as-of` and `trace` (shared/system/audit/history.py) against a
system `cica up` started here, after the October 2022 scenario (`cica demo --notifications`) and two
receipts of the notice of Kuwait's admission, acknowledged by Kazakhstan and Kuwait.

One system serves every test on it (its start is most of the time they take). The demo
registers every ministry's webhook endpoint at a receiver in the test, so the trace reaches
each delivery of the admission notice and each receipt; the tests on made-up logs at the end
trace failures and retries too."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.system.audit.history import History, Item, count, effective, known, parse_instant, trace
from shared.system.audit.verify import AuditError
from tests.system.test_demo import (
    CicaUpForDevelopment,
    Ministries,
    cica_demo,
    member_state_token,
    settled_heads,
    urls,
)
from tests.system.test_make_up import REPO, CicaUp, distinct_free_ports

slow = pytest.mark.slow
"""The tests on a whole system (`-m "not slow"` leaves them out)."""

ACKNOWLEDGING = ("KAZ", "KWT")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CicaUp]:
    folder = tmp_path_factory.mktemp("audit-history")
    run = CicaUpForDevelopment(folder / "state", distinct_free_ports(), folder / "cica-up.out")
    ministries = Ministries().__enter__()
    try:
        run.start()
        run.wait_until_healthy()
        demo = cica_demo(run, ministries.url, folder / "ministry-secrets.json")
        assert demo.returncode == 0, demo.stdout + demo.stderr
        notifications = urls(run)["notifications"]
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            notice = admission_notice(client, run)
            for state in ACKNOWLEDGING:
                token = member_state_token(run, state)
                answer = client.post(
                    f"{notifications}/notices/{notice['notice_id']}/receipt",
                    json={"reference": f"MFA {state} 1"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 201, answer.text
            settled_heads(client, run, auditor(run))
        yield run
    finally:
        run.kill()
        ministries.__exit__()


def cica(
    system: CicaUp, *args: str, urls: bool = False, token: bool = False
) -> subprocess.CompletedProcess[str]:
    """`cica ...` as a user runs it, pointed at the system's services."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
    command = [sys.executable, "-m", "shared.system.cli", *args]
    for service, url in _urls(system).items():
        if urls:
            command += ["--url", f"{service}={url}"]
        else:
            command += ["--service", f"{service}={url}"]
    if token:
        command += ["--token", auditor(system)]
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )


_urls = urls
_tokens: dict[Path, str] = {}


def auditor(system: CicaUp) -> str:
    """An auditor token, minted once per system (`cica token` is a process each time)."""
    if system.state_dir not in _tokens:
        _tokens[system.state_dir] = system.token("auditor")
    return _tokens[system.state_dir]


def admission_notice(client: httpx.Client, system: CicaUp) -> dict[str, Any]:
    events = log(client, system, "notifications")
    [notice] = [
        e["data"]
        for e in events
        if e["event_type"] == "NoticeIssued" and e["data"]["kind"] == "member_admitted"
    ]
    return notice  # type: ignore[no-any-return]


def log(client: httpx.Client, system: CicaUp, service: str) -> list[dict[str, Any]]:
    answer = client.get(
        f"{_urls(system)[service]}/events",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {auditor(system)}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]  # type: ignore[no-any-return]


@slow
def test_replay_reports_identical_digests_for_every_projection_of_every_service(
    system: CicaUp,
) -> None:
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        staff = {"Authorization": f"Bearer {auditor(system)}"}
        served = {
            service: [
                p["name"]
                for p in client.get(f"{url}/projections", headers=staff).json()["projections"]
            ]
            for service, url in _urls(system).items()
        }
    replay = cica(system, "audit", "replay", token=True)

    assert replay.returncode == 0, replay.stdout + replay.stderr
    lines = replay.stdout.splitlines()
    for service, names in served.items():
        assert names, service
        for name in names:
            [line] = [x for x in lines if x.startswith(f"{service} {name} at ")]
            assert ": identical" in line, line
    total = sum(len(names) for names in served.values())
    assert f"{total} of {total} projections identical" in replay.stdout


@slow
def test_state_on_the_morning_of_the_soc_shows_27_members_and_rev8_as_a_draft(
    system: CicaUp,
) -> None:
    shown = cica(system, "audit", "state", "--as-of", "2022-10-11T12:00+06:00", token=True)
    as_json = cica(
        system, "audit", "state", "--as-of", "2022-10-11T12:00+06:00", "--json", token=True
    )

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "members: 27" in shown.stdout
    assert "SUM/2022/DRAFT/1/Rev.8  draft" in shown.stdout
    state = json.loads(as_json.stdout)
    assert len(state["members"]) == 27
    assert "KWT" not in state["members"] and "KWT" in state["applicants"]
    assert state["documents"]["SUM/2022/DRAFT/1/Rev.8"]["status"] == "draft"
    assert state["documents"]["SUM/2022/DRAFT/1/Rev.8"]["distribution"]["kind"] == (
        "member_states_only"
    )
    assert state["chairs"] == {}, "the Summit decides the chairmanships on 12 October"
    assert state["meetings"]["SOC-2022-III"]["agenda"]["status"] == "adopted"
    assert state["decisions"] == [], "the SOC's decisions of that day are not yet known"
    [note] = [m for m in state["messages"].values() if m["reference"] == "SOC/OI/1280"]
    assert note["recipients"] == 27 and note["receipts"] == {}


@slow
def test_state_after_the_summit_shows_28_members_and_the_statement_adopted(
    system: CicaUp,
) -> None:
    after = cica(
        system, "audit", "state", "--as-of", "2022-10-14T09:00+06:00", "--json", token=True
    )
    recorded = cica(
        system, "audit", "state", "--as-of", "2022-10-14T09:00+06:00", "--recorded", "--json",
        token=True,
    )  # fmt: skip

    assert after.returncode == 0, after.stdout + after.stderr
    state = json.loads(after.stdout)
    assert len(state["members"]) == 28
    assert state["members"]["KWT"]["since"] == "2022-10-12"
    assert state["documents"]["SUM/2022/DRAFT/1/Rev.8"]["status"] == "adopted"
    assert {d["session"] for d in state["decisions"]} == {"SOC/2022-III", "SUM/2022"}
    assert state["chairs"] == {"2022-2024": "KAZ", "2024-2026": None}, "as the Summit decided"
    [notice] = [m for m in state["messages"].values() if m["reference"] == "KWT"]
    assert notice["recipients"] == 28
    assert notice["receipts"] == {}, "the receipts were acknowledged in 2026, not 2022"
    # In recording time, nothing of it had been recorded in 2022: it was all loaded today.
    assert json.loads(recorded.stdout)["members"] == {}


@slow
def test_trace_of_the_summit_admission_reaches_member_admitted_the_notice_and_each_receipt(
    system: CicaUp,
) -> None:
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        [decision] = [
            e
            for e in log(client, system, "meetings")
            if e["event_type"] == "DecisionRecorded"
            and e["data"]["body"] == "SUMMIT"
            and e["data"]["subject"] == {"kind": "membership_application", "state": "KWT"}
        ]
        notice = admission_notice(client, system)
    shown = cica(system, "audit", "trace", decision["event_id"], token=True)
    traced = cica(system, "audit", "trace", decision["event_id"], "--json", token=True)

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "meetings#" in shown.stdout and "└ registry#" in shown.stdout
    tree = json.loads(traced.stdout)
    assert tree["causes"] == []
    assert tree["event"]["event_type"] == "DecisionRecorded"
    [admitted] = [e for e in tree["event"]["effects"] if e["event_type"] == "MemberAdmitted"]
    assert admitted["service"] == "registry"
    reached = list(walk(admitted))
    assert {(e["service"], e["event_type"]) for e in reached} >= {
        ("meetings", "MembershipNoted"),
        ("meetings", "ParticipantAdded"),
        ("notifications", "MembershipNoted"),
        ("notifications", "NoticeIssued"),
    }
    [issued] = [e for e in admitted["effects"] if e["event_type"] == "NoticeIssued"]
    assert issued["stream_id"] == f"notice-{notice['notice_id']}"
    assert len(notice["recipients"]) == 28
    receipts = [e for e in issued["effects"] if e["event_type"] == "ReceiptAcknowledged"]
    assert len(receipts) == len(ACKNOWLEDGING)
    assert all(r["link"] == "delivery of" for r in receipts)
    # Every ministry has an endpoint: each of the 28 deliveries is traced, attempt and success.
    delivered = [e for e in issued["effects"] if e["event_type"] == "DeliverySucceeded"]
    attempted = [e for e in issued["effects"] if e["event_type"] == "DeliveryAttempted"]
    assert len({e["stream_id"] for e in delivered}) == 28
    assert {e["stream_id"] for e in attempted} == {e["stream_id"] for e in delivered}

    receipt = receipts[0]
    up = json.loads(
        cica(system, "audit", "trace", f"notifications:{receipt['event_id']}", "--json",
             token=True).stdout
    )  # fmt: skip
    assert [c["event_type"] for c in up["causes"]] == [
        "DecisionRecorded", "MemberAdmitted", "NoticeIssued"
    ]  # fmt: skip


@slow
def test_state_now_counts_the_receipts(system: CicaUp) -> None:
    now = cica(system, "audit", "state", "--as-of", "2100-01-01T00:00Z", "--json", token=True)
    state = json.loads(now.stdout)
    [notice] = [m for m in state["messages"].values() if m["reference"] == "KWT"]
    assert sorted(notice["receipts"]) == sorted(ACKNOWLEDGING)


@slow
def test_replay_reports_a_read_model_edited_in_the_database_and_exits_1(system: CicaUp) -> None:
    """Last: it leaves the registry's read model forged."""

    async def edit(sql: str) -> None:
        connection = await asyncpg.connect(
            f"postgresql://postgres@127.0.0.1:{system.ports.postgres}/cica_registry"
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # What an administrator could do to a read model behind the log's back.
    asyncio.run(edit("""UPDATE registry_membership_facts SET note = '{"forged": true}'
                        WHERE position = 1"""))  # fmt: skip
    replay = cica(system, "audit", "replay", token=True)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "registry registry_member_states at" in replay.stdout
    assert "DIFFERS" in replay.stdout


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in node["effects"]:
        yield child
        yield from walk(child)


# --------------------------------------------------------------- on made-up logs, no server


def event(position: int, kind: str, stream: str, data: dict, cause: str | None = None,
          event_id: str | None = None, at: str = "2026-11-27T10:00:00Z") -> dict:  # fmt: skip
    metadata = {"causation_id": cause} if cause else {}
    return {
        "position": position, "event_id": event_id or str(uuid.uuid4()), "event_type": kind,
        "stream_id": stream, "data": data, "metadata": metadata, "recorded_at": at,
    }  # fmt: skip


def test_trace_hangs_deliveries_and_receipts_on_their_message_and_tells_equal_ids_apart() -> None:
    shared_id = str(uuid.uuid4())
    notice_id, other_notice = str(uuid.uuid4()), str(uuid.uuid4())
    decision = event(1, "DecisionRecorded", "meeting-SUM-2022", {"decided_on": "2022-10-12"})
    admitted = event(1, "MemberAdmitted", "state-KWT", {"admitted_on": "2022-10-12"},
                     cause=decision["event_id"])  # fmt: skip
    cause = admitted["event_id"]
    logs = {
        "meetings": [
            decision,
            event(2, "MemberStateAdmitted", "member-states", {}, cause, shared_id),
        ],
        "registry": [admitted],
        "notifications": [
            event(1, "MemberStateAdmitted", "member-states", {}, cause, shared_id),
            event(2, "NoticeIssued", f"notice-{notice_id}", {"notice_id": notice_id}, cause),
            event(3, "NoticeIssued", f"notice-{other_notice}", {"notice_id": other_notice}),
            event(4, "DeliveryAttempted", "delivery-a", {"message_id": notice_id}),
            event(5, "DeliveryFailed", "delivery-a", {"attempt": 1}),
            event(6, "DeliveryAttempted", "delivery-a", {"message_id": notice_id}),
            event(7, "DeliverySucceeded", "delivery-a", {"attempt": 2}),
            event(8, "ReceiptAcknowledged", "delivery-b",
                  {"message_id": notice_id, "state": "KAZ",
                   "acknowledged_at": "2026-11-27T10:00:00Z"}),
            event(9, "ReceiptAcknowledged", "delivery-c",
                  {"message_id": other_notice, "state": "KAZ",
                   "acknowledged_at": "2026-11-27T10:00:00Z"}),
        ],
    }  # fmt: skip

    causes, root = trace(logs, decision["event_id"])

    assert causes == []
    [member] = root.children
    below = {(c.item.service, c.item.type) for c in member.children}
    assert below == {
        ("meetings", "MemberStateAdmitted"),
        ("notifications", "MemberStateAdmitted"),
        ("notifications", "NoticeIssued"),
    }
    [notice] = [c for c in member.children if c.item.type == "NoticeIssued"]
    assert [(c.item.event["position"], c.link) for c in notice.children] == [
        (4, "delivery of"), (5, "delivery of"), (6, "delivery of"), (7, "delivery of"),
        (8, "delivery of"),
    ]  # fmt: skip
    assert count(root) == 9

    up, _ = trace(logs, "notifications#8")
    assert [i.type for i in up] == ["DecisionRecorded", "MemberAdmitted", "NoticeIssued"]
    with pytest.raises(AuditError, match="more than one event"):
        trace(logs, shared_id)
    assert trace(logs, f"meetings:{shared_id}")[1].item.service == "meetings"


def test_a_fact_counts_from_its_instant_a_date_once_its_day_is_over_and_others_by_cause() -> None:
    noon = parse_instant("2022-10-11T12:00+06:00")
    assert not known(date(2022, 10, 11), noon)
    assert known(date(2022, 10, 10), noon)
    assert known(parse_instant("2022-10-11T05:59Z"), noon)
    assert not known(parse_instant("2022-10-11T06:01Z"), noon)
    with pytest.raises(AuditError):
        parse_instant("2022-10-11T12:00")

    decision = event(1, "DecisionRecorded", "m", {"decided_on": "2022-10-13"})
    status = event(1, "DocumentStatusChanged", "d", {}, cause=decision["event_id"])
    revised = event(2, "DraftRevised", "d", {})
    history = History({"meetings": [decision], "documents": [status, revised]})
    assert effective(Item("documents", status), history) == date(2022, 10, 13)
    assert effective(Item("documents", revised), history) == parse_instant("2026-11-27T10:00:00Z")
