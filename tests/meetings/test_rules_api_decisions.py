"""The rules of a meeting's decisions through the HTTP API, on the real PostgreSQL: a decision
outside the body's competence is refused, an objection is withdrawn by its own state only, and
a reservation is placed by a participating state on a draft or a decision without blocking it.
Each refusal is a problem naming its rule, and records nothing."""

from __future__ import annotations

from typing import Any

import httpx

from services.meetings.seed import RECOMMEND_ASTANA_STATEMENT, RECOMMEND_KUWAIT
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
)

IND = bearer(Role.MEMBER_STATE, "IND")
KAZ = bearer(Role.MEMBER_STATE, "KAZ")
FRA = bearer(Role.MEMBER_STATE, "FRA")
PROPOSALS = f"/meetings/{SOC}/decision-proposals"
DRAFT = {**RECOMMEND_ASTANA_STATEMENT, "decision_id": "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e51"}
DRAFT_ID = DRAFT["decision_id"]


async def _events(app: Any, stream: str = f"meeting-{SOC}") -> list[str]:
    return [r.event_type for r in await app.state.store.read_stream(stream)]


def _refused(answer: httpx.Response, status: int, rule: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{rule}"


# ------------------------------------------------------------------------------ competence


async def test_a_decision_outside_the_bodys_competence_is_refused_and_records_nothing(
    database_url, servers
):
    """The SOC recommends Kuwait's admission; adopting it is the Summit's. The same for the
    Astana Statement, a document of the Summit's SUM/ series: refused as a decision and as a
    draft, and the decision id is not taken either."""
    adopting = [
        {
            **RECOMMEND_KUWAIT,
            "decision_id": "1f2e3d4c-5b6a-4789-9a0b-1c2d3e4f5a61",
            "outcome": "adopted",
        },
        {
            **RECOMMEND_ASTANA_STATEMENT,
            "decision_id": "2a3b4c5d-6e7f-4a81-9b2c-3d4e5f6a7b82",
            "outcome": "adopted",
        },
    ]
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        before = await _events(app)
        answers = [
            await client.post(path, json=decision, headers=SECRETARIAT)
            for decision in adopting
            for path in (f"/meetings/{SOC}/decisions", PROPOSALS)
        ]
        after = await _events(app)
        ids = [await _events(app, f"decision-{d['decision_id']}") for d in adopting]
        allowed = await client.post(
            f"/meetings/{SOC}/decisions", json=RECOMMEND_KUWAIT, headers=SECRETARIAT
        )

    for answer in answers:
        _refused(answer, 409, "outside-competence")
        assert answer.json()["body"] == "SOC"
    assert answers[0].json()["subject_kind"] == "membership_application"
    assert after == before, "nothing recorded at the meeting"
    assert ids == [[], []], "no decision id taken"
    assert allowed.status_code == 201, allowed.text


# ------------------------------------------------------------------------------ withdrawals


async def test_an_objection_withdrawn_by_its_state_no_longer_stands(database_url, servers):
    withdrawals = f"{PROPOSALS}/{DRAFT_ID}/objection-withdrawals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, PROPOSALS, DRAFT)
        await post(client, f"{PROPOSALS}/{DRAFT_ID}/objections", {"state": "IND"}, headers=IND)
        blocked = await client.post(f"/meetings/{SOC}/decisions", json=DRAFT, headers=SECRETARIAT)
        before = await _events(app)
        for_another = await client.post(withdrawals, json={"state": "IND"}, headers=KAZ)
        not_objecting = await client.post(withdrawals, json={"state": "KAZ"}, headers=KAZ)
        unknown = await client.post(
            f"{PROPOSALS}/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c61/objection-withdrawals",
            json={"state": "IND"},
            headers=IND,
        )
        after_refusals = await _events(app)
        withdrawn = await post(
            client, withdrawals, {"state": "IND", "reason": "Consulted."}, headers=IND
        )
        again = await post(client, withdrawals, {"state": "IND"}, headers=IND)
        taken = await client.post(f"/meetings/{SOC}/decisions", json=DRAFT, headers=SECRETARIAT)
        listed = (await client.get(f"/meetings/{SOC}/decisions", headers=KAZ)).json()

    _refused(blocked, 409, "no-consensus")
    _refused(for_another, 403, "acting-for-another-state")
    _refused(not_objecting, 409, "no-standing-objection")
    _refused(unknown, 404, "not-found")
    assert after_refusals == before, "nothing recorded"
    assert withdrawn.json()["recorded"] == ["DecisionObjectionWithdrawn"]
    assert again.json()["recorded"] == [], "withdrawn already: nothing more"
    assert taken.status_code == 201, taken.text
    (proposal,) = listed["proposals"]
    assert (proposal["objections"], proposal["withdrawn_objections"], proposal["taken"]) == (
        [],
        ["IND"],
        True,
    )


async def test_the_secretariat_records_a_withdrawal_a_state_sent_it(database_url, servers):
    """As for an objection: the Secretariat records what a state sent it by note verbale."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, PROPOSALS, DRAFT)
        await post(client, f"{PROPOSALS}/{DRAFT_ID}/objections", {"state": "IND"})
        withdrawn = await post(
            client, f"{PROPOSALS}/{DRAFT_ID}/objection-withdrawals", {"state": "IND"}
        )
        auditor = await client.post(
            f"{PROPOSALS}/{DRAFT_ID}/objection-withdrawals",
            json={"state": "IND"},
            headers=bearer(Role.AUDITOR),
        )
    assert withdrawn.json()["recorded"] == ["DecisionObjectionWithdrawn"]
    assert auditor.status_code == 403


# ------------------------------------------------------------------------------ reservations


async def test_a_reservation_is_on_record_with_the_draft_and_the_decision_and_blocks_nothing(
    database_url, servers
):
    reservations = f"/meetings/{SOC}/decisions/{DRAFT_ID}/reservations"
    statement = {"state": "KAZ", "kind": "statement", "text": "On OP5, as sent by note."}
    reservation = {"state": "IND", "kind": "reservation", "text": "Not bound by OP3."}
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, PROPOSALS, DRAFT)
        on_draft = await post(client, reservations, statement, headers=KAZ)
        again = await post(client, reservations, statement, headers=KAZ)
        taken = await post(client, f"/meetings/{SOC}/decisions", DRAFT)
        on_decision = await post(client, reservations, reservation, headers=IND)
        before = await _events(app)
        outsider = await client.post(reservations, json={**statement, "state": "FRA"}, headers=FRA)
        for_another = await client.post(reservations, json=statement, headers=IND)
        unknown = await client.post(
            f"/meetings/{SOC}/decisions/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c61/reservations",
            json=statement,
            headers=KAZ,
        )
        too_long = await client.post(
            reservations, json={**statement, "text": "x" * 5001}, headers=KAZ
        )
        bad_kind = await client.post(reservations, json={**statement, "kind": "veto"}, headers=KAZ)
        after = await _events(app)
        listed = (await client.get(f"/meetings/{SOC}/decisions", headers=KAZ)).json()
        everything = (await client.get("/decisions", headers=SECRETARIAT)).json()

    assert on_draft.json()["recorded"] == ["ReservationPlaced"]
    assert again.json()["recorded"] == []
    assert taken.json()["recorded"] == ["DecisionRecorded"]
    assert on_decision.json()["recorded"] == ["ReservationPlaced"]
    _refused(outsider, 403, "not-a-participant")
    _refused(for_another, 403, "acting-for-another-state")
    _refused(unknown, 404, "not-found")
    assert (too_long.status_code, bad_kind.status_code) == (422, 422)
    assert after == before, "nothing recorded"
    both = [statement, reservation]
    (decision,) = listed["decisions"]
    (proposal,) = listed["proposals"]
    assert decision["reservations"] == both
    assert proposal["reservations"] == both
    (read,) = [d for d in everything["decisions"] if d["decision_id"] == DRAFT_ID]
    assert read["reservations"] == both
