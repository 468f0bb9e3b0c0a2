"""The SOC's meeting of 10–11 October 2022 in Astana, through the HTTP API: scheduled from 10:00
"GMT+6 hours" (Etc/GMT-6) on its first day, its agenda circulated as SOC/2022-III/Agenda/1 and
annotated by SOC/2022-III/Agenda/2 (which revises nothing), then adopted; the decisions of items
2 and 3 recorded, and the Summit's as its draft conclusions record them; refusals record
nothing."""

from __future__ import annotations

from services.meetings.seed import (
    ADMIT_KUWAIT,
    ADOPT_ASTANA_STATEMENT,
    MEMBER_STATES_2022,
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_KUWAIT,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
    SUMMIT_MEETING,
)
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
)

KAZ = bearer(Role.MEMBER_STATE, "KAZ")


async def test_the_soc_meeting_of_october_2022(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)

        meeting = (await client.get(f"/meetings/{SOC}", headers=KAZ)).json()
        assert meeting["starts_at"] == "2022-10-10T04:00:00Z"
        assert (meeting["ends_on"], meeting["ends_at_local"], meeting["ends_at"]) == (
            "2022-10-11", None, None)
        assert meeting["utc_offset_minutes"] == 360
        assert meeting["time_zone"] == "Etc/GMT-6"
        assert meeting["participants"] == sorted(MEMBER_STATES_2022)
        assert (meeting["agenda_symbol"], meeting["agenda_status"]) == (
            "SOC/2022-III/Agenda/1", "adopted")

        agenda = (await client.get(f"/meetings/{SOC}/agenda", headers=KAZ)).json()
        assert agenda["circulated"] == ["SOC/2022-III/Agenda/1"]
        assert [a["symbol"] for a in agenda["annotated"]] == ["SOC/2022-III/Agenda/2"]
        assert agenda["amended"] is False
        assert [i["number"] for i in agenda["items"]] == ["1", "2", "3", "4", "5"]
        assert [s["letter"] for s in agenda["items"][2]["sub_items"]] == list("abcde")
        assert agenda["items"][2]["sub_items"][2]["considers"][0]["symbol"] == (
            "SUM/2022/DRAFT/1/Rev.8")
        circulated = (await client.get(f"/meetings/{SOC}/agenda",
                                       params={"view": "circulated"}, headers=KAZ)).json()
        assert circulated["symbol"] == "SOC/2022-III/Agenda/1"
        assert circulated["items"] == agenda["items"], "the annotated agenda revised nothing"
        assert agenda["annotated"][0]["annotations"][0]["text"].startswith(
            "The draft agenda has been circulated")

        etag = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).headers["etag"]
        for decision in (RECOMMEND_KUWAIT, RECOMMEND_ASTANA_STATEMENT):
            response = await client.post(f"/meetings/{SOC}/decisions", json=decision,
                                         headers={**SECRETARIAT, "If-Match": etag})
            assert response.status_code == 201, response.text
            etag = response.headers["etag"]
        stale = await client.post(f"/meetings/{SOC}/decisions",
                                  json={**RECOMMEND_KUWAIT,
                                        "decision_id": "11111111-1111-4111-8111-111111111111"},
                                  headers={**SECRETARIAT, "If-Match": '"1"'})
        assert stale.status_code == 412
        again = await post(client, f"/meetings/{SOC}/decisions", RECOMMEND_KUWAIT)
        assert again.json()["recorded"] == []
        await post(client, f"/meetings/{SOC}/decisions", {
            "item": "3(d)", "outcome": "continue_consideration",
            "subject": {"kind": "document", "symbol": "SOC/2021/DRAFT/3/Rev.6"},
            "decided_on": "2022-10-11"})
        await post(client, f"/meetings/{SOC}/decisions", {
            "item": "4(a)", "outcome": "approved",
            "subject": {"kind": "agenda_item", "item": "4(a)"}, "decided_on": "2022-10-11"})

        decisions = (await client.get(f"/meetings/{SOC}/decisions", headers=KAZ)).json()
        assert [(d["item"], d["outcome"]) for d in decisions["decisions"]] == [
            ("2", "recommended_for_adoption"), ("3(c)", "recommended_for_adoption"),
            ("3(d)", "continue_consideration"), ("4(a)", "approved")]
        before = (await client.get(f"/meetings/{SOC}/decisions",
                                   params={"as_of": "2022-10-01T00:00:00Z"},
                                   headers=SECRETARIAT))
        assert before.status_code == 404  # the meeting was recorded after that instant

        await post(client, "/meetings", SUMMIT_MEETING)
        summit = "SUM-2022"
        for decision in (ADMIT_KUWAIT, ADOPT_ASTANA_STATEMENT):  # no agenda of the Summit's
            await post(client, f"/meetings/{summit}/decisions", decision)
        everything = (await client.get("/decisions", headers=SECRETARIAT)).json()["decisions"]
        assert [(d["body"], d["outcome"], d["subject"]) for d in everything][-2:] == [
            ("SUMMIT", "adopted", {"kind": "membership_application", "state": "KWT"}),
            ("SUMMIT", "adopted", {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"}),
        ]
        listed = (await client.get("/meetings", headers=SECRETARIAT)).json()["meetings"]
        assert [m["meeting_id"] for m in listed] == [SOC, summit]


async def test_refusals_are_problems_and_record_nothing(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)
        version = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).headers["etag"]

        cases = [
            ("/meetings", SOC_MEETING, 409, "session-scheduled"),
            ("/meetings", {**SOC_MEETING, "session": "SOC/2023-I", "time_zone": "Mars/Base"},
             422, "validation-error"),
            ("/meetings", {**SOC_MEETING, "session": "SUM/2023"}, 422, "validation-error"),
            (f"/meetings/{SOC}/agenda", {**SOC_AGENDA_DRAFT, "symbol": "SOC/2022-III/Agenda/3"},
             409, "agenda-circulated"),
            (f"/meetings/{SOC}/agenda/revisions",
             {**SOC_AGENDA_DRAFT, "symbol": "SOC/2022-III/Agenda/3"}, 409, "agenda-adopted"),
            (f"/meetings/{SOC}/agenda/annotations",
             {**SOC_AGENDA_ANNOTATED, "annotations": [{"ref": "6", "text": "x"}]}, 409,
             "symbol-circulated"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_KUWAIT, "item": None}, 422,
             "decision-without-source"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_KUWAIT, "item": "9"}, 422,
             "no-such-agenda-item"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_KUWAIT, "outcome": "vetoed"}, 422,
             "validation-error"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_ASTANA_STATEMENT,
             "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.7"}}, 422,
             "document-not-considered"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_KUWAIT, "decided_on": "2022-10-12"}, 422,
             "decided-outside-the-meeting"),
            (f"/meetings/{SOC}/decisions", {**RECOMMEND_KUWAIT, "outcome": "adopted",
             "subject": {"kind": "agenda_item", "item": "1"}}, 422,
             "decision-not-under-its-item"),  # under item 2
            (f"/meetings/{SOC}/decision-proposals", {**RECOMMEND_KUWAIT, "item": None}, 422,
             "draft-without-item"),
            (f"/meetings/{SOC}/agenda/amendments",
             {"decision_id": RECOMMEND_KUWAIT["decision_id"],
              "items": SOC_AGENDA_DRAFT["items"]}, 409,
             "not-an-agenda-decision"),  # not a recorded decision
            ("/meetings/SOC-2099-I/agenda", {"symbol": "SOC/2099-I/Agenda/1",
                                             "circulated_on": "2099-01-01",
                                             "items": SOC_AGENDA_DRAFT["items"]}, 404,
             "not-found"),
        ]
        for path, body, status, rule in cases:
            response = await client.post(path, json=body, headers=SECRETARIAT)
            assert response.status_code == status, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == f"/problems/{rule}", (path, response.text)
            assert response.json()["detail"]

        kaz = await client.post(f"/meetings/{SOC}/decisions", json=RECOMMEND_KUWAIT,
                                headers=KAZ)
        assert kaz.status_code == 403
        public = await client.get(f"/meetings/{SOC}")
        assert public.status_code == 401
        kuwait = await client.get(f"/meetings/{SOC}", headers=bearer(Role.MEMBER_STATE, "KWT"))
        assert kuwait.status_code == 404  # not (yet) a member: member states only
        after = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).headers["etag"]
        assert after == version


