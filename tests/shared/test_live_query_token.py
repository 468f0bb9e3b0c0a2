"""`GET /live` with the token in the query (RFC 6750 §2.3 ``access_token``), as a browser's
EventSource must send it: served by a real uvicorn (see tests/shared/test_live.py). The token
authenticates there only, is never logged nor echoed, and a stream ends when its token expires.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.access import OTHER_SECRET, token
from tests.documents.helpers import draft
from tests.shared.test_live import SECRETARIAT, Sse, Stream, served

EVENT_STREAM = {"Accept": "text/event-stream"}


def documents(events: list[Sse], creators: dict[str, str]) -> list[tuple[str, str]]:
    return [(creators[e.cloudevent["subject"]], e.event or "") for e in events]


async def test_a_member_states_event_source_sees_what_it_may(database_url, servers, capsys):
    kaz = token("member_state", "KAZ")
    async with served(database_url, servers.nats_url) as service:
        async with service.http.stream(
            "GET", "/live", params={"access_token": kaz, "after": 0}, headers=EVENT_STREAM
        ) as response:
            assert response.status_code == 200, (await response.aread()).decode()
            assert response.headers["content-type"].startswith("text/event-stream")
            restricted = await service.create(
                draft("SOC/2022/DRAFT", distribution="restricted", states=["KWT"])
            )
            members = await service.create(draft("SUM/2022/DRAFT", "member_states_only"))
            general = await service.create(draft("SUM/2022/INF", "general"))
            await service.revise(general, "For everyone, revised")
            seen = await Stream(response).until(await service.head())
        everything = await service.http.get(
            "/events", params={"after": 0}, headers=SECRETARIAT
        )
        # A problem of /live names the path alone: the token is echoed nowhere.
        refused = await service.http.get(
            "/live", params={"access_token": kaz, "types": "NoSuchThing"}
        )

    creators = {
        event["stream_id"]: event["data"]["symbol"]
        for event in everything.json()["events"]
        if event["event_type"] == "DraftCreated"
    }
    assert restricted in creators.values()
    assert documents(seen, creators) == [
        (members, "DraftCreated"),
        (general, "DraftCreated"),
        (general, "DraftRevised"),
    ]
    assert refused.status_code == 422
    assert refused.json()["instance"] == "/live"
    assert kaz not in refused.text
    assert all(kaz not in value for value in refused.headers.values())
    logged = capsys.readouterr().out
    assert '"path": "/live"' in logged
    assert kaz not in logged
    assert "access_token=" not in logged


@pytest.mark.parametrize("path", ["/documents", "/events"])
async def test_a_query_token_on_another_route_is_refused(path, database_url, servers):
    secretariat = token("secretariat")
    async with served(database_url, servers.nats_url) as service:
        await service.create(draft("SOC/2022/DRAFT", distribution="restricted", states=["KWT"]))
        read = await service.http.get(path, params={"access_token": secretariat})
        write = await service.http.post(
            "/documents", params={"access_token": secretariat}, json=draft("SUM/2022/INF")
        )
        head = await service.head()

    for answer in (read, write):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert 'error="invalid_request"' in answer.headers["WWW-Authenticate"]
        assert secretariat not in answer.text
    assert head == 1  # the write was not made


async def test_bad_query_tokens_get_401_and_two_tokens_get_400(database_url, servers):
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    expired = token("secretariat", ttl=timedelta(hours=1), now=two_hours_ago)
    forged = token("secretariat", secret=OTHER_SECRET)
    async with served(database_url, servers.nats_url) as service:
        answers = {
            name: await service.http.get(
                "/live", params={"access_token": value}, headers=EVENT_STREAM
            )
            for name, value in (("expired", expired), ("forged", forged), ("empty", ""))
        }
        both = await service.http.get(
            "/live", params={"access_token": token("auditor")}, headers=SECRETARIAT
        )
        twice = await service.http.get(
            "/live", params=[("access_token", token("auditor"))] * 2, headers=EVENT_STREAM
        )

    for name, answer in answers.items():
        assert answer.status_code == 401, name
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"], name
        assert answer.json()["instance"] == "/live"
    assert expired not in answers["expired"].text
    assert forged not in answers["forged"].text
    for answer in (both, twice):
        assert answer.status_code == 400
        assert 'error="invalid_request"' in answer.headers["WWW-Authenticate"]


@pytest.mark.parametrize("way", ["query", "header"])
async def test_a_stream_ends_when_its_token_expires(way, database_url, servers):
    short = token("secretariat", ttl=timedelta(seconds=3))
    if way == "query":
        request = {"params": {"access_token": short}, "headers": EVENT_STREAM}
    else:
        request = {"headers": {**EVENT_STREAM, "Authorization": f"Bearer {short}"}}
    async with (
        served(database_url, servers.nats_url, live_heartbeat_seconds=0.5) as service,
        service.http.stream("GET", "/live", **request) as response,
    ):
        assert response.status_code == 200
        started = asyncio.get_running_loop().time()
        symbol = await service.create(draft())
        stream = Stream(response)
        first = await stream.next(within=5.0)
        ended = await stream.next(within=10.0)
        lasted = asyncio.get_running_loop().time() - started
        await service.revise(symbol, "After the token expired")

    assert first is not None and first.event == "DraftCreated"
    assert ended is None
    assert lasted < 8.0

