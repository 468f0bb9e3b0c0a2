"""`GET /metrics`: the documents app (its lifespan, relay and projections running on the test
session's PostgreSQL and NATS) after some requests and appends, read with prometheus_client's
own text parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.documents.app import create_app
from shared.eventstore.schema import parked_messages
from tests.access import bearer
from tests.documents.helpers import dated_today, draft, small_text
from tests.polling import eventually
from tests.shared.test_service_shell import running, settings_for

SECRETARIAT = bearer("secretariat")
AUDITOR = bearer("auditor")


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def scrape(client: httpx.AsyncClient, headers: dict[str, str] = AUDITOR) -> dict[Any, float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def scrape_until(client: httpx.AsyncClient, name: str, wanted: float) -> dict[Any, float]:
    """Scrape until the unlabelled gauge `name` reads `wanted` (the relay works on its own)."""
    return await eventually(
        lambda: scrape(client),
        until=lambda samples: value(samples, name) == wanted,
        within=20,
        what=f"{name} reads {wanted}",
    )


async def test_metrics_count_requests_appends_and_lags(database_url, servers):
    app = create_app(
        settings_for("documents", database_url, servers.nats_url).model_copy(
            update={"consumers_enabled": False}
        )
    )
    async with running(app) as client:
        created = await client.post("/documents", json=draft(), headers=SECRETARIAT)
        symbol = created.json()["symbol"]
        etag = (await client.get(f"/documents/{symbol}", headers=SECRETARIAT)).headers["ETag"]
        revised = await client.post(
            f"/documents/{symbol}/revisions",
            json={"text": small_text("Revised"), "basis": "", "incorporates": [],
                  **dated_today()},
            headers={**SECRETARIAT, "If-Match": etag},
        )
        for _ in range(3):
            await client.get("/healthz")
        await client.get("/no/such/route")
        await client.get(f"/documents/{symbol}")  # the public may not read it: 404
        head = await app.state.projection_runner.wait_until_caught_up(within=20)
        app.state.metrics.delivery_failures.inc()
        async with app.state.engine.begin() as connection:
            await connection.execute(
                parked_messages.insert().values(
                    producer="registry",
                    position=7,
                    event_id=uuid4(),
                    event_type="MemberAdmitted",
                    envelope={},
                    error="ValueError: no such state",
                    attempts=5,
                    parked_at=datetime.now(UTC),
                )
            )
        samples = await scrape_until(client, "cica_relay_lag_events", 0)

    assert created.status_code == 201 and revised.status_code == 201
    assert head == 2
    requests = "cica_http_requests_total"
    assert value(samples, requests, route="/healthz", method="GET", status="200") == 3
    assert value(samples, requests, route="/documents", method="POST", status="201") == 1
    read_route = "/documents/{symbol:document_symbol}"
    assert value(samples, requests, route=read_route, method="GET", status="200") == 1
    assert value(samples, requests, route=read_route, method="GET", status="404") == 1
    assert value(samples, requests, route="<unmatched>", method="GET", status="404") == 1
    assert not any(
        name == requests and dict(labels)["route"] == f"/documents/{symbol}"
        for name, labels in samples
    ), "routes are counted by template, never by concrete path"
    latency = "cica_http_request_duration_seconds"
    assert value(samples, f"{latency}_count", route="/healthz", method="GET") == 3
    assert value(samples, f"{latency}_bucket", route="/healthz", method="GET", le="+Inf") == 3
    assert value(samples, "cica_events_appended_total") == head
    assert value(samples, "cica_relay_published_position") == head
    assert value(samples, "cica_relay_leader") == 1
    assert value(samples, "cica_delivery_failures_total") == 1
    assert value(samples, "cica_parked_messages", producer="registry") == 1
    assert value(samples, "cica_metrics_database_up") == 1
    assert value(samples, "cica_live_streams") == 0
    assert value(samples, "cica_live_streams_limit") == 100
    for producer in app.state.reactions.producers():
        assert value(samples, "cica_consumer_lag_events", producer=producer) == 0
    projections = [p.name for p in app.state.projections]
    assert projections
    for name in projections:
        assert value(samples, "cica_projection_position", projection=name) == head
        assert value(samples, "cica_projection_lag_events", projection=name) == 0
        assert value(samples, "cica_projection_failing", projection=name) == 0


async def test_projection_and_relay_lag_show_what_is_not_done_yet(database_url, servers):
    app = create_app(
        settings_for("documents", database_url, servers.nats_url).model_copy(
            update={"consumers_enabled": False, "relay_enabled": False}
        )
    )
    async with running(app) as client:
        for series in ("SUM/2022/DRAFT", "SOC/2022/DRAFT"):
            response = await client.post("/documents", json=draft(series), headers=SECRETARIAT)
            assert response.status_code == 201
        await app.state.projection_runner.wait_until_caught_up(within=20)
        await app.state.projection_runner.stop()
        response = await client.post("/documents", json=draft("SUM/2022/INF"), headers=SECRETARIAT)
        assert response.status_code == 201
        samples = await scrape(client)

    assert value(samples, "cica_events_appended_total") == 3
    assert value(samples, "cica_relay_lag_events") == 3, "no relay runs: nothing is published"
    assert value(samples, "cica_relay_leader") == 0
    for projection in app.state.projections:
        assert value(samples, "cica_projection_lag_events", projection=projection.name) == 1


async def test_a_consumers_lag_is_what_it_has_heard_of_and_not_handled(database_url, servers):
    app = create_app(
        settings_for("documents", database_url, servers.nats_url).model_copy(
            update={"consumers_enabled": False}
        )
    )
    async with running(app) as client:
        consumer = app.state.consumers[0]
        consumer.known_head = 12  # as a message at position 12 of the producer would tell it
        samples = await scrape(client)

    producer = consumer.producer
    assert value(samples, "cica_consumer_applied_position", producer=producer) == 0
    assert value(samples, "cica_consumer_known_head_position", producer=producer) == 12
    assert value(samples, "cica_consumer_lag_events", producer=producer) == 12


async def test_who_may_read_the_metrics(database_url, servers):
    base = settings_for("documents", database_url, servers.nats_url).model_copy(
        update={"consumers_enabled": False, "relay_enabled": False}
    )
    closed, open_ = create_app(base), create_app(base.model_copy(update={"metrics_public": True}))
    async with running(closed) as client:
        answers = {
            role: (await client.get("/metrics", headers=bearer(role, **extra))).status_code
            for role, extra in [
                ("secretariat", {}),
                ("auditor", {}),
                ("service", {"subject": "service:meetings"}),
            ]
        }
        public = await client.get("/metrics")
        member = await client.get("/metrics", headers=bearer("member_state", "KAZ"))
    async with running(open_) as client:
        public_when_open = await client.get("/metrics")

    assert answers == {"secretariat": 200, "auditor": 200, "service": 200}
    assert public.status_code == 401
    assert member.status_code == 403
    assert public_when_open.status_code == 200
    # Two apps in one process, each with its own registry: neither counts the other's calls.
    assert (
        "cica_http_requests_total",
        (("method", "GET"), ("route", "/metrics"), ("status", "401")),
    ) not in parse(public_when_open.text)
