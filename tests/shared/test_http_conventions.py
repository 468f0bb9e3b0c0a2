"""The HTTP conventions every service follows, on a small app of their own and real PostgreSQL:
problem+json errors, request ids, Idempotency-Key on POST, ETag / If-Match."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.eventstore import ConcurrencyError, InvalidEventError, create_engine
from shared.eventstore.schema import idempotency_keys
from shared.http import install_http_conventions
from shared.http.etag import (
    ExpectedVersion,
    InvalidIfMatchError,
    expected_version_from_if_match,
    set_etag,
)
from shared.http.idempotency import forget_idempotency_keys, request_fingerprint
from shared.http.problems import PROBLEM_JSON, ProblemError


class ThingIn(BaseModel):
    name: str = Field(min_length=1)
    quantity: int


class DocumentNotEditableError(ProblemError):
    status = 409
    title = "Document not editable"
    type_ = "/problems/document-not-editable"

    def __init__(self, symbol: str) -> None:
        super().__init__(f"{symbol} is no longer a draft", symbol=symbol)


class TemporarilyUnavailableError(ProblemError):
    status = 503
    title = "Temporarily unavailable"
    type_ = "/problems/temporarily-unavailable"


@dataclass
class Probe:
    """What the test app's handlers did, and the gate that holds the slow one."""

    executions: list[str] = field(default_factory=list)
    failures_left: int = 0
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_while_failures_left(self, execution: str, error: Exception) -> None:
        """Raise `error` (recording `execution`) as long as failures are left to give."""
        if self.failures_left:
            self.failures_left -= 1
            self.executions.append(execution)
            raise error


def build_app(engine: AsyncEngine, probe: Probe) -> FastAPI:
    app = FastAPI()
    install_http_conventions(app)
    app.state.engine = engine

    def created(body: ThingIn, response: Response) -> dict[str, Any]:
        probe.executions.append(body.name)
        thing_id = str(uuid.uuid4())
        response.headers["Location"] = f"/things/{thing_id}"
        set_etag(response, 1)
        return {"id": thing_id, "name": body.name, "quantity": body.quantity}

    @app.post("/things", status_code=201)
    async def create_thing(body: ThingIn, response: Response) -> dict[str, Any]:
        return created(body, response)

    @app.post("/slow-things", status_code=201)
    async def create_slow_thing(body: ThingIn, response: Response) -> dict[str, Any]:
        probe.entered.set()
        await probe.gate.wait()
        return created(body, response)

    @app.post("/crashing-things", status_code=201)
    async def create_thing_or_crash(body: ThingIn, response: Response) -> dict[str, Any]:
        probe.fail_while_failures_left("crashed", RuntimeError("the disk is on fire"))
        return created(body, response)

    @app.post("/busy-things", status_code=201)
    async def create_thing_or_be_busy(body: ThingIn, response: Response) -> dict[str, Any]:
        probe.fail_while_failures_left("busy", TemporarilyUnavailableError("try again in a moment"))
        return created(body, response)

    @app.get("/documents/{symbol}")
    async def read_document(symbol: str) -> None:
        raise DocumentNotEditableError(symbol)

    @app.get("/boom")
    async def fail_unexpectedly() -> None:
        raise RuntimeError("could not connect: password=hunter2")

    @app.get("/expectation")
    async def show_expectation(expected: ExpectedVersion) -> dict[str, int | None]:
        return {"expected_version": expected}

    @app.post("/drafts/{stream_id}/revisions")
    async def revise_draft(stream_id: str, expected: ExpectedVersion) -> None:
        raise ConcurrencyError(stream_id, expected if expected is not None else 3, 4)

    @app.post("/drafts/{stream_id}/paragraphs")
    async def add_paragraph(stream_id: str) -> None:
        raise InvalidEventError("a number beyond 2**53 cannot be stored faithfully")

    return app


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def client(engine: AsyncEngine, probe: Probe) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(engine, probe))
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        yield client


def a_key() -> str:
    return f"key-{uuid.uuid4()}"


