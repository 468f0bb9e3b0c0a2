"""CORS: browsers on the origins `CICA_CORS_ORIGINS` names may call every route (preflights
answered before the access gate and the body limit, every answer readable, problems included);
browsers on any other origin get no CORS header; with no origin configured, none at all.
The documents service's own app, on the test session's PostgreSQL and NATS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from services.documents.settings import DocumentsSettings
from shared.app import CORS_EXPOSED_HEADERS, CORS_METHODS, CORS_REQUEST_HEADERS
from shared.settings import cors_origins
from shared.system.cli import build_parser, up_options
from shared.system.supervisor import DEVELOPMENT_CORS_ORIGINS, Supervisor, UpOptions
from tests.access import bearer
from tests.documents.helpers import draft
from tests.shared.test_service_shell import running, service_app, settings_for

ALLOWED = "https://app.cica.example"
OTHER = "https://elsewhere.example"
SECRETARIAT = bearer("secretariat")
SERVICES = ("registry", "documents", "meetings", "notifications")


def documents_app(database_url: str, nats_url: str, *origins: str) -> Any:
    settings = settings_for("documents", database_url, nats_url)
    return service_app(
        "documents",
        settings.model_copy(update={"consumers_enabled": False, "cors_origins": origins}),
    )


def preflight(origin: str, method: str = "POST", headers: str = "authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


def cors_headers(headers: Any) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


async def test_a_preflight_from_an_allowed_origin_is_answered(database_url, servers):
    app = documents_app(database_url, servers.nats_url, ALLOWED)
    async with running(app) as client:
        response = await client.options(
            "/documents",
            headers=preflight(
                ALLOWED,
                headers="authorization, content-type, if-match, idempotency-key, "
                "accept-language, last-event-id",
            ),
        )
        # A preflight carries no token and no body: neither the gate nor the limit see it,
        # even with a Content-Length above the limit.
        big = await client.options(
            "/documents",
            headers={
                **preflight(ALLOWED),
                "Content-Length": str(app.state.settings.max_body_bytes + 1),
            },
        )
        live = await client.options(
            "/live", headers=preflight(ALLOWED, "GET", "authorization, last-event-id")
        )

    for answer in (response, big, live):
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == ALLOWED
        assert "access-control-allow-credentials" not in answer.headers
    assert listed(response.headers["access-control-allow-methods"]) >= {"get", "post", "delete"}
    assert listed(response.headers["access-control-allow-headers"]) >= {
        name.lower() for name in CORS_REQUEST_HEADERS
    }
    assert "access-control-max-age" in response.headers


async def test_a_preflight_from_another_origin_is_not_allowed(database_url, servers):
    async with running(documents_app(database_url, servers.nats_url, ALLOWED)) as client:
        response = await client.options("/documents", headers=preflight(OTHER))
        not_a_listed_header = await client.options(
            "/documents", headers=preflight(ALLOWED, headers="x-secret-header")
        )

    assert response.status_code == 400
    # (Starlette lists the methods and headers it would allow; without an allowed origin the
    # browser sends nothing.)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers
    assert not_a_listed_header.status_code == 400


async def test_answers_to_an_allowed_origin_carry_the_cors_headers(database_url, servers):
    app = documents_app(database_url, servers.nats_url, ALLOWED)
    async with running(app) as client:
        origin = {"Origin": ALLOWED}
        created = await client.post(
            "/documents", json=draft(), headers={**SECRETARIAT, **origin}
        )
        assert created.status_code == 201, created.text
        got = await client.get(created.headers["Location"], headers={**SECRETARIAT, **origin})
        unauthorized = await client.post("/documents", json=draft(), headers=origin)
        missing = await client.get("/nowhere", headers={**SECRETARIAT, **origin})
        too_large = await client.post(
            "/documents",
            content=b"x" * (app.state.settings.max_body_bytes + 1),
            headers={**SECRETARIAT, **origin, "Content-Type": "application/json"},
        )
        elsewhere = await client.get(
            created.headers["Location"], headers={**SECRETARIAT, "Origin": OTHER}
        )

    assert got.status_code == 200
    assert unauthorized.status_code == 401
    assert "WWW-Authenticate" in unauthorized.headers
    assert missing.status_code == 404
    assert too_large.status_code == 413
    for answer in (created, got, unauthorized, missing, too_large):
        assert answer.headers["access-control-allow-origin"] == ALLOWED, answer.request.url
        assert listed(answer.headers["access-control-expose-headers"]) >= {
            name.lower() for name in CORS_EXPOSED_HEADERS
        }
        assert "origin" in listed(answer.headers.get("vary"))
    for problem in (unauthorized, missing, too_large):
        assert problem.headers["content-type"].startswith("application/problem+json")
    assert elsewhere.status_code == 200
    # Starlette lists the exposed headers whatever the origin; without an allowed origin the
    # browser lets the page read nothing of the answer.
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_with_no_origin_configured_there_is_no_cors_at_all(database_url, servers):
    async with running(documents_app(database_url, servers.nats_url)) as client:
        flight = await client.options("/documents", headers=preflight(ALLOWED))
        got = await client.get("/documents", headers={"Origin": ALLOWED})
        refused = await client.post("/documents", json=draft(), headers={"Origin": ALLOWED})

    assert flight.status_code == 405
    assert got.status_code == 200
    assert refused.status_code == 401
    for answer in (flight, got, refused):
        assert cors_headers(answer.headers) == {}


@pytest.mark.parametrize("service", SERVICES)
def test_every_method_a_service_routes_is_allowed(service: str) -> None:
    settings = settings_for(service, "postgresql://unused/x", "nats://unused:4222")
    app = service_app(service, settings)
    methods = {
        method
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert methods <= set(CORS_METHODS)


def test_the_setting_reads_comma_separated_origins_and_refuses_wildcards(monkeypatch) -> None:
    monkeypatch.setenv("CICA_CORS_ORIGINS", f" {ALLOWED},http://localhost:5173 ,")
    assert DocumentsSettings().cors_origins == (ALLOWED, "http://localhost:5173")
    monkeypatch.delenv("CICA_CORS_ORIGINS")
    assert DocumentsSettings().cors_origins == ()
    for wrong in ("*", "https://app.example/", "app.example", "https://app.example/path"):
        with pytest.raises(ValueError, match="not an origin"):
            cors_origins(wrong)


def test_cica_up_passes_the_origins_it_is_given() -> None:
    parser = build_parser()

    def origins(argv: list[str], environ: dict[str, str]) -> tuple[str, ...]:
        args = parser.parse_args(["up", *argv])
        return up_options(args.command_parser, args, environ).cors_origins

    assert origins([], {}) == DEVELOPMENT_CORS_ORIGINS
    assert origins([], {"CICA_CORS_ORIGINS": ""}) == ()
    assert origins([], {"CICA_CORS_ORIGINS": f"{ALLOWED},{OTHER}"}) == (ALLOWED, OTHER)
    flags = ["--cors-origin", ALLOWED, "--cors-origin", OTHER]
    assert origins(flags, {"CICA_CORS_ORIGINS": "http://x.example"}) == (ALLOWED, OTHER)
    with pytest.raises(SystemExit):
        parser.parse_args(["up", "--cors-origin", "*"])
    with pytest.raises(SystemExit):
        origins([], {"CICA_CORS_ORIGINS": "*"})


def test_cica_up_gives_each_service_the_origins(tmp_path: Path) -> None:
    supervisor = Supervisor(UpOptions(state_dir=tmp_path, cors_origins=(ALLOWED, OTHER)))
    supervisor.database_urls = {name: f"postgresql://db/cica_{name}" for name in SERVICES}
    supervisor.nats_url = "nats://127.0.0.1:4222"
    environment = supervisor._service_environment("documents")
    assert environment["CICA_CORS_ORIGINS"] == f"{ALLOWED},{OTHER}"
    none = Supervisor(UpOptions(state_dir=tmp_path, cors_origins=()))
    none.database_urls, none.nats_url = supervisor.database_urls, supervisor.nats_url
    assert none._service_environment("documents")["CICA_CORS_ORIGINS"] == ""
