"""The HTTP conventions and the event store together, as a service uses them: ETag is the
stream version, If-Match guards writes, an Idempotency-Key never appends twice, the request
id reaches the event's metadata, and a database that does not answer gives 503."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel

from shared.eventstore import (
    NO_STREAM,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    create_engine,
)
from shared.http import install_http_conventions
from shared.http.etag import ExpectedVersion, set_etag
from shared.http.problems import ProblemError
from shared.system.devservers import free_port
from tests.database import events_in

event_types = EventTypes()


@event_types.register("DraftOpened")
class DraftOpened(DomainEvent):
    symbol: str


@event_types.register("ParagraphProposed")
class ParagraphProposed(DomainEvent):
    text: str


class DraftNotFoundError(ProblemError):
    status = 404
    title = "Draft not found"
    type_ = "/problems/draft-not-found"


class OpenDraftIn(BaseModel):
    symbol: str


class ParagraphIn(BaseModel):
    text: str


class DraftOut(BaseModel):
    id: str
    symbol: str
    paragraphs: list[str]
    version: int


def store_of(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(store_of)]
router = APIRouter()


async def load(store: PostgresEventStore, draft_id: str) -> DraftOut:
    events, version = await store.load(draft_id)
    if not events:
        raise DraftNotFoundError(f"no draft {draft_id}")
    opened = events[0]
    assert isinstance(opened, DraftOpened)
    paragraphs = [e.text for e in events[1:] if isinstance(e, ParagraphProposed)]
    return DraftOut(id=draft_id, symbol=opened.symbol, paragraphs=paragraphs, version=version)


@router.post("/drafts", status_code=201)
async def open_draft(body: OpenDraftIn, store: Store, response: Response) -> DraftOut:
    draft_id = f"draft-{uuid.uuid4()}"
    result = await store.append(
        draft_id, [DraftOpened(symbol=body.symbol)], stream_type="draft",
        expected_version=NO_STREAM,
    )
    set_etag(response, result.version)
    response.headers["Location"] = f"/drafts/{draft_id}"
    return DraftOut(id=draft_id, symbol=body.symbol, paragraphs=[], version=result.version)


@router.get("/drafts/{draft_id}")
async def read_draft(draft_id: str, store: Store, response: Response) -> DraftOut:
    draft = await load(store, draft_id)
    set_etag(response, draft.version)
    return draft


@router.post("/drafts/{draft_id}/paragraphs", status_code=201)
async def propose_paragraph(
    draft_id: str, body: ParagraphIn, store: Store, expected: ExpectedVersion, response: Response
) -> DraftOut:
    draft = await load(store, draft_id)
    result = await store.append(
        draft_id, [ParagraphProposed(text=body.text)], stream_type="draft",
        expected_version=expected if expected is not None else draft.version,
    )
    set_etag(response, result.version)
    return draft.model_copy(
        update={"paragraphs": [*draft.paragraphs, body.text], "version": result.version}
    )


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_on(database_url) as c:
        yield c


class _client_on:
    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        self.store = PostgresEventStore(self.engine, event_types)
        app = FastAPI()
        install_http_conventions(app)
        app.include_router(router)
        app.state.engine = self.engine
        app.state.store = self.store
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://cica.test",
        )

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        await self.store.close()
        await self.engine.dispose()


async def test_the_etag_is_the_stream_version(client):
    created = await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/1"})
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    location = created.headers["location"]

    revised = await client.post(
        f"{location}/paragraphs", json={"text": "PP1. Recalling..."}, headers={"If-Match": '"1"'}
    )
    read = await client.get(location)

    assert revised.status_code == 201
    assert revised.headers["etag"] == '"2"'
    assert read.headers["etag"] == '"2"'
    assert read.json()["paragraphs"] == ["PP1. Recalling..."]


async def test_a_stale_if_match_gets_412_and_appends_nothing(client, database_url):
    location = (await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/5"})).headers[
        "location"
    ]
    await client.post(f"{location}/paragraphs", json={"text": "1."}, headers={"If-Match": '"1"'})

    stale = await client.post(
        f"{location}/paragraphs", json={"text": "2."}, headers={"If-Match": '"1"'}
    )

    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["expected_version"] == 1
    assert stale.json()["actual_version"] == 2
    assert [r["event_type"] for r in await events_in(database_url)] == [
        "DraftOpened",
        "ParagraphProposed",
    ]


async def test_a_retried_post_with_its_idempotency_key_appends_once_and_answers_the_same(
    client, database_url
):
    key = str(uuid.uuid4())
    answers = [
        await client.post(
            "/drafts", json={"symbol": "SOC/2022-III/Agenda/2"}, headers={"Idempotency-Key": key}
        )
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[1].json() == answers[2].json() == answers[0].json()
    assert answers[1].headers["location"] == answers[0].headers["location"]
    assert answers[1].headers.get("idempotent-replayed") == "true"
    assert len(await events_in(database_url)) == 1


async def test_concurrent_retries_with_one_idempotency_key_append_once(client, database_url):
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(
            client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/1"},
                        headers={"Idempotency-Key": key})
            for _ in range(8)
        )
    )
    assert {a.status_code for a in answers} <= {201, 409}
    assert sum(a.status_code == 201 for a in answers) >= 1
    assert len(await events_in(database_url)) == 1


async def test_the_request_id_reaches_the_events_metadata(client, database_url):
    await client.post(
        "/drafts", json={"symbol": "SUM/2022/DRAFT/1"}, headers={"X-Request-ID": "req-soc-1280"}
    )
    (row,) = await events_in(database_url)
    import json

    assert json.loads(row["metadata"])["correlation_id"] == "req-soc-1280"


async def test_an_unknown_draft_is_a_404_problem(client):
    response = await client.get("/drafts/draft-nope")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/draft-not-found"


async def test_a_database_that_does_not_answer_gives_503_with_retry_after():
    async with _client_on(f"postgresql://postgres@127.0.0.1:{free_port()}/gone") as client:
        read = await client.get("/drafts/draft-1")
        write = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"}, headers={"Idempotency-Key": "k-1"}
        )

    for response in (read, write):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json()["type"] == "/problems/unavailable"


async def test_old_idempotency_keys_are_forgotten_and_recent_ones_kept(client, database_url):
    from datetime import timedelta

    from shared.http.idempotency import forget_idempotency_keys

    await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/1"},
                      headers={"Idempotency-Key": "old-key"})
    await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/5"},
                      headers={"Idempotency-Key": "new-key"})
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE idempotency_keys SET updated_at = now() - interval '2 days' "
            "WHERE key LIKE '%old-key'"
        )
        engine = create_engine(database_url)
        try:
            forgotten = await forget_idempotency_keys(engine, older_than=timedelta(hours=24))
        finally:
            await engine.dispose()
        keys = [r["key"] for r in await connection.fetch("SELECT key FROM idempotency_keys")]
    finally:
        await connection.close()
    assert forgotten == 1
    assert len(keys) == 1 and keys[0].endswith("new-key")
