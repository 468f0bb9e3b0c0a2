"""Cursor pagination by keyset (`shared.http.pages`): a cursor holds the last row's keys and
decodes to them alone, whatever a client sends instead (a 422 on ``after``, never a 5xx); pages
walked on real PostgreSQL give every row once, in order, ties in the first key broken by the
next; and a route's ``limit`` and ``after`` refuse what is out of bounds."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, insert, select

from shared.eventstore import create_engine
from shared.http import install_http_conventions
from shared.http.pages import (
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    InvalidCursorError,
    Keyset,
    Limit,
    NextAfter,
)
from shared.http.problems import PROBLEM_JSON

things = Table(
    "test_pages_things",
    MetaData(),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)
BY_START = Keyset(things.c.starts_at, things.c.name)
BY_POSITION = Keyset(things.c.position)
T0 = datetime(2022, 10, 10, 4, 0, tzinfo=UTC)


def raw_cursor(value: object) -> str:
    """What a client could forge: any JSON, encoded as a cursor is."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# ------------------------------------------------------------------------------ the cursor


def test_a_cursor_decodes_to_the_keys_it_was_made_of():
    keys = (T0 + timedelta(microseconds=7), "SOC-2022-III")
    cursor = BY_START.encode(keys)

    assert BY_START.decode(cursor) == keys
    assert BY_POSITION.decode(BY_POSITION.encode((9_223_372_036_854_775_807,))) == (
        9_223_372_036_854_775_807,
    )
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_an_instant_in_a_cursor_keeps_its_offset_and_compares_as_the_same_instant():
    almaty = timezone(timedelta(hours=6))
    (decoded,) = BY_START.decode(BY_START.encode((T0.astimezone(almaty), "x")))[:1]
    assert decoded == T0 and decoded.utcoffset() == timedelta(hours=6)


MALFORMED = {
    "empty": "",
    "garbage": "not a cursor!",
    "not base64 of anything": "A",
    "base64 of bytes that are not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "base64 of text that is not JSON": base64.urlsafe_b64encode(b"hello").decode(),
    "base64 of a list": raw_cursor([1]),
    "base64 of a number": raw_cursor(1),
    "base64 of null": raw_cursor(None),
    "another list's keys": raw_cursor({"position": 1}),
    "a key missing": raw_cursor({"starts_at": T0.isoformat()}),
    "a key too many": raw_cursor({"starts_at": T0.isoformat(), "name": "x", "position": 1}),
    "a number for the instant": raw_cursor({"starts_at": 1, "name": "x"}),
    "a date without an offset": raw_cursor({"starts_at": "2022-10-10T04:00:00", "name": "x"}),
    "a date that is no date": raw_cursor({"starts_at": "2022-13-45T00:00:00Z", "name": "x"}),
    "an instant in the year 0 in UTC": raw_cursor(
        {"starts_at": "0001-01-01T00:00:00+14:00", "name": "x"}
    ),
    "an instant in the year 10000 in UTC": raw_cursor(
        {"starts_at": "9999-12-31T23:59:59-14:00", "name": "x"}
    ),
    "a number for the text": raw_cursor({"starts_at": T0.isoformat(), "name": 1}),
    "an object for the text": raw_cursor({"starts_at": T0.isoformat(), "name": {"a": 1}}),
    "a NUL in the text": raw_cursor({"starts_at": T0.isoformat(), "name": "a\u0000b"}),
    "a lone surrogate in the text": raw_cursor({"starts_at": T0.isoformat(), "name": "\ud800"}),
    "a text key too long": raw_cursor({"starts_at": T0.isoformat(), "name": "x" * 300}),
    "oversized": raw_cursor({"starts_at": T0.isoformat(), "name": "x" * 2000}),
}
MALFORMED_POSITIONS = {
    "a string": raw_cursor({"position": "1"}),
    "a boolean": raw_cursor({"position": True}),
    "a float": raw_cursor({"position": 1.0}),
    "NaN": base64.urlsafe_b64encode(b'{"position": NaN}').decode(),
    "beyond a bigint": raw_cursor({"position": 2**63}),
    "below a bigint": raw_cursor({"position": -(2**63) - 1}),
    "seven hundred digits": base64.urlsafe_b64encode(b'{"position": ' + b"9" * 700 + b"}").decode(),
    "a list in a list": raw_cursor({"position": [[1]]}),
    "300 nested lists": base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode(),
}


@pytest.mark.parametrize("cursor", MALFORMED.values(), ids=MALFORMED)
def test_a_malformed_cursor_is_refused_and_nothing_else_is_raised(cursor):
    with pytest.raises(InvalidCursorError):
        BY_START.decode(cursor)


@pytest.mark.parametrize("cursor", MALFORMED_POSITIONS.values(), ids=MALFORMED_POSITIONS)
def test_a_position_that_is_not_a_bigint_is_refused(cursor):
    with pytest.raises(InvalidCursorError):
        BY_POSITION.decode(cursor)


