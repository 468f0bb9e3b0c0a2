"""Commands that race on one meeting. A client that stated no version (no If-Match) gets its
command decided again on the newer state when another write got in first: several member
states objecting to the same draft decision at once are all recorded, none refused with a
409 it could do nothing about."""

from __future__ import annotations

import asyncio

from services.meetings.seed import MEMBER_STATES_2022, RECOMMEND_ASTANA_STATEMENT
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import SOC, meetings, post, soc_meeting_with_adopted_agenda

PROPOSAL = {**RECOMMEND_ASTANA_STATEMENT, "decision_id": "7d3f1c2a-5b6e-4a8d-9c0f-1e2d3c4b5a69"}
OBJECTING = MEMBER_STATES_2022[:4]


async def test_states_objecting_at_once_are_all_recorded(database_url, servers):
    path = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, path, PROPOSAL)
        objections = f"{path}/{PROPOSAL['decision_id']}/objections"
        answers = await asyncio.gather(*(
            client.post(objections, json={"state": state, "reason": "OP5"},
                        headers=bearer(Role.MEMBER_STATE, state))
            for state in OBJECTING
        ))  # fmt: skip
        recorded = [
            r.data["state"]
            for r in await app.state.store.read_stream(f"meeting-{SOC}")
            if r.event_type == "DecisionObjected"
        ]

    assert [a.status_code for a in answers] == [201] * len(OBJECTING), [a.text for a in answers]
    assert sorted(recorded) == sorted(OBJECTING), "each objection once"


async def test_a_stated_version_still_gets_the_conflict(database_url, servers):
    path = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)
        stale = (await client.get(f"/meetings/{SOC}", headers=bearer(Role.SECRETARIAT))).headers[
            "etag"
        ]
        await post(client, path, PROPOSAL)
        objections = f"{path}/{PROPOSAL['decision_id']}/objections"
        answer = await client.post(
            objections,
            json={"state": "KAZ"},
            headers={**bearer(Role.MEMBER_STATE, "KAZ"), "If-Match": stale},
        )

    assert answer.status_code == 412, answer.text
