"""Hostile network, hostile input: what every service's HTTP side does before it does any work.

- a body above the limit is refused (413) as it is read, and the route never runs;
- a caller the route does not admit is refused (401/403) before its body is read or validated
  and before an Idempotency-Key is claimed for it;
- a replayed answer is the answer to the same request, If-Match included;
- a secret shown once is stored nowhere, not even for an Idempotency-Key's replays;
- the metrics' labels stay bounded whatever methods and paths clients send;
- `/live` streams are bounded per caller and for the public, and the public is refused where it
  could never see an event;
- `GET /projections` is for staff, hashes only what moved, and shows no SQL parameters;
- every answer carries the security headers;
- log redaction is linear in its input.

Apps run on the test session's PostgreSQL and NATS through their lifespans (the kit's
`create_service_app`, and the notifications service's own app).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import string
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel
from sqlalchemy import Column, Integer, Table, Text, insert

from shared.access import (
    GENERAL,
    MEMBER_STATES_ONLY,
    SECRETARIAT_ONLY,
    Role,
    StreamDistributions,
    allow,
    every_stream,
)
from shared.app import create_service_app
from shared.eventstore import EventTypes, create_engine
from shared.logging import REDACTED, _redact_text
from shared.metrics import OTHER_METHOD, STANDARD_METHODS, UNMATCHED
from shared.projections import Projection, projection_metadata, replay_digest
from shared.system.devservers import free_port
from tests.access import AUDITOR, bearer, expired_bearer, foreign_bearer
from tests.polling import eventually
from tests.shared.member_list import StateApplied, code, member_list, state_history, tables
from tests.shared.member_list import event_types as member_event_types
from tests.shared.test_http_with_store import _client_on
from tests.shared.test_service_shell import running, settings_for

SECRETARIAT = bearer(Role.SECRETARIAT)
KAZ = bearer(Role.MEMBER_STATE, "KAZ")
RUS = bearer(Role.MEMBER_STATE, "RUS")
DEADLINE = 15.0


# --------------------------------------------------------------------------- a probe app


class ProbeIn(BaseModel):
    name: str


probes = APIRouter()


@probes.post("/probes", status_code=201)
@SECRETARIAT_ONLY
async def make_probe(body: ProbeIn, request: Request) -> dict[str, str]:
    """Records that it ran (a route that must never run for a refused request)."""
    request.app.state.probe_runs.append(body.name)
    return {"name": body.name}


@probes.get("/probes/cached")
@allow(Role.SECRETARIAT, Role.PUBLIC)
async def cached_probe(response: Response) -> dict[str, str]:
    """A route that sets its own caching."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return {"status": "cacheable"}


def probe_app(
    database_url: str,
    nats_url: str,
    *,
    stream_distributions: StreamDistributions | None = None,
    event_types: EventTypes | None = None,
    projections: Sequence[Projection] = (),
    **settings: Any,
) -> FastAPI:
    base = settings_for("registry", database_url, nats_url)
    app = create_service_app(
        base.model_copy(update={"consumers_enabled": False, **settings}),
        event_types=event_types or EventTypes(),
        routers=[probes],
        stream_distributions=stream_distributions,
        projections=projections,
    )
    app.state.probe_runs = []
    return app


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    body_messages_read: int
    """How many `http.request` messages the app took from the client."""

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: FastAPI,
    method: str,
    path: str,
    headers: dict[str, str],
    chunks: Sequence[bytes] = (b"",),
) -> Answer:
    """One request straight through the app's ASGI interface, its body sent in `chunks`,
    counting how many of them the app read."""
    pending = list(chunks)
    read = 0
    start: dict[str, Any] = {}
    body = bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal read
        if pending:
            read += 1
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("cica.test", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), DEADLINE)
    return Answer(int(start["status"]), httpx.Headers(start["headers"]), bytes(body), read)


