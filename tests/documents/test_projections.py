"""The documents service's read models, replayed from the log, give the same digest as the live
ones (and a rebuild in place gives it too); a read from them shows the writes made before it."""

from __future__ import annotations

import asyncio
from typing import Any

from services.documents.projections import PROJECTIONS
from shared import projections
from shared.projections import projection_state, rebuild, replay_digest
from tests.documents.helpers import (
    SECRETARIAT,
    documents_app,
    draft,
    member,
    small_text,
    supplement,
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


async def test_a_read_from_the_read_models_shows_the_writes_made_before_it(
    database_url, servers, monkeypatch
):
    """The list of documents, a document's addenda, its open amendments and the translations
    needed are read from read models, applied moments after each write. A read waits (briefly:
    `CAUGHT_UP_WITHIN`) until they show what was written before it. Here every batch reaches
    the read models half a second late, and each read comes straight after its write."""
    real = projections.apply_batch

    async def late(*args: Any, **kwargs: Any) -> int:
        await asyncio.sleep(0.5)
        return await real(*args, **kwargs)

    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.caught_up()
        monkeypatch.setattr(projections, "apply_batch", late)
        symbol = (await docs.create(draft())).json()["symbol"]
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        needed = (await docs.http.get("/translations/needed", headers=SECRETARIAT)).json()
        amendment = (await docs.amend(symbol, "KAZ", revision=0)).json()["amendment_id"]
        amendments = (await docs.http.get(f"/documents/{symbol}/amendments",
                                          headers=SECRETARIAT)).json()
        addendum = (await docs.issue(symbol, "addenda", supplement("Addendum one"))).json()
        read = (await docs.read(symbol)).json()

    assert symbol in [d["symbol"] for d in listed]
    assert symbol in [d["symbol"] for d in needed]
    assert [a["amendment_id"] for a in amendments] == [amendment]
    assert [s["symbol"] for s in read["supplements"]] == [addendum["symbol"]]