async def test_the_openapi_document_describes_every_route_with_examples(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        schema = (await client.get("/openapi.json")).json()
    ours = {path: ops for path, ops in schema["paths"].items()
            if path.startswith(("/meetings", "/member-states", "/agenda-items", "/decisions",
                                "/silence-procedures"))}
    assert len(ours) >= 12
    for path, operations in ours.items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            assert "x-cica-access" in operation, (method, path)
    components = schema["components"]["schemas"]
    for name in ("MeetingIn", "AgendaIn", "AgendaRevisionIn", "AgendaAnnotationsIn", "DecisionIn",
                 "SilenceProcedureIn", "ObjectionIn", "MeetingOut", "AgendaOut",
                 "SilenceProcedureOut"):
        assert components[name].get("examples"), name
    assert components["AgendaAnnotationsIn"]["examples"][0]["symbol"] == "SOC/2022-III/Agenda/2"


async def test_an_objection_by_a_participant_stops_a_consensus_decision(database_url, servers):
    proposal = {**RECOMMEND_ASTANA_STATEMENT, "decision_id": "2c9d7e51-3a8b-4f60-9d12-7b4e0a6c5f83"}
    kuwait_proposal = {**RECOMMEND_KUWAIT, "decision_id": "4e6a8c20-1b3d-4f57-a9e2-c0d8b6f41a97"}
    path = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (_, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, path, proposal)
        await post(client, path, kuwait_proposal)
        objections = f"{path}/{proposal['decision_id']}/objections"
        for_another = await client.post(objections, json={"state": "CHN"}, headers=KAZ)
        outsider = await client.post(objections, json={"state": "FRA"},
                                     headers=bearer(Role.MEMBER_STATE, "FRA"))
        objected = await client.post(objections, json={"state": "KAZ", "reason": "OP5"},
                                     headers=KAZ)
        refused = await client.post(f"/meetings/{SOC}/decisions", json=proposal,
                                    headers=SECRETARIAT)
        taken = await client.post(f"/meetings/{SOC}/decisions", json=kuwait_proposal,
                                  headers=SECRETARIAT)
        kyrgyzstan = await client.post(f"/meetings/{SOC}/decisions", json={
            "item": "4(a)", "outcome": "approved", "decided_on": "2022-10-11",
            "subject": {"kind": "coordinator", "state": "KGZ", "area": "trade-and-investment",
                        "role": "co_coordinator"}},
            headers=SECRETARIAT)
        listed = (await client.get(f"/meetings/{SOC}/decisions", headers=KAZ)).json()

    assert for_another.status_code == 403
    assert outsider.status_code == 403
    assert objected.status_code == 201, objected.text
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/no-consensus"
    assert refused.json()["objections"] == ["KAZ"]
    assert taken.status_code == 201 and kyrgyzstan.status_code == 201
    first = listed["decisions"][0]
    assert (first["decision_id"], first["subject"]["kind"]) == (
        kuwait_proposal["decision_id"], "membership_application")
    assert listed["decisions"][1]["subject"] == {
        "kind": "coordinator", "state": "KGZ", "area": "trade-and-investment",
        "role": "co_coordinator"}
    assert len(listed["decisions"]) == 2
    assert {p["decision_id"]: (p["objections"], p["taken"]) for p in listed["proposals"]} == {
        proposal["decision_id"]: (["KAZ"], False),
        kuwait_proposal["decision_id"]: ([], True),
    }
