"""`cica audit state`, `trace` and `replay` (shared/system/audit/history.py) against a server
that lies: each command recomputes the hash chain of every log it fetches and answers nothing
when one breaks (exit 2, naming the service and the position), and `replay` refuses a log
served short of the position its read models claim. The server under audit is the adversary
here, so it is a small HTTP server in the test serving made-up logs; the auditor's side is the
real `cica` command line. `replay_digest` refuses to fold short of `until` too, on the real
PostgreSQL the test session starts."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.eventstore.hashing import GENESIS_HASH, canonical_document, chain_hash, format_instant
from shared.projections import ProjectionError, replay_digest
from shared.system.cli import main
from shared.system.devservers import free_port
from tests.shared.member_list import code, member_list, state_history
from tests.shared.test_projections import store

__all__ = ["store"]

Log = list[dict[str, Any]]


def chained_log(length: int) -> Log:
    """`length` events as `GET /events` serves them, each caused by the one before, chained."""
    items, prev = [], GENESIS_HASH
    for position in range(1, length + 1):
        fields: dict[str, Any] = {
            "position": position, "event_id": uuid.UUID(int=position),
            "stream_id": f"thing-{position}", "stream_type": "thing", "version": 1,
            "event_type": "ThingHappened", "schema_version": 1, "data": {"n": position},
            "metadata": {"causation_id": str(uuid.UUID(int=position - 1))} if position > 1 else {},
            "recorded_at": datetime(2022, 10, 11, position, tzinfo=UTC),
        }  # fmt: skip
        digest = chain_hash(prev, canonical_document(**fields))
        item = dict(fields, event_id=str(fields["event_id"]))
        item["recorded_at"] = format_instant(fields["recorded_at"])
        items.append(item | {"prev_hash": prev.hex(), "hash": digest.hex()})
        prev = digest
    return items


def forged(log: Log) -> Log:
    """Event 2 altered under its old hash, event 3's link zeroed."""
    log = copy.deepcopy(log)
    log[1]["data"] = {"n": "FORGED"}
    log[2]["prev_hash"] = "00" * 32
    return log


def relinked(log: Log) -> Log:
    """Only event 3's link zeroed (its content and hash as they were)."""
    log = copy.deepcopy(log)
    log[2]["prev_hash"] = "00" * 32
    return log


@contextmanager
def serving(log: Log, *, head: int | None = None, projections: Log | None = None) -> Iterator[str]:
    """A service answering `GET /events` (`after`, `limit`) from `log`, claiming `head` (the
    log's end if None), and `GET /projections`; its URL."""
    claimed = len(log) if head is None else head

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/events":
                after, limit = int(query.get("after", 0)), int(query.get("limit", 1000))
                page = [e for e in log if e["position"] > after][:limit]
                next_after = page[-1]["position"] if page else after
                body = {"events": page, "head": claimed, "next_after": next_after}
            elif url.path == "/projections":
                body = {"projections": projections or []}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def cica_audit(
    capsys: pytest.CaptureFixture[str], *args: str, services: dict[str, str]
) -> tuple[int, str, str]:
    """`cica audit ARGS` against `services` (name → URL): its exit status, stdout and stderr."""
    options = [o for name, url in services.items() for o in ("--service", f"{name}={url}")]
    capsys.readouterr()
    status = main(["audit", *args, *options, "--token", "any"])
    out, err = capsys.readouterr()
    return status, out, err


STATE = ("state", "--as-of", "2030-01-01T00:00Z", "--json")


def trace_of(position: int) -> tuple[str, ...]:
    return ("trace", f"secretariat:{uuid.UUID(int=position)}", "--json")


def test_state_and_trace_answer_from_a_log_whose_chain_holds(capsys):
    with serving(chained_log(3)) as secretariat:
        traced = cica_audit(capsys, *trace_of(2), services={"secretariat": secretariat})
        state = cica_audit(capsys, *STATE, services={"secretariat": secretariat})

    assert traced[0] == 0, traced
    assert json.loads(traced[1])["event"]["position"] == 2
    assert [e["position"] for e in json.loads(traced[1])["event"]["effects"]] == [3]
    assert state[0] == 0, state
    assert json.loads(state[1])["events_counted"] == 3


@pytest.mark.parametrize("command", [trace_of(2), STATE], ids=["trace", "state"])
@pytest.mark.parametrize(
    ("alter", "failure"),
    [
        (forged, "secretariat: FAILED at position 2: the event does not match its hash"),
        (relinked, "secretariat: FAILED at position 3: prev_hash is not the previous hash"),
    ],
    ids=["forged-event", "broken-link"],
)
def test_state_and_trace_answer_nothing_from_a_log_whose_chain_breaks(
    capsys, command: tuple[str, ...], alter: Callable[[Log], Log], failure: str
):
    with serving(chained_log(4)) as registry, serving(alter(chained_log(4))) as secretariat:
        status, out, err = cica_audit(
            capsys, *command, services={"registry": registry, "secretariat": secretariat}
        )

    assert status == 2, (out, err)
    assert out == "", "no answer from a broken log"
    assert f"cica audit: {failure}" in err
    assert "FORGED" not in out + err


def test_replay_refuses_a_log_served_short_of_its_read_models_position(capsys):
    live = [{"name": "registry_members", "version": 1, "position": 10, "digest": "ab" * 32}]
    nowhere = f"postgresql://auditor@127.0.0.1:{free_port()}/scratch"
    with serving(chained_log(10)[:5], head=5, projections=live) as registry:
        status, out, err = cica_audit(
            capsys, "replay", "--scratch-database-url", nowhere, services={"registry": registry}
        )

    assert status == 2, (out, err)
    assert out == ""
    assert (
        "cica audit: registry: FAILED: the log served ends at position 5, short of position 10 "
        "asked for (where its read models claim to be)"
    ) in err


async def test_replay_digest_refuses_to_fold_short_of_until(store):
    for _ in range(2):
        await state_history(store, code(), renames=1)
    head = await store.head_position()

    assert await replay_digest(store, member_list(), until=head, batch_size=3)
    short = f"replay to position {head + 5}, the log ends at {head}"
    with pytest.raises(ProjectionError, match=short):
        await replay_digest(store, member_list(), until=head + 5, batch_size=3)
