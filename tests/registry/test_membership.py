"""Member states through the HTTP API: the 27 of October 2022, Kuwait's application, the SOC's
recommendation and the Summit's adoption arriving as the meetings service's `DecisionRecorded`
events (handed to the registry's own consumer), the member list effective before and after
12 October 2022, and the refusals that record nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from uuid import UUID

import httpx

from services.registry.seed import MEMBER_STATES_2022
from shared.access import admitted_members
from tests.access import bearer
from tests.registry.support import (
    SECRETARIAT,
    Meetings,
    apply_for_membership,
    decision,
    kuwait_applies,
    members,
    register_known_members,
    registry,
    soc_recommends,
    soc_recommends_kuwait,
    summit_admits,
)


async def log_of(app) -> list:  # type: ignore[no-untyped-def]
    return await app.state.store.read_all(after=0)


async def admit_kuwait(
    client: httpx.AsyncClient, decision: int, headers: dict[str, str] = SECRETARIAT
) -> httpx.Response:
    """The Summit's admission of Kuwait on 12 October 2022 recorded by request, as decision
    `UUID(int=decision)`: the answer, whatever it is."""
    return await client.post(
        "/member-states/KWT/admission",
        json={"decision": {"decision_id": str(UUID(int=decision)), "body": "SUMMIT",
                           "session": "SUM/2022", "decided_on": "2022-10-12",
                           "outcome": "adopted"}},
        headers=headers,
    )


async def test_the_27_member_states_of_october_2022_are_registered_and_public(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        registered = await register_known_members(client)
        listed = await members(client, effective="2022-10-12")
        kazakhstan = await client.get("/member-states/KAZ")
        async with app.state.engine.connect() as connection:
            counted = await admitted_members(connection)

    assert len(registered.json()["registered"]) == 27
    assert sorted(listed) == sorted(MEMBER_STATES_2022)
    assert kazakhstan.status_code == 200
    assert kazakhstan.headers["etag"] == '"1"'
    body = kazakhstan.json()
    assert body["names"] == {"en": "Kazakhstan", "kk": "Қазақстан", "ru": "Казахстан"}
    assert (body["status"], body["since"], body["member_on"]) == ("member", None, "2022-10-07")
    assert sorted(counted) == sorted(MEMBER_STATES_2022), "distribution knows them as members"
    assert set(counted.values()) == {datetime(2022, 10, 7, tzinfo=UTC)}, "from the note's day"


async def test_before_the_day_the_sources_show_them_members_the_27_are_unknown_not_counted(
    database_url, servers
):
    """Registered with no joining day, the 27 are members from 7 October 2022 (the note verbale
    SOC/OI/1280) on; before it, what the registry knows of them is that it does not know."""
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        before_recording = datetime.now(UTC).isoformat()
        await register_known_members(client)
        read = {}
        for day in ("2000-01-01", "2022-10-06", "2022-10-07"):
            read[day] = (await client.get("/members", params={"effective": day})).json()
        states = (await client.get("/member-states", params={"effective": "2000-01-01"})).json()
        kazakhstan_then = await client.get("/member-states/KAZ", params={"effective": "2000-01-01"})
        recorded_later = (await client.get("/members", params={
            "effective": "2000-01-01", "as_of": before_recording})).json()

    for day in ("2000-01-01", "2022-10-06"):
        assert (read[day]["count"], read[day]["member_states"]) == (0, []), day
        assert read[day]["unknown"] == sorted(MEMBER_STATES_2022), day
    assert read["2022-10-07"]["count"] == 27 and read["2022-10-07"]["unknown"] == []
    assert (states["member_states"], states["unknown"]) == ([], sorted(MEMBER_STATES_2022))
    assert kazakhstan_then.status_code == 200
    then = kazakhstan_then.json()
    assert (then["status"], then["since"], then["member_on"], then["facts"]) == (
        None, None, "2022-10-07", [])
    assert recorded_later["unknown"] == [], "as recorded before the registration, no such state"


async def test_a_sourced_joining_day_makes_a_member_from_that_day_and_nothing_unknown(
    database_url, servers
):
    """A hypothetical source gives Kazakhstan's joining day: it is a member from that day, and
    not a member (not unknown) before it."""
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        registered = await client.post("/member-states/known-members", json={"members": [
            {"state": "KAZ", "names": MEMBER_STATES_2022["KAZ"], "member_on": "2022-10-07",
             "member_since": "2022-10-01"}]}, headers=SECRETARIAT)
        before = (await client.get("/members", params={"effective": "2022-09-30"})).json()
        joined = (await client.get("/members", params={"effective": "2022-10-01"})).json()
        async with app.state.engine.connect() as connection:
            counted = await admitted_members(connection)

    assert registered.status_code == 201, registered.text
    assert (before["count"], before["unknown"]) == (0, [])
    (kazakhstan,) = joined["member_states"]
    assert (kazakhstan["since"], kazakhstan["member_on"]) == ("2022-10-01", "2022-10-07")
    assert counted == {"KAZ": datetime(2022, 10, 1, tzinfo=UTC)}


async def test_a_joining_day_after_the_day_a_source_shows_a_member_is_a_named_422(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        refused = await client.post("/member-states/known-members", json={"members": [
            {"state": "KAZ", "names": MEMBER_STATES_2022["KAZ"], "member_on": "2022-10-07"},
            {"state": "KGZ", "names": MEMBER_STATES_2022["KGZ"], "member_on": "2022-10-07",
             "member_since": "2022-10-08"},
        ]}, headers=SECRETARIAT)
        head = await app.state.store.head_position()

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"] == "/problems/joined-after-member-on"
    assert (problem["state"], problem["member_since"], problem["member_on"]) == (
        "KGZ", "2022-10-08", "2022-10-07")
    assert head == 0, "all or none: Kazakhstan, listed first, is not recorded either"


async def test_the_former_founding_members_path_registers_the_same_and_says_it_is_deprecated(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        registered = await register_known_members(client, path="/member-states/founding-members")
        old_shape = await client.post("/member-states/founding-members", json={"members": [
            {"state": "NZL", "names": {"en": "New Zealand"}, "member_since": "1999-09-14"}]},
            headers=SECRETARIAT)
        listed = await members(client, effective="2022-10-07")
        openapi = (await client.get("/openapi.json")).json()

    assert len(registered.json()["registered"]) == 27 and len(listed) == 27
    assert old_shape.status_code == 422, "member_on is required: no day is made up"
    assert openapi["paths"]["/member-states/founding-members"]["post"]["deprecated"] is True
    assert "deprecated" not in openapi["paths"]["/member-states/known-members"]["post"]


async def test_kuwait_is_admitted_once_by_the_summit_after_the_socs_recommendation(
    database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(soc_recommends_kuwait(), summit_admits())
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await register_known_members(client)
            await kuwait_applies(client)
            before_admission = datetime.now(UTC)
            consumer = app.state.consumers[0]
            for event in delivered:  # delivered, then delivered again
                await consumer.handle(event)
            for event in delivered:
                await consumer.handle(event)
            records = await log_of(app)
            before = await members(client, effective="2022-10-11")
            on_the_day = await members(client, effective="2022-10-12")
            said_before = await members(
                client, effective="2022-10-12", as_of=before_admission.isoformat()
            )
            kuwait = (await client.get("/member-states/KWT", params={"effective": "2022-10-12"}))
            kuwait_applicant = (
                await client.get("/member-states/KWT", params={"effective": "2022-10-11"},
                                 headers=bearer("member_state", "KAZ"))
            ).json()
            applicant_to_the_public = await client.get(
                "/member-states/KWT", params={"effective": "2022-10-11"}
            )
            async with app.state.engine.connect() as connection:
                counted = await admitted_members(connection)
    finally:
        await meetings.close()

    admitted = [r for r in records if r.event_type == "MemberAdmitted"]
    assert len(admitted) == 1, "exactly one MemberAdmitted, however often the decision arrives"
    assert [r.event_type for r in records if r.stream_id == "state-KWT"] == [
        "MembershipApplied", "AdmissionRecommended", "MemberAdmitted"
    ]
    summit = delivered[1]
    assert admitted[0].metadata["causation_id"] == str(summit.event_id)
    assert admitted[0].data["admitted_on"] == "2022-10-12"
    assert admitted[0].data["decision"]["decision_id"] == summit.data["decision_id"]
    assert admitted[0].data["names"]["en"] == "Kuwait"
    assert len(before) == 27 and "KWT" not in before
    assert len(on_the_day) == 28 and "KWT" in on_the_day
    assert len(said_before) == 27, "as recorded before the Summit, the member list was 27"
    assert kuwait.headers["etag"] == '"3"'
    body = kuwait.json()
    assert body["status"] == "member" and body["since"] == "2022-10-12"
    assert body["application_note"] == {"number": "SOC/OI/88", "dated": "2022-02-03"}
    assert body["recommendation"]["body"] == "SOC"
    assert body["admission"]["session"] == "SUM/2022"
    assert kuwait_applicant["status"] == "applicant"
    assert applicant_to_the_public.status_code == 404, "a pending application is not public"
    assert counted["KWT"] == datetime(2022, 10, 12, tzinfo=UTC)


async def test_a_decision_recorded_twice_by_the_meetings_service_admits_once(
    database_url, servers, new_database
):
    """Not the same message twice (the consumer's tracking skips that) but the same decision in
    two events of the meetings log: the registry's rules see it is the same decision."""
    meetings = await Meetings.make(new_database)
    adoption = summit_admits()
    try:
        await meetings.record(soc_recommends_kuwait(), adoption, adoption)
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, _client
        ):
            await kuwait_applies(_client)
            for event in delivered:
                await app.state.consumers[0].handle(event)
            records = await log_of(app)
            tracked = await app.state.consumers[0].tracked_position()
    finally:
        await meetings.close()

    assert [r.event_type for r in records] == [
        "MembershipApplied", "AdmissionRecommended", "MemberAdmitted"
    ]
    assert tracked == 3


