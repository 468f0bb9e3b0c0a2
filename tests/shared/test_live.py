"""`GET /live`: the documents app served by a real uvicorn on a free port (an in-process ASGI
transport cannot stream), followed by SSE clients of each role while the Secretariat drafts
and revises over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.documents.app import create_app
from shared.access import register_founding_members
from shared.live import LiveStreams, LiveUnavailableError
from shared.system.devservers import free_port
from tests.access import bearer
from tests.documents.helpers import FOUNDED, MEMBERS_BEFORE_KUWAIT, dated_today, draft, small_text
from tests.polling import eventually
from tests.shared.test_service_shell import settings_for

SECRETARIAT = bearer("secretariat")
KAZ = bearer("member_state", "KAZ")
DEADLINE = 15.0


@dataclass
class Served:
    app: FastAPI
    server: uvicorn.Server
    task: asyncio.Task[None]
    http: httpx.AsyncClient

    async def create(self, body: dict[str, Any]) -> str:
        response = await self.http.post("/documents", json=body, headers=SECRETARIAT)
        assert response.status_code == 201, response.text
        return response.json()["symbol"]

    async def revise(self, symbol: str, title: str) -> None:
        etag = (await self.http.get(f"/documents/{symbol}", headers=SECRETARIAT)).headers["ETag"]
        response = await self.http.post(
            f"/documents/{symbol}/revisions",
            json={"text": small_text(title), "basis": "", "incorporates": [], **dated_today()},
            headers={**SECRETARIAT, "If-Match": etag},
        )
        assert response.status_code == 201, response.text

    async def head(self) -> int:
        return await self.app.state.store.head_position()

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, DEADLINE)


@asynccontextmanager
async def served(database_url: str, nats_url: str, **settings: Any) -> AsyncIterator[Served]:
    base = settings_for("documents", database_url, nats_url)
    app = create_app(base.model_copy(update={"consumers_enabled": False, **settings}))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        assert not task.done(), "uvicorn stopped while starting"
        return server.started

    await eventually(started, within=DEADLINE, every=0.02, what="uvicorn started")
    await register_founding_members(app.state.engine, MEMBERS_BEFORE_KUWAIT, admitted_at=FOUNDED)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as http:
        running = Served(app, server, task, http)
        try:
            yield running
        finally:
            if not task.done():
                await running.stop()


@dataclass
class Sse:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    @property
    def position(self) -> int:
        assert self.id is not None
        return int(self.id)

    @property
    def cloudevent(self) -> dict[str, Any]:
        return json.loads(self.data)


class Stream:
    """An open SSE response, read event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, *, within: float = DEADLINE) -> Sse | None:
        """The next event (comments are kept aside); None when the stream ends."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Sse | None:
        event = Sse()
        data: list[str] = []
        async for line in self._lines:
            if line == "":
                if data or event.id is not None:
                    event.data = "\n".join(data)
                    return event
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                self.comments.append(value)
            elif name == "id":
                event.id = value
            elif name == "event":
                event.event = value
            elif name == "data":
                data.append(value)
        return None

    async def comment(self, *, within: float = DEADLINE) -> str:
        """The next comment line (a heartbeat), before any event."""

        async def first_comment() -> str:
            async for line in self._lines:
                assert not line or line.startswith(":"), f"an event came first: {line!r}"
                if line.startswith(":"):
                    return line[1:].strip()
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(first_comment(), within)

    async def until(self, position: int) -> list[Sse]:
        """Every event up to the one at `position` (which must come)."""
        seen: list[Sse] = []
        while True:
            event = await self.next()
            assert event is not None, f"the stream ended before position {position}"
            seen.append(event)
            if event.position >= position:
                return seen


@asynccontextmanager
async def live(
    http: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> AsyncIterator[Stream]:
    async with http.stream("GET", "/live", headers=headers or {}, params=params) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)


async def test_a_client_sees_a_revision_as_it_is_appended(database_url, servers):
    async with served(database_url, servers.nats_url) as service:
        symbol = await service.create(draft())
        async with live(service.http, SECRETARIAT) as stream:
            # The stream starts from now: the draft created before it is not replayed.
            started = asyncio.get_running_loop().time()
            await service.revise(symbol, "Draft statement, revised")
            event = await stream.next(within=5.0)
            latency = asyncio.get_running_loop().time() - started
        head = await service.head()

    assert event is not None
    assert event.event == "DraftRevised"
    assert event.position == head
    envelope = event.cloudevent
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "int.cica.documents.DraftRevised.v1"
    assert envelope["source"] == "/cica/documents"
    assert envelope["sequence"] == head
    assert envelope["data"]["symbol"] == f"{symbol}/Rev.1"
    print(f"DraftRevised reached the live client {latency * 1000:.0f} ms after the request")


async def test_resuming_gives_exactly_the_events_after_the_last_id(database_url, servers):
    async with served(database_url, servers.nats_url) as service:
        symbol = await service.create(draft())
        for n in range(1, 5):
            await service.revise(symbol, f"Revision {n}")
        head = await service.head()
        async with live(service.http, SECRETARIAT, after=0) as stream:
            everything = await stream.until(head)
        resume_from = everything[1].position
        async with live(service.http, {**SECRETARIAT, "Last-Event-ID": str(resume_from)}) as stream:
            resumed = await stream.until(head)
        async with live(service.http, SECRETARIAT, after=resume_from) as stream:
            by_query = await stream.until(head)
        # The header wins over the query: a browser reconnects with its original URL.
        async with live(
            service.http, {**SECRETARIAT, "Last-Event-ID": str(head - 1)}, after=0
        ) as stream:
            header_wins = await stream.next()
        # A new event reaches a resumed stream too, right after what it replayed.
        async with live(service.http, {**SECRETARIAT, "Last-Event-ID": str(head)}) as stream:
            await service.revise(symbol, "Revision 5")
            fresh = await stream.next()

    assert [e.position for e in everything] == list(range(1, head + 1))
    assert [e.event for e in everything] == ["DraftCreated"] + ["DraftRevised"] * 4
    assert [e.position for e in resumed] == list(range(resume_from + 1, head + 1))
    assert [e.data for e in resumed] == [e.data for e in everything[2:]]
    assert [e.position for e in by_query] == [e.position for e in resumed]
    assert header_wins is not None and header_wins.position == head
    assert fresh is not None and fresh.position == head + 1


async def test_a_member_state_never_sees_a_restricted_documents_events(database_url, servers):
    async with (
        served(database_url, servers.nats_url) as service,
        live(service.http, KAZ) as kaz,
        live(service.http, SECRETARIAT) as secretariat,
        live(service.http) as public,
    ):
        restricted = await service.create(
            draft("SOC/2022/DRAFT", distribution="restricted", states=["KWT"])
        )
        await service.revise(restricted, "For Kuwait only")
        members = await service.create(draft("SUM/2022/DRAFT", "member_states_only"))
        general = await service.create(draft("SUM/2022/INF", "general"))
        await service.revise(general, "For everyone, revised")
        head = await service.head()
        seen_by = {
            "KAZ": await kaz.until(head),
            "secretariat": await secretariat.until(head),
            "public": await public.until(head),
        }

    def documents(events: list[Sse]) -> list[tuple[str, str]]:
        creators = {
            e.cloudevent["subject"]: e.cloudevent["data"]["symbol"]
            for e in seen_by["secretariat"]
            if e.event == "DraftCreated"
        }
        return [(creators[e.cloudevent["subject"]], e.event or "") for e in events]

    assert documents(seen_by["secretariat"]) == [
        (restricted, "DraftCreated"),
        (restricted, "DraftRevised"),
        (members, "DraftCreated"),
        (general, "DraftCreated"),
        (general, "DraftRevised"),
    ]
    assert documents(seen_by["KAZ"]) == [
        (members, "DraftCreated"),
        (general, "DraftCreated"),
        (general, "DraftRevised"),
    ]
    assert documents(seen_by["public"]) == [
        (general, "DraftCreated"),
        (general, "DraftRevised"),
    ]


async def test_the_types_filter_and_bad_queries(database_url, servers):
    async with served(database_url, servers.nats_url) as service:
        symbol = await service.create(draft())
        await service.revise(symbol, "Revised")
        head = await service.head()
        async with live(service.http, SECRETARIAT, after=0, types="DraftRevised") as stream:
            revised = await stream.until(head)
        unknown = await service.http.get(
            "/live", params={"types": "DraftRevised,NoSuchThing"}, headers=SECRETARIAT
        )
        negative = await service.http.get("/live", params={"after": -1}, headers=SECRETARIAT)
        not_a_position = await service.http.get(
            "/live", headers={**SECRETARIAT, "Last-Event-ID": "seven"}
        )
        expired = await service.http.get("/live", headers={"Authorization": "Bearer not-a-token"})

    assert [(e.event, e.position) for e in revised] == [("DraftRevised", head)]
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["unknown"] == ["NoSuchThing"]
    for response in (negative, not_a_position):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    assert expired.status_code == 401


async def test_idle_streams_carry_heartbeats(database_url, servers):
    async with (
        served(database_url, servers.nats_url, live_heartbeat_seconds=0.2) as service,
        live(service.http, SECRETARIAT) as stream,
    ):
        heartbeats = [await stream.comment(), await stream.comment()]
        await service.create(draft())
        event = await stream.next()

    assert all(heartbeats), "comment lines came while the stream waited"
    assert event is not None and event.event == "DraftCreated"


LIVE_200 = (("method", "GET"), ("route", "/live"), ("status", "200"))
LIVE_503 = (("method", "GET"), ("route", "/live"), ("status", "503"))


def scraped(response: httpx.Response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_subscribers_beyond_the_limit_get_503_with_retry_after(database_url, servers):
    async with served(database_url, servers.nats_url, live_max_subscribers=1) as service:
        async with live(service.http, SECRETARIAT):
            refused = await service.http.get("/live", headers=SECRETARIAT)
            metrics = await service.http.get("/metrics", headers=SECRETARIAT)
        # The slot is given back once the first client leaves.

        async def opened() -> int:
            async with service.http.stream("GET", "/live", headers=SECRETARIAT) as again:
                return again.status_code

        await eventually(
            opened,
            until=lambda status: status == 200,
            within=DEADLINE,
            what="the slot came back",
        )
        # Streams are counted once they end, and never timed (they last as long as the client).

        async def counted() -> dict[Any, float]:
            return scraped(await service.http.get("/metrics", headers=SECRETARIAT))

        after = await eventually(
            counted,
            until=lambda samples: samples.get(("cica_http_requests_total", LIVE_200), 0) >= 2,
            within=DEADLINE,
            what="the streams counted",
        )

    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["limit"] == 1
    samples = scraped(metrics)
    assert samples[("cica_live_streams", ())] == 1
    assert samples[("cica_live_streams_limit", ())] == 1
    assert samples[("cica_http_requests_total", LIVE_503)] == 1
    refusals = after[("cica_http_requests_total", LIVE_503)]
    timed = ("cica_http_request_duration_seconds_count", (("method", "GET"), ("route", "/live")))
    assert after[timed] == refusals, "the refusals are timed, the streams are not"


async def test_the_server_stops_with_streams_open(database_url, servers):
    async with (
        served(database_url, servers.nats_url) as service,
        live(service.http, SECRETARIAT) as first,
        live(service.http, KAZ) as second,
    ):
        assert service.app.state.live.open == 2
        # uvicorn waits for open connections before its lifespan ends: the streams must end
        # by themselves, or this never returns.
        await service.stop()
        ended = [await first.next(), await second.next()]

    assert ended == [None, None]
    assert service.task.done() and service.task.exception() is None
    assert service.app.state.live.open == 0


@pytest.mark.parametrize("role", ["secretariat", "auditor", "service"])
async def test_those_who_see_everything_see_every_event(role, database_url, servers):
    headers = bearer(role, subject="service:meetings" if role == "service" else None)
    async with served(database_url, servers.nats_url) as service:
        await service.create(draft("SOC/2022/DRAFT", distribution="restricted", states=["KWT"]))
        head = await service.head()
        async with live(service.http, headers, after=0) as stream:
            events = await stream.until(head)

    assert [e.position for e in events] == list(range(1, head + 1))


async def test_the_end_of_the_lifespan_ends_open_streams(database_url, servers):
    """Under a server that runs the lifespan's end with streams still open (not uvicorn,
    which ends them first), the lifespan ends them."""
    base = settings_for("documents", database_url, servers.nats_url)
    app = create_app(base.model_copy(update={"consumers_enabled": False}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        async with app.router.lifespan_context(app):
            # An in-process transport answers once the stream has ended.
            answer = asyncio.create_task(client.get("/live", headers=SECRETARIAT))

            def opened() -> int:
                assert not answer.done(), answer.result().text
                return app.state.live.open

            await eventually(opened, within=DEADLINE, every=0.01, what="the stream opened")
        response = await asyncio.wait_for(answer, DEADLINE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert app.state.live.open == 0
    refused = LiveStreams(1)
    refused.close()
    with pytest.raises(LiveUnavailableError):
        refused.enter()
