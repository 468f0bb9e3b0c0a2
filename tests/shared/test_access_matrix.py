"""The access matrix: every route of every service, as its OpenAPI document lists it, called
with no token, an expired token, a token signed by another key, and a token of each role; each
answer must be what the route's declared rule (``x-cica-access``) says. A route that declares
no rule fails here."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from shared.access import ACCESS_EXTENSION, Role, check_access_rules
from shared.app import create_service_app
from shared.eventstore import EventTypes
from tests.access import bearer, expired_bearer, foreign_bearer
from tests.shared.test_service_shell import (
    SERVICES,
    eventually_ready,
    running,
    service_app,
    settings_for,
)

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
SAFE_METHODS = {"get", "head", "options"}


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    role: Role | None  # None: a token that must not verify


CALLERS = [
    Caller("no token", {}, Role.PUBLIC),
    Caller("an expired token", expired_bearer(Role.SECRETARIAT), None),
    Caller("a token signed by another key", foreign_bearer(Role.SECRETARIAT), None),
    Caller("secretariat", bearer(Role.SECRETARIAT), Role.SECRETARIAT),
    Caller("member_state KAZ", bearer(Role.MEMBER_STATE, "KAZ"), Role.MEMBER_STATE),
    Caller("auditor", bearer(Role.AUDITOR), Role.AUDITOR),
    Caller("service", bearer(Role.SERVICE, subject="service:meetings"), Role.SERVICE),
]


def concrete(path: str, operation: dict[str, Any] | None = None) -> str:
    """A URL for the path template: "1" fits both a string and an integer path parameter, but
    where the router itself takes only a pattern "1" misses (a state's three capitals), the
    parameter's documented example."""
    examples = {
        parameter["name"]: parameter["schema"]["examples"][0]
        for parameter in (operation or {}).get("parameters", [])
        if parameter["in"] == "path"
        and "pattern" in parameter["schema"]
        and parameter["schema"].get("examples")
        and not re.fullmatch(parameter["schema"]["pattern"].strip("^$"), "1")
    }
    return re.sub(r"\{([^}]+)\}", lambda found: str(examples.get(found[1], "1")), path)


def is_problem(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/problem+json")


def judge(caller: Caller, roles: set[str], method: str, response: httpx.Response) -> str | None:
    """What is wrong with `response` to `caller`, given the roles the route admits."""
    status = response.status_code
    challenge = response.headers.get("www-authenticate", "")
    if caller.role is None:
        if status == 401 and 'error="invalid_token"' in challenge and is_problem(response):
            return None
        return f"expected 401 invalid_token, got {status} {challenge!r}"
    if caller.role.value in roles:
        if status in (401, 403) or status >= 500:
            return f"admitted by the rule, yet got {status}: {response.text[:200]}"
        return None
    if caller.role is Role.PUBLIC:
        if status == 401 and challenge.startswith("Bearer") and is_problem(response):
            return None
        return f"expected 401 with a Bearer challenge, got {status} {challenge!r}"
    if status == 403 and is_problem(response):
        return None
    return f"expected 403 problem+json, got {status}"


def streams(operation: dict[str, object]) -> bool:
    """Whether the operation answers with an endless stream (Server-Sent Events)."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})  # type: ignore[union-attr]
    return "text/event-stream" in content


async def opening(app: FastAPI, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """A streaming route's answer as far as its status and headers (and its body, for an
    answer that ends: a problem): the client hangs up once the answer has begun. (An
    in-process ASGI transport would wait for the endless stream to end.)"""
    start: dict[str, object] = {}
    body = bytearray()
    answered = asyncio.Event()
    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            answered.set()  # a problem's body still follows; a stream's first event need not
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))  # type: ignore[arg-type]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("cica.test", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 30)  # type: ignore[arg-type]
    return httpx.Response(
        int(start["status"]),  # type: ignore[call-overload]
        headers=start.get("headers", []),  # type: ignore[arg-type]
        content=bytes(body),
    )


async def walk(client: httpx.AsyncClient, app: FastAPI) -> tuple[list[str], int]:
    """Call every operation of the app's OpenAPI document as every caller; the mismatches,
    and how many operations were walked."""
    schema = (await client.get("/openapi.json")).json()
    faults: list[str] = []
    operations = 0
    for path, item in sorted(schema["paths"].items()):
        for method, operation in sorted(item.items()):
            if method not in HTTP_METHODS:
                continue
            operations += 1
            where = f"{method.upper()} {path}"
            rule = operation.get(ACCESS_EXTENSION)
            if rule is None:
                faults.append(f"{where}: declares no access rule ({ACCESS_EXTENSION})")
                continue
            roles = set(rule["roles"])
            if method not in SAFE_METHODS and roles & {"auditor", "public"}:
                faults.append(f"{where}: writes, yet admits {sorted(roles)}")
            for caller in CALLERS:
                if streams(operation):
                    response = await opening(app, method, concrete(path, operation), caller.headers)
                    fault = judge(caller, roles, method, response)
                    if fault:
                        faults.append(f"{where} as {caller.name}: {fault}")
                    continue
                response = await client.request(
                    method,
                    concrete(path, operation),
                    headers=caller.headers,
                    json={} if method not in SAFE_METHODS else None,
                )
                fault = judge(caller, roles, method, response)
                if fault:
                    faults.append(f"{where} as {caller.name}: {fault}")
    return faults, operations


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_answers_every_caller_as_its_rule_says(service, database_url, servers):
    app = service_app(service, settings_for(service, database_url, servers.nats_url))
    async with running(app) as client:
        assert (await eventually_ready(client)).status_code == 200
        faults, operations = await walk(client, app)

    assert check_access_rules(app) == []
    assert faults == []
    assert operations >= 4, "the operational routes at least"


async def test_a_route_without_a_rule_fails_the_matrix_and_admits_nobody(database_url, servers):
    from services.registry.settings import RegistrySettings

    forgotten = APIRouter()

    @forgotten.get("/forgotten")
    async def forgotten_route() -> dict[str, str]:
        return {"status": "should never answer"}

    base = settings_for("registry", database_url, servers.nats_url)
    settings = RegistrySettings(**{**base.model_dump(), "tokens": base.tokens})
    app: FastAPI = create_service_app(settings, event_types=EventTypes(), routers=[forgotten])
    async with running(app) as client:
        public = await client.get("/forgotten")
        secretariat = await client.get("/forgotten", headers=bearer(Role.SECRETARIAT))
        faults, _ = await walk(client, app)

    assert public.status_code == 401
    assert secretariat.status_code == 403
    assert "declares no access rule" in secretariat.json()["detail"]
    assert "GET /forgotten: declares no access rule (x-cica-access)" in faults
    assert [f for f in check_access_rules(app) if "/forgotten" in f] == [
        "GET /forgotten (tests.shared.test_access_matrix.test_a_route_without_a_rule_fails_the_"
        "matrix_and_admits_nobody.<locals>.forgotten_route) declares no access rule"
    ]
