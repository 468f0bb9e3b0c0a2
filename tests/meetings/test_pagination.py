"""Issue 19: `/meetings`, `/agenda-items?document=` and `/decisions` come a page at a time, by
keyset. Walked with a small `limit`, each gives every item once, in its order (meetings by start
then id, agenda items by meeting then in the agenda's order, decisions as recorded), and
`next_after` is null on the last page; its filters (`body=`, `document=`) apply to every page;
India, a member state, never finds in any page a document restricted to Kazakhstan (a page of
`/decisions` is then shorter, but reads on); a cursor that is not one of the list's, and a
`limit` out of 1..500, are 422 problems."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.http.problems import PROBLEM_JSON
from tests.meetings.support import SECRETARIAT, deliver, founding_members, meetings, post
from tests.meetings.test_distribution import (
    CONCLUSIONS,
    IND,
    KAZ,
    STATEMENT,
    created,
    distribution,
)


def meeting(number: int, starts: str, body: str = "SOC") -> dict[str, Any]:
    prefix = {"SOC": "SOC", "SUMMIT": "SUM"}[body]
    return {
        "body": body, "session": f"{prefix}/2023-{number}", "title": f"Session {number}",
        "venue": "Astana", "starts_on": starts[:10], "starts_at_local": starts[11:],
        "ends_on": "2023-12-31", "time_zone": "Asia/Almaty",
    }


async def walk(
    client: httpx.AsyncClient, path: str, field: str, headers: dict[str, str], limit: int,
    **params: Any,
) -> list[dict[str, Any]]:
    """Each page of `path` (its items, under `field`) from the first to the last, whose
    `next_after` alone is null."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        query = {**params, "limit": limit, **({"after": after} if after else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page[field]) <= limit
        pages.append(page)
        after = page["next_after"]
        if after is None:
            return pages
        assert len(pages) < 50, "the walk ends"


