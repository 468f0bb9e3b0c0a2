"""The silence procedure's rules through the HTTP API, on the real PostgreSQL: it goes to the
body's members as the service knows them (the caller does not name them), it is the body's (its
session, its meeting, its competence), an objection is withdrawn before the deadline by its own
state, and the decision taken is dated at the seat. Each refusal is a problem naming its rule,
and records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from services.meetings.seed import MEMBER_STATES_2022, SILENCE_PROCEDURE, SOC_MEETING
from services.meetings.settings import MeetingsSettings
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import SECRETARIAT, SOC, founding_members, meetings, post
from tests.meetings.test_silence_procedure import status_of, until
from tests.polling import eventually

IND = bearer(Role.MEMBER_STATE, "IND")
KAZ = bearer(Role.MEMBER_STATE, "KAZ")


def procedure(seconds: float = 600, **changes: Any) -> dict[str, Any]:
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    return {
        **SILENCE_PROCEDURE,
        "procedure_id": str(uuid4()),
        "deadline": deadline.isoformat(),
    } | changes


async def _recorded(app: Any, body: dict[str, Any]) -> list[str]:
    records = await app.state.store.read_stream(f"silence-{body['procedure_id']}")
    return [r.event_type for r in records]


def _refused(answer: httpx.Response, status: int, rule: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{rule}"


# ------------------------------------------------------------------------------ who it goes to


async def test_a_procedure_goes_to_the_bodys_members_and_the_caller_does_not_name_them(
    database_url, servers
):
    async with meetings(
        database_url, servers.nats_url, consumers_enabled=False, silence_check_interval=3600
    ) as (app, client):
        nobody, naming = procedure(), procedure(participants=["KAZ"])
        to_nobody = await client.post("/silence-procedures", json=nobody, headers=SECRETARIAT)
        named = await client.post("/silence-procedures", json=naming, headers=SECRETARIAT)
        refused = [await _recorded(app, body) for body in (nobody, naming)]
        await founding_members(app)
        await post(client, "/meetings", {**SOC_MEETING, "participants": ["CHN", "IND", "KAZ"]})
        to_members, at_meeting = procedure(), procedure(meeting_id=SOC)
        for body in (to_members, at_meeting):
            await post(client, "/silence-procedures", body)
        members = await status_of(client, to_members["procedure_id"])
        participants = await status_of(client, at_meeting["procedure_id"])

    _refused(to_nobody, 409, "no-recipients")
    _refused(named, 422, "validation-error")
    assert [(e["loc"], e["type"]) for e in named.json()["errors"]] == [
        (["body", "participants"], "extra_forbidden")
    ]
    assert refused == [[], []], "nothing recorded"
    assert members["participants"] == sorted(MEMBER_STATES_2022)
    assert (participants["meeting_id"], participants["participants"]) == (
        SOC,
        ["CHN", "IND", "KAZ"],
    )


# ------------------------------------------------------------------------------ whose it is


async def test_a_procedure_is_the_bodys_in_its_session_at_its_meeting_within_its_competence(
    database_url, servers
):
    adopting = {
        **SILENCE_PROCEDURE["draft"],
        "outcome": "adopted",
        "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
    }
    cases = [
        # The schema says it (issue 20): refused as the body is parsed, before any rule runs.
        (procedure(session="SUM/2022"), 422, "validation-error"),
        (procedure(meeting_id="SOC-2099-I"), 404, "not-found"),
        (procedure(meeting_id=SOC, session="SOC/2023-I"), 422, "meeting-of-another-session"),
        (procedure(draft=adopting), 409, "outside-competence"),
    ]
    async with meetings(
        database_url, servers.nats_url, consumers_enabled=False, silence_check_interval=3600
    ) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        answers = [
            await client.post("/silence-procedures", json=body, headers=SECRETARIAT)
            for body, _, _ in cases
        ]
        recorded = [await _recorded(app, body) for body, _, _ in cases]

    for answer, (_, status, rule) in zip(answers, cases, strict=True):
        _refused(answer, status, rule)
    assert recorded == [[]] * len(cases), "nothing recorded"


async def test_a_procedure_started_again_records_nothing_and_another_under_its_id_is_refused(
    database_url, servers
):
    started = procedure()
    other_draft = {**started["draft"], "text": "The SOC approves another text."}
    async with meetings(
        database_url, servers.nats_url, consumers_enabled=False, silence_check_interval=3600
    ) as (app, client):
        await founding_members(app)
        await post(client, "/silence-procedures", started)
        before = await _recorded(app, started)
        again = await client.post("/silence-procedures", json=started, headers=SECRETARIAT)
        redrafted = await client.post(
            "/silence-procedures", json={**started, "draft": other_draft}, headers=SECRETARIAT)
        after = await _recorded(app, started)
        status = await status_of(client, started["procedure_id"])

    assert again.status_code == 201, again.text
    assert again.json()["recorded"] == []
    _refused(redrafted, 409, "procedure-id-taken")
    assert redrafted.json()["procedure_id"] == started["procedure_id"]
    assert before == after == ["SilenceProcedureStarted"], "nothing recorded"
    assert status["draft"]["text"] == started["draft"]["text"]


# ------------------------------------------------------------------------------ withdrawals


async def test_an_objection_withdrawn_before_the_deadline_no_longer_counts(database_url, servers):
    async with meetings(
        database_url, servers.nats_url, consumers_enabled=False, silence_check_interval=3600
    ) as (app, client):
        await founding_members(app)
        body = procedure(2.0)
        path = f"/silence-procedures/{body['procedure_id']}"
        await post(client, "/silence-procedures", body)
        await post(client, f"{path}/objections", {"state": "IND"}, headers=IND)
        before = await _recorded(app, body)
        for_another = await client.post(
            f"{path}/objection-withdrawals", json={"state": "IND"}, headers=KAZ
        )
        not_objecting = await client.post(
            f"{path}/objection-withdrawals", json={"state": "KAZ"}, headers=KAZ
        )
        after_refusals = await _recorded(app, body)
        withdrawn = await post(
            client,
            f"{path}/objection-withdrawals",
            {"state": "IND", "reason": "Consulted."},
            headers=IND,
        )
        again = await post(client, f"{path}/objection-withdrawals", {"state": "IND"}, headers=IND)
        await until(body["deadline"])
        late = await client.post(
            f"{path}/objection-withdrawals", json={"state": "IND"}, headers=IND
        )
        await post(client, f"{path}/conclusion", {})
        state = await status_of(client, body["procedure_id"])

    _refused(for_another, 403, "acting-for-another-state")
    _refused(not_objecting, 409, "no-standing-objection")
    assert after_refusals == before, "nothing recorded"
    assert withdrawn.json()["recorded"] == ["ObjectionWithdrawn"]
    assert again.json()["recorded"] == []
    _refused(late, 409, "deadline-passed")
    assert (state["status"], state["objections"]) == ("adopted", [])
    assert [w["state"] for w in state["withdrawn_objections"]] == ["IND"]


# ------------------------------------------------------------------------------ its date


def _zone_whose_date_is_not_utcs(instant: datetime) -> str:
    """A zone in which `instant` falls on another day than at UTC (UTC+14 from 10:00 UTC,
    UTC-11 before 11:00 UTC), so that a decision dated at UTC shows."""
    return "Pacific/Kiritimati" if instant.hour >= 10 else "Pacific/Pago_Pago"


async def test_the_decision_taken_at_the_deadline_is_dated_at_the_seat(database_url, servers):
    seat = _zone_whose_date_is_not_utcs(datetime.now(UTC))
    async with meetings(
        database_url,
        servers.nats_url,
        consumers_enabled=False,
        silence_check_interval=0.1,
        seat_time_zone=seat,
    ) as (app, client):
        await founding_members(app)
        # The deadline counted from here, not from before the service started: on a loaded
        # machine its start took more than the second the procedure runs for.
        body = procedure(1.0)
        deadline = datetime.fromisoformat(body["deadline"])
        at_the_seat = deadline.astimezone(ZoneInfo(seat)).date()
        assert at_the_seat != deadline.astimezone(UTC).date()
        await post(client, "/silence-procedures", body)

        async def adopted() -> bool:
            return (await status_of(client, body["procedure_id"]))["status"] == "adopted"

        await eventually(adopted)
        decisions = (await client.get("/decisions", headers=SECRETARIAT)).json()["decisions"]

    (decision,) = decisions
    assert decision["decided_on"] == at_the_seat.isoformat()


def test_the_seat_is_astana_unless_configured_and_its_zone_is_a_real_one(monkeypatch):
    assert MeetingsSettings().seat_time_zone == "Asia/Almaty"
    monkeypatch.setenv("CICA_MEETINGS_SEAT_TIME_ZONE", "Asia/Tokyo")
    assert MeetingsSettings().seat_time_zone == "Asia/Tokyo"
    monkeypatch.setenv("CICA_MEETINGS_SEAT_TIME_ZONE", "Asia/Nowhere")
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        MeetingsSettings()
