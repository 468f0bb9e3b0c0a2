"""The registry's read models rebuilt from its log give the same digest as the live ones: into a
scratch schema (`replay_digest`) and in place (`rebuild`); a read from them shows the writes
made before it."""

from __future__ import annotations

import asyncio
from typing import Any

from services.registry.projections import projections
from services.registry.seed import MOU_PARTNERS, RENAMINGS
from shared import projections as kit
from shared.projections import rebuild, replay_digest
from tests.registry.support import (
    SECRETARIAT,
    Meetings,
    decision,
    kuwait_applies,
    members,
    register_known_members,
    registry,
    soc_recommends_kuwait,
    summit_admits,
)


async def test_projections_rebuilt_from_the_log_give_the_live_digests(
    database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    try:
        await meetings.record(
            soc_recommends_kuwait(),
            summit_admits(),
            decision("SUMMIT", "adopted", "2022-10-12",
                     {"kind": "chairmanship", "state": "AZE", "period": "2024-2026"},
                     session="SUM/2022"),
        )
        delivered = await meetings.as_delivered()
        async with registry(database_url, servers.nats_url, consumers_enabled=False) as (
            app, client
        ):
            await register_known_members(client)
            await kuwait_applies(client)
            writes = [
                ("/chairmanships", {"period": "2024-2026", "effective_on": "2022-10-07"}),
                ("/priority-areas", {"area": "trade-and-investment", "dimension": "economic",
                                     "names": {"en": "Trade and Investment"},
                                     "effective_on": "2019-01-01"}),
                ("/priority-areas/trade-and-investment/coordinators",
                 {"state": "KGZ", "role": "co_coordinator", "effective_on": "2022-10-11"}),
                ("/bodies", {"code": "SUMMIT", "names": RENAMINGS["SUMMIT"][0],
                             "effective_on": "2002-06-04"}),
                ("/bodies/SUMMIT/renamings", {"names": RENAMINGS["SUMMIT"][1],
                                              "effective_on": "2022-10-13"}),
                ("/bodies/SUMMIT/renaming-proposals", {"names": {"en": "Summit"},
                                                       "proposed_by": ["KAZ"],
                                                       "proposed_on": "2022-10-07"}),
                ("/partners", {"key": "IOM", "names": MOU_PARTNERS["IOM"],
                               "agreement": "Memorandum of Understanding",
                               "signed_on": "2021-06-01"}),
                ("/observers", {"kind": "organisation", "key": "UN",
                                "names": {"en": "United Nations"}, "effective_on": "2002-06-04"}),
            ]
            for path, body in writes:
                response = await client.post(path, json=body, headers=SECRETARIAT)
                assert response.status_code == 201, (path, response.text)
            for event in delivered:
                await app.state.consumers[0].handle(event)
            assert len(await members(client, effective="2022-10-12")) == 28
            head = await app.state.projection_runner.wait_until_caught_up()
            live = (await client.get("/projections", headers=SECRETARIAT)).json()
            store = app.state.store
            replayed = {
                p.name: await replay_digest(store, p, until=head) for p in projections
            }
            reports = [await rebuild(store, p) for p in projections]
            after = (await client.get("/projections", headers=SECRETARIAT)).json()
    finally:
        await meetings.close()

    assert live["head"] == head
    digests = {p["name"]: p["digest"] for p in live["projections"]}
    assert {p["name"]: p["position"] for p in live["projections"]} == {
        p.name: head for p in projections
    }
    assert replayed == digests
    for report in reports:
        assert report.digest_after == report.digest_before == digests[report.name]
    assert {p["name"]: p["digest"] for p in after["projections"]} == digests
    assert len(set(digests.values())) == len(projections), "each holds rows of its own"


async def test_a_read_from_the_read_models_shows_the_writes_made_before_it(
    database_url, servers, monkeypatch
):
    """Every read that takes the registry's read models waits (briefly) until they show what
    was written before it. Here every batch reaches them half a second late, and the reads come
    straight after the writes."""
    real = kit.apply_batch

    async def late(*args: Any, **kwargs: Any) -> int:
        await asyncio.sleep(0.5)
        return await real(*args, **kwargs)

    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await app.state.projection_runner.wait_until_caught_up()
        monkeypatch.setattr(kit, "apply_batch", late)
        await register_known_members(client)
        listed = await members(client, effective="2022-10-12")
        await kuwait_applies(client)
        applicants = (await client.get("/member-states", params={"status": "applicant"},
                                       headers=SECRETARIAT)).json()

    assert len(listed) == 27
    assert [s["code"] for s in applicants["member_states"]] == ["KWT"]
