"""What the kit writes into every service's OpenAPI document and answers to match it
(shared/http/openapi.py): operationIds that are the routes' names and unique, parameters that
are never null, If-Match with its syntax and its 412 and 428, 413 where a body is read, 503 with
Retry-After; a 405 whose Allow lists every method of the path; dates only as the text the
document declares."""

from __future__ import annotations

import re
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Header, Query
from pydantic import BaseModel, StringConstraints

from shared.http import install_http_conventions
from shared.http.etag import ExpectedVersion
from shared.http.openapi import IF_MATCH_PATTERN, document_conventions, operation_id
from shared.http.params import Day, Instant


class NoteIn(BaseModel):
    on: Day
    title: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], str] = {}


def _app() -> FastAPI:
    app = FastAPI(generate_unique_id_function=operation_id)
    install_http_conventions(app)

    @app.get("/notes")
    async def list_notes(
        on: Annotated[Day | None, Query()] = None,
        at: Annotated[Instant | None, Query()] = None,
        last_event_id: Annotated[int | None, Header(alias="Last-Event-ID")] = None,
    ) -> dict[str, str | None]:
        return {"on": on and on.isoformat(), "at": at and at.isoformat()}

    @app.post("/notes", status_code=201)
    async def record_note(note: NoteIn, expected: ExpectedVersion) -> dict[str, str | None]:
        return {"on": note.on.isoformat(), "expected": str(expected)}

    @app.post("/notes/{number}/revisions", status_code=201)
    async def revise_note(
        number: int, if_match: Annotated[str, Header(alias="If-Match")]
    ) -> dict[str, str]:
        return {"revised": str(number), "from": if_match}

    # A path whose methods come from two included routers, as the services' routes do.
    reads, writes = APIRouter(), APIRouter()

    @reads.get("/series/{office}")
    async def read_series(office: str) -> dict[str, str]:
        return {"office": office}

    @writes.put("/series/{office}")
    async def replace_series(office: str) -> dict[str, str]:
        return {"office": office}

    app.include_router(reads)
    app.include_router(writes)
    return app


def _operations(schema: dict) -> dict[str, dict]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_operation_ids_are_the_route_functions_names():
    operations = _operations(_app().openapi())
    assert {key: op["operationId"] for key, op in operations.items()} == {
        "GET /notes": "list_notes",
        "POST /notes": "record_note",
        "POST /notes/{number}/revisions": "revise_note",
        "GET /series/{office}": "read_series",
        "PUT /series/{office}": "replace_series",
    }


def test_two_operations_with_one_id_are_refused():
    app = FastAPI(generate_unique_id_function=operation_id)

    @app.get("/a")
    async def read() -> None: ...

    @app.get("/b", name="read")
    async def read_b() -> None: ...

    with pytest.warns(UserWarning, match="Duplicate Operation ID"):
        schema = app.openapi()
    with pytest.raises(ValueError, match="read"):
        document_conventions(schema)


def test_a_parameter_is_never_documented_as_null_and_if_match_has_its_syntax():
    operations = _operations(_app().openapi())
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            assert "null" not in str(parameter["schema"]), parameter
    last_event_id = next(
        p for p in operations["GET /notes"]["parameters"] if p["name"] == "Last-Event-ID"
    )
    assert last_event_id["schema"]["type"] == "integer"

    record, revise = operations["POST /notes"], operations["POST /notes/{number}/revisions"]
    for operation in (record, revise):
        if_match = next(p for p in operation["parameters"] if p["in"] == "header")
        assert if_match["name"] == "If-Match"
        assert if_match["schema"]["pattern"] == IF_MATCH_PATTERN
        assert {"412", "503"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["503"]["headers"]
    assert "413" in record["responses"]  # it reads a body
    assert "413" not in revise["responses"]
    assert "428" not in record["responses"]  # If-Match optional there
    assert "428" in revise["responses"]
    assert "412" not in operations["GET /notes"]["responses"]
    assert "413" not in operations["GET /notes"]["responses"]
    assert re.fullmatch(IF_MATCH_PATTERN, '"7"') and re.fullmatch(IF_MATCH_PATTERN, "*")
    for refused in ('"0"', "7", 'W/"7"', '"7", "8"', '"' + "9" * 19 + '"'):
        assert not re.fullmatch(IF_MATCH_PATTERN, refused), refused


async def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t")


async def test_a_required_if_match_that_is_missing_is_a_428_problem():
    async with await _client() as client:
        missing = await client.post("/notes/3/revisions")
        present = await client.post("/notes/3/revisions", headers={"If-Match": '"2"'})
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "/problems/precondition-required"
    assert present.status_code == 201


async def test_a_405_allows_every_method_of_the_path():
    async with await _client() as client:
        answer = await client.request("OPTIONS", "/notes")
        delete = await client.delete("/notes/3/revisions")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert delete.status_code == 405
    assert delete.headers["allow"] == "POST"
    async with await _client() as client:
        routed = await client.delete("/series/SOC-OI")
    assert routed.status_code == 405
    assert routed.headers["allow"] == "GET, PUT"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"on": "2022-10-12"}, 200),
        ({"on": "0"}, 422),
        ({"on": "20221012"}, 422),
        ({"at": "2022-10-07T12:00:00Z"}, 200),
        ({"at": "0"}, 422),
        ({"at": "1665144000"}, 422),
    ],
)
async def test_dates_are_the_text_the_document_declares(params, status):
    async with await _client() as client:
        answer = await client.get("/notes", params=params)
    assert answer.status_code == status, answer.text


async def test_a_date_in_a_body_is_text_not_a_number():
    async with await _client() as client:
        number = await client.post("/notes", json={"on": 0})
        text = await client.post("/notes", json={"on": "2022-10-12"})
    assert number.status_code == 422
    assert text.status_code == 201


async def test_a_map_with_constrained_keys_is_closed_as_pydantic_keeps_it():
    title = _app().openapi()["components"]["schemas"]["NoteIn"]["properties"]["title"]
    assert title["patternProperties"] == {"^[a-z]{2}$": {"type": "string"}}
    assert title["additionalProperties"] is False
    async with await _client() as client:
        refused = await client.post("/notes", json={"on": "2022-10-12", "title": {"EN": "x"}})
        taken = await client.post("/notes", json={"on": "2022-10-12", "title": {"en": "x"}})
    assert refused.status_code == 422
    assert taken.status_code == 201
