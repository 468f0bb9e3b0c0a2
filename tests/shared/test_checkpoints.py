"""Signed checkpoints and Merkle proofs served by every service (shared/checkpoints.py): the
signature verifies with the published key, proofs of real events check offline, forged ones
do not, and the checkpoints go out on NATS."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json

import nats as nats_client

from shared.access import Role
from shared.checkpoints import Checkpoint, signature_ok
from shared.merkle import MerkleTree, verify_consistency, verify_inclusion
from tests.access import bearer
from tests.polling import eventually
from tests.shared.checkpoint_apps import note, probe_app
from tests.shared.test_service_shell import running

SECRETARIAT = bearer(Role.SECRETARIAT)
AUDITOR = bearer(Role.AUDITOR)


async def test_a_checkpoint_signs_the_head_and_verifies_with_the_published_key(
    database_url, servers, tmp_path
):
    app = probe_app("ledger", database_url, servers.nats_url, tmp_path / "key.pem")
    async with running(app) as client:
        empty = await client.post("/checkpoints", headers=SECRETARIAT)
        await note(app, "a", "one", "two", "three")
        made = await client.post("/checkpoints", headers=SECRETARIAT)
        again = await client.post("/checkpoints", headers=SECRETARIAT)
        latest = (await client.get("/checkpoints/latest", headers=AUDITOR)).json()
        keys = (await client.get("/keys", headers=AUDITOR)).json()
        events = (await client.get("/events", headers=AUDITOR)).json()["events"]
        by_auditor = await client.post("/checkpoints", headers=AUDITOR)

    assert empty.status_code == 404
    assert empty.headers["content-type"].startswith("application/problem+json")
    assert made.status_code == 201
    body = made.json()
    assert again.json() == body, "an unchanged head is not signed twice"
    assert latest == body
    assert body["tree_size"] == 3
    assert body["chain_hash"] == events[-1]["hash"]
    tree = MerkleTree(bytes.fromhex(e["hash"]) for e in events)
    assert body["root_hash"] == tree.root().hex()
    (key,) = keys["keys"]
    assert key["current"] is True and key["key_id"] == body["key_id"]
    public = base64.b64decode(key["public_key"])
    checkpoint = Checkpoint.from_json(body)
    assert signature_ok(checkpoint, public)
    forged = Checkpoint.from_json({**body, "tree_size": 2})
    assert not signature_ok(forged, public)
    assert by_auditor.status_code == 403, "auditors never write"


async def test_checkpoints_are_listed_newest_first_in_pages(database_url, servers, tmp_path):
    app = probe_app("ledger", database_url, servers.nats_url, tmp_path / "key.pem")
    async with running(app) as client:
        for i in range(3):
            await note(app, "s", f"n{i}")
            await client.post("/checkpoints", headers=SECRETARIAT)
        first = (await client.get("/checkpoints?limit=2", headers=AUDITOR)).json()
        rest = (
            await client.get(f"/checkpoints?limit=2&before={first['next_before']}", headers=AUDITOR)
        ).json()

    assert [c["tree_size"] for c in first["checkpoints"]] == [3, 2]
    assert [c["tree_size"] for c in rest["checkpoints"]] == [1]
    assert rest["next_before"] is None


async def test_an_inclusion_proof_of_a_real_event_checks_offline_and_a_forged_one_does_not(
    database_url, servers, tmp_path
):
    app = probe_app("ledger", database_url, servers.nats_url, tmp_path / "key.pem")
    async with running(app) as client:
        await note(app, "x", *[f"n{i}" for i in range(11)])
        checkpoint = (await client.post("/checkpoints", headers=SECRETARIAT)).json()
        event = (await client.get("/events?after=6&limit=1", headers=AUDITOR)).json()["events"][0]
        proof = (await client.get("/proofs/inclusion?position=7", headers=AUDITOR)).json()
        consistency = (
            await client.get("/proofs/consistency?first=4&second=11", headers=AUDITOR)
        ).json()
        beyond = await client.get("/proofs/inclusion?position=3&tree_size=12", headers=AUDITOR)
        backwards = await client.get("/proofs/consistency?first=5&second=4", headers=AUDITOR)

    from shared.merkle import leaf_hash

    root = bytes.fromhex(checkpoint["root_hash"])
    path = [bytes.fromhex(p) for p in proof["path"]]
    assert proof["tree_size"] == 11 and proof["event_hash"] == event["hash"]
    leaf = leaf_hash(bytes.fromhex(event["hash"]))
    assert verify_inclusion(leaf, 6, 11, path, root)
    forged_leaf = leaf_hash(bytes.fromhex(event["prev_hash"]))
    assert not verify_inclusion(forged_leaf, 6, 11, path, root)
    assert not verify_inclusion(leaf, 5, 11, path, root)
    assert not verify_inclusion(leaf, 6, 11, [*path[:-1], path[0]], root)
    assert verify_consistency(
        4,
        11,
        bytes.fromhex(consistency["first_root"]),
        root,
        [bytes.fromhex(p) for p in consistency["proof"]],
    )
    assert beyond.status_code == 404
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")


async def test_each_new_checkpoint_is_published_on_nats(database_url, servers, tmp_path):
    app = probe_app(
        "ledger", database_url, servers.nats_url, tmp_path / "key.pem", relay_enabled=True
    )
    connection = await nats_client.connect(servers.nats_url)
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def on_message(message):  # type: ignore[no-untyped-def]
        await received.put(message.data)

    await connection.subscribe("cica.ledger.checkpoints", cb=on_message)
    try:
        async with running(app) as client:
            await app.state.nats.connected()
            await note(app, "p", "hello")
            made = (await client.post("/checkpoints", headers=SECRETARIAT)).json()
            published = json.loads(await asyncio.wait_for(received.get(), 10))
    finally:
        with contextlib.suppress(Exception):  # leave no stream of this test behind
            await connection.jetstream().delete_stream("CICA_LEDGER")
        await connection.close()

    assert published == made


async def test_the_periodic_checkpoint_signs_a_grown_log(database_url, servers, tmp_path):
    app = probe_app(
        "ledger",
        database_url,
        servers.nats_url,
        tmp_path / "key.pem",
        checkpoint_interval_seconds=0.05,
    )
    async with running(app) as client:
        await note(app, "q", "a", "b")
        await eventually(
            lambda: client.get("/checkpoints/latest", headers=AUDITOR),
            until=lambda latest: latest.status_code == 200 and latest.json()["tree_size"] == 2,
            within=10,
            what="a checkpoint of the grown log",
        )


async def test_the_kit_migration_creates_the_checkpoints_table_as_declared(database_url):
    from sqlalchemy import MetaData

    from shared.checkpoints import checkpoints
    from tests.database import schema_differences

    declared = MetaData(naming_convention=checkpoints.metadata.naming_convention)
    checkpoints.to_metadata(declared)
    differences = await schema_differences(database_url, declared)

    relevant = [
        d
        for d in differences
        if not (isinstance(d, tuple) and d[0] in ("remove_table", "remove_index"))
    ]
    assert relevant == []


async def test_bad_checkpoint_and_proof_queries_get_problem_json(database_url, servers, tmp_path):
    app = probe_app("ledger", database_url, servers.nats_url, tmp_path / "key.pem")
    async with running(app) as client:
        await note(app, "z", "a")
        answers = [
            await client.get(path, headers=AUDITOR)
            for path in (
                f"/checkpoints?before={2**63}",
                "/checkpoints?limit=0",
                "/proofs/inclusion?position=0&tree_size=1",
                "/proofs/inclusion?position=1",  # no checkpoint yet to default to
                f"/proofs/inclusion?position=1&tree_size={2**70}",  # no BIGINT: invalid
                "/proofs/consistency?first=1",
            )
        ]

    assert [a.status_code for a in answers] == [422, 422, 422, 404, 422, 422]
    assert all(a.headers["content-type"].startswith("application/problem+json") for a in answers)
