"""Issue 19: `/notes`, `/notices`, `/registers`, `/endpoints` and `/deliveries` come a page at
a time, by keyset. Walked with a small `limit`, each gives every item once, in its order (notes
in register order, notices in the order of issue, registers by name), and `next_after` is null
on the last page; the filters (`office=`, `kind=`) apply to every page; a member state's pages
hold only what is addressed to it, full but the last; a cursor that is not one of the list's,
and a `limit` out of 1..500, are 422 problems."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.notifications.seed import ISSUE_1280, MEMBER_STATES_2022
from shared.http.problems import PROBLEM_JSON
from tests.notifications.support import (
    AUDITOR,
    SECRETARIAT,
    created,
    deliver,
    kuwait_admitted,
    member,
    notifications,
    post,
    revised,
    the_27_and_the_register_of_2022,
)
from tests.polling import eventually

KAZ = member("KAZ")


async def walk(
    client: httpx.AsyncClient,
    path: str,
    field: str,
    headers: dict[str, str],
    limit: int,
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


def note(recipients: list[str] | None, office: str = "SOC/OI") -> dict[str, Any]:
    """The seed's note without enclosures, to `recipients` (all members if None)."""
    return {
        **ISSUE_1280,
        "enclosures": [],
        "pages": None,
        "note_id": str(uuid4()),
        "office": office,
        **({"recipients": recipients} if recipients else {}),
    }


async def test_notes_come_in_register_order_and_a_state_reads_only_its_own(
    database_url, servers
):
    """Nine notes of SOC/OI, to India, to Kazakhstan and to all in turn, and one to all of
    another office, numbered in a register of its own: the Secretariat reads the nine of SOC/OI
    in pages of four, an auditor all ten, register by register; Kazakhstan the seven addressed
    to it, in full pages of two but the last."""
    to = [["IND"], ["KAZ"], None] * 3
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        await post(
            client, "/registers", {"name": "SG-2022", "prefixes": ["SOC/SG"], "year": 2022,
                                   "next_number": 1},
        )  # fmt: skip
        issued = []
        for turn, recipients in enumerate(to):
            issued.append((await post(client, "/notes", note(recipients))).json())
            if turn == 4:
                await post(client, "/notes", note(None, office="SOC/SG"))
        secretariat = await walk(client, "/notes", "notes", SECRETARIAT, limit=4, office="SOC/OI")
        everything = await walk(client, "/notes", "notes", AUDITOR, limit=4)
        kazakhstan = await walk(client, "/notes", "notes", KAZ, limit=2, lang=["en"])

    assert [n["number"] for n in items(secretariat, "notes")] == [
        f"SOC/OI/{1280 + i}" for i in range(9)
    ]
    assert items(secretariat, "notes") == issued, "as issued, every field"
    assert [len(page["notes"]) for page in secretariat] == [4, 4, 1]
    assert [n["number"] for n in items(everything, "notes")] == [
        *(f"SOC/OI/{1280 + i}" for i in range(9)),
        "SOC/SG/1",
    ], "the register 2022, then the register SG-2022, each by number"
    read = items(kazakhstan, "notes")
    assert [n["number"] for n in read] == [
        n["number"] for n in items(everything, "notes") if "KAZ" in n["recipients"]
    ]
    assert len(read) == 7 and "SOC/SG/1" in [n["number"] for n in read]
    assert [len(page["notes"]) for page in kazakhstan] == [2, 2, 2, 1]
    assert all(n["languages"] == ["en"] for n in read)


