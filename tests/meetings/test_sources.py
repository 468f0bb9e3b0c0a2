"""The record holds what the sources say: an annotated agenda is its own document, annotating
the agenda without revising it; a meeting is dated by its days, with a time only where a source
gives one; a decision names the recommendation it follows, and a decision of a meeting whose
agenda the record does not hold names the document that records it. Each refusal names its
rule and records nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.meetings import domain
from services.meetings.events import Recommendation, RecordedIn
from services.meetings.seed import (
    ADMIT_KUWAIT,
    ADOPT_ASTANA_STATEMENT,
    APPROVE_KYRGYZSTAN,
    CHAIRMANSHIP_KAZAKHSTAN,
    MEMBER_STATES_2022,
    NEXT_MINISTERIAL_COUNCIL,
    NEXT_SUMMIT,
    RECOMMEND_CICA_FUND,
    RECOMMEND_KUWAIT,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
    SUMMIT_MEETING,
)
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    SUMMIT,
    as_scheduled,
    founding_members,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
)
from tests.meetings.test_domain import adopted

ANNOTATIONS = f"/meetings/{SOC}/agenda/annotations"


def _refused(answer: httpx.Response, status: int, rule: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{rule}"


async def _events(app: Any, stream: str) -> list[str]:
    return [r.event_type for r in await app.state.store.read_stream(stream)]


def _decision(body: dict[str, Any]) -> dict[str, Any]:
    """A seed decision's request body as `domain.record_decision` takes it."""
    recorded_in, recommended = body.get("recorded_in"), body.get("on_recommendation_of")
    return {
        "decision_id": body["decision_id"], "item": body.get("item"), "outcome": body["outcome"],
        "subject": body["subject"], "decided_on": date.fromisoformat(body["decided_on"]),
        "text": body.get("text"),
        "recorded_in": RecordedIn.model_validate(recorded_in) if recorded_in else None,
        "on_recommendation_of": (Recommendation.model_validate(recommended) if recommended
                                 else None),
    }


def _summit() -> domain.Meeting:
    history = domain.schedule(domain.meeting(SUMMIT, []), participants=MEMBER_STATES_2022,
                              **as_scheduled(SUMMIT_MEETING))
    return domain.meeting(SUMMIT, history)


# ------------------------------------------------------------------------------ the rules


def test_a_decision_of_a_meeting_with_no_agenda_on_record_names_the_document_recording_it():
    (event,) = domain.record_decision(_summit(), **_decision(ADMIT_KUWAIT))
    assert (event.item, event.text) == (None, None)
    assert event.recorded_in == RecordedIn(symbol="SUM/2022/DRAFT/5", paragraph="5")
    with pytest.raises(domain.DecisionWithoutSourceError):
        domain.record_decision(_summit(), **{**_decision(ADMIT_KUWAIT), "recorded_in": None})


def test_a_meeting_whose_agenda_is_on_record_decides_under_its_items():
    soc = domain.meeting(SOC, adopted())
    with pytest.raises(domain.DecisionOutsideAgendaError):
        domain.record_decision(soc, **{**_decision(RECOMMEND_KUWAIT), "item": None,
                                       "recorded_in": RecordedIn(symbol="SUM/2022/DRAFT/5",
                                                                 paragraph="5")})


def test_a_decision_follows_the_recommendation_of_a_body_that_recommends_to_it():
    soc = domain.meeting(SOC, adopted())
    (event,) = domain.record_decision(soc, **_decision(APPROVE_KYRGYZSTAN))
    assert event.on_recommendation_of == Recommendation(body="SWG", dated=date(2022, 9, 14))
    assert event.subject.model_dump() == APPROVE_KYRGYZSTAN["subject"]
    (undated,) = domain.record_decision(soc, **_decision(RECOMMEND_CICA_FUND))
    assert undated.on_recommendation_of == Recommendation(body="SWG", dated=None)
    with pytest.raises(domain.NotRecommendedByError, match="go to SUMMIT"):
        domain.record_decision(soc, **{**_decision(APPROVE_KYRGYZSTAN), "on_recommendation_of":
                                       Recommendation(body="MC", dated=None)})
    with pytest.raises(domain.NotRecommendedByError, match="made by then"):
        domain.record_decision(soc, **{**_decision(APPROVE_KYRGYZSTAN), "on_recommendation_of":
                                       Recommendation(body="SWG", dated=date(2022, 10, 12))})


