"""`cica audit verify` and `cica audit export`: an auditor's check that the services' logs are
complete and unaltered, over HTTP with an auditor token, trusting neither the servers nor their
administrators. The fetching and checking here are what `shared.system.audit.history` builds
on; the command line is `shared.system.audit.command`.

- ``cica audit verify``: for each service, its own chain check (``/events/verify``), then every
  event fetched and the hash chain recomputed here, every signed checkpoint checked against the
  service's keys *as the auditor pinned them* and against the Merkle root recomputed here, the
  checkpoints the auditor kept from earlier runs (``--checkpoints FILE``) checked the same way
  and by a consistency proof to the newest (verified here), and inclusion proofs of a few
  events. If all holds, the newest checkpoints are added to the file. Keys are trusted on first
  use and pinned after; a new key is refused unless ``--accept-new-keys``.
- ``cica audit export --out FILE``: every service's history as JSON lines: its keys, its
  checkpoints, its events as CloudEvents.
- ``cica audit verify --file FILE``: the same checks on an export, with no server at all; every
  service the kept file holds checkpoints or keys for must be in it.

Exit status: 0 when everything holds, 1 when something fails (the message names the service
and the first position that fails), 2 when the audit could not run (no token, no answer).

The kept-checkpoints file (JSON, default ``cica-audit-checkpoints.json``)::

    {"format": "cica-audit-checkpoints/v1",
     "services": {"<service>": {"keys": {"<key id>": "<base64 raw Ed25519 public key>"},
                                "checkpoints": [<checkpoint>, ...]}}}

where a checkpoint is what ``GET /checkpoints`` serves (see `shared.checkpoints`).

The export (JSON lines, one object a line, in this order per service)::

    {"kind": "export", "format": "cica-audit-export/v1", "exported_at": ..., "services": [...]}
    {"kind": "keys", "service": s, "keys": {"<key id>": "<base64>"}}
    {"kind": "checkpoint", "service": s, "checkpoint": <checkpoint>}      (oldest first)
    <CloudEvent>                                                           (position order)

Each event line is the service's CloudEvents envelope (`shared.envelope`) plus the extension
``cicametadata``: the event's stored metadata as a JSON string, since the chain hash covers it.

What a pass means: every event up to the newest checkpoint is the one the service signed, and
every checkpoint the auditor kept is a prefix of it. What it does not: events after the newest
checkpoint are only chained, not yet signed; a service whose key was stolen can sign a rewritten
log, and then only the auditor's kept checkpoints (consistency) catch the rewrite.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from shared.checkpoints import Checkpoint, key_id, signature_ok
from shared.envelope import to_cloudevent
from shared.eventstore.hashing import GENESIS_HASH, ChainBreak, chain_break
from shared.eventstore.types import RecordedEvent
from shared.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

DEFAULT_CHECKPOINTS_FILE = Path("cica-audit-checkpoints.json")
KEPT_FORMAT = "cica-audit-checkpoints/v1"
EXPORT_FORMAT = "cica-audit-export/v1"
PAGE = 1000


class AuditError(Exception):
    """The audit could not run (no answer, a malformed answer): exit status 2."""


@dataclass
class Failure:
    service: str
    position: int | None
    reason: str

    def __str__(self) -> str:
        where = f" at position {self.position}" if self.position is not None else ""
        return f"{self.service}: FAILED{where}: {self.reason}"


@dataclass
class ServiceLog:
    """What the auditor holds of one service: its events (feed items, as `/events` serves
    them), its checkpoints and its keys (key id → raw public key)."""

    service: str
    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    keys: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Checked:
    """A log that verified: its Merkle tree and newest checkpoint."""

    tree: MerkleTree
    newest: Checkpoint | None


class Progress:
    """Progress on stderr: a line rewritten in place on a terminal, a line per step else."""

    def __init__(self, stream: TextIO | None = None, *, every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self._last = time.monotonic()

    def step(self, message: str, *, final: bool = False) -> None:
        """Show `message`; off a terminal, only final steps and one every few seconds."""
        now = time.monotonic()
        if self.tty:
            end = "\n" if final else ""
            self.stream.write(f"\r\x1b[K{message}{end}")
        elif final or now - self._last >= self.every:
            self.stream.write(message + "\n")
            self._last = now
        self.stream.flush()


# ------------------------------------------------------------------------ offline checks


def recorded_event(item: dict[str, Any]) -> RecordedEvent:
    """An event as a service's ``GET /events`` serves it, as the record it was stored as."""
    return RecordedEvent.from_feed_item(item)