async def test_notices_come_in_the_order_of_issue_and_a_state_reads_only_its_own(
    database_url, servers
):
    """Revisions of a draft restricted to India and of one for member states, in turn, and
    Kuwait's admission: in pages of three, the Secretariat reads every notice; with
    `kind=document_revised`, the revisions only; Kazakhstan, in pages of two, the revisions of
    the draft for member states and the admission."""
    india_only, for_members = "SUM/2023/DRAFT/9", "SUM/2023/DRAFT/8"
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, created(india_only, {"kind": "restricted", "states": ["IND"]}))
        await deliver(app, created(for_members, {"kind": "member_states_only", "states": []}))
        for revision in range(1, 5):
            await deliver(app, revised(india_only, revision))
            if revision < 4:
                await deliver(app, revised(for_members, revision))
        await deliver(app, kuwait_admitted())
        everything = await walk(client, "/notices", "notices", SECRETARIAT, limit=3)
        revisions = await walk(
            client, "/notices", "notices", AUDITOR, limit=3, kind="document_revised"
        )
        kazakhstan = await walk(client, "/notices", "notices", KAZ, limit=2)

    expected = [
        f"{india_only}/Rev.1",
        f"{for_members}/Rev.1",
        f"{india_only}/Rev.2",
        f"{for_members}/Rev.2",
        f"{india_only}/Rev.3",
        f"{for_members}/Rev.3",
        f"{india_only}/Rev.4",
    ]
    listed = items(everything, "notices")
    assert [n["reference"] for n in listed[:-1]] == expected
    assert listed[-1]["kind"] == "member_admitted"
    assert [len(page["notices"]) for page in everything] == [3, 3, 2]
    assert [n["reference"] for n in items(revisions, "notices")] == expected
    assert [len(page["notices"]) for page in revisions] == [3, 3, 1]
    read = items(kazakhstan, "notices")
    assert [n["reference"] for n in read[:-1]] == [r for r in expected if for_members in r]
    assert read[-1]["kind"] == "member_admitted"
    assert [len(page["notices"]) for page in kazakhstan] == [2, 2]
    assert all(n["recipients"] == ["IND"] for n in listed if india_only in n["reference"])
    assert all(india_only not in json.dumps(page) for page in kazakhstan)
    assert set(listed[1]["recipients"]) == set(MEMBER_STATES_2022)


async def test_registers_come_by_name(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        for name in ("A3", "A1", "A2", "A4"):
            body = {"name": name, "prefixes": [f"SOC/{name}"], "year": 2022, "next_number": 1}
            await post(client, "/registers", body)
        pages = await walk(client, "/registers", "registers", SECRETARIAT, limit=2)

    assert [r["name"] for r in items(pages, "registers")] == ["2022", "A1", "A2", "A3", "A4"]
    assert [len(page["registers"]) for page in pages] == [2, 2, 1]


# ------------------------------------------------------------------------------ refusals


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


ROUTES = {
    "/notes": cursor({"register": 2022, "sequence": "12"}),
    "/notices": cursor({"position": 1.5}),
    "/registers": cursor({"name": 7}),
    "/endpoints": cursor({"state": 5, "registered_position": 1}),
    "/deliveries": cursor({"message_position": "x", "state": "KAZ"}),
}
REFUSED = {
    "garbage": {"after": "!!not-a-cursor!!"},
    "base64 of garbage": {"after": base64.urlsafe_b64encode(b"\x00\xffgarbage").decode()},
    "base64 of a list": {"after": cursor([1, 2])},
    "base64 of a number": {"after": cursor(12)},
    "oversized": {"after": "A" * 5000},
    "beyond a bigint": {"after": cursor({"position": 2**63})},
    "a cursor of another list": {"after": cursor({"meeting_id": "SOC-2023-1", "ordinal": 2})},
    "limit 0": {"limit": 0},
    "limit 501": {"limit": 501},
}


async def test_deliveries_come_in_the_order_of_issue_then_by_state_and_a_state_reads_its_own(
    database_url, servers
):
    """Two notes to the 27: fifty-four deliveries, read by the Secretariat in pages of twenty
    (every one once, by the note's place in the log, then by state), by Kazakhstan one at a
    time (its own two)."""
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        issued = [(await post(client, "/notes", note(None))).json() for _ in range(2)]
        await eventually(
            lambda: client.get("/deliveries", params={"limit": 500}, headers=SECRETARIAT),
            until=lambda answer: len(answer.json()["deliveries"]) == 54,
            what="a delivery per note and member state",
        )
        secretariat = await walk(client, "/deliveries", "deliveries", SECRETARIAT, limit=20)
        kazakhstan = await walk(client, "/deliveries", "deliveries", KAZ, limit=1)

    read = items(secretariat, "deliveries")
    assert [len(page["deliveries"]) for page in secretariat] == [20, 20, 14]
    assert [(d["number"], d["state"]) for d in read] == [
        (n["number"], state) for n in issued for state in sorted(MEMBER_STATES_2022)
    ]
    assert [(d["number"], d["state"]) for d in items(kazakhstan, "deliveries")] == [
        (n["number"], "KAZ") for n in issued
    ]
    assert [len(page["deliveries"]) for page in kazakhstan] == [1, 1]


@pytest.mark.parametrize("path", ROUTES)
async def test_a_malformed_cursor_or_a_limit_out_of_bounds_is_a_422_problem(
    path, database_url, servers
):
    cases = {**REFUSED, "wrong types": {"after": ROUTES[path]}}
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        answers = {
            name: await client.get(path, params=case, headers=SECRETARIAT)
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