def assert_problem(response: httpx.Response, *, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == type_
    assert problem["title"]
    assert problem["detail"]
    assert problem["instance"] == response.request.url.path
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


# Problems


async def test_a_domain_error_is_a_problem_with_its_own_members(client: httpx.AsyncClient) -> None:
    response = await client.get("/documents/SUM-2022-DRAFT-1")

    problem = assert_problem(response, status=409, type_="/problems/document-not-editable")
    assert problem["title"] == "Document not editable"
    assert problem["detail"] == "SUM-2022-DRAFT-1 is no longer a draft"
    assert problem["symbol"] == "SUM-2022-DRAFT-1"


async def test_an_invalid_body_lists_each_field_without_echoing_the_input(
    client: httpx.AsyncClient, probe: Probe
) -> None:
    response = await client.post("/things", json={"name": "", "quantity": "hunter2"})

    problem = assert_problem(response, status=422, type_="/problems/validation-error")
    errors = {tuple(error["loc"]): error for error in problem["errors"]}
    assert set(errors) == {("body", "name"), ("body", "quantity")}
    assert errors[("body", "quantity")]["type"] == "int_parsing"
    assert all(set(error) == {"loc", "msg", "type"} for error in problem["errors"])
    assert "hunter2" not in response.text
    assert probe.executions == []


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")

    problem = assert_problem(response, status=404, type_="about:blank")
    assert problem["title"] == "Not Found"


async def test_a_method_the_route_lacks_is_a_405_problem_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/things")

    assert_problem(response, status=405, type_="about:blank")
    assert response.headers["allow"] == "POST"


async def test_an_unexpected_exception_is_a_500_problem_that_tells_nothing_of_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")

    problem = assert_problem(response, status=500, type_="/problems/internal-error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "request id" in problem["detail"]


async def test_an_event_the_store_cannot_keep_is_a_422_problem_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/drafts/SUM-2022-DRAFT-1/paragraphs")

    problem = assert_problem(response, status=422, type_="/problems/invalid-event")
    assert "2**53" in problem["detail"]


# Request ids


async def test_a_sane_request_id_is_kept_and_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/documents/X", headers={"X-Request-ID": "web-1:a.b_c-9"})

    assert response.headers["x-request-id"] == "web-1:a.b_c-9"
    assert response.json()["request_id"] == "web-1:a.b_c-9"


@pytest.mark.parametrize(
    "sent",
    [None, "has spaces", "x" * 129, "semi;colon", ""],
    ids=["absent", "spaces", "too-long", "odd-character", "empty"],
)
async def test_a_request_without_a_sane_request_id_gets_a_fresh_uuid(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}

    response = await client.get("/documents/X", headers=headers)

    given = response.headers["x-request-id"]
    assert uuid.UUID(given).version == 4
    assert given != sent
    assert response.json()["request_id"] == given


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/documents/X")
    second = await client.get("/documents/X")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


# ETag / If-Match


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("*", None), ('"7"', 7), (' "12" ', 12), ('"123456789012"', 123456789012)],
)
def test_if_match_gives_the_version_the_client_expects(
    header: str | None, expected: int | None
) -> None:
    assert expected_version_from_if_match(header) == expected


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("7", 'quoted: send If-Match: "7"'),
        ('W/"7"', "strong entity tag"),
        ('"7", "8"', "exactly one entity tag"),
        ('"draft"', "not an entity tag of this API"),
        ('"0"', "not an entity tag of this API"),
        ('"-1"', "not an entity tag of this API"),
        ("", "empty"),
    ],
)
def test_a_malformed_if_match_is_refused_with_a_reason(header: str, reason: str) -> None:
    with pytest.raises(InvalidIfMatchError) as refused:
        expected_version_from_if_match(header)

    assert reason in refused.value.detail


async def test_the_expected_version_reaches_the_handler(client: httpx.AsyncClient) -> None:
    conditional = await client.get("/expectation", headers={"If-Match": '"5"'})
    unconditional = await client.get("/expectation", headers={"If-Match": "*"})
    without = await client.get("/expectation")

    assert conditional.json() == {"expected_version": 5}
    assert unconditional.json() == {"expected_version": None}
    assert without.json() == {"expected_version": None}


async def test_a_malformed_if_match_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/expectation", headers={"If-Match": "5"})

    problem = assert_problem(response, status=400, type_="/problems/invalid-if-match")
    assert problem["detail"] == 'Entity tags are quoted: send If-Match: "5".'


