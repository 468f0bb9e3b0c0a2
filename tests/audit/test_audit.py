"""`cica audit verify`, `export` and `verify --file` (shared/system/audit/) against running
services (the kit's app, in-process over ASGI): a log that holds passes and its newest
checkpoint is kept; a row edited by a database superuser fails at its position; a log rewritten
with every hash recomputed, and even signed afresh by the service, fails against the
checkpoints the auditor kept; an export verifies offline, and no longer does once one line is
edited."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
import httpx

from shared.access import Role
from shared.eventstore.hashing import canonical_document, chain_hash
from shared.system.audit.verify import export_services, load_kept, verify_export, verify_services
from shared.system.cli import main
from tests.access import bearer
from tests.database import as_superuser_without_triggers
from tests.polling import eventually
from tests.shared.checkpoint_apps import note, probe_app
from tests.shared.test_service_shell import running

AUDITOR = bearer(Role.AUDITOR)
SECRETARIAT = bearer(Role.SECRETARIAT)


@asynccontextmanager
async def services(
    specs: dict[str, tuple[str, object]], nats_url: str
) -> AsyncIterator[tuple[dict, dict[str, httpx.AsyncClient]]]:
    """Run a probe service per name (database URL, key file); their apps and auditor clients."""
    async with AsyncExitStack() as stack:
        apps, clients = {}, {}
        for name, (url, key_file) in specs.items():
            app = probe_app(name, url, nats_url, key_file)
            await stack.enter_async_context(running(app))
            apps[name] = app
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url=f"http://{name}.test",
                    headers=AUDITOR,
                )
            )
        yield apps, clients


async def sign(client: httpx.AsyncClient) -> dict:
    response = await client.post("/checkpoints", headers=SECRETARIAT)
    assert response.status_code == 201, response.text
    return response.json()


async def audit(clients, kept_file, **options):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    failures = await verify_services(clients, kept_file, out=out, **options)
    return failures, out.getvalue()


async def superuser(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


async def test_a_sound_log_passes_and_the_auditor_keeps_its_newest_checkpoints(
    new_database, servers, tmp_path
):
    specs = {
        "ledger": (await new_database(), tmp_path / "ledger.pem"),
        "annals": (await new_database(), tmp_path / "annals.pem"),
    }
    kept_file = tmp_path / "kept.json"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "one", "two", "three")
        await note(apps["annals"], "b", "uno")
        first = await sign(clients["ledger"])
        await sign(clients["annals"])
        failures, report = await audit(clients, kept_file)
        await note(apps["ledger"], "a", "four", "five")
        second = await sign(clients["ledger"])
        again, _ = await audit(clients, kept_file)

    assert failures == [], report
    assert "ledger: ok: 3 events chained, 1 checkpoints verified, signed up to 3" in report
    assert "annals: ok: 1 events chained" in report
    assert again == []
    kept = load_kept(kept_file)
    assert [c.as_json() for c in kept["ledger"].checkpoints] == [first, second]
    assert list(kept["ledger"].keys) == [first["key_id"]]


async def test_a_row_altered_by_a_superuser_fails_naming_the_service_and_position(
    new_database, servers, tmp_path
):
    url = await new_database()
    specs = {"ledger": (url, tmp_path / "ledger.pem")}
    kept_file = tmp_path / "kept.json"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", *[f"n{i}" for i in range(6)])
        await sign(clients["ledger"])
        before, _ = await audit(clients, kept_file)
        await as_superuser_without_triggers(
            url, """UPDATE events SET data = '{"note": "forged"}' WHERE position = 4"""
        )
        failures, report = await audit(clients, kept_file)

    assert before == []
    assert failures, report
    assert (failures[0].service, failures[0].position) == ("ledger", 4)
    assert "ledger: FAILED at position 4" in report
    assert len(load_kept(kept_file)["ledger"].checkpoints) == 1, "a failed run keeps nothing"


async def rewrite_from(url: str, position: int) -> None:
    """What an administrator with every database right can do: change the event at
    `position`, recompute every hash after it so the chain holds, drop the checkpoints."""
    connection = await superuser(url)
    try:
        rows = await connection.fetch("SELECT * FROM events ORDER BY position")
        await connection.execute("ALTER TABLE events DISABLE TRIGGER USER")
        prev = bytes(rows[position - 2]["hash"]) if position > 1 else bytes(32)
        for row in rows[position - 1 :]:
            data = json.loads(row["data"])
            if row["position"] == position:
                data = {"note": "what we wish had happened"}
            document = canonical_document(
                position=row["position"],
                event_id=row["event_id"],
                stream_id=row["stream_id"],
                stream_type=row["stream_type"],
                version=row["version"],
                event_type=row["event_type"],
                schema_version=row["schema_version"],
                data=data,
                metadata=json.loads(row["metadata"]),
                recorded_at=row["recorded_at"],
            )
            digest = chain_hash(prev, document)
            await connection.execute(
                "UPDATE events SET data = $1::jsonb, prev_hash = $2, hash = $3 WHERE position = $4",
                json.dumps(data),
                prev,
                digest,
                row["position"],
            )
            prev = digest
        await connection.execute("ALTER TABLE events ENABLE TRIGGER USER")
        await connection.execute("DELETE FROM checkpoints")
    finally:
        await connection.close()


async def test_a_log_rewritten_with_every_hash_recomputed_fails_against_kept_checkpoints(
    new_database, servers, tmp_path
):
    url = await new_database()
    specs = {"ledger": (url, tmp_path / "ledger.pem")}
    kept_file = tmp_path / "kept.json"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "one", "two", "three")
        await sign(clients["ledger"])
        assert (await audit(clients, kept_file))[0] == []
        await note(apps["ledger"], "a", "four", "five", "six")
        await sign(clients["ledger"])
        assert (await audit(clients, kept_file))[0] == []
    await rewrite_from(url, 5)
    # The service restarts on the rewritten log and, holding its key, signs it afresh.
    async with services(specs, servers.nats_url) as (apps, clients):
        chain = (await clients["ledger"].get("/events/verify")).json()
        resigned = await sign(clients["ledger"])
        failures, report = await audit(clients, kept_file)

    assert chain["ok"] is True, "the rewrite is invisible to the hash chain"
    assert resigned["tree_size"] == 6
    assert failures, report
    first = failures[0]
    assert (first.service, first.position) == ("ledger", 4)
    assert "kept checkpoint" in first.reason and "from 4 to 6" in first.reason


async def test_a_new_signing_key_is_refused_until_accepted(new_database, servers, tmp_path):
    url = await new_database()
    kept_file = tmp_path / "kept.json"
    specs = {"ledger": (url, tmp_path / "one.pem")}
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "one")
        await sign(clients["ledger"])
        assert (await audit(clients, kept_file))[0] == []
    specs = {"ledger": (url, tmp_path / "two.pem")}
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "two")
        await sign(clients["ledger"])
        refused, report = await audit(clients, kept_file)
        accepted, _ = await audit(clients, kept_file, accept_new_keys=True)

    assert refused and "not pinned" in refused[0].reason, report
    assert accepted == []
    assert len(load_kept(kept_file)["ledger"].keys) == 2


async def test_an_export_verifies_offline_and_fails_once_one_line_is_edited(
    new_database, servers, tmp_path, capsys
):
    specs = {
        "ledger": (await new_database(), tmp_path / "ledger.pem"),
        "annals": (await new_database(), tmp_path / "annals.pem"),
    }
    export = tmp_path / "history.jsonl"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", *[f"n{i}" for i in range(5)])
        await note(apps["annals"], "b", "uno", "dos")
        await sign(clients["ledger"])
        await sign(clients["annals"])
        await note(apps["ledger"], "a", "after the checkpoint")
        count = await export_services(clients, export)

    lines = export.read_text().splitlines()
    assert count == 8
    events = [json.loads(line) for line in lines if '"specversion"' in line]
    assert len(events) == 8 and events[0]["source"] == "/cica/ledger"
    assert verify_export(export, out=io.StringIO()) == []
    assert main(["audit", "verify", "--file", str(export), "--checkpoints", "none.json"]) == 0
    assert "ledger: ok: 6 events chained" in capsys.readouterr().out

    edited = tmp_path / "edited.jsonl"
    index = next(i for i, line in enumerate(lines) if '"sequence": 3' in line)
    lines_edited = list(lines)
    lines_edited[index] = lines[index].replace('"n2"', '"n2, amended"')
    edited.write_text("\n".join(lines_edited) + "\n")
    failures = verify_export(edited, out=io.StringIO())
    assert [(f.service, f.position) for f in failures] == [("ledger", 3)]
    assert main(["audit", "verify", "--file", str(edited), "--checkpoints", "none.json"]) == 1
    assert "ledger: FAILED at position 3" in capsys.readouterr().out

    forged = tmp_path / "forged.jsonl"
    index = next(i for i, line in enumerate(lines) if '"kind": "checkpoint"' in line)
    checkpoint_line = json.loads(lines[index])
    checkpoint_line["checkpoint"]["time"] = "2022-10-12T00:00:00.000000Z"
    lines_forged = list(lines)
    lines_forged[index] = json.dumps(checkpoint_line)
    forged.write_text("\n".join(lines_forged) + "\n")
    failures = verify_export(forged, out=io.StringIO())
    assert failures and "signature does not verify" in failures[0].reason


async def test_the_command_verifies_and_exports_services_over_http(
    new_database, servers, tmp_path, capsys, monkeypatch
):
    import asyncio

    import uvicorn

    from shared.system.devservers import free_port
    from tests.access import token

    port = free_port()
    app = probe_app("ledger", await new_database(), servers.nats_url, tmp_path / "ledger.pem")
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    kept = tmp_path / "kept.json"
    export = tmp_path / "history.jsonl"
    options = ["--service", f"ledger={base}", "--checkpoints", str(kept)]
    try:
        await eventually(lambda: server.started, within=15, what="uvicorn started")
        await note(app, "a", "one", "two")
        async with httpx.AsyncClient(base_url=base, headers=SECRETARIAT) as client:
            assert (await client.post("/checkpoints")).status_code == 201
        auditor = ["--token", token(Role.AUDITOR)]
        verified = await asyncio.to_thread(main, ["audit", "verify", *options, *auditor])
        verify_output = capsys.readouterr()
        exported = await asyncio.to_thread(
            main, ["audit", "export", "--out", str(export), *options, *auditor]
        )
        as_member = await asyncio.to_thread(
            main, ["audit", "verify", *options, "--token", token(Role.MEMBER_STATE, "KAZ")]
        )
    finally:
        server.should_exit = True
        await serving

    assert verified == 0, verify_output
    assert "ledger: ok: 2 events chained, 1 checkpoints verified" in verify_output.out
    assert "ledger: 2 events, 1 checkpoints" in verify_output.err, "progress goes to stderr"
    assert [
        c["tree_size"] for c in json.loads(kept.read_text())["services"]["ledger"]["checkpoints"]
    ] == [2]
    assert exported == 0
    assert main(["audit", "verify", "--file", str(export), "--checkpoints", str(kept)]) == 0
    monkeypatch.delenv("CICA_AUDIT_TOKEN", raising=False)
    assert main(["audit", "verify", *options]) == 2, "no token, no audit"
    assert as_member == 2, "a member state's token cannot read the log: the audit cannot run"
