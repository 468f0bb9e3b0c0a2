"""The feed (``GET /events``) and live streams (``GET /live``) never judge an event from a
projection behind it. The documents service's distribution hook reads its `documents` table,
a projection of the log: while it lags, a document made restricted still reads as general
there. So a member state's or the public's page stops where the projections are (they are
held back here by stopping the app's projection runner), and resumes once they catch up;
those who see everything are not held back."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from shared import live as live_module
from shared import ops
from shared.access import GENERAL, by_stream_type, every_stream
from tests.documents.helpers import (
    AUDITOR,
    PUBLIC,
    SECRETARIAT,
    Documents,
    documents_app,
    draft,
    member,
    small_text,
)
from tests.polling import eventually
from tests.shared.test_live import live, served

KAZ = member("KAZ")
RUS = member("RUS")


async def page(docs: Documents, headers: dict[str, str], after: int = 0) -> dict[str, Any]:
    response = await docs.http.get("/events", params={"after": after}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def positions(body: dict[str, Any]) -> list[int]:
    return [event["position"] for event in body["events"]]


async def restrict(http: Any, symbol: str, *states: str) -> str:
    """Restrict `symbol` to `states`; its new ETag."""
    response = await http.post(
        f"/documents/{symbol}/distribution",
        json={"distribution": {"kind": "restricted", "states": list(states)}},
        headers=SECRETARIAT,
    )
    assert response.status_code == 201, response.text
    return response.headers["ETag"]


@pytest.fixture
def quick_feed_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page waits moments, not seconds, for projections that will not come (held here)."""
    monkeypatch.setattr(ops, "FEED_PROJECTION_WAIT_SECONDS", 0.2)


async def test_a_page_stops_where_the_projections_are_and_resumes_once_they_catch_up(
    database_url, servers, quick_feed_wait
):
    async with documents_app(database_url, servers.nats_url) as docs:
        general = (await docs.create(draft("SUM/2022/INF", "general"))).json()["symbol"]
        held_at = await docs.caught_up()
        runner = docs.app.state.projection_runner
        await runner.stop()
        # Made restricted to Kazakhstan, then revised: the projection still says general.
        etag = await restrict(docs.http, general, "KAZ")
        revised = await docs.revise(general, small_text("For Kazakhstan"), etag=etag)
        assert revised.status_code == 201, revised.text
        head = await docs.app.state.store.head_position()
        held = {
            "public": await page(docs, PUBLIC),
            "KAZ": await page(docs, KAZ),
            "auditor": await page(docs, AUDITOR),
            "public, read on": await page(docs, PUBLIC, after=held_at),
        }
        runner.start()
        await docs.caught_up()
        caught_up = {
            "public": await page(docs, PUBLIC),
            "RUS": await page(docs, RUS),
            "KAZ": await page(docs, KAZ),
            "public, read on": await page(docs, PUBLIC, after=held_at),
        }

    assert head == held_at + 2
    # Held back: the page ends where the projection is; nothing after it is judged yet.
    for reader in ("public", "KAZ"):
        assert positions(held[reader]) == list(range(1, held_at + 1))
        assert (held[reader]["next_after"], held[reader]["head"]) == (held_at, head)
    assert positions(held["public, read on"]) == []
    assert held["public, read on"]["next_after"] == held_at, "never past what is not judged"
    # Those who see everything are not held back.
    assert positions(held["auditor"]) == list(range(1, head + 1))
    assert held["auditor"]["next_after"] == head
    # Caught up: judged by the distribution as it is now, the page reaches the head.
    for reader in ("public", "RUS", "public, read on"):
        assert positions(caught_up[reader]) == []
        assert caught_up[reader]["next_after"] == head
    assert positions(caught_up["KAZ"]) == list(range(1, head + 1))
    assert [e["event_type"] for e in caught_up["KAZ"]["events"]][-2:] == [
        "DistributionChanged", "DraftRevised"]


async def test_a_page_of_a_service_whose_projections_are_current_is_not_cut(
    database_url, servers, quick_feed_wait
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft("SUM/2022/INF", "general"))).json()["symbol"]
        await docs.revise(symbol, small_text("Revised"), etag=await docs.etag(symbol))
        head = await docs.caught_up()
        public = await page(docs, PUBLIC)

    assert positions(public) == list(range(1, head + 1))
    assert public["next_after"] == head


@pytest.fixture
def quick_live_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_module, "PROJECTION_WAIT_SECONDS", 0.2)


async def test_a_live_stream_never_sends_an_event_judged_from_a_projection_behind_it(
    database_url, servers, quick_live_wait
):
    async with served(database_url, servers.nats_url) as service:
        restricted_later = await service.create(draft("SUM/2022/INF", "general"))
        stays_general = await service.create(draft("SOC/2022/INF", "general"))
        runner = service.app.state.projection_runner
        await runner.wait_until_caught_up(within=20)
        start = await service.head()
        async with (
            live(service.http, PUBLIC, after=start) as public,
            live(service.http, KAZ, after=start) as kaz,
            live(service.http, SECRETARIAT, after=start) as secretariat,
        ):
            await runner.stop()
            with capture_logs() as logs:
                await restrict(service.http, restricted_later, "KAZ")
                await service.revise(restricted_later, "For Kazakhstan")
                await service.revise(stays_general, "For everyone")
                held = await service.head()
                # The Secretariat's stream is not held back.
                unheld = await secretariat.until(held)
                # The public's and Kazakhstan's streams found the projection behind, again
                # and again while it stayed there.
                await eventually(
                    lambda: [e for e in logs if e["event"] == "live.projections_behind"
                             and e["position"] == held and e["reached"] == start],
                    until=lambda behind: len(behind) >= 4,
                    what="the streams held back by the projections",
                )
            runner.start()
            await runner.wait_until_caught_up(within=20)
            last = await service.create(draft("SUM/2022/INF", "general"))
            end = await service.head()
            seen = {"public": await public.until(end), "KAZ": await kaz.until(end)}

    def shown(events: list[Any]) -> list[tuple[str, str | None]]:
        return [(e.cloudevent["subject"], e.event) for e in events]

    assert [e.position for e in unheld] == list(range(start + 1, held + 1))
    # The document made restricted never reached the public, as general or otherwise.
    assert shown(seen["public"]) == [(stays_general, "DraftRevised"), (last, "DraftCreated")]
    assert shown(seen["KAZ"]) == [
        (restricted_later, "DistributionChanged"),
        (restricted_later, "DraftRevised"),
        (stays_general, "DraftRevised"),
        (last, "DraftCreated"),
    ]
    assert {e.cloudevent["actor"] for e in seen["public"] + seen["KAZ"]} == {"secretariat"}
    assert all(e.cloudevent["actor"].startswith("secretariat:") for e in unheld), "whole"


def test_a_hook_that_declares_its_distributions_reads_no_projection():
    async def reads_a_table(engine: Any, records: Any) -> dict[str, Any]:
        return {}

    assert not ops.reads_projections(None)
    assert not ops.reads_projections(every_stream(GENERAL))
    assert not ops.reads_projections(by_stream_type({"meeting": GENERAL}))
    assert ops.reads_projections(reads_a_table)

