"""Load with counting: thousands of commands from concurrent clients against a real server of
the documents service (uvicorn in a process of its own, over HTTP), then the log is counted.

The command is "revise a draft" (POST /documents/{symbol}/revisions with If-Match), each one
carrying a marker of its own in its `basis`. Among them:

- retries: the same Idempotency-Key sent two or three times, one after the other, or twice at
  once (the second then either replays or is told 409 "in progress"): the command must be
  appended once, and every retry that is answered 201 must get the first answer, byte for byte;
- stale If-Match: a version the document has already left; refused with 412, it must append
  nothing.

Afterwards the log must hold every accepted command exactly once, no refused one, and nothing
else. 1,000 requests in the suite (under a minute on a 2-core machine, where the server
answers some 80 revisions a second, most of it the documents projections' work: the suite
keeps to its fifteen minutes); ``CICA_LOAD_COMMANDS=10000`` or more for a longer run by hand.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest

from shared.system.devservers import free_port
from tests.access import SECRET, bearer
from tests.documents.helpers import dated_today, draft, small_text
from tests.polling import eventually

COMMANDS = int(os.environ.get("CICA_LOAD_COMMANDS", "1000"))
CLIENTS = 50
DOCUMENTS_PER_CLIENT = 2
SECRETARIAT = bearer("secretariat")


@contextmanager
def documents_server(database_url: str, nats_url: str) -> Iterator[str]:
    """The documents service as `cica up` runs it: uvicorn with the app factory, in a process
    of its own; its consumers and relay are off (this test counts its own log only)."""
    port = free_port()
    environment = {
        **os.environ,
        "CICA_DOCUMENTS_DATABASE_URL": database_url,
        "CICA_DOCUMENTS_NATS_URL": nats_url,
        "CICA_DOCUMENTS_CONSUMERS_ENABLED": "false",
        "CICA_DOCUMENTS_RELAY_ENABLED": "false",
        "CICA_DOCUMENTS_LOG_LEVEL": "WARNING",
        "CICA_JWT_SECRET": SECRET,
        "CICA_JWT_ISSUER": "cica",
        "CICA_JWT_AUDIENCE": "cica",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.documents.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--timeout-keep-alive",
            "120",
            "--log-level",
            "warning",
        ],
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def until_ready(client: httpx.AsyncClient) -> None:
    await eventually(
        lambda: client.get("/readyz"),
        until=lambda response: response.status_code == 200,
        every=0.1,
        what="the documents server ready",
        ignoring=(httpx.TransportError,),
    )


@dataclass
class Tally:
    budget: int
    sent: int = 0
    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    retried: int = 0
    answers: Counter[str] = field(default_factory=Counter)

    def take(self, n: int) -> bool:
        if self.sent + n > self.budget:
            return False
        self.sent += n
        return True


@dataclass
class Draft:
    symbol: str
    etag: str
    old_etags: list[str] = field(default_factory=list)


async def _revise(
    client: httpx.AsyncClient, doc: Draft, marker: str, *, etag: str, key: str | None = None
) -> httpx.Response:
    headers = {**SECRETARIAT, "If-Match": etag}
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"text": small_text("Load", ("op-a", "operative", marker)), "basis": marker,
            **dated_today()}
    return await client.post(f"/documents/{doc.symbol}/revisions", json=body, headers=headers)


def _accept(doc: Draft, response: httpx.Response) -> None:
    assert response.status_code == 201, response.text
    doc.old_etags.append(doc.etag)
    doc.etag = response.headers["ETag"]


def _series(number: int) -> str:
    """A series of the client's own (a kind is letters only): LOAD/2022/ClientBC for 12."""
    return "LOAD/2022/Client" + "".join(chr(ord("A") + int(d)) for d in str(number))


