"""Decisions by consensus, through the API on the real PostgreSQL: a draft decision that a
participating state objected to is not taken under a fresh id either, a draft is taken as it
was put or not at all, and a decision taken is recorded again only as taken (and neither
drafted nor objected to any more); each refusal names its rule and records nothing."""

from __future__ import annotations

from services.meetings.seed import RECOMMEND_ASTANA_STATEMENT, RECOMMEND_KUWAIT
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
    summit_with_adopted_agenda,
)

PROPOSAL = {**RECOMMEND_ASTANA_STATEMENT, "decision_id": "2c9d4e1f-8a7b-4c6d-9e0f-3a4b5c6d7e81"}
FRESH_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a92"


async def _events(app, meeting: str = SOC) -> list[str]:
    return [r.event_type for r in await app.state.store.read_stream(f"meeting-{meeting}")]


async def test_an_objected_draft_is_not_recorded_under_a_fresh_id(database_url, servers):
    proposals = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, proposals, PROPOSAL)
        objected = await client.post(
            f"{proposals}/{PROPOSAL['decision_id']}/objections",
            json={"state": "IND", "reason": "OP5"}, headers=bearer(Role.MEMBER_STATE, "IND"),
        )
        before = await _events(app)
        refused = await client.post(
            f"/meetings/{SOC}/decisions", json={**PROPOSAL, "decision_id": FRESH_ID},
            headers=SECRETARIAT,
        )
        after = await _events(app)

    assert objected.status_code == 201, objected.text
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/no-consensus"
    assert refused.json()["objections"] == ["IND"]
    assert after == before, "nothing recorded"


async def test_a_draft_is_recorded_as_put_or_not_at_all(database_url, servers):
    proposals = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, proposals, PROPOSAL)
        before = await _events(app)
        other_text = await client.post(
            f"/meetings/{SOC}/decisions", json={**PROPOSAL, "text": "Something else."},
            headers=SECRETARIAT,
        )
        redrafted = await client.post(
            proposals, json={**PROPOSAL, "outcome": "approved"}, headers=SECRETARIAT
        )
        after = await _events(app)
        taken = await client.post(f"/meetings/{SOC}/decisions", json=PROPOSAL, headers=SECRETARIAT)
        before_late = await _events(app)
        late = await client.post(
            f"{proposals}/{PROPOSAL['decision_id']}/objections",
            json={"state": "IND", "reason": "OP5"}, headers=bearer(Role.MEMBER_STATE, "IND"),
        )
        after_late = await _events(app)

    for answer in (other_text, redrafted):
        assert answer.status_code == 409, answer.text
        assert answer.json()["type"] == "/problems/decision-not-as-proposed"
    assert after == before, "nothing recorded"
    assert taken.status_code == 201, taken.text
    assert late.status_code == 409, "an objection once the draft is taken: " + late.text
    assert late.json()["type"] == "/problems/decision-taken"
    assert after_late == before_late, "nothing recorded"


async def test_a_decision_id_names_one_decision_in_the_service(database_url, servers):
    """The SOC's decision id, used again at the Summit, is refused there: recorded twice it
    would name two decisions, and the decisions read model would hold only one of them."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, f"/meetings/{SOC}/decisions", RECOMMEND_KUWAIT)
        await summit_with_adopted_agenda(client)
        before = await _events(app, "SUM-2022")
        reused = await client.post("/meetings/SUM-2022/decisions", headers=SECRETARIAT, json={
            "decision_id": RECOMMEND_KUWAIT["decision_id"], "item": "2", "outcome": "adopted",
            "subject": {"kind": "membership_application", "state": "KWT"},
            "decided_on": "2022-10-12", "text": "Kuwait is admitted as a Member State."})
        after = await _events(app, "SUM-2022")
        again = await client.post(f"/meetings/{SOC}/decisions", json=RECOMMEND_KUWAIT,
                                  headers=SECRETARIAT)
        decisions = await client.get("/decisions", headers=SECRETARIAT)
        projections = (await client.get("/projections", headers=SECRETARIAT)).json()["projections"]

    assert reused.status_code == 409, reused.text
    assert reused.json()["type"] == "/problems/decision-id-taken"
    assert reused.json()["meeting_id"] == SOC
    assert after == before, "nothing recorded at the Summit"
    assert again.status_code == 201, "the same decision at its own meeting: recorded once"
    assert again.json()["recorded"] == []
    ids = [d["decision_id"] for d in decisions.json()["decisions"]]
    assert ids.count(RECOMMEND_KUWAIT["decision_id"]) == 1
    assert [p["name"] for p in projections if p["error"]] == []


async def test_a_decision_taken_is_recorded_again_only_as_taken(database_url, servers):
    """The same decision again answers 201 and records nothing; another outcome or text under
    its id, once taken, is another decision under a taken id: refused, the log unchanged."""
    decisions = f"/meetings/{SOC}/decisions"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, decisions, RECOMMEND_KUWAIT)
        before = await app.state.store.read_stream(f"meeting-{SOC}")
        again = await client.post(decisions, json=RECOMMEND_KUWAIT, headers=SECRETARIAT)
        other_outcome = await client.post(
            decisions, json={**RECOMMEND_KUWAIT, "outcome": "deferred"}, headers=SECRETARIAT)
        other_text = await client.post(
            decisions, json={**RECOMMEND_KUWAIT, "text": "Kuwait is recommended."},
            headers=SECRETARIAT)
        drafted = await client.post(f"/meetings/{SOC}/decision-proposals", json=RECOMMEND_KUWAIT,
                                    headers=SECRETARIAT)
        after = await app.state.store.read_stream(f"meeting-{SOC}")
        listed = await client.get(decisions, headers=SECRETARIAT)

    assert again.status_code == 201, again.text
    assert again.json()["recorded"] == []
    for answer in (other_outcome, other_text):
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/decision-id-taken"
        assert answer.json()["decision_id"] == RECOMMEND_KUWAIT["decision_id"]
    assert drafted.status_code == 409, "a draft of a decision taken: " + drafted.text
    assert drafted.json()["type"] == "/problems/decision-taken"
    assert [r.event_id for r in after] == [r.event_id for r in before], "nothing recorded"
    (kuwait,) = [d for d in listed.json()["decisions"]
                 if d["decision_id"] == RECOMMEND_KUWAIT["decision_id"]]
    assert (kuwait["outcome"], kuwait["text"]) == ("recommended_for_adoption", None)
