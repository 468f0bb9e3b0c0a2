"""`cica audit verify` does not let what the auditor kept be dodged by leaving things out: an
export missing a service (or every service) the kept file holds checkpoints and keys for fails
naming it, and checkpoints taken away (none served, though the auditor kept some) fail like a
newest checkpoint older than a kept one, over HTTP and offline."""

from __future__ import annotations

import io
import json
from pathlib import Path

from shared.system.audit.verify import export_services, load_kept, verify_export
from shared.system.cli import main
from tests.audit.test_audit import audit, services, sign
from tests.database import as_superuser_without_triggers
from tests.shared.checkpoint_apps import note


def rewrite_export(source: Path, target: Path, keep) -> Path:  # type: ignore[no-untyped-def]
    """`source` with its header's services and its lines filtered by `keep(service, line)`."""
    lines = [json.loads(line) for line in source.read_text().splitlines()]
    header, rest = lines[0], lines[1:]
    header["services"] = [s for s in header["services"] if keep(s, None)]
    kept_lines = [
        line
        for line in rest
        if keep(line.get("service") or line["source"].removeprefix("/cica/"), line)
    ]
    target.write_text("\n".join(json.dumps(line) for line in [header, *kept_lines]) + "\n")
    return target


async def test_an_export_leaving_out_a_kept_service_or_its_checkpoints_fails(
    new_database, servers, tmp_path, capsys
):
    specs = {
        "ledger": (await new_database(), tmp_path / "ledger.pem"),
        "annals": (await new_database(), tmp_path / "annals.pem"),
    }
    kept_file = tmp_path / "kept.json"
    export = tmp_path / "history.jsonl"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "one", "two", "three")
        await note(apps["annals"], "b", "uno")
        await sign(clients["ledger"])
        await sign(clients["annals"])
        assert (await audit(clients, kept_file))[0] == []
        await export_services(clients, export)
    assert verify_export(export, kept_file, out=io.StringIO()) == []

    without_annals = rewrite_export(
        export, tmp_path / "without_annals.jsonl", lambda service, _: service != "annals"
    )
    failures = verify_export(without_annals, kept_file, out=io.StringIO())
    assert [(f.service, f.position) for f in failures] == [("annals", None)]
    assert "not in the export" in failures[0].reason
    assert verify_export(without_annals, out=io.StringIO()) == [], "nothing kept, nothing owed"
    args = ["audit", "verify", "--file", str(without_annals), "--checkpoints", str(kept_file)]
    assert main(args) == 1
    assert "annals: FAILED: not in the export" in capsys.readouterr().out

    empty = rewrite_export(export, tmp_path / "empty.jsonl", lambda service, _: False)
    failures = verify_export(empty, kept_file, out=io.StringIO())
    assert sorted(f.service for f in failures) == ["annals", "ledger"]
    assert main(["audit", "verify", "--file", str(empty), "--checkpoints", str(kept_file)]) == 1

    no_checkpoints = rewrite_export(
        export,
        tmp_path / "no_checkpoints.jsonl",
        lambda service, line: line is None or line.get("kind") != "checkpoint",
    )
    failures = verify_export(no_checkpoints, kept_file, out=io.StringIO())
    assert [(f.service, f.position) for f in failures] == [("ledger", 1), ("annals", 1)]
    assert "older than one the auditor kept (3)" in failures[0].reason
    args = ["audit", "verify", "--file", str(no_checkpoints), "--checkpoints", str(kept_file)]
    assert main(args) == 1
    report = capsys.readouterr().out
    assert "ledger: FAILED at position 1" in report
    assert "nothing is signed" not in report


async def test_checkpoints_taken_away_from_a_service_fail_against_kept_ones(
    new_database, servers, tmp_path
):
    url = await new_database()
    specs = {"ledger": (url, tmp_path / "ledger.pem")}
    kept_file = tmp_path / "kept.json"
    async with services(specs, servers.nats_url) as (apps, clients):
        await note(apps["ledger"], "a", "one", "two", "three")
        await sign(clients["ledger"])
        assert (await audit(clients, kept_file))[0] == []
        await as_superuser_without_triggers(url, "DELETE FROM checkpoints")
        assert (await clients["ledger"].get("/checkpoints")).json()["checkpoints"] == []
        failures, report = await audit(clients, kept_file)

    assert [(f.service, f.position) for f in failures] == [("ledger", 1)], report
    assert "older than one the auditor kept (3)" in failures[0].reason
    assert "nothing is signed" not in report
    assert [c.tree_size for c in load_kept(kept_file)["ledger"].checkpoints] == [3]
