"""Reads through HTTP under CLIENTS concurrent clients, each against the same app's `/healthz`
(issue 22): a document (`GET /documents/{symbol}`), the member states (`GET /members`) and a
meeting's agenda (`GET /meetings/{id}/agenda`).

Each service runs under uvicorn in a process of its own (one worker, as `cica up` runs it) on
the benchmark's PostgreSQL and NATS, its consumers of other services' streams off, as in
`bench_http`; its data is made through its HTTP API, every write with a `CICA-Source`:

- documents: a draft (`tests.documents.helpers.draft`) revised REVISIONS times, read at its
  newest revision (the 27 founding members recorded first with the kit's function);
- registry: the 27 member states of October 2022 (`POST /member-states/known-members`, as the
  registry's tests register them), read as the members of today;
- meetings: the SOC's meeting of October 2022 with its agenda circulated, annotated and
  adopted (`tests.meetings.support`); the 27 are handed first to the app's consumer in-process,
  as the meetings tests do (the registry's events are the only way the service learns them).

The load comes from another process (`http_load.py`): every client reads the same path over a
connection of its own with the Secretariat's token, for WARMUP then SECONDS seconds, first
`/healthz` of the same process (the baseline: the same middleware, token and uvicorn, no
database), then the read. A document and an agenda are folds of their stream (the document
also queries its supplements), the members two queries of the read models once they are seen
to have caught up; the ratios say what a read costs against the cheapest answer the app gives.
Every answer of both runs must be a 200, and one answer, read before, must show the data made.

The load generator and the server share the machine's cores, so `/healthz`'s rate is often the
generator's pace more than the app's: the server's CPU per request is the steadier ratio.

The aim is a regression guard on the throughput ratio only, MIN_THROUGHPUT_RATIO. Its baseline:
four quick runs on a 2-core machine (load generator and server on the same cores, other
benchmarks and a `cica up` running alongside) gave the document 0.17 to 0.29 of `/healthz`'s
rate (0.12 with py-spy attached to the server), the members 0.18 to 0.33, the agenda 0.27 to
0.55; each read's server CPU was 2.3 to 4.9 times `/healthz`'s. 0.1 is a little over half the
lowest of these: a read that costs twice what it costs now fails it, the noise seen so far did
not. Latencies and CPU per request are reported without an aim.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from services.meetings.app import create_app as create_meetings_app
from shared.access import register_founding_members
from shared.eventstore import create_engine
from shared.http.provenance import SOURCE_HEADER, SourceStatus, source_header
from tests.access import SECRET, bearer
from tests.benchmarks.bench_http import CLIENTS, SECONDS, WARMUP, Server, _cpu, _cpu_per_request
from tests.benchmarks.bench_http import _load as load
from tests.benchmarks.http_load import text_of
from tests.documents.helpers import FOUNDED, MEMBERS_BEFORE_KUWAIT, draft
from tests.meetings.support import (
    SOC,
    founding_members,
    meetings_settings,
    soc_meeting_with_adopted_agenda,
)
from tests.registry.support import register_known_members
from tests.shared.test_service_shell import running_app

if TYPE_CHECKING:
    from tests.benchmarks.run import BenchEnvironment, Measurement

REVISIONS = int(os.environ.get("CICA_BENCH_HTTP_READ_REVISIONS", "3"))
MIN_THROUGHPUT_RATIO = 0.1
SECRETARIAT = bearer("secretariat")
SOURCE = {
    SOURCE_HEADER: source_header(
        SourceStatus.EXAMPLE, note="made by the HTTP read benchmark (tests/benchmarks)"
    )
}


@dataclass(frozen=True)
class Read:
    """A read route of a service, the data it reads made through the service's API."""

    service: str
    route: str
    before: Callable[[BenchEnvironment, str], Awaitable[None]]
    """What the service needs in its database before it starts (its URL given)."""
    make: Callable[[httpx.AsyncClient], Awaitable[str]]
    """Make the data through the API; the path to read."""
    shows: Callable[[dict[str, Any]], str]
    """What one answer shows (checked, then reported)."""


async def _nothing(env: BenchEnvironment, database_url: str) -> None:
    return None