async def test_a_conflict_after_if_match_is_412_precondition_failed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/drafts/SUM-2022-DRAFT-1/revisions", headers={"If-Match": '"3"'})

    problem = assert_problem(response, status=412, type_="/problems/precondition-failed")
    assert problem["stream_id"] == "SUM-2022-DRAFT-1"
    assert problem["expected_version"] == 3
    assert problem["actual_version"] == 4


async def test_a_conflict_without_if_match_is_409_version_conflict(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/drafts/SUM-2022-DRAFT-1/revisions")

    problem = assert_problem(response, status=409, type_="/problems/version-conflict")
    assert problem["actual_version"] == 4
    assert "version 4" in problem["detail"]


# Idempotency-Key


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_runs_nothing(
    client: httpx.AsyncClient, probe: Probe
) -> None:
    key = a_key()
    thing = {"name": "Kuwait", "quantity": 1}

    first = await client.post("/things", json=thing, headers={"Idempotency-Key": key})
    retry = await client.post("/things", json=thing, headers={"Idempotency-Key": key})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"] == '"1"'
    assert retry.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["x-request-id"] != first.headers["x-request-id"]
    assert probe.executions == ["Kuwait"]


async def test_posts_without_a_key_run_every_time(client: httpx.AsyncClient, probe: Probe) -> None:
    thing = {"name": "Kuwait", "quantity": 1}

    first = await client.post("/things", json=thing)
    second = await client.post("/things", json=thing)

    assert first.json()["id"] != second.json()["id"]
    assert probe.executions == ["Kuwait", "Kuwait"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/things", {"name": "Kuwait", "quantity": 2}),
        ("/things?copy=1", {"name": "Kuwait", "quantity": 1}),
        ("/busy-things", {"name": "Kuwait", "quantity": 1}),
    ],
    ids=["other-body", "other-query", "other-path"],
)
async def test_the_same_key_on_another_request_is_a_422_problem(
    client: httpx.AsyncClient, probe: Probe, path: str, body: dict[str, Any]
) -> None:
    key = a_key()
    await client.post(
        "/things", json={"name": "Kuwait", "quantity": 1}, headers={"Idempotency-Key": key}
    )

    response = await client.post(path, json=body, headers={"Idempotency-Key": key})

    problem = assert_problem(response, status=422, type_="/problems/idempotency-key-reused")
    assert "another request" in problem["detail"]
    assert probe.executions == ["Kuwait"]


async def test_a_retry_while_the_first_request_runs_is_a_409_then_gets_the_answer(
    client: httpx.AsyncClient, probe: Probe
) -> None:
    key = a_key()
    thing = {"name": "Kuwait", "quantity": 1}
    first = asyncio.create_task(
        client.post("/slow-things", json=thing, headers={"Idempotency-Key": key})
    )
    await asyncio.wait_for(probe.entered.wait(), timeout=10)

    meanwhile = await client.post("/slow-things", json=thing, headers={"Idempotency-Key": key})
    probe.gate.set()
    answered = await first
    later = await client.post("/slow-things", json=thing, headers={"Idempotency-Key": key})

    assert_problem(meanwhile, status=409, type_="/problems/idempotency-key-in-progress")
    assert meanwhile.headers["retry-after"] == "1"
    assert answered.status_code == 201
    assert later.json() == answered.json()
    assert later.headers["idempotent-replayed"] == "true"
    assert probe.executions == ["Kuwait"]


async def test_many_concurrent_requests_with_one_key_run_the_handler_once(
    client: httpx.AsyncClient, probe: Probe
) -> None:
    key = a_key()
    thing = {"name": "Kuwait", "quantity": 1}

    responses = await asyncio.gather(
        *(client.post("/things", json=thing, headers={"Idempotency-Key": key}) for _ in range(20))
    )

    assert probe.executions == ["Kuwait"]
    created = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_progress) == len(responses)
    assert len([r for r in created if "idempotent-replayed" not in r.headers]) == 1
    assert len({r.content for r in created}) == 1
    assert all(r.json()["type"] == "/problems/idempotency-key-in-progress" for r in in_progress)


