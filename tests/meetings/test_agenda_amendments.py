"""An adopted agenda is amended, through the API on the real PostgreSQL, only by a decision
taken under the agenda's own item, once, and never so as to lose an item that carries a
decision; each refusal names its rule and records nothing."""

from __future__ import annotations

from services.meetings.seed import RECOMMEND_KUWAIT, SOC_AGENDA_DRAFT
from tests.meetings.support import SECRETARIAT, SOC, meetings, post, soc_meeting_with_adopted_agenda

ON_THE_AGENDA = {
    "decision_id": "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "item": "1", "outcome": "adopted",
    "subject": {"kind": "agenda_item", "item": "1"}, "decided_on": "2022-10-10",
    "text": "The SOC amended its agenda.",
}


async def test_an_adopted_agenda_is_amended_by_its_own_decision_once(database_url, servers):
    amendments = f"/meetings/{SOC}/agenda/amendments"
    items = SOC_AGENDA_DRAFT["items"]
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, f"/meetings/{SOC}/decisions", RECOMMEND_KUWAIT)
        await post(client, f"/meetings/{SOC}/decisions", ON_THE_AGENDA)
        last = items[-1]["number"]
        await post(client, f"/meetings/{SOC}/decisions", {
            "decision_id": "7b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "item": last,
            "outcome": "approved", "subject": {"kind": "agenda_item", "item": last},
            "decided_on": "2022-10-11", "text": "Noted."})

        async def amend(decision: dict, items: list) -> tuple[int, str]:
            before = await app.state.store.stream_version(f"meeting-{SOC}")
            body = {"decision_id": decision["decision_id"], "items": items}
            answer = await client.post(amendments, headers=SECRETARIAT, json=body)
            after = await app.state.store.stream_version(f"meeting-{SOC}")
            changed = after != before
            assert changed == (answer.status_code == 201), answer.text
            return answer.status_code, answer.json().get("type", "")

        by_kuwait = await amend(RECOMMEND_KUWAIT, items)
        without_the_last = await amend(ON_THE_AGENDA, items[:-1])
        kept = await amend(ON_THE_AGENDA, items)
        reused = await amend(ON_THE_AGENDA, items[:-1])

    assert by_kuwait == (409, "/problems/not-an-agenda-decision")
    assert without_the_last == (409, "/problems/decided-item-removed")
    assert kept[0] == 201
    assert reused == (409, "/problems/agenda-decision-used")