async def _founding_members(env: BenchEnvironment, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await register_founding_members(engine, MEMBERS_BEFORE_KUWAIT, admitted_at=FOUNDED)
    finally:
        await engine.dispose()


async def _members_delivered(env: BenchEnvironment, database_url: str) -> None:
    app = create_meetings_app(meetings_settings(database_url, env.nats_url, log_level="WARNING"))
    async with running_app(app):
        await founding_members(app)


async def _revised_draft(http: httpx.AsyncClient) -> str:
    created = await http.post("/documents", json=draft(), headers=SECRETARIAT)
    assert created.status_code == 201, created.text
    symbol, etag = created.json()["symbol"], created.headers["ETag"]
    for n in range(1, REVISIONS + 1):
        revised = await http.post(
            f"/documents/{symbol}/revisions",
            json={
                "text": text_of(n),
                "basis": "Bench",
                "incorporates": [],
                "dated": datetime.now(UTC).date().isoformat(),
                "originator": "Secretariat",
            },
            headers={**SECRETARIAT, "If-Match": etag},
        )
        assert revised.status_code == 201, revised.text
        etag = revised.headers["ETag"]
    return f"/documents/{symbol}"


async def _known_members(http: httpx.AsyncClient) -> str:
    await register_known_members(http)
    return "/members"


async def _adopted_agenda(http: httpx.AsyncClient) -> str:
    await soc_meeting_with_adopted_agenda(http, founding=False)
    return f"/meetings/{SOC}/agenda"


def _document_shown(body: dict[str, Any]) -> str:
    assert body["revision"] == REVISIONS, body
    return f"revision {body['revision']}, {len(body['paragraphs'])} paragraphs"


def _members_shown(body: dict[str, Any]) -> str:
    assert body["count"] == 27 == len(body["member_states"]), body
    return f"{body['count']} member states"


def _agenda_shown(body: dict[str, Any]) -> str:
    assert body["status"] == "adopted" and body["items"], body
    return f"{len(body['items'])} items, {body['status']}"


READS = (
    Read(
        "documents", "GET /documents/{symbol}", _founding_members, _revised_draft, _document_shown
    ),
    Read("registry", "GET /members", _nothing, _known_members, _members_shown),
    Read(
        "meetings", "GET /meetings/{id}/agenda", _members_delivered, _adopted_agenda, _agenda_shown
    ),
)


def _all_ok(server: Server, result: dict[str, Any], what: str) -> None:
    if set(result["statuses"]) != {"200"}:
        tail = server.log.read_text(errors="replace")[-4000:]
        print(f"  {what}: answers {result['statuses']}; the log ends:\n{tail}", flush=True)
    assert set(result["statuses"]) == {"200"}, f"{what}: {result['statuses']}"


async def _measure(env: BenchEnvironment, read: Read) -> list[Measurement]:
    from tests.benchmarks.run import Measurement

    database_url = await env.new_database(read.service)
    await read.before(env, database_url)
    prefix = f"CICA_{read.service.upper()}_"
    server = Server(
        f"services.{read.service}.app:create_app",
        {
            f"{prefix}DATABASE_URL": database_url,
            f"{prefix}NATS_URL": env.nats_url,
            f"{prefix}CONSUMERS_ENABLED": "false",
            "CICA_JWT_SECRET": SECRET,
        },
        env.workdir / f"{read.service}-reads.log",
        factory=True,
    )
    memory = f"{read.service} service, reads (uvicorn, 1 process)"
    try:
        await server.ready("/readyz")
        async with httpx.AsyncClient(base_url=server.url, headers=SOURCE, timeout=30) as http:
            path = await read.make(http)
            answer = await http.get(path, headers=SECRETARIAT)
        assert answer.status_code == 200, answer.text
        shown = read.shows(answer.json())
        health = await load(env, server, _clients("/healthz"), f"{read.service}-healthz", memory)
        ours = await load(env, server, _clients(path), f"{read.service}-read", memory)
    finally:
        server.stop()
    await env.drop_database(database_url)
    _all_ok(server, health, "/healthz")
    _all_ok(server, ours, path)

    title = f"{read.route} over HTTP, {CLIENTS} clients"
    baseline = f"/healthz of the {read.service} service"
    details = {
        "clients": CLIENTS,
        "measured seconds": SECONDS,
        "warm-up seconds": WARMUP,
        "path": path,
        "answer": f"{len(answer.content):,} bytes, {shown}",
        "requests measured": ours["requests"],
        "baseline requests measured": health["requests"],
        "answers (whole run)": ours["statuses"],
        "CPU s (server / load generator / wall)": _cpu(ours),
        "baseline CPU s (server / load generator / wall)": _cpu(health),
    }
    return [
        Measurement(
            name=f"{title}: throughput",
            unit="requests/s",
            value=ours["throughput"],
            baseline_name=f"{baseline}, same load",
            baseline_value=health["throughput"],
            aim_ratio=MIN_THROUGHPUT_RATIO,
            details=details,
        ),
        Measurement(
            name=f"{title}: server CPU per request",
            unit="ms",
            value=_cpu_per_request(ours),
            baseline_name=f"{baseline}, CPU per request",
            baseline_value=_cpu_per_request(health),
            lower_is_better=True,
            details={"why": "not capped by the load generator, which shares the cores"},
        ),
        *(
            Measurement(
                name=f"{title}: {quantile}",
                unit="ms",
                value=ours[f"{quantile}_ms"],
                baseline_name=f"{baseline}, {quantile}",
                baseline_value=health[f"{quantile}_ms"],
                lower_is_better=True,
            )
            for quantile in ("p50", "p99")
        ),
    ]


def _clients(path: str) -> list[dict[str, Any]]:
    return [{"get": path, "headers": SECRETARIAT} for _ in range(CLIENTS)]


async def run(env: BenchEnvironment) -> list[Measurement]:
    measurements = []
    for read in READS:
        measurements += await _measure(env, read)
    return measurements
