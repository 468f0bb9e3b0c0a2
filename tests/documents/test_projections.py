"""The documents service's read models, replayed from the log, give the same digest as the live
ones (and a rebuild in place gives it too)."""

from __future__ import annotations

from services.documents.projections import PROJECTIONS
from shared.projections import projection_state, rebuild, replay_digest
from tests.documents.helpers import (
    SECRETARIAT,
    documents_app,
    draft,
    member,
    small_text,
    today,
)


async def test_the_projections_rebuilt_from_the_log_match_the_live_ones(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        first = (await docs.create(draft())).json()["symbol"]
        second = (await docs.create(draft(distribution="general"))).json()["symbol"]
        await docs.revise(first, small_text("Rev 1"), etag=await docs.etag(first))
        for state in ("KAZ", "RUS", "CHN"):
            response = await docs.http.post(
                f"/documents/{first}/amendments",
                json={"state": state, "revision": 1, "paragraph_id": "op-a",
                      "action": "replace", "text": f"We act, says {state}"},
                headers=member(state),
            )
            assert response.status_code == 201, response.text
            if state == "RUS":
                withdrawn = await docs.http.post(
                    f"/documents/{first}/amendments/{response.json()['amendment_id']}"
                    "/withdrawal", json={"state": "RUS"}, headers=member("RUS"))
                assert withdrawn.status_code == 201
        await docs.http.post(f"/documents/{second}/status",
                             json={"status": "recommended", "body": "SWG"}, headers=SECRETARIAT)
        await docs.http.post(f"/documents/{first}/distribution",
                             json={"distribution": {"kind": "restricted", "states": ["KAZ"]}},
                             headers=SECRETARIAT)
        assert (await docs.issue(second, "addenda")).status_code == 201
        assert (await docs.issue(f"{second}/Add.1", "corrigenda")).status_code == 201
        assert (await docs.circulate(second, today().isoformat())).status_code == 201
        head = await docs.caught_up()
        store = docs.app.state.store
        engine = docs.app.state.engine
        live = {p.name: await projection_state(engine, p) for p in PROJECTIONS}
        replayed = {p.name: await replay_digest(store, p, until=head) for p in PROJECTIONS}
        rebuilt = {p.name: await rebuild(store, p) for p in PROJECTIONS}
        served = (await docs.http.get("/projections", headers=SECRETARIAT)).json()

    for name, state in live.items():
        assert state.position == head
        assert replayed[name] == state.digest
        assert rebuilt[name].digest_after == state.digest
    assert {p["name"] for p in served["projections"]} >= set(live)