@pytest.mark.parametrize("path", ["/crashing-things", "/busy-things"])
async def test_a_5xx_answer_is_not_kept_so_a_retry_runs_again(
    client: httpx.AsyncClient, probe: Probe, engine: AsyncEngine, path: str
) -> None:
    key = a_key()
    thing = {"name": "Kuwait", "quantity": 1}
    probe.failures_left = 1

    failed = await client.post(path, json=thing, headers={"Idempotency-Key": key})
    assert await stored_state(engine, key) is None
    retried = await client.post(path, json=thing, headers={"Idempotency-Key": key})

    assert failed.status_code >= 500
    assert failed.headers["content-type"] == PROBLEM_JSON
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["name"] == "Kuwait"
    assert len(probe.executions) == 2
    assert await stored_state(engine, key) == "done"


async def test_a_4xx_answer_is_kept_like_any_other(client: httpx.AsyncClient, probe: Probe) -> None:
    key = a_key()
    invalid = {"name": "", "quantity": 1}

    first = await client.post("/things", json=invalid, headers={"Idempotency-Key": key})
    retry = await client.post("/things", json=invalid, headers={"Idempotency-Key": key})

    assert first.status_code == retry.status_code == 422
    assert retry.json() == first.json()
    assert retry.headers["content-type"] == PROBLEM_JSON
    assert retry.headers["idempotent-replayed"] == "true"


async def test_a_claim_abandoned_past_its_lease_is_taken_over(
    client: httpx.AsyncClient, probe: Probe, engine: AsyncEngine
) -> None:
    key = a_key()
    body = json.dumps({"name": "Kuwait", "quantity": 1}).encode()
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    await claim_as_a_dead_process(engine, key, "/things", body, since=long_ago)

    response = await client.post(
        "/things",
        content=body,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )

    assert response.status_code == 201
    assert response.json()["name"] == "Kuwait"
    assert probe.executions == ["Kuwait"]
    assert await stored_state(engine, key) == "done"


async def test_a_claim_within_its_lease_is_still_in_progress(
    client: httpx.AsyncClient, probe: Probe, engine: AsyncEngine
) -> None:
    key = a_key()
    body = json.dumps({"name": "Kuwait", "quantity": 1}).encode()
    await claim_as_a_dead_process(engine, key, "/things", body, since=datetime.now(UTC))

    response = await client.post(
        "/things",
        content=body,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )

    assert_problem(response, status=409, type_="/problems/idempotency-key-in-progress")
    assert probe.executions == []


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "clé".encode(), "tab\tinside"],
    ids=["empty", "too-long", "not-ascii", "control-character"],
)
async def test_a_malformed_key_is_a_400_problem_and_runs_nothing(
    client: httpx.AsyncClient, probe: Probe, key: str | bytes
) -> None:
    response = await client.post(
        "/things", json={"name": "Kuwait", "quantity": 1}, headers={"Idempotency-Key": key}
    )

    problem = assert_problem(response, status=400, type_="/problems/invalid-idempotency-key")
    assert "1 to 255 printable ASCII characters" in problem["detail"]
    assert probe.executions == []


async def test_a_key_of_255_printable_characters_is_accepted(
    client: httpx.AsyncClient, probe: Probe
) -> None:
    key = ("A b~" * 64)[:255]

    response = await client.post(
        "/things", json={"name": "Kuwait", "quantity": 1}, headers={"Idempotency-Key": key}
    )

    assert response.status_code == 201
    assert probe.executions == ["Kuwait"]


async def test_forgotten_keys_run_again(
    client: httpx.AsyncClient, probe: Probe, engine: AsyncEngine
) -> None:
    key = a_key()
    thing = {"name": "Kuwait", "quantity": 1}
    await client.post("/things", json=thing, headers={"Idempotency-Key": key})

    kept = await forget_idempotency_keys(engine, older_than=timedelta(hours=1))
    forgotten = await forget_idempotency_keys(engine, older_than=timedelta(0))
    again = await client.post("/things", json=thing, headers={"Idempotency-Key": key})

    assert (kept, forgotten) == (0, 1)
    assert "idempotent-replayed" not in again.headers
    assert probe.executions == ["Kuwait", "Kuwait"]


async def stored_state(engine: AsyncEngine, key: str) -> str | None:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                select(idempotency_keys.c.state).where(idempotency_keys.c.key == key)
            )
        ).scalar_one_or_none()


async def claim_as_a_dead_process(
    engine: AsyncEngine, key: str, path: str, body: bytes, *, since: datetime
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(idempotency_keys).values(
                key=key,
                fingerprint=request_fingerprint("POST", path, b"", body),
                state="pending",
                created_at=since,
                updated_at=since,
            )
        )