def test_the_summit_decides_the_years_of_the_next_meetings():
    summit = _summit()
    for decision in (NEXT_SUMMIT, NEXT_MINISTERIAL_COUNCIL):
        (event,) = domain.record_decision(summit, **_decision(decision))
        assert event.subject.model_dump() == decision["subject"]


def test_the_next_meeting_is_the_summits_to_decide_not_the_socs():
    soc = domain.meeting(SOC, adopted())
    with pytest.raises(domain.kinds.RefusedError, match=r"does not take"):
        domain.record_decision(soc, decision_id=uuid4(), item="5", outcome="adopted",
                               subject={"kind": "next_meeting", "body": "MC", "year": 2024},
                               decided_on=date(2022, 10, 11))


# ------------------------------------------------------------------------------ over HTTP


async def test_the_annotated_agenda_is_read_with_the_agenda_it_annotates(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        first = await post(client, ANNOTATIONS, SOC_AGENDA_ANNOTATED)
        again = await post(client, ANNOTATIONS, SOC_AGENDA_ANNOTATED)
        agenda = (await client.get(f"/meetings/{SOC}/agenda", headers=SECRETARIAT)).json()
        meeting = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()

    assert len(first.json()["recorded"]) == 1 and again.json()["recorded"] == []
    assert (agenda["symbol"], agenda["circulated"], agenda["circulated_on"]) == (
        "SOC/2022-III/Agenda/1", ["SOC/2022-III/Agenda/1"], "2022-09-07")
    assert agenda["items"][0].get("annotation", "") == ""
    (annotated,) = agenda["annotated"]
    assert annotated == {**SOC_AGENDA_ANNOTATED, "annotates": "SOC/2022-III/Agenda/1"}
    assert agenda["items"][1]["cites_notes"] == [{"number": "SOC/OI/88", "dated": "2022-02-03"}]
    assert (meeting["agenda_symbol"], meeting["starts_at"], meeting["ends_at"]) == (
        "SOC/2022-III/Agenda/1", "2022-10-10T04:00:00Z", None)
    assert (meeting["starts_at_local"], meeting["ends_on"], meeting["time_zone"]) == (
        "10:00:00", "2022-10-11", "Etc/GMT-6")


async def test_an_annotated_agenda_that_the_rules_refuse_records_nothing(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        before_agenda = await client.post(ANNOTATIONS, json=SOC_AGENDA_ANNOTATED,
                                          headers=SECRETARIAT)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        before = await _events(app, f"meeting-{SOC}")
        unknown_item = await client.post(ANNOTATIONS, headers=SECRETARIAT, json={
            **SOC_AGENDA_ANNOTATED, "annotations": [{"ref": "3(f)", "text": "No such item."}]})
        too_early = await client.post(ANNOTATIONS, headers=SECRETARIAT, json={
            **SOC_AGENDA_ANNOTATED, "circulated_on": "2022-09-06"})
        its_own_symbol = await client.post(ANNOTATIONS, headers=SECRETARIAT, json={
            **SOC_AGENDA_ANNOTATED, "symbol": "SOC/2022-III/Agenda/1"})
        after = await _events(app, f"meeting-{SOC}")
        await post(client, ANNOTATIONS, SOC_AGENDA_ANNOTATED)
        other_text = await client.post(ANNOTATIONS, headers=SECRETARIAT, json={
            **SOC_AGENDA_ANNOTATED, "annotations": [{"ref": "1", "text": "Another text."}]})

    _refused(before_agenda, 409, "agenda-not-circulated")
    _refused(unknown_item, 422, "no-such-agenda-item")
    _refused(too_early, 422, "annotated-before-circulated")
    _refused(its_own_symbol, 409, "symbol-circulated")
    _refused(other_text, 409, "symbol-circulated")
    assert after == before


async def test_the_summits_decisions_are_recorded_as_its_draft_conclusions_record_them(
    database_url, servers
):
    """No agenda of the Summit is on record: its decisions have no item and name paragraph 1 or
    5 of SUM/2022/DRAFT/5; one with neither an item nor a source is refused, and so is one on an
    agenda item, which is taken under that item."""
    decisions = [ADMIT_KUWAIT, CHAIRMANSHIP_KAZAKHSTAN, NEXT_SUMMIT, NEXT_MINISTERIAL_COUNCIL,
                 ADOPT_ASTANA_STATEMENT]
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SUMMIT_MEETING)
        unsourced = await client.post(f"/meetings/{SUMMIT}/decisions", headers=SECRETARIAT,
                                      json={**ADMIT_KUWAIT, "recorded_in": None})
        on_an_item = await client.post(
            f"/meetings/{SUMMIT}/decisions", headers=SECRETARIAT,
            json={**ADMIT_KUWAIT, "subject": {"kind": "agenda_item", "item": "1"}})
        for decision in decisions:
            await post(client, f"/meetings/{SUMMIT}/decisions", decision)
        taken = (await client.get(f"/meetings/{SUMMIT}/decisions", headers=SECRETARIAT)).json()
        listed = (await client.get("/decisions", params={"body": "SUMMIT"},
                                   headers=SECRETARIAT)).json()
        summit = (await client.get(f"/meetings/{SUMMIT}", headers=SECRETARIAT)).json()

    _refused(unsourced, 422, "decision-without-source")
    _refused(on_an_item, 422, "decision-not-under-its-item")
    for shown in (taken["decisions"], listed["decisions"]):
        assert [(d["item"], d["text"], d["recorded_in"]) for d in shown] == [
            (None, None, d["recorded_in"]) for d in decisions]
        assert [d["subject"] for d in shown] == [d["subject"] for d in decisions]
    assert taken["decisions"][0]["recorded_in"] == {"symbol": "SUM/2022/DRAFT/5",
                                                    "paragraph": "5"}
    assert (summit["starts_on"], summit["ends_on"], summit["starts_at"], summit["time_zone"]) == (
        "2022-10-12", "2022-10-13", None, None)


async def test_the_socs_approval_of_kyrgyzstan_names_the_swgs_recommendation(
    database_url, servers
):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, f"/meetings/{SOC}/decisions", APPROVE_KYRGYZSTAN)
        wrong = await client.post(f"/meetings/{SOC}/decisions", headers=SECRETARIAT, json={
            **APPROVE_KYRGYZSTAN, "decision_id": str(uuid4()),
            "on_recommendation_of": {"body": "SUMMIT", "dated": None}})
        listed = (await client.get("/decisions", params={"body": "SOC"},
                                   headers=SECRETARIAT)).json()

    _refused(wrong, 422, "not-recommended-by")
    (approved,) = listed["decisions"]
    assert approved["on_recommendation_of"] == {"body": "SWG", "dated": "2022-09-14"}
    assert approved["item"] == "4(a)"


async def test_agenda_items_are_found_by_the_note_verbale_they_cite(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)

        async def find(**params: str) -> httpx.Response:
            return await client.get("/agenda-items", params=params, headers=SECRETARIAT)

        application = (await find(note="SOC/OI/88")).json()
        memorandum = (await find(note="IO/1256")).json()
        unheard_of = (await find(note="SOC/OI/1280")).json()
        neither, both = await find(), await find(note="IO/1256", document="SUM/2022/DRAFT/4")

    assert [(i["ref"], i["cites_notes"]) for i in application["items"]] == [
        ("2", [{"number": "SOC/OI/88", "dated": "2022-02-03"}])]
    assert [i["ref"] for i in memorandum["items"]] == ["5(b)"]
    assert unheard_of == {"items": [], "next_after": None}
    _refused(neither, 422, "invalid-request")
    _refused(both, 422, "invalid-request")