_CHAIN_BREAKS = {
    ChainBreak.PREV_HASH: "prev_hash is not the previous hash",
    ChainBreak.CONTENT: "the event does not match its hash",
}


def check_chain(
    log: ServiceLog, progress: Progress | None = None
) -> tuple[MerkleTree, Failure | None]:
    """Recompute the hash chain; the Merkle tree of the events up to the first failure."""
    tree = MerkleTree()
    prev = GENESIS_HASH
    for expected, item in enumerate(log.events, start=1):
        try:
            record = recorded_event(item)
        except (KeyError, ValueError, TypeError) as error:
            return tree, Failure(log.service, expected, f"malformed event: {error!r}")
        broken = chain_break(record, expected, prev)
        if broken is ChainBreak.MISSING:
            return tree, Failure(
                log.service, expected, f"missing (the next event is at {record.position})"
            )
        if broken is not None:
            return tree, Failure(log.service, expected, _CHAIN_BREAKS[broken])
        tree.append(record.hash)
        prev = record.hash
        if progress is not None and expected % 10_000 == 0:
            progress.step(f"{log.service}: {expected}/{len(log.events)} events rehashed")
    return tree, None


def check_checkpoint(
    service: str, checkpoint: Checkpoint, tree: MerkleTree, keys: dict[str, bytes], *, what: str
) -> Failure | None:
    """Is `checkpoint` signed by a pinned key, of this service, and true of `tree`?"""
    size = checkpoint.tree_size
    if checkpoint.service != service:
        return Failure(service, None, f"{what} of size {size} names {checkpoint.service!r}")
    public = keys.get(checkpoint.key_id)
    if public is None:
        return Failure(service, None, f"{what} of size {size}: unknown key {checkpoint.key_id}")
    if not signature_ok(checkpoint, public):
        return Failure(service, None, f"{what} of size {size}: the signature does not verify")
    if size > len(tree):
        return Failure(
            service, len(tree) + 1, f"{what} covers {size} events; the log has {len(tree)}"
        )
    if tree.root(size) != checkpoint.root_hash or tree.leaf(size - 1) != leaf_hash(
        checkpoint.chain_hash
    ):
        return Failure(
            service, size, f"events up to {size} are not those of the signed {what} of {size}"
        )
    return None


def first_divergence(
    service: str, failure: Failure, kept: list[Checkpoint], tree: MerkleTree
) -> Failure:
    """Narrow a mismatch with kept checkpoints to after the last one that still matches."""
    if failure.position is None:
        return failure
    good = 0
    for checkpoint in sorted(kept, key=lambda c: c.tree_size):
        size = checkpoint.tree_size
        if size >= failure.position or size > len(tree):
            break
        if tree.root(size) == checkpoint.root_hash:
            good = size
    if good + 1 == failure.position:
        return failure
    return Failure(
        service,
        good + 1,
        f"{failure.reason} (the log matches what was signed up to {good}; "
        f"it differs at a position from {good + 1} to {failure.position})",
    )


def check_log(
    log: ServiceLog,
    kept: list[Checkpoint],
    pinned: dict[str, bytes],
    progress: Progress | None = None,
) -> tuple[Checked | None, list[Failure]]:
    """Every offline check of one service's log: chain, served checkpoints, kept ones."""
    tree, failure = check_chain(log, progress)
    if failure is not None:
        return None, [failure]
    failures: list[Failure] = []
    for checkpoint in sorted(kept, key=lambda c: c.tree_size):
        problem = check_checkpoint(log.service, checkpoint, tree, pinned, what="kept checkpoint")
        if problem is not None:
            failures.append(first_divergence(log.service, problem, kept, tree))
            break
    for checkpoint in sorted(log.checkpoints, key=lambda c: c.tree_size):
        problem = check_checkpoint(log.service, checkpoint, tree, pinned, what="checkpoint")
        if problem is not None:
            failures.append(first_divergence(log.service, problem, kept, tree))
            break
    newest = max(log.checkpoints, key=lambda c: c.tree_size, default=None)
    if kept:
        # No checkpoint served while the auditor kept some is a rollback too: they were taken
        # away (served size 0), not "nothing signed yet".
        older = max(kept, key=lambda c: c.tree_size)
        served = newest.tree_size if newest is not None else 0
        if older.tree_size > served:
            failures.append(
                Failure(
                    log.service,
                    served + 1,
                    f"the newest checkpoint ({served if newest is not None else 'none served'}) "
                    f"is older than one the auditor kept ({older.tree_size})",
                )
            )
    return (Checked(tree, newest) if not failures else None), failures


