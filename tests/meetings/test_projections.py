"""The meetings service's read models rebuilt from its log give the same digest as the live
ones: into a scratch schema (`replay_digest`) and in place (`rebuild`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.meetings.projections import projections
from services.meetings.seed import (
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_KUWAIT,
    SILENCE_PROCEDURE,
    SUMMIT_MEETING,
)
from shared.projections import rebuild, replay_digest
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
)
from tests.meetings.test_reactions import consumer, foreign
from tests.polling import eventually


async def test_projections_rebuilt_from_the_log_give_the_live_digests(database_url, servers):
    revised = foreign("documents", 1, "document-SUM-2022-DRAFT-1", "DraftRevised",
                      {"revision": 9, "symbol": "SUM/2022/DRAFT/1/Rev.9", "basis": ""})
    admitted = foreign("registry", 1, "state-KWT", "MemberAdmitted", {
        "state": "KWT", "names": {"en": "Kuwait"}, "admitted_on": "2022-10-12",
        "decision": {"decision_id": str(uuid4()), "body": "SUMMIT", "session": "SUM/2022",
                     "decided_on": "2022-10-12", "outcome": "adopted"}})

    def procedure(seconds: float) -> dict:
        deadline = datetime.now(UTC) + timedelta(seconds=seconds)
        return {**SILENCE_PROCEDURE, "procedure_id": str(uuid4()),
                "deadline": deadline.isoformat()}

    async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                        silence_check_interval=0.1) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, "/meetings", SUMMIT_MEETING)
        drafted = RECOMMEND_ASTANA_STATEMENT["decision_id"]
        await post(client, f"/meetings/{SOC}/decision-proposals", RECOMMEND_ASTANA_STATEMENT)
        await post(client, f"/meetings/{SOC}/decision-proposals/{drafted}/objections",
                   {"state": "IND"})
        await post(client, f"/meetings/{SOC}/decision-proposals/{drafted}/objection-withdrawals",
                   {"state": "IND"})
        await post(client, f"/meetings/{SOC}/decisions/{drafted}/reservations",
                   {"state": "KAZ", "kind": "statement", "text": "On OP5."})
        for decision in (RECOMMEND_KUWAIT, RECOMMEND_ASTANA_STATEMENT):
            await post(client, f"/meetings/{SOC}/decisions", decision)
        await consumer(app, "documents").handle(revised)
        await consumer(app, "registry").handle(admitted)
        kept, broken = procedure(0.5), procedure(600)
        await post(client, "/silence-procedures", kept)
        await post(client, "/silence-procedures", broken)
        await post(client, f"/silence-procedures/{broken['procedure_id']}/objections",
                   {"state": "IND"})
        await post(client, f"/silence-procedures/{broken['procedure_id']}/objections",
                   {"state": "KAZ"})
        await post(client, f"/silence-procedures/{broken['procedure_id']}/objection-withdrawals",
                   {"state": "KAZ"})

        async def adopted() -> bool:
            got = await client.get(f"/silence-procedures/{kept['procedure_id']}",
                                   headers=SECRETARIAT)
            return got.json()["status"] == "adopted"

        await eventually(adopted)
        await asyncio.sleep(0)
        head = await app.state.projection_runner.wait_until_caught_up()
        live = (await client.get("/projections", headers=SECRETARIAT)).json()
        store = app.state.store
        replayed = {p.name: await replay_digest(store, p, until=head) for p in projections}
        reports = [await rebuild(store, p) for p in projections]
        after = (await client.get("/projections", headers=SECRETARIAT)).json()

    assert live["head"] == head
    digests = {p["name"]: p["digest"] for p in live["projections"]}
    assert {p["name"]: p["position"] for p in live["projections"]} == {
        p.name: head for p in projections}
    assert replayed == digests
    for report in reports:
        assert report.digest_after == report.digest_before == digests[report.name]
    assert {p["name"]: p["digest"] for p in after["projections"]} == digests
    assert len(set(digests.values())) == len(projections)
