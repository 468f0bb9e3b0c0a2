"""Issue 18: a document a caller may not see is absent, not named, anywhere in meetings. The
meetings service notes each document's distribution from the documents service's events
(`DraftCreated`, `DistributionChanged`) and applies it as the documents service does: after the
Draft Conclusions (SUM/2022/DRAFT/5), restricted to Kazakhstan, are considered by item 3(e),
revised, decided on and put to silence, India (a member state) finds their symbol nowhere (the
agenda in every view, the meeting, `/agenda-items?document=`, the decisions, a silence
procedure, `/events`, `/live`), while Kazakhstan and the Secretariat do; a document made
restricted after it was considered disappears for India from then on; documents distributed to
member states or generally are shown as before."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from fastapi import FastAPI

from services.meetings.app import create_app
from services.meetings.seed import SOC_AGENDA_ANNOTATED, SOC_AGENDA_DRAFT, SOC_MEETING
from shared.access import Role
from shared.envelope import ForeignEvent
from shared.system.devservers import free_port
from tests.access import AUDITOR, bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    deliver,
    founding_members,
    meetings,
    meetings_settings,
    post,
    react_again,
)
from tests.polling import eventually
from tests.shared.test_live import live

IND = bearer(Role.MEMBER_STATE, "IND")
KAZ = bearer(Role.MEMBER_STATE, "KAZ")
CONCLUSIONS = "SUM/2022/DRAFT/5"
"""Considered by item 3(e); restricted to Kazakhstan in these tests (named in no annotation or
title of the seed's agenda, so that its symbol appears only where the document is named)."""
STATEMENT = "SUM/2022/DRAFT/1"
"""Considered by item 3(c); member states only."""
ICT_STATEMENT = "SUM/2022/DRAFT/3"
"""Considered by item 3(b); member states only, then restricted to Kazakhstan."""
FUND = "SUM/2022/DRAFT/2"
"""Considered by item 3(a); general."""
UNKNOWN = "SUM/2099/DRAFT/77"
DEADLINE = 15.0


# ------------------------------------------------------------------------------ documents


def documents_event(stream_id: str, event_type: str, data: dict[str, Any]) -> ForeignEvent:
    """One of the documents service's events on the document `stream_id` (its base symbol,
    as the documents service names its streams), a new one each call."""
    return ForeignEvent(
        producer="documents", position=1, event_id=uuid4(), stream_id=stream_id,
        stream_type="document", version=1, event_type=event_type, schema_version=1, data=data,
        metadata={"correlation_id": str(uuid4())}, recorded_at="2022-10-08T09:30:00+00:00",
        hash="00" * 32, prev_hash="00" * 32,
    )


def distribution(kind: str, *states: str) -> dict[str, Any]:
    return {"kind": kind, "states": list(states)}


def created(symbol: str, given: dict[str, Any], **more: Any) -> ForeignEvent:
    return documents_event(symbol, "DraftCreated", {
        "symbol": symbol, "document_type": "conclusions", "language": "en",
        "text": {"title": {"en": "Draft"}}, "distribution": given, "dated": "2022-10-07",
        **more,
    })


def revised(symbol: str, revision: int, dated: str = "2022-10-08") -> ForeignEvent:
    return documents_event(symbol, "DraftRevised", {
        "revision": revision, "symbol": f"{symbol}/Rev.{revision}", "basis": "",
        "text": {"title": {"en": "Draft"}}, "dated": dated})


def distribution_changed(symbol: str, given: dict[str, Any]) -> ForeignEvent:
    return documents_event(symbol, "DistributionChanged", {"distribution": given, "reason": ""})


# ------------------------------------------------------------------------------ the meeting


def decision_on(symbol: str, item: str) -> dict[str, Any]:
    return {"decision_id": str(uuid4()), "item": item, "outcome": "recommended_for_adoption",
            "subject": {"kind": "document", "symbol": symbol}, "decided_on": "2022-10-11",
            "text": "The SOC recommended the draft for adoption by the Summit."}


async def soc_meeting_considering_the_restricted_conclusions(
    app: FastAPI, client: httpx.AsyncClient
) -> dict[str, Any]:
    """The 27; the SOC's agenda drafted and annotated; the documents service's drafts (the
    Conclusions restricted to Kazakhstan, the Astana Statement for member states, the Fund's
    Regulations general) and revisions of two of them followed; the agenda adopted; a draft
    decision on the Conclusions put, reserved on by Kazakhstan and taken, one on the Statement
    taken; a silence procedure on the Conclusions started. What was recorded, by name."""
    await founding_members(app)
    await post(client, "/meetings", SOC_MEETING)
    await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
    await post(client, f"/meetings/{SOC}/agenda/annotations", SOC_AGENDA_ANNOTATED)
    for event in (
        created(CONCLUSIONS, distribution("restricted", "KAZ")),
        created(STATEMENT, distribution("member_states_only"), revision=8),
        created(FUND, distribution("general"), revision=3),
        revised(CONCLUSIONS, 1),
        revised(STATEMENT, 9),
    ):
        await deliver(app, event)
    await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})
    on_conclusions = decision_on(f"{CONCLUSIONS}/Rev.1", "3(e)")
    on_statement = decision_on(f"{STATEMENT}/Rev.9", "3(c)")
    await post(client, f"/meetings/{SOC}/decision-proposals", on_conclusions)
    await post(client, f"/meetings/{SOC}/decisions/{on_conclusions['decision_id']}/reservations",
               {"state": "KAZ", "kind": "statement", "text": "Kazakhstan welcomes it."},
               headers=KAZ)
    for decision in (on_conclusions, on_statement):
        await post(client, f"/meetings/{SOC}/decisions", decision)
    silence = {
        "procedure_id": str(uuid4()), "body": "SOC", "session": "SOC/2022-III",
        "draft": {"outcome": "approved",
                  "subject": {"kind": "document", "symbol": f"{CONCLUSIONS}/Rev.1"},
                  "text": "The SOC approves the Draft Conclusions."},
        "deadline": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    await post(client, "/silence-procedures", silence)
    return {"on_conclusions": on_conclusions, "on_statement": on_statement, "silence": silence}


async def everything_read_by(client: httpx.AsyncClient, headers: dict[str, str],
                             silence_id: str) -> dict[str, httpx.Response]:
    """Every read of meetings that could name a document, as `headers`' caller gets it."""
    paths = {
        "agenda": f"/meetings/{SOC}/agenda",
        "circulated": f"/meetings/{SOC}/agenda?view=circulated",
        "adopted": f"/meetings/{SOC}/agenda?view=adopted",
        "meeting": f"/meetings/{SOC}",
        "meetings": "/meetings",
        "items": f"/agenda-items?document={CONCLUSIONS}",
        "items_at_revision": f"/agenda-items?document={CONCLUSIONS}/Rev.1",
        "decisions": f"/meetings/{SOC}/decisions",
        "all_decisions": "/decisions",
        "silence": f"/silence-procedures/{silence_id}",
        "events": "/events?after=0&limit=1000",
    }
    return {name: await client.get(path, headers=headers) for name, path in paths.items()}


def item(agenda: dict[str, Any], ref: str) -> dict[str, Any]:
    number, _, letter = ref.partition("(")
    found = next(i for i in agenda["items"] if i["number"] == number)
    return next(s for s in found["sub_items"] if s["letter"] == letter[0]) if letter else found


def symbols(considers: list[dict[str, Any]]) -> list[str]:
    return [d["symbol"] for d in considers]


# ------------------------------------------------------------------------------ the tests


async def test_india_finds_a_document_restricted_to_kazakhstan_nowhere_in_meetings(
    database_url, servers
):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        made = await soc_meeting_considering_the_restricted_conclusions(app, client)
        silence_id = made["silence"]["procedure_id"]
        unheard_of = await client.get(f"/agenda-items?document={UNKNOWN}", headers=IND)
        india = await everything_read_by(client, IND, silence_id)
        kazakhstan = await everything_read_by(client, KAZ, silence_id)
        secretariat = await everything_read_by(client, SECRETARIAT, silence_id)

    for name, answer in india.items():
        if name == "silence":
            continue
        assert answer.status_code == 200, (name, answer.text)
        assert CONCLUSIONS not in answer.text, name
    assert india["silence"].status_code == 404
    assert india["silence"].json()["detail"] == (
        f"The silence procedure {silence_id} does not exist.")
    for name in ("items", "items_at_revision"):
        assert india[name].json() == unheard_of.json() == {"items": [], "next_after": None}, name

    # The item stays, without the document; the others are as they were.
    for view in ("agenda", "circulated", "adopted"):
        agenda = india[view].json()
        assert item(agenda, "3(e)")["considers"] == [], view
        assert item(agenda, "3(e)")["title"] == "Draft Conclusions of the Sixth CICA Summit"
        assert len(agenda["items"]) == 5
    assert symbols(item(india["agenda"].json(), "3(c)")["considers"]) == [f"{STATEMENT}/Rev.9"]
    assert [h["item"] for h in india["agenda"].json()["document_history"]] == ["3(c)"]
    decisions = india["decisions"].json()
    assert [d["decision_id"] for d in decisions["decisions"]] == [
        made["on_statement"]["decision_id"]]
    assert decisions["proposals"] == []
    assert [d["decision_id"] for d in india["all_decisions"].json()["decisions"]] == [
        made["on_statement"]["decision_id"]]

    # Kazakhstan, which the distribution names, and the Secretariat see it everywhere.
    for reader in (kazakhstan, secretariat):
        for name, answer in reader.items():
            assert answer.status_code == 200, (name, answer.text)
            if name not in ("meeting", "meetings"):  # they name no document at all
                assert CONCLUSIONS in answer.text, name
        agenda = reader["agenda"].json()
        assert symbols(item(agenda, "3(e)")["considers"]) == [f"{CONCLUSIONS}/Rev.1"]
        assert [h["item"] for h in agenda["document_history"]] == ["3(e)", "3(c)"]
        assert len(reader["all_decisions"].json()["decisions"]) == 2
        proposal = reader["decisions"].json()["proposals"][0]
        assert proposal["reservations"] == [
            {"state": "KAZ", "kind": "statement", "text": "Kazakhstan welcomes it."}]
        assert [i["ref"] for i in reader["items"].json()["items"]] == ["3(e)"]

    # The feed: India reads the meeting's events that name no restricted document.
    shown = {e["position"] for e in india["events"].json()["events"]}
    everything = secretariat["events"].json()["events"]
    withheld = [e["event_type"] for e in everything if e["position"] not in shown]
    assert withheld == [
        "AgendaDrafted", "DocumentDistributionNoted",
        "ConsideredDocumentRevised", "AgendaAdopted", "DecisionProposed", "DecisionRecorded",
        "SilenceProcedureStarted",
    ]
    assert {e["event_type"] for e in everything if e["position"] in shown} >= {
        "MeetingScheduled", "MembershipNoted", "DocumentDistributionNoted", "DecisionRecorded",
        "ConsideredDocumentRevised"}
    assert {e["position"] for e in kazakhstan["events"].json()["events"]} == {
        e["position"] for e in everything}


async def test_a_document_made_restricted_after_it_was_considered_disappears_for_india(
    database_url, servers
):
    """The ICT Statement (item 3(b)) is for member states when created: India sees it; once
    the documents service restricts it to Kazakhstan, India no longer does, in the reads and on
    the feed, even in the events recorded before; a redelivered change records nothing new."""
    ict = f"{ICT_STATEMENT}/Rev.3"
    restricted = distribution_changed(ICT_STATEMENT, distribution("restricted", "KAZ"))
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        await deliver(app, created(ICT_STATEMENT, distribution("member_states_only"), revision=3))
        before = await everything_read_by(client, IND, str(uuid4()))
        await deliver(app, restricted)
        await deliver(app, restricted)
        await react_again(app, restricted)
        after = await everything_read_by(client, IND, str(uuid4()))
        kazakhstan = await everything_read_by(client, KAZ, str(uuid4()))
        noted = await app.state.store.read_stream(f"document-{ICT_STATEMENT}")

    assert symbols(item(before["agenda"].json(), "3(b)")["considers"]) == [ict]
    assert ICT_STATEMENT in before["events"].text
    for name in ("agenda", "circulated", "events"):
        assert ICT_STATEMENT not in after[name].text, name
        assert ICT_STATEMENT in kazakhstan[name].text, name
    assert item(after["agenda"].json(), "3(b)")["considers"] == []
    assert [(r.event_type, r.data["distribution"]["kind"]) for r in noted] == [
        ("DocumentDistributionNoted", "member_states_only"),
        ("DocumentDistributionNoted", "restricted"),
    ], "delivered twice and handled again: noted once"
    assert noted[-1].metadata["causation_id"] == str(restricted.event_id)


async def test_a_document_asked_for_is_found_only_by_who_may_see_it(database_url, servers):
    """`/agenda-items?document=`: the Astana Statement (member states) is found by India with
    its item; made restricted, India's answer is the one for a symbol nobody heard of."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        await deliver(app, created(STATEMENT, distribution("member_states_only"), revision=8))
        found = await client.get(f"/agenda-items?document={STATEMENT}", headers=IND)
        await deliver(app, distribution_changed(STATEMENT, distribution("restricted", "KAZ")))
        hidden = await client.get(f"/agenda-items?document={STATEMENT}", headers=IND)
        unheard_of = await client.get(f"/agenda-items?document={UNKNOWN}", headers=IND)
        kazakhstan = await client.get(f"/agenda-items?document={STATEMENT}", headers=KAZ)

    assert [(i["ref"], symbols(i["considers"])) for i in found.json()["items"]] == [
        ("3(c)", [f"{STATEMENT}/Rev.8"])]
    assert (hidden.status_code, hidden.json()) == (unheard_of.status_code, unheard_of.json())
    assert hidden.json() == {"items": [], "next_after": None}
    assert kazakhstan.json() == found.json()


async def test_documents_for_member_states_or_everyone_are_shown_as_before(database_url, servers):
    """Noting a general or a member-states-only distribution hides nothing from a member state,
    nor does a document whose distribution the service never learnt (a meeting's own: member
    states only); the notes themselves are on India's feed."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await post(client, "/meetings", SOC_MEETING)
        await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
        before = (await client.get(f"/meetings/{SOC}/agenda", headers=IND)).json()
        await deliver(app, created(STATEMENT, distribution("member_states_only"), revision=8))
        await deliver(app, created(FUND, distribution("general"), revision=3))
        agenda = (await client.get(f"/meetings/{SOC}/agenda", headers=IND)).json()
        events = (await client.get("/events?after=0&limit=1000", headers=IND)).json()["events"]
        public = await client.get("/events?after=0&limit=1000")

    assert agenda == before
    assert symbols(item(agenda, "3(a)")["considers"]) == [f"{FUND}/Rev.3"]
    assert symbols(item(agenda, "3(d)")["considers"]) == ["SOC/2021/DRAFT/3/Rev.6"]
    assert [e["data"]["symbol"] for e in events if e["event_type"] == "DocumentDistributionNoted"
            ] == [STATEMENT, FUND]
    assert "AgendaDrafted" in {e["event_type"] for e in events}
    assert public.status_code == 200 and public.json()["events"] == [], (
        "a general document's note does not open meetings to the public")


# ------------------------------------------------------------------------------ live


@asynccontextmanager
async def served_meetings(
    database_url: str, nats_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The meetings app on a real uvicorn (a live stream needs one), its consumers idle."""
    app = create_app(meetings_settings(database_url, nats_url, consumers_enabled=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=(port := free_port()),
                                           log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        assert not task.done(), "uvicorn stopped while starting"
        return server.started

    await eventually(started, within=DEADLINE, every=0.02, what="uvicorn started")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     timeout=DEADLINE) as http:
            yield app, http
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, DEADLINE)


async def test_indias_live_stream_never_names_the_restricted_document(database_url, servers):
    async with served_meetings(database_url, servers.nats_url) as (app, http):
        await soc_meeting_considering_the_restricted_conclusions(app, http)
        # Last, an event India sees: its stream reaches the head.
        await deliver(app, created("SUM/2022/INF/1", distribution("general")))
        head = await app.state.store.head_position()
        async with (
            live(http, IND, after=0) as india,
            live(http, KAZ, after=0) as kazakhstan,
            live(http, AUDITOR, after=0) as auditor,
        ):
            seen = {
                "IND": await india.until(head),
                "KAZ": await kazakhstan.until(head),
                "auditor": await auditor.until(head),
            }
        public = await http.get("/live")

    def named(events: list[Any]) -> list[int]:
        return [e.position for e in events if CONCLUSIONS in json.dumps(e.cloudevent)]

    assert named(seen["IND"]) == []
    assert named(seen["KAZ"]) == named(seen["auditor"]) != []
    assert len(seen["KAZ"]) == len(seen["auditor"]) == head
    assert 0 < len(seen["IND"]) < head
    assert public.status_code == 401, "meetings stays closed to the public"
