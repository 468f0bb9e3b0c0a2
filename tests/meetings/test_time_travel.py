"""The agenda as it stood at any instant: circulated as SOC/2022-III/Agenda/1, then annotated
by SOC/2022-III/Agenda/2, then adopted; the decisions of the meeting as of an instant."""

from __future__ import annotations

from datetime import UTC, datetime

from services.meetings.seed import (
    RECOMMEND_KUWAIT,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
)
from tests.meetings.support import SECRETARIAT, SOC, founding_members, meetings, post


async def test_the_agenda_and_decisions_as_they_stood(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        circulated = datetime.now(UTC).isoformat()
        await post(client, f"/meetings/{SOC}/agenda/annotations", SOC_AGENDA_ANNOTATED)
        annotated = datetime.now(UTC).isoformat()
        await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})
        adopted = datetime.now(UTC).isoformat()
        await post(client, f"/meetings/{SOC}/decisions", RECOMMEND_KUWAIT)

        async def agenda(at: str) -> dict:
            response = await client.get(f"/meetings/{SOC}/agenda", params={"as_of": at},
                                        headers=SECRETARIAT)
            assert response.status_code == 200, response.text
            return response.json()

        then = [await agenda(at) for at in (circulated, annotated, adopted)]
        decisions_then = (await client.get(f"/meetings/{SOC}/decisions",
                                           params={"as_of": adopted}, headers=SECRETARIAT))
        decisions_now = (await client.get(f"/meetings/{SOC}/decisions", headers=SECRETARIAT))
        naive = await client.get(f"/meetings/{SOC}/agenda",
                                 params={"as_of": "2022-10-10T10:00:00"}, headers=SECRETARIAT)

    assert [(a["symbol"], a["status"]) for a in then] == [
        ("SOC/2022-III/Agenda/1", "draft"), ("SOC/2022-III/Agenda/1", "draft"),
        ("SOC/2022-III/Agenda/1", "adopted")]
    assert [[a["symbol"] for a in agenda["annotated"]] for agenda in then] == [
        [], ["SOC/2022-III/Agenda/2"], ["SOC/2022-III/Agenda/2"]]
    assert then[1]["annotated"][0]["annotations"][1]["text"].startswith("Application by Kuwait")
    assert decisions_then.json()["decisions"] == []
    assert [d["item"] for d in decisions_now.json()["decisions"]] == ["2"]
    assert naive.status_code == 422  # an instant needs its offset
