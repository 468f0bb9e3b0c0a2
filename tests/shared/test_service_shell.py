"""Every service's shell: liveness, readiness, its OpenAPI document and the auditors' feed,
served by the real app (its lifespan opens the engine, the event store and NATS)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from shared.eventstore import NO_STREAM, DomainEvent
from shared.system.devservers import free_port
from tests.access import bearer, token_settings
from tests.polling import eventually

SERVICES = ["registry", "documents", "meetings", "notifications"]

Running = AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]
"""An app running in-process, with an HTTP client of it."""


class ShellProbe(DomainEvent):
    note: str


def settings_for(service: str, database_url: str, nats_url: str):  # type: ignore[no-untyped-def]
    module = importlib.import_module(f"services.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings")
    return cls(database_url=database_url, nats_url=nats_url, tokens=token_settings())


def service_app(service: str, settings: object) -> FastAPI:
    """The service's own app (services/<service>/app.py), built with `settings`."""
    return importlib.import_module(f"services.{service}.app").create_app(settings)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
            yield client


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """`running`, handing back the app with its client (as the services' test supports do)."""
    async with running(app) as client:
        yield app, client


async def eventually_ready(client: httpx.AsyncClient) -> httpx.Response:
    return await eventually(
        lambda: client.get("/readyz"),
        until=lambda response: response.status_code == 200,
        within=15,
        what="/readyz answers 200",
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_is_alive_ready_and_describes_itself(service, database_url, servers):
    app = service_app(service, settings_for(service, database_url, servers.nats_url))
    async with running(app) as client:
        health = await client.get("/healthz")
        ready = await eventually_ready(client)
        openapi = await client.get("/openapi.json")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": service}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "nats": True}
    paths = openapi.json()["paths"]
    assert {"/healthz", "/readyz", "/events", "/events/verify"} <= set(paths)


async def test_readiness_says_which_dependency_does_not_answer(database_url):
    from services.registry.app import create_app

    closed_port = free_port()
    app = create_app(settings_for("registry", database_url, f"nats://127.0.0.1:{closed_port}"))
    async with running(app) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert health.status_code == 200, "alive even while NATS is away"
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "nats": False}


async def test_the_feed_serves_the_log_in_pages_with_its_hashes(database_url, servers):
    from services.documents.app import create_app
    from services.documents.events import event_types

    if "ShellProbe" not in event_types:
        event_types.register("ShellProbe")(ShellProbe)
    app = create_app(settings_for("documents", database_url, servers.nats_url))
    async with running(app) as client:
        store = app.state.store
        for i in range(5):
            await store.append(
                f"probe-{i}", [ShellProbe(note=f"n{i}")], stream_type="probe",
                expected_version=NO_STREAM,
            )
        auditor = bearer("auditor")
        first = (
            await client.get("/events", params={"after": 0, "limit": 2}, headers=auditor)
        ).json()
        rest = (
            await client.get("/events", params={"after": first["next_after"]}, headers=auditor)
        ).json()
        verify = (await client.get("/events/verify", headers=auditor)).json()

    assert [e["position"] for e in first["events"]] == [1, 2]
    assert first["head"] == 5
    assert first["next_after"] == 2
    assert [e["position"] for e in rest["events"]] == [3, 4, 5]
    assert rest["events"][0]["prev_hash"] == first["events"][1]["hash"]
    assert rest["events"][0]["data"] == {"note": "n2"}
    assert verify["ok"] is True
    assert verify["head_position"] == 5
    assert verify["head_hash"] == rest["events"][-1]["hash"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("after=seven", "after"),
        ("limit=ten", "limit"),
        ("after=1.5", "after"),
    ],
)
async def test_a_bad_feed_query_gets_422_problem_json(query, field, database_url, servers):
    from services.registry.app import create_app

    app = create_app(settings_for("registry", database_url, servers.nats_url))
    async with running(app) as client:
        response = await client.get(f"/events?{query}", headers=bearer("auditor"))

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"]
    assert any(field in error["loc"] for error in problem["errors"])