async def unresolved_parked(client: httpx.AsyncClient) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get("/admin/parked", headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return response.json()["parked"]


async def test_decisions_that_come_before_the_application_wait_for_it_then_apply_once(
    database_url, servers, new_database
):
    """The SOC's recommendation and the Summit's admission reach the registry before the
    Secretariat has recorded Kuwait's application: they are parked as waiting, not acked and
    forgotten, and applied (in their order, once) when the application comes."""
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(soc_recommends_kuwait(), summit_admits())
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await register_known_members(client)
            consumer = app.state.consumers[0]
            head = await app.state.store.head_position()
            for event in delivered:
                await consumer.handle(event)
            after = await app.state.store.head_position()
            waiting = await unresolved_parked(client)
            while_missing = await consumer.retry_waiting()
            await kuwait_applies(client)
            applied = await consumer.retry_waiting()
            again = await consumer.retry_waiting()
            records = await log_of(app)
            left = await unresolved_parked(client)
            kuwait = (await client.get("/member-states/KWT",
                                       params={"effective": "2022-10-12"})).json()
            listed = await members(client, effective="2022-10-12")
    finally:
        await meetings.close()

    assert after == head, "nothing recorded while the application is missing"
    assert [(p["position"], p["rule"], p["waiting"]) for p in waiting] == [
        (1, "no-membership-application", True), (2, "no-membership-application", True),
    ]
    assert waiting[0]["error"].startswith("no-membership-application: KWT has never applied")
    assert while_missing == 0
    assert (applied, again) == (2, 0)
    assert [r.event_type for r in records if r.stream_id == "state-KWT"] == [
        "MembershipApplied", "AdmissionRecommended", "MemberAdmitted"
    ]
    admitted = next(r for r in records if r.event_type == "MemberAdmitted")
    assert admitted.metadata["causation_id"] == str(delivered[1].event_id)
    assert left == []
    assert kuwait["status"] == "member" and kuwait["since"] == "2022-10-12"
    assert "KWT" in listed and len(listed) == 28


async def test_a_summit_admission_the_soc_did_not_recommend_waits_for_the_recommendation(
    database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(summit_admits())
        (adoption,) = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await kuwait_applies(client)
            consumer = app.state.consumers[0]
            await consumer.handle(adoption)
            (parked,) = await unresolved_parked(client)
            still = await consumer.retry_waiting()
            kuwait = (await client.get("/member-states/KWT", headers=SECRETARIAT)).json()
    finally:
        await meetings.close()

    assert (parked["rule"], parked["waiting"]) == ("admission-not-recommended", True)
    assert still == 0
    assert kuwait["status"] == "applicant"


async def test_a_decision_no_body_may_take_is_parked_with_the_rule_and_not_tried_again(
    database_url, servers, new_database
):
    """The SWG "adopts" Kuwait's application: outside its competence. The registry records
    nothing, and the decision is parked with the rule that refused it (retryable by hand)."""
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(
            soc_recommends_kuwait(),
            decision("SWG", "adopted", "2022-10-12",
                     {"kind": "membership_application", "state": "KWT"}, session="SWG/2022-X"),
        )
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await kuwait_applies(client)
            consumer = app.state.consumers[0]
            for event in delivered:
                await consumer.handle(event)
            (parked,) = await unresolved_parked(client)
            tried = await consumer.retry_waiting()
            by_hand = await client.post(f"/admin/parked/{parked['id']}/retry",
                                        headers=SECRETARIAT)
            kuwait = (await client.get("/member-states/KWT", headers=SECRETARIAT)).json()
    finally:
        await meetings.close()

    assert (parked["position"], parked["rule"], parked["waiting"], parked["attempts"]) == (
        2, "outside-competence", False, 1
    )
    assert "The SWG does not take 'adopted'" in parked["error"]
    assert tried == 0
    assert by_hand.status_code == 409, "still refused: it stays parked"
    assert kuwait["status"] == "applicant"
    assert kuwait["recommendation"]["body"] == "SOC"


async def test_an_admission_by_request_rests_on_the_summits_adoption_of_a_recommended_application(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
        app, client
    ):
        await register_known_members(client)
        head = await app.state.store.head_position()
        never_applied = await client.post(
            "/member-states/NZL/admission",
            json={"decision": {"decision_id": str(UUID(int=1)), "body": "SUMMIT",
                               "session": "SUM/2022", "decided_on": "2022-10-12",
                               "outcome": "adopted"}},
            headers=SECRETARIAT,
        )
        await kuwait_applies(client)
        applied = await app.state.store.head_position()
        deferred_by_the_swg = await client.post(
            "/member-states/KWT/admission",
            json={"decision": {"decision_id": str(UUID(int=2)), "body": "SWG",
                               "session": "SWG/2022-X", "decided_on": "2022-10-12",
                               "outcome": "deferred"}},
            headers=SECRETARIAT,
        )
        not_recommended = await admit_kuwait(client, 3)
        final = await app.state.store.head_position()
        listed = await members(client, effective="2022-10-13")

    for refused, rule in [(never_applied, "no-membership-application"),
                          (deferred_by_the_swg, "outside-competence"),
                          (not_recommended, "admission-not-recommended")]:
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == f"/problems/{rule}"
    assert "NZL has never applied for membership" in never_applied.json()["detail"]
    assert applied == head + 1 and final == applied, "the refusals recorded nothing"
    assert "NZL" not in listed and "KWT" not in listed and len(listed) == 27


async def test_bad_input_gets_a_problem_and_records_nothing(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await kuwait_applies(client)
        head = await app.state.store.head_position()
        malformed = await apply_for_membership(
            client, "KUW1", {"en": "Kuwait"}, applied_on="2022-02-03", note="SOC/OI/88"
        )
        lower = await client.post(
            "/member-states/known-members",
            json={"members": [{"state": "kaz", "names": {"en": "Kazakhstan"},
                               "member_on": "2022-10-07"}]},
            headers=SECRETARIAT,
        )
        no_english = await apply_for_membership(
            client, "FJI", {"ru": "Фиджи"}, applied_on="2022-02-03", note="SOC/OI/99"
        )
        twice = await apply_for_membership(
            client, "KWT", {"en": "Kuwait"}, applied_on="2022-03-03", note="SOC/OI/90"
        )
        stale = await admit_kuwait(client, 1, {**SECRETARIAT, "If-Match": '"7"'})
        naive_as_of = await client.get("/members", params={"as_of": "2022-10-01T00:00:00"})
        as_member_state = await client.post(
            "/member-states/KWT/application", json={}, headers=bearer("member_state", "KAZ")
        )
        after = await app.state.store.head_position()

    for response in (malformed, lower, no_english):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert any("code" in e["loc"] for e in malformed.json()["errors"])
    assert twice.status_code == 409
    assert "registered already" in twice.json()["detail"]
    assert stale.status_code == 412
    assert stale.json()["actual_version"] == 1
    assert naive_as_of.status_code == 422
    assert as_member_state.status_code == 403
    assert after == head


async def test_an_admission_by_request_honours_if_match(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await kuwait_applies(client)
        recommended = await soc_recommends(client)
        admitted = await admit_kuwait(
            client, 2, {**SECRETARIAT, "If-Match": recommended.headers["etag"]}
        )
        listed = await members(client, effective="2022-10-12")

    assert recommended.headers["etag"] == '"2"'
    assert recommended.json()["recorded"] == ["AdmissionRecommended"]
    assert admitted.status_code == 201, admitted.text
    assert admitted.headers["etag"] == '"3"'
    assert admitted.json() == {"stream_id": "state-KWT", "version": 3,
                               "recorded": ["MemberAdmitted"]}
    assert listed == ["KWT"]


async def test_concurrent_admissions_of_one_applicant_record_one(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await kuwait_applies(client)
        await soc_recommends(client)
        answers = await asyncio.gather(*(admit_kuwait(client, 100 + n) for n in range(12)))
        records = await log_of(app)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 11
    assert all(a.headers["content-type"].startswith("application/problem+json")
               for a in answers if a.status_code == 409)
    assert [r.event_type for r in records] == [
        "MembershipApplied", "AdmissionRecommended", "MemberAdmitted"
    ]


async def test_a_suspended_or_withdrawn_member_is_not_counted_from_the_date(database_url, servers):
    """A hypothetical history (no member has been suspended or has withdrawn): the member list
    follows each change from its effective date."""
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await kuwait_applies(client)
        await soc_recommends(client)
        for path, body in [
            ("admission", {"decision": {"decision_id": str(UUID(int=3)), "body": "SUMMIT",
                                        "session": "SUM/2022", "decided_on": "2022-10-12",
                                        "outcome": "adopted"}}),
            ("suspension", {"effective_on": "2023-01-01", "reason": "hypothetical"}),
            ("reinstatement", {"effective_on": "2024-01-01"}),
            ("withdrawal", {"effective_on": "2025-01-01",
                            "note": {"number": "SOC/OI/1300", "dated": "2024-10-01"}}),
        ]:
            response = await client.post(f"/member-states/KWT/{path}", json=body,
                                         headers=SECRETARIAT)
            assert response.status_code == 201, (path, response.text)
        again = await client.post("/member-states/KWT/withdrawal",
                                  json={"effective_on": "2025-02-01"}, headers=SECRETARIAT)
        by_date = {
            day: await members(client, effective=day)
            for day in ("2022-10-12", "2023-06-01", "2024-01-01", "2025-01-01")
        }
        withdrawn = (await client.get("/member-states", params={
            "effective": "2025-01-01", "status": "withdrawn"})).json()

    assert by_date == {"2022-10-12": ["KWT"], "2023-06-01": [], "2024-01-01": ["KWT"],
                       "2025-01-01": []}
    assert [s["code"] for s in withdrawn["member_states"]] == ["KWT"]
    assert again.status_code == 409
    assert "KWT is withdrawn" in again.json()["detail"]


async def test_a_pending_application_is_for_member_states_and_the_applicant_only(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await register_known_members(client)
        await kuwait_applies(client)
        seen = {}
        for who, headers in [
            ("public", {}),
            ("KAZ", bearer("member_state", "KAZ")),
            ("KWT", bearer("member_state", "KWT")),
            ("NZL", bearer("member_state", "NZL")),
            ("auditor", bearer("auditor")),
        ]:
            listed = (await client.get("/member-states", params={"status": "applicant"},
                                       headers=headers)).json()
            single = await client.get("/member-states/KWT", headers=headers)
            seen[who] = ([s["code"] for s in listed["member_states"]], single.status_code)
        await soc_recommends(client)
        await admit_kuwait(client, 4)
        public_after = await client.get("/member-states/KWT")
        public_feed = await client.get("/events")

    assert seen == {
        "public": ([], 404),
        "KAZ": (["KWT"], 200),
        "KWT": (["KWT"], 200),
        "NZL": ([], 404),
        "auditor": (["KWT"], 200),
    }
    assert public_after.status_code == 200
    assert public_after.json()["application_note"]["number"] == "SOC/OI/88"
    assert public_feed.status_code == 401, "the registry's log is for its log readers"


async def test_a_suspended_or_withdrawn_members_token_reads_the_registry_as_the_public(
    database_url, servers
):
    """A hypothetical history (no member has been suspended or has withdrawn). The registry's
    own reads follow each change of membership as the other services' do: a suspended state
    no longer sees a pending application until it is reinstated, a withdrawn one not from its
    withdrawal on."""
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await register_known_members(client)
        await kuwait_applies(client)

        async def sees_the_application(state: str) -> tuple[list[str], int]:
            headers = bearer("member_state", state)
            listed = (await client.get("/member-states", params={"status": "applicant"},
                                       headers=headers)).json()
            single = await client.get("/member-states/KWT", headers=headers)
            return [s["code"] for s in listed["member_states"]], single.status_code

        async def change(state: str, path: str, body: dict[str, object]) -> None:
            response = await client.post(f"/member-states/{state}/{path}", json=body,
                                         headers=SECRETARIAT)
            assert response.status_code == 201, (path, response.text)

        before = await sees_the_application("KAZ")
        await change("KAZ", "suspension", {"effective_on": "2022-11-01", "reason": "hypothetical"})
        suspended = await sees_the_application("KAZ")
        await change("KAZ", "reinstatement", {"effective_on": "2023-01-01"})
        reinstated = await sees_the_application("KAZ")
        await change("IND", "withdrawal", {"effective_on": "2023-01-01"})
        withdrawn = await sees_the_application("IND")

    assert before == (["KWT"], 200)
    assert suspended == ([], 404)
    assert reinstated == (["KWT"], 200)
    assert withdrawn == ([], 404)


async def test_a_decision_without_the_contracts_fields_is_parked_and_the_next_goes_on(
    database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(soc_recommends_kuwait(), summit_admits())
        recommendation, adoption = await meetings.as_delivered()
        broken = dataclasses.replace(
            recommendation, data={k: v for k, v in recommendation.data.items() if k != "subject"}
        )
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await kuwait_applies(client)
            consumer = app.state.consumers[0]
            await consumer.handle(broken)
            await consumer.handle(adoption)
            parked = (await client.get("/admin/parked", headers=SECRETARIAT)).json()["parked"]
            records = await log_of(app)
    finally:
        await meetings.close()

    # The broken recommendation is a fault (retried, then parked); the Summit's adoption, which
    # rests on that recommendation, waits for it rather than admitting without it.
    assert [(p["position"], p["rule"], p["waiting"]) for p in parked] == [
        (1, None, False), (2, "admission-not-recommended", True)
    ]
    assert "subject" in parked[0]["error"] and parked[0]["attempts"] == 5
    assert [r.event_type for r in records] == ["MembershipApplied"]


async def test_the_summits_decisions_on_its_next_meetings_are_not_the_registrys_and_are_ignored(
    database_url, servers, new_database
):
    """Draft conclusions SUM/2022/DRAFT/5, paragraph 5: the Summit decides "on the next meetings
    of the CICA Summit in 2026 and CICA Ministerial Council in 2024". The registry keeps nothing
    of meetings: it records nothing and parks nothing, and its consumer goes on."""
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(*(
            decision("SUMMIT", "adopted", "2022-10-13",
                     {"kind": "next_meeting", "body": body, "year": year}, session="SUM/2022")
            for body, year in (("SUMMIT", 2026), ("MC", 2024))
        ))
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            consumer = app.state.consumers[0]
            for event in delivered:
                await consumer.handle(event)
            records = await log_of(app)
            parked = await unresolved_parked(client)
            tracked = await consumer.tracked_position()
    finally:
        await meetings.close()

    assert [e.data["subject"]["kind"] for e in delivered] == ["next_meeting", "next_meeting"]
    assert (records, parked, tracked) == ([], [], 2)