async def idempotency_rows(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM idempotency_keys")
    finally:
        await connection.close()


def is_problem(answer: Answer | httpx.Response, type_: str) -> bool:
    content_type = answer.headers.get("content-type", "")
    return content_type.startswith("application/problem+json") and answer.json()["type"] == type_


# ------------------------------------------------------------------- 1. limits before work


async def test_a_body_above_the_limit_is_refused_as_it_is_read_and_the_route_never_runs(
    database_url, servers
):
    app = probe_app(database_url, servers.nats_url, max_body_bytes=1024)
    big = json.dumps({"name": "K" * 5000}).encode()
    async with running(app):
        declared = await call(
            app,
            "POST",
            "/probes",
            {**SECRETARIAT, "content-type": "application/json", "content-length": str(len(big)),
             "idempotency-key": "declared"},
            [big],
        )
        # Chunked: no length declared, so the bytes are counted as they arrive.
        pieces = [big[i : i + 256] for i in range(0, len(big), 256)]
        streamed = await call(
            app,
            "POST",
            "/probes",
            {**SECRETARIAT, "content-type": "application/json", "idempotency-key": "streamed"},
            pieces,
        )
        within = await call(
            app,
            "POST",
            "/probes",
            {**SECRETARIAT, "content-type": "application/json", "idempotency-key": "small"},
            [b'{"name": "Kuwait"}'],
        )

    for refused in (declared, streamed):
        assert refused.status == 413
        assert is_problem(refused, "/problems/body-too-large")
        assert refused.json()["limit"] == 1024
        assert refused.headers["x-request-id"]
    assert declared.body_messages_read == 0, "refused on its Content-Length, unread"
    assert streamed.body_messages_read == 1024 // 256 + 1, "reading stopped past the limit"
    assert within.status == 201
    assert app.state.probe_runs == ["Kuwait"]
    assert await idempotency_rows(database_url) == 1, "only the request within the limit"


async def test_the_body_limit_is_a_setting_of_each_service():
    from services.notifications.settings import NotificationsSettings

    assert NotificationsSettings().max_body_bytes == 4 * 1024 * 1024
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CICA_NOTIFICATIONS_MAX_BODY_BYTES", "65536")
        assert NotificationsSettings().max_body_bytes == 65536


@pytest.mark.parametrize(
    ("caller", "headers", "status"),
    [
        ("no token", {}, 401),
        ("an expired token", expired_bearer(), 401),
        ("a token of another key", foreign_bearer(), 401),
        ("a member state", KAZ, 403),
        ("an auditor", AUDITOR, 403),
    ],
)
async def test_a_caller_the_route_does_not_admit_is_refused_before_its_body_is_read(
    caller, headers, status, database_url, servers
):
    app = probe_app(database_url, servers.nats_url)
    async with running(app):
        refused = await call(
            app,
            "POST",
            "/probes",
            {**headers, "content-type": "application/json", "idempotency-key": f"k-{caller}"},
            [b'{"name": not json at all'],
        )

    assert refused.status == status, refused.body
    assert is_problem(refused, "/problems/unauthorized" if status == 401 else "/problems/forbidden")
    if status == 401:
        assert refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.body_messages_read == 0, "the body was never read"
    assert app.state.probe_runs == []
    assert await idempotency_rows(database_url) == 0, "no key claimed for a refused caller"


async def test_an_admitted_caller_still_gets_its_body_validated(database_url, servers):
    app = probe_app(database_url, servers.nats_url)
    async with running(app):
        invalid = await call(
            app,
            "POST",
            "/probes",
            {**SECRETARIAT, "content-type": "application/json"},
            [b'{"name": not json at all'],
        )
        unknown_route = await call(app, "POST", "/no-such-route", {})

    assert invalid.status == 422
    assert is_problem(invalid, "/problems/validation-error")
    assert unknown_route.status == 404


# ------------------------------------------------------- 2. If-Match in the fingerprint


async def test_a_stored_412_is_not_replayed_to_the_same_key_with_a_fresh_if_match(database_url):
    async with _client_on(database_url) as client:
        location = (await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/1"})).headers[
            "location"
        ]
        await client.post(f"{location}/paragraphs", json={"text": "PP1."},
                          headers={"If-Match": '"1"'})  # fmt: skip
        key = str(uuid.uuid4())
        paragraph = {"text": "OP1. Decides..."}
        stale = await client.post(
            f"{location}/paragraphs", json=paragraph, headers={"Idempotency-Key": key,
                                                               "If-Match": '"1"'}
        )  # fmt: skip
        stale_again = await client.post(
            f"{location}/paragraphs", json=paragraph, headers={"Idempotency-Key": key,
                                                               "If-Match": '"1"'}
        )  # fmt: skip
        fresh = await client.post(
            f"{location}/paragraphs", json=paragraph, headers={"Idempotency-Key": key,
                                                               "If-Match": '"2"'}
        )  # fmt: skip
        unconditional = await client.post(
            f"{location}/paragraphs", json=paragraph, headers={"Idempotency-Key": key}
        )

    assert stale.status_code == 412
    assert stale_again.status_code == 412
    assert stale_again.headers["idempotent-replayed"] == "true"
    for other in (fresh, unconditional):
        assert other.status_code == 422, other.text
        assert other.json()["type"] == "/problems/idempotency-key-reused"
        assert "idempotent-replayed" not in other.headers


# --------------------------------------------------------- 3. secrets never at rest in clear


async def every_cell_holding(database_url: str, needle: str) -> list[str]:
    """Where `needle` is in the database: every table of every schema but the system's, every
    column as text (bytea decoded, so that a stored answer's bytes are read too)."""
    connection = await asyncpg.connect(database_url)
    try:
        columns = await connection.fetch(
            """
            SELECT table_schema, table_name, column_name, data_type
            FROM information_schema.columns
            WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
              AND table_schema NOT LIKE 'pg_toast%'
            ORDER BY table_schema, table_name, ordinal_position
            """
        )
        found = []
        for column in columns:
            name = f'"{column["table_schema"]}"."{column["table_name"]}"'
            cell = f'"{column["column_name"]}"'
            bytea = column["data_type"] == "bytea"
            text = f"encode({cell}, 'escape')" if bytea else f"{cell}::text"
            count = await connection.fetchval(
                f"SELECT count(*) FROM {name} WHERE strpos({text}, $1) > 0", needle
            )
            if count:
                found.append(f"{name}.{cell}: {count} row(s)")
        tables_scanned = {(c["table_schema"], c["table_name"]) for c in columns}
        assert ("public", "idempotency_keys") in tables_scanned
        return found
    finally:
        await connection.close()


async def test_a_webhook_secret_is_shown_once_and_stored_nowhere(database_url, servers):
    from tests.notifications.test_delivery_support import notifications

    ministry = {
        "state": "KAZ",
        "url": "https://127.0.0.1:8443/cica/notes",
        "languages": ["en", "ru"],
        "kinds": ["note_verbale"],
    }
    key = str(uuid.uuid4())
    async with notifications(database_url, servers.nats_url) as (_, client):
        first = await client.post("/endpoints", headers={**KAZ, "Idempotency-Key": key},
                                  json=ministry)  # fmt: skip
        retried = await client.post("/endpoints", headers={**KAZ, "Idempotency-Key": key},
                                    json=ministry)  # fmt: skip
        endpoint_id = first.json()["endpoint_id"]
        rotated = await client.post(
            f"/endpoints/{endpoint_id}/secret",
            headers={**KAZ, "Idempotency-Key": f"{key}-rotation"},
            json={"previous_valid_for_hours": 1},
        )
        rotated_again = await client.post(
            f"/endpoints/{endpoint_id}/secret",
            headers={**KAZ, "Idempotency-Key": f"{key}-rotation"},
            json={"previous_valid_for_hours": 1},
        )
        holding = await every_cell_holding(database_url, "whsec_")

    assert first.status_code == 201, first.text
    assert first.json()["secret"].startswith("whsec_")
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    for original, replay in ((first, retried), (rotated, rotated_again)):
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["secret"] is None
        assert replay.json()["withheld"] == ["secret"]
        assert replay.json()["endpoint_id"] == endpoint_id
        assert replay.headers["etag"] == original.headers["etag"]
    assert holding == [], f"a webhook secret is at rest: {holding}"


# ------------------------------------------------------------- 4. bounded metrics labels


def metric_samples(text: str, name: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_random_methods_and_paths_leave_the_metrics_labels_bounded(database_url, servers):
    app = probe_app(database_url, servers.nats_url)
    generator = random.Random(19)

    def token() -> str:
        return "".join(generator.choices(string.ascii_uppercase, k=generator.randint(3, 12)))

    async with running(app) as client:
        for n in range(200):
            path = "/probes" if n % 2 else f"/{token().lower()}/{n}"
            await client.request(token(), path, headers=SECRETARIAT)
        scraped = await client.get("/metrics", headers=SECRETARIAT)

    assert scraped.status_code == 200
    series = metric_samples(scraped.text, "cica_http_requests_total")
    methods = {labels["method"] for labels in series}
    routes = {labels["route"] for labels in series}
    assert methods <= STANDARD_METHODS | {OTHER_METHOD}
    assert OTHER_METHOD in methods
    assert routes <= {"/probes", UNMATCHED}
    assert len(series) <= 2 * 2 * 3, f"one series per route, method and status: {series}"


# ------------------------------------------------------------------------ 5. /live limits


@dataclass
class Served:
    app: FastAPI
    http: httpx.AsyncClient

    @asynccontextmanager
    async def stream(self, headers: dict[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        async with self.http.stream("GET", "/live", headers=headers or {}) as response:
            if response.status_code != 200:
                await response.aread()
            yield response


@asynccontextmanager
async def served(database_url: str, nats_url: str, **settings: Any) -> AsyncIterator[Served]:
    """The probe app behind a real uvicorn (an in-process transport cannot hold a stream)."""
    app = probe_app(database_url, nats_url, stream_distributions=every_stream(GENERAL), **settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        assert not task.done(), "uvicorn stopped while starting"
        return server.started

    await eventually(started, within=DEADLINE, every=0.02, what="uvicorn started")
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE
        ) as http:
            yield Served(app, http)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, DEADLINE)


async def test_the_public_cannot_take_the_slots_the_secretariat_needs(database_url, servers):
    async with (
        served(
            database_url,
            servers.nats_url,
            live_max_subscribers=3,
            live_max_public_subscribers=1,
            live_max_streams_per_caller=10,
        ) as service,
        service.stream() as public,
        service.stream() as public_again,
        service.stream(SECRETARIAT) as secretariat,
        service.stream(KAZ) as kaz,
    ):
        open_streams = service.app.state.live.open

    assert public.status_code == 200
    assert public_again.status_code == 503
    assert is_problem(public_again, "/problems/live-unavailable")
    assert int(public_again.headers["retry-after"]) > 0
    assert public_again.json()["limit"] == 1
    assert secretariat.status_code == 200, "the public's cap is full, the Secretariat's is not"
    assert kaz.status_code == 200
    assert open_streams == 3


async def test_one_caller_cannot_hold_every_stream(database_url, servers):
    async with (
        served(database_url, servers.nats_url, live_max_streams_per_caller=2) as service,
        service.stream(KAZ) as first,
        service.stream(bearer(Role.MEMBER_STATE, "KAZ")) as second,  # another token, one caller
        service.stream(KAZ) as third,
        service.stream(RUS) as another_state,
        service.stream(SECRETARIAT) as secretariat,
    ):
        pass

    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert is_problem(third, "/problems/too-many-live-streams")
    assert int(third.headers["retry-after"]) > 0
    assert third.json()["limit"] == 2
    assert another_state.status_code == 200
    assert secretariat.status_code == 200


@pytest.mark.parametrize(
    ("distributions", "public", "member_state"),
    [
        (None, 401, 403),  # the service declares no distribution: staff only
        (every_stream(MEMBER_STATES_ONLY), 401, None),  # member states only: not the public
    ],
)
async def test_the_public_is_refused_where_it_could_never_see_an_event(
    distributions, public, member_state, database_url, servers
):
    app = probe_app(database_url, servers.nats_url, stream_distributions=distributions)
    async with running(app) as client:
        refused = await client.get("/live")
        refused_member = await client.get("/live", headers=KAZ) if member_state else None
        schema = (await client.get("/openapi.json")).json()

    assert refused.status_code == public
    assert refused.json()["type"] == "/problems/unauthorized"
    if refused_member is not None:
        assert refused_member.status_code == member_state
    roles = set(schema["paths"]["/live"]["get"]["x-cica-access"]["roles"])
    assert "public" not in roles
    assert ("member_state" in roles) == (member_state is None)


async def test_the_notifications_live_stream_is_for_staff(database_url, servers):
    from tests.notifications.support import notifications

    async with notifications(database_url, servers.nats_url) as (_, client):
        public = await client.get("/live")
        kaz = await client.get("/live", headers=KAZ)

    assert public.status_code == 401
    assert kaz.status_code == 403
    assert kaz.json()["type"] == "/problems/forbidden"


# ----------------------------------------------------------------- 6. GET /projections


async def with_member_list_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    await engine.dispose()


async def test_projections_are_for_staff_and_their_digests_follow_the_rows(database_url, servers):
    await with_member_list_tables(database_url)
    app = probe_app(
        database_url,
        servers.nats_url,
        event_types=member_event_types,
        projections=[member_list()],
    )
    async with running(app) as client:
        store = app.state.store
        await state_history(store, code(), renames=1)
        await app.state.projection_runner.wait_until_caught_up()
        public = await client.get("/projections")
        member = await client.get("/projections", headers=KAZ)
        first = await client.get("/projections", headers=AUDITOR)
        second = await client.get("/projections", headers=SECRETARIAT)
        await state_history(store, code(), renames=0)
        head = await app.state.projection_runner.wait_until_caught_up()
        third = await client.get("/projections", headers=bearer(Role.SERVICE,
                                                                subject="service:meetings"))
        replayed = await replay_digest(store, member_list(), until=head)

    assert public.status_code == 401
    assert member.status_code == 403
    assert first.status_code == second.status_code == third.status_code == 200
    assert second.json() == first.json(), "no new events: the same digest"
    [moved] = third.json()["projections"]
    assert moved["digest"] != first.json()["projections"][0]["digest"]
    assert moved["digest"] == replayed
    assert moved["position"] == head


projection_tables = projection_metadata()
counted = Table(
    "test_hostile_counted",
    projection_tables,
    Column("code", Text, primary_key=True),
    Column("count", Integer, nullable=False),
)
SECRET_PARAMETER = "KWT-parameter-that-must-not-be-shown"


def failing_projection() -> Projection:
    projection = Projection("test_hostile_counted", version=1, tables=[counted])

    @projection.on(StateApplied)
    async def when_state_applied(connection, record, event) -> None:
        # Text where an integer goes: the database refuses, quoting the parameter.
        await connection.execute(insert(counted).values(code=event.code, count=SECRET_PARAMETER))

    return projection


async def test_a_failing_projection_shows_no_sql_parameters(database_url, servers):
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(projection_tables.create_all)
    await engine.dispose()
    app = probe_app(
        database_url,
        servers.nats_url,
        event_types=member_event_types,
        projections=[failing_projection()],
    )
    async with running(app) as client:
        await state_history(app.state.store, code(), renames=0)
        failing = await eventually(
            lambda: app.state.projection_runner.errors(),
            until=lambda errors: "test_hostile_counted" in errors,
            within=DEADLINE,
            what="the projection failing",
        )
        shown = (await client.get("/projections", headers=AUDITOR)).json()

    assert SECRET_PARAMETER in failing["test_hostile_counted"], "the raw error quotes it"
    [projection] = shown["projections"]
    error = projection["error"]
    assert error is not None
    assert SECRET_PARAMETER not in error
    assert "[SQL" not in error and "[parameters" not in error
    assert re.match(r"^\w+: ", error), error


# ------------------------------------------------------------------ 7. security headers


async def test_every_answer_carries_the_security_headers(database_url, servers):
    app = probe_app(database_url, servers.nats_url)
    async with running(app) as client:
        public = await client.get("/healthz")
        authenticated = await client.get("/healthz", headers=SECRETARIAT)
        problem = await client.get("/no-such-route", headers=SECRETARIAT)
        refused = await client.post("/probes", json={"name": "x"})
        own_caching = await client.get("/probes/cached", headers=SECRETARIAT)

    for answer in (public, authenticated, problem, refused, own_caching):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "strict-transport-security" not in answer.headers, "plain http by default"
    assert "cache-control" not in public.headers
    assert authenticated.headers["cache-control"] == "no-store"
    assert problem.headers["cache-control"] == "no-store"
    assert own_caching.headers["cache-control"] == "public, max-age=60"


async def test_a_service_served_over_https_says_so(database_url, servers):
    app = probe_app(database_url, servers.nats_url, https=True)
    async with running(app) as client:
        answer = await client.get("/healthz")

    assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_etags_and_if_match_still_work_under_no_store(database_url):
    async with _client_on(database_url) as client:
        created = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"}, headers=SECRETARIAT
        )
        read = await client.get(created.headers["location"], headers=SECRETARIAT)
        written = await client.post(
            f"{created.headers['location']}/paragraphs",
            json={"text": "PP1."},
            headers={**SECRETARIAT, "If-Match": read.headers["etag"]},
        )

    assert read.headers["etag"] == '"1"'
    assert read.headers["cache-control"] == "no-store"
    assert written.status_code == 201
    assert written.headers["etag"] == '"2"'


# ---------------------------------------------------------------- 8. linear redaction


def repeats(pattern: re.Pattern[str]) -> list[tuple[str, bool, bool]]:
    """Each repetition of `pattern`: its kind, whether it sits inside another repetition, and
    whether it sits inside an atomic group (where nothing is given back)."""
    from re import _parser  # type: ignore[attr-defined]

    found: list[tuple[str, bool, bool]] = []

    def walk(items: Any, in_repeat: bool, in_atomic: bool) -> None:
        for op, argument in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                found.append((name, in_repeat, in_atomic))
                walk(argument[2], True, in_atomic)
            elif name == "ATOMIC_GROUP":
                walk(argument, in_repeat, True)
            elif name == "SUBPATTERN":
                walk(argument[3], in_repeat, in_atomic)
            elif name == "BRANCH":
                for branch in argument[1]:
                    walk(branch, in_repeat, in_atomic)
            elif name in ("ASSERT", "ASSERT_NOT"):
                walk(argument[1], in_repeat, in_atomic)

    walk(_parser.parse(pattern.pattern, pattern.flags), False, False)
    return found


def test_the_token_redaction_cannot_backtrack():
    from shared.logging import _TOKEN_IN_TEXT

    found = repeats(_TOKEN_IN_TEXT)
    assert found, "the pattern repeats something"
    assert not any(nested for _, nested, _ in found), "no nested quantifiers"
    giving_back = [kind for kind, _, atomic in found if kind != "POSSESSIVE_REPEAT" and not atomic]
    assert giving_back == [], "every repetition is possessive or atomic: nothing is retried"
    # A JWT is looked for only from the start of a run of token characters (a lookbehind), so
    # no run is scanned again from each "eyJ" inside it.
    assert _TOKEN_IN_TEXT.pattern.startswith("(?<![A-Za-z0-9_-])")


def test_redaction_is_the_same_as_before_on_ordinary_lines():
    plain = re.compile(
        r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}"
    )
    generator = random.Random(8)
    pieces = ["eyJ", "hbGci", ".", "..", "/", " ", "\t", "Bearer ", "bearer", "x", "_-", "=", "~"]
    for _ in range(3000):
        text = "".join(generator.choices(pieces, k=generator.randint(0, 24)))
        assert _redact_text(text) == plain.sub(REDACTED, text), text
    line = "GET /live?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrYXoifQ.c2lnbmF0dXJl failed"
    assert _redact_text(line) == f"GET /live?token={REDACTED} failed"


def test_a_megabyte_of_token_like_path_is_redacted_whole():
    """Inputs on which the former pattern retried each "eyJ" of a run (quadratic: hours for a
    megabyte) are redacted, and correctly: none of them is a token, but for the last."""
    run = "/documents/" + "eyJ" * 350_000
    assert _redact_text(run) == run
    dotted = "/documents/" + "eyJa" * 250_000 + "."
    assert _redact_text(dotted) == dotted
    token = "/documents/" + "eyJa" * 250_000 + ".payload.signature"
    assert _redact_text(token) == f"/documents/{REDACTED}"
    spaces = "Bearer" + " " * 1_000_000 + "short"
    assert _redact_text(spaces) == spaces