@pytest.mark.parametrize("cursor", [None, 1, b"abc", ["abc"]])
def test_a_cursor_that_is_no_string_is_refused(cursor):
    with pytest.raises(InvalidCursorError):
        BY_POSITION.decode(cursor)


def test_a_keyset_orders_by_integers_text_or_instants_only():
    with pytest.raises(TypeError):
        Keyset(Column("naive", DateTime(timezone=False)))


# ------------------------------------------------------------------------------ pages on PostgreSQL


async def walk(engine, keyset: Keyset, limit: int) -> tuple[list[str], list[str | None]]:
    """Every page of `things` in `keyset`'s order: the names read, and each page's cursor."""
    names: list[str] = []
    cursors: list[str | None] = []
    after = None
    while True:
        async with engine.connect() as connection:
            query = keyset.seek(select(things), after, limit)
            rows = (await connection.execute(query)).all()
        page = keyset.page(rows, limit, shape=lambda row: row.name)
        assert len(page.items) <= limit
        names += page.items
        cursors.append(page.next_after)
        if page.next_after is None:
            return names, cursors
        after = keyset.decode(page.next_after)


async def test_pages_give_every_row_once_in_order_ties_broken_by_the_next_key(database_url):
    rows = [
        {"starts_at": T0 + timedelta(hours=i // 3), "name": f"m{(7 * i) % 10}", "position": i}
        for i in range(10)
    ]  # three rows at each start, their names out of order
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(things.metadata.create_all)
            await connection.execute(insert(things), rows)
        by_start, cursors = await walk(engine, BY_START, limit=4)
        by_position, _ = await walk(engine, BY_POSITION, limit=3)
        exactly, exact_cursors = await walk(engine, BY_POSITION, limit=5)
        async with engine.connect() as connection:
            after_the_last = BY_POSITION.seek(select(things), (9,), 5)
            beyond = (await connection.execute(after_the_last)).all()
    finally:
        await engine.dispose()

    expected = [r["name"] for r in sorted(rows, key=lambda r: (r["starts_at"], r["name"]))]
    assert by_start == expected
    assert len(cursors) == 3 and cursors[-1] is None
    assert by_position == [r["name"] for r in rows]
    # Ten rows in pages of five: the second page is the last, with no empty page after it.
    assert exactly == by_position and len(exact_cursors) == 2 and exact_cursors[-1] is None
    assert beyond == []


# ------------------------------------------------------------------------------ over HTTP


ThingsAfter = BY_POSITION.parameter(example=(41,))


class PageOut(BaseModel):
    items: list[int]
    next_after: NextAfter


def paged_app() -> FastAPI:
    app = FastAPI()
    install_http_conventions(app)

    @app.get("/things")
    async def list_things(limit: Limit = DEFAULT_LIMIT, after: ThingsAfter = None) -> PageOut:
        first = after[0] + 1 if after is not None else 0
        items = list(range(first, min(first + limit, 12)))
        more = first + limit < 12
        return PageOut(items=items, next_after=BY_POSITION.encode((items[-1],)) if more else None)

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=paged_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_a_route_reads_on_with_the_cursor_it_gave(client):
    first = (await client.get("/things", params={"limit": 5})).json()
    second = await client.get("/things", params={"limit": 5, "after": first["next_after"]})
    third = await client.get("/things", params={"limit": 5, "after": second.json()["next_after"]})

    assert first["items"] == [0, 1, 2, 3, 4]
    assert second.json()["items"] == [5, 6, 7, 8, 9]
    assert third.json() == {"items": [10, 11], "next_after": None}


@pytest.mark.parametrize(
    "params",
    [
        {"after": "garbage!"},
        {"after": raw_cursor([41])},
        {"after": raw_cursor({"position": "41"})},
        {"after": "A" * (MAX_CURSOR_CHARS + 1)},
        {"after": ""},
        {"limit": 0},
        {"limit": 501},
        {"limit": "many"},
    ],
    ids=["garbage", "a list", "wrong type", "oversized", "empty", "limit 0", "limit 501", "words"],
)
async def test_what_is_no_cursor_or_no_limit_is_a_422_validation_problem(client, params):
    response = await client.get("/things", params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == (
        "/problems/invalid-cursor" if "after" in params else "/problems/validation-error"
    )
    (error,) = problem["errors"]
    assert error["loc"] == ["query", next(iter(params))]
    assert "garbage" not in json.dumps(problem), "the input is not echoed"


def test_the_openapi_document_shows_the_parameters_and_the_cursor_field():
    schema = paged_app().openapi()
    parameters = {p["name"]: p for p in schema["paths"]["/things"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["limit"]["schema"]["maximum"] == 500
    after = parameters["after"]
    assert after["required"] is False
    assert after["schema"]["type"] == "string"
    assert after["schema"]["maxLength"] == MAX_CURSOR_CHARS
    assert BY_POSITION.decode(after["schema"]["examples"][0]) == (41,)
    page = schema["components"]["schemas"]["PageOut"]
    assert "next_after" in page["required"]
