"""The organisation over time through the HTTP API: bodies renamed on an effective date, the
CICA → OICA renaming that stays a proposal, chairmanships with an open chair filled by the
Summit's decision, Kyrgyzstan's co-coordination, partners and observers."""

from __future__ import annotations

from services.registry.seed import MOU_PARTNERS, ORGANISATION, ORGANISATION_PROPOSED, RENAMINGS
from tests.registry.support import SECRETARIAT, Meetings, decision, registry


async def post(client, path: str, body: dict, **headers: str):  # type: ignore[no-untyped-def]
    response = await client.post(path, json=body, headers={**SECRETARIAT, **headers})
    assert response.status_code == 201, response.text
    return response


async def test_a_renaming_changes_the_name_from_its_effective_date_not_before(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        for code, (old, _) in RENAMINGS.items():
            await post(client, "/bodies", {"code": code, "names": old,
                                           "effective_on": "2002-06-04"})
        summit = await client.get("/bodies/SUMMIT")
        renamed = await post(
            client, "/bodies/SUMMIT/renamings",
            {"names": RENAMINGS["SUMMIT"][1], "effective_on": "2022-10-13"},
            **{"If-Match": summit.headers["etag"]},
        )
        await post(client, "/bodies/EXECUTIVE_DIRECTOR/renamings",
                   {"names": RENAMINGS["EXECUTIVE_DIRECTOR"][1], "effective_on": "2022-10-13"})
        stale = await client.post(
            "/bodies/SUMMIT/renamings",
            json={"names": {"en": "Summit"}, "effective_on": "2023-01-01"},
            headers={**SECRETARIAT, "If-Match": summit.headers["etag"]},
        )
        before = (await client.get("/bodies/SUMMIT", params={"effective": "2022-10-12"})).json()
        after = (await client.get("/bodies/SUMMIT", params={"effective": "2022-10-13"})).json()
        everything = (await client.get("/bodies", params={"effective": "2022-10-13"})).json()
        unknown = await client.get("/bodies/NOSUCH")
        bad_code = await client.get("/bodies/no such")

    assert summit.headers["etag"] == '"1"'
    assert renamed.headers["etag"] == '"2"'
    assert stale.status_code == 412
    assert before["names"] == {"en": "Meeting of Heads of State or Government (Summit)"}
    assert after["names"] == {"en": "Council of Heads of State or Government (Summit)"}
    assert after["since"] == "2022-10-13"
    assert [h["fact"] for h in after["history"]] == ["established", "renamed"]
    names = {b["code"]: b["names"]["en"] for b in everything["bodies"]}
    assert names == {
        "EXECUTIVE_DIRECTOR": "Secretary General",
        "MC": "Meeting of Ministers of Foreign Affairs (Ministerial Meeting)",
        "SUMMIT": "Council of Heads of State or Government (Summit)",
    }
    assert unknown.status_code == 404
    assert bad_code.status_code == 422


async def test_the_proposed_renaming_of_the_organisation_stays_a_proposal(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await post(client, "/bodies", {"code": "CICA", "names": ORGANISATION,
                                       "effective_on": "1992-10-05"})
        proposed = await post(client, "/bodies/CICA/renaming-proposals", {
            "proposal_id": "0b6f5f0e-6a62-4c1d-8c0e-6f3b2b7a1c11",
            "names": ORGANISATION_PROPOSED, "proposed_by": ["KAZ"],
            "proposed_on": "2022-10-07",
        })
        cica = (await client.get("/bodies/CICA", params={"effective": "2023-01-01"})).json()
        bad = await client.post("/bodies/CICA/renamings", json={
            "names": ORGANISATION_PROPOSED, "effective_on": "2024-01-01",
            "proposal_id": "00000000-0000-0000-0000-000000000001",
        }, headers=SECRETARIAT)
        await post(client, "/bodies/CICA/renamings", {
            "names": ORGANISATION_PROPOSED, "effective_on": "2024-01-01",
            "proposal_id": "0b6f5f0e-6a62-4c1d-8c0e-6f3b2b7a1c11",
        })
        decided = (await client.get("/bodies/CICA", params={"effective": "2024-01-01"})).json()

    assert proposed.json()["recorded"] == ["RenamingProposed"]
    assert cica["names"] == ORGANISATION, "a proposal changes no name"
    assert [(p["names"]["en"], p["status"]) for p in cica["proposals"]] == [
        (ORGANISATION_PROPOSED["en"], "proposed")
    ]
    assert bad.status_code == 404
    assert decided["names"] == ORGANISATION_PROPOSED
    assert decided["proposals"][0]["status"] == "decided"


async def test_an_open_chair_is_filled_by_the_summits_decision(
    database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(decision("SUMMIT", "adopted", "2022-10-12",
                                       {"kind": "chairmanship", "state": "AZE",
                                        "period": "2024-2026"}, session="SUM/2022"))
        (adopted,) = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await post(client, "/chairmanships", {"period": "2022-2024",
                                                  "effective_on": "2022-01-01"})
            await post(client, "/chairmanships/2022-2024/chair",
                       {"chair": "KAZ", "effective_on": "2022-01-01"})
            await post(client, "/chairmanships", {"period": "2024-2026",
                                                  "effective_on": "2022-10-07"})
            open_chair = (await client.get("/chairmanships/2024-2026")).json()
            await app.state.consumers[0].handle(adopted)
            filled = await client.get("/chairmanships/2024-2026")
            before = (await client.get("/chairmanships", params={"effective": "2022-10-11"}))
            bad_period = await client.post("/chairmanships", json={
                "period": "2026-2024", "effective_on": "2022-10-07"}, headers=SECRETARIAT)
            records = await app.state.store.read_all(after=0)
    finally:
        await meetings.close()

    assert open_chair["chair"] is None
    assert filled.headers["etag"] == '"2"'
    assert filled.json()["chair"] == "AZE"
    assert filled.json()["decision"]["session"] == "SUM/2022"
    assigned = [r for r in records if r.stream_id == "chairmanship-2024-2026"][-1]
    assert assigned.event_type == "ChairmanshipAssigned"
    assert assigned.metadata["causation_id"] == str(adopted.event_id)
    assert [(c["period"], c["chair"]) for c in before.json()["chairmanships"]] == [
        ("2022-2024", "KAZ"), ("2024-2026", None)
    ]
    assert bad_period.status_code == 422


async def test_kyrgyzstan_co_coordinates_trade_and_investment_from_its_approval(
    database_url, servers
):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        await post(client, "/priority-areas", {
            "area": "trade-and-investment", "dimension": "economic",
            "names": {"en": "Trade and Investment"}, "effective_on": "2019-01-01",
        })
        await post(client, "/priority-areas/trade-and-investment/coordinators", {
            "state": "KGZ", "role": "co_coordinator", "effective_on": "2022-10-11",
        })
        unknown_area = await client.post("/priority-areas/tourism/coordinators", json={
            "state": "KGZ", "role": "coordinator", "effective_on": "2022-10-11",
        }, headers=SECRETARIAT)
        before = (await client.get("/coordinators", params={"effective": "2022-10-10"})).json()
        after = (await client.get("/coordinators", params={"effective": "2022-10-11"})).json()

    assert unknown_area.status_code == 404
    (area,) = before["priority_areas"]
    assert area["dimension"] == "economic" and area["coordinators"] == []
    (area,) = after["priority_areas"]
    assert [(c["state"], c["role"]) for c in area["coordinators"]] == [("KGZ", "co_coordinator")]


async def test_the_registry_follows_the_socs_approval_of_a_co_coordinator_once_the_area_exists(
    database_url, servers, new_database
):
    """Agenda item 4(a) of the SOC's annotated agenda: "Approval of Kyrgyzstan as Co-coordinator
    in the priority area 'Trade and Investment'". The decision reaches the registry before the
    area is established: it waits, and is applied when the area is there; the SWG's
    recommendation of the same appointment is not an appointment."""
    subject = {"kind": "coordinator", "state": "KGZ", "area": "trade-and-investment",
               "role": "co_coordinator"}
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(
            decision("SWG", "recommended_for_adoption", "2022-09-14", subject,
                     session="SWG/2022-IX"),
            decision("SOC", "approved", "2022-10-11", subject, session="SOC/2022-III"),
            decision("SWG", "approved", "2022-10-11", subject, session="SWG/2022-X"),
        )
        recommended, approved, by_the_swg = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            consumer = app.state.consumers[0]
            for event in (recommended, approved, by_the_swg):
                await consumer.handle(event)
            parked = (await client.get("/admin/parked", headers=SECRETARIAT)).json()["parked"]
            await post(client, "/priority-areas", {
                "area": "trade-and-investment", "dimension": "economic",
                "names": {"en": "Trade and Investment"}, "effective_on": "2019-01-01",
            })
            applied = await consumer.retry_waiting()
            after = (await client.get("/coordinators", params={"effective": "2022-10-11"})).json()
            before = (await client.get("/coordinators", params={"effective": "2022-10-10"})).json()
            records = await app.state.store.read_all(after=0)
    finally:
        await meetings.close()

    assert [(p["position"], p["rule"], p["waiting"]) for p in parked] == [
        (2, "not-found", True), (3, "outside-competence", False),
    ]
    assert applied == 1
    (area,) = after["priority_areas"]
    assert [(c["state"], c["role"]) for c in area["coordinators"]] == [("KGZ", "co_coordinator")]
    assert before["priority_areas"][0]["coordinators"] == []
    appointed = [r for r in records if r.event_type == "CoordinatorAppointed"]
    assert len(appointed) == 1
    assert appointed[0].metadata["causation_id"] == str(approved.event_id)
    assert appointed[0].data["decision"]["body"] == "SOC"


async def test_partners_and_observers(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (_app, client):
        for key, names in MOU_PARTNERS.items():
            await post(client, "/partners", {"key": key, "names": names,
                                             "agreement": "Memorandum of Understanding",
                                             "signed_on": "2021-06-01"})
        await post(client, "/observers", {"kind": "organisation", "key": "UN",
                                          "names": {"en": "United Nations"},
                                          "effective_on": "2002-06-04"})
        bad_state = await client.post("/observers", json={
            "kind": "state", "key": "JAPAN", "names": {"en": "Japan"},
            "effective_on": "2002-06-04"}, headers=SECRETARIAT)
        partners = (await client.get("/partners")).json()
        observers = (await client.get("/observers")).json()

    assert sorted(p["key"] for p in partners["partners"]) == sorted(MOU_PARTNERS)
    assert [o["key"] for o in observers["observers"]] == ["UN"]
    assert bad_state.status_code == 422