def items(pages: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    return [item for page in pages for item in page[field]]


# ------------------------------------------------------------------------------ /meetings


async def test_meetings_come_by_start_then_id_a_page_at_a_time(database_url, servers):
    """Seven SOC sessions (two starting at the same instant, scheduled out of order) and a
    Summit: in pages of three, every meeting once; with `body=SOC`, the seven."""
    starts = {1: "2023-03-01T10:00", 2: "2023-01-15T09:00", 4: "2023-02-01T10:00",
              3: "2023-02-01T10:00", 5: "2023-05-20T10:00", 7: "2023-04-02T10:00",
              6: "2023-06-30T10:00"}
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        for number, start in starts.items():
            await post(client, "/meetings", meeting(number, start))
        await post(client, "/meetings", meeting(8, "2023-02-01T10:00", body="SUMMIT"))
        everything = await walk(client, "/meetings", "meetings", SECRETARIAT, limit=3)
        of_the_soc = await walk(client, "/meetings", "meetings", IND, limit=3, body="SOC")
        unpaged = (await client.get("/meetings", headers=SECRETARIAT)).json()

    listed = items(everything, "meetings")
    in_order = sorted(listed, key=lambda m: (m["starts_at"], m["meeting_id"]))
    assert [m["meeting_id"] for m in listed] == [m["meeting_id"] for m in in_order]
    assert [m["meeting_id"] for m in listed] == [
        "SOC-2023-2", "SOC-2023-3", "SOC-2023-4", "SUM-2023-8", "SOC-2023-1", "SOC-2023-7",
        "SOC-2023-5", "SOC-2023-6",
    ], "by start, the same start by id"
    assert [len(page["meetings"]) for page in everything] == [3, 3, 2]
    assert [len(page["meetings"]) for page in of_the_soc] == [3, 3, 1]
    assert [m["meeting_id"] for m in items(of_the_soc, "meetings")] == [
        m["meeting_id"] for m in listed if m["body"] == "SOC"]
    assert unpaged == {"meetings": listed, "next_after": None}, "100 by default"


# ------------------------------------------------------------------------------ /agenda-items


def agenda(number: int) -> dict[str, Any]:
    """An agenda whose items 2 and 3(a) consider the Astana Statement, item 2 the Conclusions
    too (restricted to Kazakhstan), item 3 and 4 nothing of theirs."""
    statement = {"symbol": f"{STATEMENT}/Rev.8"}
    return {"symbol": f"SOC/2023-{number}/Agenda/1", "circulated_on": "2023-01-01", "items": [
        {"number": "1", "title": "Adoption of the agenda", "action": "adopt_agenda"},
        {"number": "2", "title": "Statement and conclusions",
         "considers": [statement, {"symbol": f"{CONCLUSIONS}/Rev.1"}]},
        {"number": "3", "title": "Documents", "sub_items": [
            {"letter": "a", "title": "The Statement", "considers": [statement]},
            {"letter": "b", "title": "Other business"}]},
        {"number": "4", "title": "The Statement again", "considers": [statement]},
    ]}


async def test_agenda_items_come_by_meeting_then_in_the_agendas_order(database_url, servers):
    """Three meetings whose agendas consider the Statement under items 2, 3(a) and 4: in pages
    of four, the nine items once, in order; India finds them all, never the Conclusions."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await deliver(app, created(CONCLUSIONS, distribution("restricted", "KAZ")))
        await deliver(app, created(STATEMENT, distribution("member_states_only"), revision=8))
        for number in (3, 1, 2):
            await post(client, "/meetings", meeting(number, f"2023-0{number}-01T10:00"))
            await post(client, f"/meetings/SOC-2023-{number}/agenda", agenda(number))
        secretariat = await walk(client, "/agenda-items", "items", SECRETARIAT, limit=4,
                                 document=STATEMENT)
        india = await walk(client, "/agenda-items", "items", IND, limit=4,
                           document=f"{STATEMENT}/Rev.8")
        hidden = await walk(client, "/agenda-items", "items", IND, limit=4, document=CONCLUSIONS)
        kazakhstan = await walk(client, "/agenda-items", "items", KAZ, limit=4,
                                document=CONCLUSIONS)

    found = items(secretariat, "items")
    assert [(i["meeting_id"], i["ref"]) for i in found] == [
        (f"SOC-2023-{n}", ref) for n in (1, 2, 3) for ref in ("2", "3(a)", "4")]
    assert [len(page["items"]) for page in secretariat] == [4, 4, 1]
    assert found[0]["considers"] == [
        {"symbol": f"{STATEMENT}/Rev.8", "dated": None, "note": ""},
        {"symbol": f"{CONCLUSIONS}/Rev.1", "dated": None, "note": ""}]
    seen_by_india = items(india, "items")
    assert [(i["meeting_id"], i["ref"]) for i in seen_by_india] == [
        (i["meeting_id"], i["ref"]) for i in found]
    assert all(CONCLUSIONS not in json.dumps(page) for page in india)
    assert hidden == [{"items": [], "next_after": None}]
    assert [(i["meeting_id"], i["ref"]) for i in items(kazakhstan, "items")] == [
        (f"SOC-2023-{n}", "2") for n in (1, 2, 3)]


# ------------------------------------------------------------------------------ /decisions


def decision_on(symbol: str, item: str) -> dict[str, Any]:
    return {"decision_id": str(uuid4()), "item": item, "outcome": "recommended_for_adoption",
            "subject": {"kind": "document", "symbol": symbol}, "decided_on": "2023-03-01",
            "text": f"The SOC recommended {symbol} for adoption by the Summit."}


async def test_decisions_come_as_recorded_and_a_hidden_one_shortens_its_page(
    database_url, servers
):
    """Eight decisions, on the Conclusions (restricted to Kazakhstan) and the Statement in
    turn: the Secretariat reads them in pages of three, as recorded; India reads on through
    pages that hold only the Statement's, one of them a single decision with more to come."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        await deliver(app, created(CONCLUSIONS, distribution("restricted", "KAZ")))
        await deliver(app, created(STATEMENT, distribution("member_states_only"), revision=8))
        await post(client, "/meetings", meeting(1, "2023-03-01T10:00"))
        await post(client, "/meetings/SOC-2023-1/agenda", agenda(1))
        await post(client, "/meetings/SOC-2023-1/agenda/adoption", {"adopted_on": "2023-03-01"})
        recorded = []
        for turn in range(8):
            decision = (decision_on(f"{CONCLUSIONS}/Rev.1", "2") if turn % 2 == 0
                        else decision_on(f"{STATEMENT}/Rev.8", "3(a)"))
            await post(client, "/meetings/SOC-2023-1/decisions", decision)
            recorded.append(decision["decision_id"])
        secretariat = await walk(client, "/decisions", "decisions", SECRETARIAT, limit=3)
        india = await walk(client, "/decisions", "decisions", IND, limit=3)
        of_the_summit = await walk(client, "/decisions", "decisions", SECRETARIAT, limit=3,
                                   body="SUMMIT")

    assert [d["decision_id"] for d in items(secretariat, "decisions")] == recorded
    assert [len(page["decisions"]) for page in secretariat] == [3, 3, 2]
    assert all(page["proposals"] == [] for page in secretariat)
    assert [d["decision_id"] for d in items(india, "decisions")] == recorded[1::2]
    assert [len(page["decisions"]) for page in india] == [1, 2, 1]
    assert all(CONCLUSIONS not in json.dumps(page) for page in india)
    assert of_the_summit == [{"decisions": [], "proposals": [], "next_after": None}]


# ------------------------------------------------------------------------------ refusals


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


ROUTES = {
    "/meetings": ({}, cursor({"first_instant": 1, "meeting_id": "SOC-2023-1"})),
    "/agenda-items": ({"document": STATEMENT}, cursor({"meeting_id": "SOC-2023-1",
                                                       "ordinal": "2"})),
    "/decisions": ({}, cursor({"position": "12"})),
}
REFUSED = {
    "garbage": {"after": "!!not-a-cursor!!"},
    "base64 of garbage": {"after": base64.urlsafe_b64encode(b"\x00\xffgarbage").decode()},
    "base64 of a list": {"after": cursor([1, 2])},
    "base64 of a string": {"after": cursor("SOC-2023-1")},
    "oversized": {"after": "A" * 5000},
    "a cursor of another list": {"after": cursor({"office": "SOC/OI"})},
    "limit 0": {"limit": 0},
    "limit 501": {"limit": 501},
}


@pytest.mark.parametrize("path", ROUTES)
async def test_a_malformed_cursor_or_a_limit_out_of_bounds_is_a_422_problem(
    path, database_url, servers
):
    params, wrongly_typed = ROUTES[path]
    cases = {**REFUSED, "wrong types": {"after": wrongly_typed}}
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await founding_members(app)
        answers = {
            name: await client.get(path, params={**params, **case}, headers=SECRETARIAT)
            for name, case in cases.items()
        }

    for name, answer in answers.items():
        assert answer.status_code == 422, (name, answer.text)
        assert answer.headers["content-type"] == PROBLEM_JSON, name
        problem = answer.json()
        cursor_refused = "after" in cases[name]
        assert problem["type"] == (
            "/problems/invalid-cursor" if cursor_refused else "/problems/validation-error"
        ), name
        (error,) = problem["errors"]
        assert error["loc"] == ["query", next(iter(cases[name]))], name