async def client_task(client: httpx.AsyncClient, number: int, tally: Tally) -> None:
    rng = random.Random(number)
    documents = []
    for _ in range(DOCUMENTS_PER_CLIENT):
        created = await client.post(
            "/documents",
            json=draft(series=_series(number), distribution="general"),
            headers=SECRETARIAT,
        )
        assert created.status_code == 201, created.text
        documents.append(Draft(created.json()["symbol"], created.headers["ETag"]))
    while True:
        doc = rng.choice(documents)
        marker = f"m-{uuid.uuid4().hex}"
        roll = rng.random()
        if roll < 0.08 and tally.take(tries := rng.choice((2, 3))):
            key = str(uuid.uuid4())
            answers = [
                await _revise(client, doc, marker, etag=doc.etag, key=key) for _ in range(tries)
            ]
            first = answers[0]
            for retry in answers[1:]:
                assert retry.status_code == 201, retry.text
                assert retry.headers.get("Idempotent-Replayed") == "true"
                assert (retry.content, retry.headers["ETag"]) == (
                    first.content,
                    first.headers["ETag"],
                )
            _accept(doc, first)
            tally.accepted.add(marker)
            tally.retried += tries - 1
            tally.answers["201 then replays"] += 1
        elif roll < 0.10 and tally.take(2):
            key = str(uuid.uuid4())
            answers = await asyncio.gather(
                *(_revise(client, doc, marker, etag=doc.etag, key=key) for _ in range(2))
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
            done = [a for a in answers if a.status_code == 201]
            assert len({(a.content, a.headers["ETag"]) for a in done}) == 1
            _accept(doc, done[0])
            tally.accepted.add(marker)
            tally.retried += 1
            tally.answers[f"concurrent {statuses}"] += 1
        elif roll < 0.20 and doc.old_etags and tally.take(1):
            stale = rng.choice(doc.old_etags)
            response = await _revise(client, doc, marker, etag=stale)
            assert response.status_code == 412, response.text
            assert response.headers["content-type"] == "application/problem+json"
            tally.refused.add(marker)
            tally.answers["412"] += 1
        elif tally.take(1):
            _accept(doc, await _revise(client, doc, marker, etag=doc.etag))
            tally.accepted.add(marker)
            tally.answers["201"] += 1
        else:
            return


@pytest.mark.timeout(600)
async def test_every_accepted_command_is_in_the_log_once_and_every_refused_one_not_at_all(
    database_url, servers
):
    tally = Tally(budget=COMMANDS - CLIENTS * DOCUMENTS_PER_CLIENT)
    with documents_server(database_url, servers.nats_url) as url:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
            await until_ready(client)
            started = time.perf_counter()
            await asyncio.gather(*(client_task(client, n, tally) for n in range(CLIENTS)))
            elapsed = time.perf_counter() - started

    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT event_type, stream_id, version, data->>'basis' AS basis FROM events "
            "ORDER BY position"
        )
    finally:
        await connection.close()

    revised = Counter(r["basis"] for r in rows if r["event_type"] == "DraftRevised")
    created = [r for r in rows if r["event_type"] == "DraftCreated"]
    assert tally.sent == tally.budget, "every request of the budget was sent"
    assert len(created) == CLIENTS * DOCUMENTS_PER_CLIENT
    assert {m for m, n in revised.items() if n > 1} == set(), "appended twice"
    assert set(tally.accepted) - set(revised) == set(), "accepted but not in the log"
    assert set(tally.refused) & set(revised) == set(), "refused but in the log"
    assert set(revised) == tally.accepted, "in the log but never accepted"
    assert len(rows) == len(created) + len(tally.accepted)
    assert tally.refused and tally.retried, tally.answers
    # Every document's versions run 1, 2, 3... with no gap and no repeat.
    versions: dict[str, list[int]] = {}
    for r in rows:
        versions.setdefault(r["stream_id"], []).append(r["version"])
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    print(
        f"\n{COMMANDS} requests: {dict(tally.answers)}; {len(tally.accepted)} accepted, "
        f"{len(tally.refused)} refused, {tally.retried} retries, in {elapsed:.1f} s "
        f"({COMMANDS / elapsed:.0f} requests/s)"
    )