# --------------------------------------------------------------------- the kept checkpoints


@dataclass
class Kept:
    keys: dict[str, bytes] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)


def load_kept(path: Path) -> dict[str, Kept]:
    if not path.exists():
        return {}
    try:
        content = json.loads(path.read_text())
        if content.get("format") != KEPT_FORMAT:
            raise ValueError(f"not a {KEPT_FORMAT} file")
        return {
            service: Kept(
                keys={kid: base64.b64decode(k) for kid, k in entry.get("keys", {}).items()},
                checkpoints=[Checkpoint.from_json(c) for c in entry.get("checkpoints", [])],
            )
            for service, entry in content.get("services", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise AuditError(f"{path}: cannot read the kept checkpoints: {error}") from None


def save_kept(path: Path, kept: dict[str, Kept]) -> None:
    content = {
        "format": KEPT_FORMAT,
        "services": {
            service: {
                "keys": {
                    kid: base64.b64encode(k).decode() for kid, k in sorted(entry.keys.items())
                },
                "checkpoints": [
                    c.as_json() for c in sorted(entry.checkpoints, key=lambda c: c.tree_size)
                ],
            }
            for service, entry in sorted(kept.items())
        },
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(content, indent=1) + "\n")
    temporary.replace(path)


def pin_keys(
    service: str, kept: Kept, served: dict[str, bytes], *, accept_new: bool
) -> Failure | None:
    """Trust on first use: a service seen for the first time has its keys pinned; after that a
    key not pinned is refused (unless `accept_new`), and a pinned id must keep its key."""
    for kid, public in served.items():
        if key_id(public) != kid:
            return Failure(service, None, f"the served key {kid} does not have that id")
        pinned = kept.keys.get(kid)
        if pinned is not None and pinned != public:
            return Failure(service, None, f"key {kid} is not the key pinned under that id")
    new = set(served) - set(kept.keys)
    if new and kept.keys and not accept_new:
        return Failure(
            service,
            None,
            f"new signing key(s) {', '.join(sorted(new))} not pinned (check why, then rerun "
            "with --accept-new-keys)",
        )
    kept.keys.update(served)
    return None


# ------------------------------------------------------------------------------ over HTTP


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    """The JSON a service answers to ``GET path``; AuditError on anything but a 200."""
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as error:
        raise AuditError(f"{client.base_url}{path}: {error!r}") from None
    if response.status_code != 200:
        raise AuditError(f"{client.base_url}{path}: {response.status_code} {response.text[:200]}")
    return response.json()


async def fetch_events(
    service: str, client: httpx.AsyncClient, progress: Progress, *, until: int | None = None
) -> list[dict[str, Any]]:
    """A service's log from position 1, all pages (up to `until` if given)."""
    events: list[dict[str, Any]] = []
    after = 0
    while until is None or after < until:
        limit = PAGE if until is None else min(PAGE, until - after)
        page = await get_json(client, "/events", after=after, limit=limit)
        events.extend(page["events"])
        target = page["head"] if until is None else min(until, page["head"])
        progress.step(f"{service}: {len(events)}/{target} events")
        if not page["events"] or page["next_after"] <= after or page["next_after"] >= target:
            break
        after = page["next_after"]
    if until is not None:
        events = [e for e in events if e["position"] <= until]
    progress.step(f"{service}: {len(events)} events fetched", final=True)
    return events


async def fetch_log(
    service: str, client: httpx.AsyncClient, progress: Progress
) -> tuple[ServiceLog, dict[str, Any]]:
    """A service's whole log, checkpoints and keys; with its own chain report."""
    report = await get_json(client, "/events/verify")
    log = ServiceLog(service)
    # Checkpoints before events: the log only grows, so every checkpoint read covers
    # events that the reading of the log after it will find.
    params: dict[str, Any] = {"limit": PAGE}
    while True:
        page = await get_json(client, "/checkpoints", **params)
        log.checkpoints.extend(Checkpoint.from_json(c) for c in page["checkpoints"])
        if page["next_before"] is None:
            break
        params["before"] = page["next_before"]
    keys = await get_json(client, "/keys")
    log.keys = {k["key_id"]: base64.b64decode(k["public_key"]) for k in keys["keys"]}
    log.events = await fetch_events(service, client, progress)
    progress.step(
        f"{service}: {len(log.events)} events, {len(log.checkpoints)} checkpoints", final=True
    )
    return log, report


async def check_proofs(
    service: str, client: httpx.AsyncClient, checked: Checked, kept: list[Checkpoint]
) -> list[Failure]:
    """The service's own proofs, verified here: consistency from each kept checkpoint to the
    newest, and inclusion of the first, middle and last events in the newest."""
    newest = checked.newest
    if newest is None:
        return []
    failures = []
    for older in sorted(kept, key=lambda c: c.tree_size):
        if older.tree_size >= newest.tree_size:
            continue
        answer = await get_json(
            client, "/proofs/consistency", first=older.tree_size, second=newest.tree_size
        )
        proof = [bytes.fromhex(p) for p in answer["proof"]]
        if not verify_consistency(
            older.tree_size, newest.tree_size, older.root_hash, newest.root_hash, proof
        ):
            failures.append(
                Failure(
                    service,
                    older.tree_size,
                    f"no valid consistency proof from the kept checkpoint {older.tree_size} "
                    f"to the newest {newest.tree_size}",
                )
            )
    size = newest.tree_size
    for position in sorted({1, (size + 1) // 2, size}):
        answer = await get_json(client, "/proofs/inclusion", position=position, tree_size=size)
        proof = [bytes.fromhex(p) for p in answer["path"]]
        leaf = checked.tree.leaf(position - 1)
        if not verify_inclusion(leaf, position - 1, size, proof, newest.root_hash):
            failures.append(Failure(service, position, "the served inclusion proof is invalid"))
    return failures


async def verify_services(
    clients: dict[str, httpx.AsyncClient],
    kept_file: Path,
    *,
    accept_new_keys: bool = False,
    progress: Progress | None = None,
    out: TextIO | None = None,
) -> list[Failure]:
    """`cica audit verify` over HTTP; the failures (none: the kept file has been extended)."""
    progress = progress or Progress()
    out = out or sys.stdout
    kept = load_kept(kept_file)
    failures: list[Failure] = []
    for service, client in clients.items():
        log, report = await fetch_log(service, client, progress)
        entry = kept.setdefault(service, Kept())
        service_failures: list[Failure] = []
        if not report.get("ok"):
            service_failures.append(
                Failure(
                    service,
                    report.get("first_bad_position"),
                    f"the service's own chain check: {report.get('reason')}",
                )
            )
        problem = pin_keys(service, entry, log.keys, accept_new=accept_new_keys)
        if problem is not None:
            service_failures.append(problem)
        else:
            checked, problems = check_log(log, entry.checkpoints, entry.keys, progress)
            service_failures.extend(problems)
            if checked is not None:
                service_failures.extend(
                    await check_proofs(service, client, checked, entry.checkpoints)
                )
                if not service_failures:
                    _summarise(out, service, log, checked)
                    if checked.newest is not None and all(
                        c.tree_size != checked.newest.tree_size for c in entry.checkpoints
                    ):
                        entry.checkpoints.append(checked.newest)
        for failure in _first_by_position(service_failures):
            print(failure, file=out)
        failures.extend(_first_by_position(service_failures))
    if not failures:
        save_kept(kept_file, kept)
    return failures


def _first_by_position(failures: list[Failure]) -> list[Failure]:
    """The first failing position first (failures that name none after)."""
    return sorted(failures, key=lambda f: (f.position is None, f.position or 0))


def _summarise(out: TextIO, service: str, log: ServiceLog, checked: Checked) -> None:
    newest = checked.newest
    signed = (
        f"signed up to {newest.tree_size} (root {newest.root_hash.hex()[:16]}…)"
        if newest
        else "no checkpoint yet: nothing is signed"
    )
    print(
        f"{service}: ok: {len(log.events)} events chained, {len(log.checkpoints)} "
        f"checkpoints verified, {signed}",
        file=out,
    )


# --------------------------------------------------------------------------------- export


def _cloudevent(item: dict[str, Any], service: str) -> dict[str, Any]:
    envelope = to_cloudevent(recorded_event(item), service)
    envelope["cicametadata"] = json.dumps(item["metadata"], separators=(",", ":"))
    return envelope


def _feed_item(envelope: dict[str, Any]) -> dict[str, Any]:
    """An export's event line back in the feed's shape (what the chain is computed over)."""
    kind = envelope["type"].rsplit(".", 2)
    return {
        "position": envelope["sequence"],
        "event_id": envelope["id"],
        "stream_id": envelope["subject"],
        "stream_type": envelope["streamtype"],
        "version": envelope["streamversion"],
        "event_type": kind[-2],
        "schema_version": int(kind[-1].removeprefix("v")),
        "data": envelope["data"],
        "metadata": json.loads(envelope["cicametadata"]),
        "recorded_at": envelope["time"],
        "prev_hash": envelope["prevhash"],
        "hash": envelope["hash"],
    }


def export_lines(logs: Iterable[ServiceLog]) -> Iterator[str]:
    logs = list(logs)
    header = {
        "kind": "export",
        "format": EXPORT_FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "services": [log.service for log in logs],
    }
    yield json.dumps(header)
    for log in logs:
        keys = {kid: base64.b64encode(k).decode() for kid, k in sorted(log.keys.items())}
        yield json.dumps({"kind": "keys", "service": log.service, "keys": keys})
        for checkpoint in sorted(log.checkpoints, key=lambda c: c.tree_size):
            yield json.dumps(
                {"kind": "checkpoint", "service": log.service, "checkpoint": checkpoint.as_json()}
            )
        for item in log.events:
            yield json.dumps(_cloudevent(item, log.service), ensure_ascii=False)


async def export_services(
    clients: dict[str, httpx.AsyncClient], out_file: Path, progress: Progress | None = None
) -> int:
    """`cica audit export`: write every service's history; returns the number of events."""
    progress = progress or Progress()
    logs = [(await fetch_log(service, client, progress))[0] for service, client in clients.items()]
    temporary = out_file.with_name(out_file.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        for line in export_lines(logs):
            file.write(line + "\n")
    temporary.replace(out_file)
    return sum(len(log.events) for log in logs)


def read_export(path: Path) -> list[ServiceLog]:
    """The logs of an export; AuditError naming the line if one cannot be read."""
    logs: dict[str, ServiceLog] = {}
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            try:
                value = json.loads(line)
                if number == 1:
                    if value.get("format") != EXPORT_FORMAT:
                        raise ValueError(f"not a {EXPORT_FORMAT} file")
                    logs = {s: ServiceLog(s) for s in value["services"]}
                elif value.get("kind") == "keys":
                    logs[value["service"]].keys = {
                        kid: base64.b64decode(k) for kid, k in value["keys"].items()
                    }
                elif value.get("kind") == "checkpoint":
                    checkpoint = Checkpoint.from_json(value["checkpoint"])
                    logs[value["service"]].checkpoints.append(checkpoint)
                elif value.get("specversion") == "1.0":
                    service = value["source"].removeprefix("/cica/")
                    logs[service].events.append(_feed_item(value))
                else:
                    raise ValueError("neither keys, a checkpoint nor a CloudEvent")
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise AuditError(f"{path}:{number}: {error!r}") from None
    return list(logs.values())


def verify_export(
    path: Path,
    kept_file: Path | None = None,
    *,
    out: TextIO | None = None,
    progress: Progress | None = None,
) -> list[Failure]:
    """`cica audit verify --file`: the export's chains, checkpoints and signatures, offline.
    With a kept-checkpoints file, its pinned keys and kept checkpoints are held against the
    export too (and the file is not changed)."""
    out = out or sys.stdout
    kept = load_kept(kept_file) if kept_file is not None else {}
    failures: list[Failure] = []
    logs = read_export(path)
    # Every service the auditor kept checkpoints or pinned keys for must be in the export: one
    # left out (or its whole history dropped) is not a service with nothing to check.
    exported = {log.service for log in logs}
    for service, entry in sorted(kept.items()):
        if service not in exported and (entry.checkpoints or entry.keys):
            failure = Failure(
                service,
                None,
                f"not in the export, though the auditor kept {len(entry.checkpoints)} "
                f"checkpoint(s) and {len(entry.keys)} key(s) for it",
            )
            print(failure, file=out)
            failures.append(failure)
    for log in logs:
        entry = kept.get(log.service, Kept())
        problem = pin_keys(log.service, Kept(dict(entry.keys)), log.keys, accept_new=False)
        keys = {**log.keys, **entry.keys}
        if problem is not None:
            service_failures = [problem]
        else:
            checked, service_failures = check_log(
                log, entry.checkpoints, keys, progress or Progress()
            )
            if checked is not None:
                _summarise(out, log.service, log, checked)
        for failure in _first_by_position(service_failures):
            print(failure, file=out)
        failures.extend(service_failures)
    return failures
