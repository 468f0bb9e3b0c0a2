"""What fuzzing found, held in place: each a regression test of one finding.

- No route declared its problem answers (401, 403, 404, 409, 412, 422 with FastAPI's own
  validation shape, which the apps never send, 503): the kit now declares them in every
  service's OpenAPI document (shared/http/problems.py `document_problems`).
- The meetings service answered `starts_local`/`ends_local` (wall-clock times at the venue,
  without an offset) under a schema that said RFC 3339 `date-time`, which needs one.
- Every service answered 500 to a position or an id beyond a BIGINT (`GET /events?after=`,
  `POST /admin/parked/{id}/retry`; `GET /live?after=` and `Last-Event-ID` likewise): the
  database refused the number. They are now bounded, a 422.
"""

from __future__ import annotations

import importlib
import re

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from pydantic import BaseModel, Field

from services.meetings.seed import SOC_MEETING
from shared.access import Role
from shared.http import install_http_conventions
from tests.access import bearer
from tests.registry.support import registry

SERVICES = ["registry", "documents", "meetings"]


def _schema(service: str) -> dict:
    return importlib.import_module(f"services.{service}.app").create_app().openapi()


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_declares_its_problem_answers(service):
    schema = _schema(service)
    assert "HTTPValidationError" not in str(schema), "FastAPI's 422 shape is never answered"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "503" in responses, (method, path)  # the kit's, or the route's own
            for status in ("4XX", "422"):
                content = responses[status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)


class Thing(BaseModel):
    name: str = Field(min_length=1)


def _app() -> FastAPI:
    app = FastAPI()
    install_http_conventions(app)

    @app.post("/things", status_code=201)
    async def add_thing(thing: Thing) -> Thing:
        return thing

    return app


@pytest.mark.parametrize(
    ("body", "status"),
    [({"name": "x"}, 201), ({"name": ""}, 422), ({}, 422), (None, 422)],
)
async def test_the_problems_answered_match_the_problems_declared(body, status):
    app = _app()
    operation = schemathesis.openapi.from_dict(app.openapi())["/things"]["POST"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cica.test"
    ) as client:
        response = await client.post("/things", json=body)
        unknown = await client.get("/nothing-here")
    assert response.status_code == status
    operation.Case(body=body, media_type="application/json").validate_response(response)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_a_meetings_local_times_are_documented_without_an_offset():
    schemas = _schema("meetings")["components"]["schemas"]
    for model in ("MeetingIn", "MeetingOut"):
        for field in ("starts_at_local", "ends_at_local"):
            declared = schemas[model]["properties"][field]
            (local,) = [s for s in declared.get("anyOf", [declared]) if s.get("type") == "string"]
            assert local["format"] != "time", (model, field)
            assert re.fullmatch(local["pattern"], SOC_MEETING["starts_at_local"]), (model, field)
            assert not re.fullmatch(local["pattern"], "10:00:00+06:00")


BEYOND_BIGINT = 2**66


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("GET", "/events", {"after": BEYOND_BIGINT}, bearer(Role.AUDITOR)),
        ("POST", f"/admin/parked/{BEYOND_BIGINT}/retry", {}, bearer(Role.SECRETARIAT)),
        ("GET", "/live", {"after": BEYOND_BIGINT}, bearer(Role.AUDITOR)),
        ("GET", "/live", {}, {**bearer(Role.AUDITOR), "Last-Event-ID": str(BEYOND_BIGINT)}),
    ],
)
async def test_a_position_or_an_id_beyond_a_bigint_is_a_422_not_a_500(
    method, path, params, headers, database_url, servers
):
    async with registry(
        database_url, servers.nats_url, consumers_enabled=False, relay_enabled=False
    ) as (_, client):
        response = await client.request(method, path, params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation-error"
