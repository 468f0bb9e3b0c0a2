"""Decisions by silence procedure, through the HTTP API: adopted at the deadline when no member
state objects, not adopted when one does; objections by a non-participant, for another state,
or after the deadline refused; concluded once however often the conclusion is triggered, and by
a service started after the deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.meetings import commands
from services.meetings.seed import SILENCE_PROCEDURE
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import SECRETARIAT, founding_members, meetings, post
from tests.polling import eventually

IND = bearer(Role.MEMBER_STATE, "IND")


def procedure(seconds: float) -> dict:
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    return {**SILENCE_PROCEDURE, "procedure_id": str(uuid4()), "deadline": deadline.isoformat()}


async def until(deadline: str) -> None:
    """Wait for a deadline instant to pass (the clock is what the test is about)."""
    remaining = (datetime.fromisoformat(deadline) - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(remaining, 0) + 0.05)


async def status_of(client, procedure_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = await client.get(f"/silence-procedures/{procedure_id}", headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return response.json()


async def test_silence_kept_adopts_the_decision_and_silence_broken_does_not(
    database_url, servers
):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        kept, broken = procedure(1.0), procedure(1.0)
        for body in (kept, broken):
            await post(client, "/silence-procedures", body)
        objection = await post(client, f"/silence-procedures/{broken['procedure_id']}/objections",
                               {"state": "IND", "reason": "Needs consultations."}, headers=IND)
        assert objection.json()["recorded"] == ["ObjectionRaised"]

        async def concluded() -> bool:
            states = [await status_of(client, p["procedure_id"]) for p in (kept, broken)]
            return all(s["status"] != "running" for s in states)

        await eventually(concluded)
        adopted = await status_of(client, kept["procedure_id"])
        rejected = await status_of(client, broken["procedure_id"])
        decisions = (await client.get("/decisions", headers=SECRETARIAT)).json()["decisions"]

    assert (adopted["status"], adopted["objections"]) == ("adopted", [])
    assert rejected["status"] == "not_adopted"
    assert [o["state"] for o in rejected["objections"]] == ["IND"]
    assert rejected["decision_id"] is None
    assert [(d["decision_id"], d["outcome"], d["subject"]) for d in decisions] == [
        (adopted["decision_id"], "approved", SILENCE_PROCEDURE["draft"]["subject"])]


async def test_objections_that_are_not_a_participants_own_before_the_deadline_are_refused(
    database_url, servers
):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                        silence_check_interval=3600) as (app, client):
        await founding_members(app)
        running, short = procedure(600), procedure(1.0)
        await post(client, "/silence-procedures", running)
        await post(client, "/silence-procedures", short)
        path = f"/silence-procedures/{running['procedure_id']}/objections"
        for_another = await client.post(path, json={"state": "CHN"}, headers=IND)
        outsider = await client.post(path, json={"state": "FRA"},
                                     headers=bearer(Role.MEMBER_STATE, "FRA"))
        auditor = await client.post(path, json={"state": "IND"}, headers=bearer(Role.AUDITOR))
        bad = await client.post(path, json={"state": "india"}, headers=IND)
        await until(short["deadline"])
        late = await client.post(f"/silence-procedures/{short['procedure_id']}/objections",
                                 json={"state": "IND"}, headers=IND)
        early = await client.post(f"/silence-procedures/{running['procedure_id']}/conclusion",
                                  headers=SECRETARIAT)
        state = await status_of(client, running["procedure_id"])

    assert for_another.status_code == 403
    assert outsider.status_code == 403
    assert auditor.status_code == 403
    assert bad.status_code == 422
    assert late.status_code == 409
    assert late.json()["type"] == "/problems/deadline-passed"
    assert early.status_code == 409
    assert (state["objections"], state["status"], state["version"]) == ([], "running", 1)


async def test_a_conclusion_triggered_twice_is_recorded_once(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                        silence_check_interval=3600) as (app, client):
        await founding_members(app)
        body = procedure(1.0)
        await post(client, "/silence-procedures", body)
        await until(body["deadline"])
        path = f"/silence-procedures/{body['procedure_id']}/conclusion"
        answers = await asyncio.gather(*[
            client.post(path, headers=SECRETARIAT) for _ in range(4)
        ], commands.conclude_due_silence_procedures(store=app.state.store,
                                                    now=datetime.now(UTC),
                                                    seat_time_zone="Asia/Almaty"))
        records = await app.state.store.read_stream(f"silence-{body['procedure_id']}")

    responses, _due = answers[:-1], answers[-1]
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    assert [r.event_type for r in records] == [
        "SilenceProcedureStarted", "SilenceProcedureConcluded", "DecisionRecorded"]


async def test_a_service_started_after_the_deadline_concludes_on_start_up_once(
    database_url, servers
):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                        silence_check_interval=3600) as (app, client):
        await founding_members(app)
        body = procedure(1.0)
        await post(client, "/silence-procedures", body)
    await until(body["deadline"])  # the deadline passes while the service is down
    for _ in range(2):  # started twice: concluded by the first start, not again by the second
        async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                            silence_check_interval=3600) as (app, client):
            await eventually(
                lambda: _concluded(client, body["procedure_id"])
            )
            records = await app.state.store.read_stream(f"silence-{body['procedure_id']}")
        assert [r.event_type for r in records] == [
            "SilenceProcedureStarted", "SilenceProcedureConcluded", "DecisionRecorded"]


async def _concluded(client, procedure_id: str) -> bool:  # type: ignore[no-untyped-def]
    return (await status_of(client, procedure_id))["status"] == "adopted"


async def test_two_replicas_watching_the_deadline_conclude_it_once(
    database_url, servers
):
    options = {"consumers_enabled": False, "relay_enabled": False,
               "silence_check_interval": 0.02}
    async with (
        meetings(database_url, servers.nats_url, **options) as (app, client),
        meetings(database_url, servers.nats_url, **options) as (_, other),
    ):
        await founding_members(app)
        body = procedure(1.0)
        await post(client, "/silence-procedures", body)
        await eventually(lambda: _concluded(other, body["procedure_id"]))
        await until(body["deadline"])
        records = await app.state.store.read_stream(f"silence-{body['procedure_id']}")

    assert [r.event_type for r in records] == [
        "SilenceProcedureStarted", "SilenceProcedureConcluded", "DecisionRecorded"]
