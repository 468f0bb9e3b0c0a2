"""Only text PostgreSQL can store gets into an app (shared/http/text.py): a NUL, a lone
surrogate or bytes that are not UTF-8, in the path, the query string or a JSON body, are a 422
problem before any route runs; everything else, escapes of a backslash and surrogate pairs
included, reaches the route as it was sent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.http import install_http_conventions
from shared.http.text import json_text_refusal


def _app(calls: list[Any]) -> FastAPI:
    app = FastAPI()
    install_http_conventions(app)

    @app.get("/things/{name}")
    async def read_thing(name: str, q: str | None = None) -> dict[str, Any]:
        calls.append((name, q))
        return {"name": name, "q": q}

    @app.post("/things")
    async def add_thing(thing: dict[str, Any]) -> dict[str, Any]:
        calls.append(thing)
        return thing

    return app


async def _send(method: str, url: str, content: bytes | None = None) -> tuple[httpx.Response, list]:
    calls: list[Any] = []
    transport = httpx.ASGITransport(app=_app(calls))
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        headers = {"Content-Type": "application/json"} if content is not None else {}
        response = await client.request(method, url, content=content, headers=headers)
    return response, calls


@pytest.mark.parametrize(
    ("url", "loc", "reason"),
    [
        ("/things/a?q=%00", ["query", "q"], "NUL"),
        ("/things/a?q=x%00y&r=1", ["query", "q"], "NUL"),
        ("/things/a?q=%ED%A0%80", ["query", "q"], "UTF-8"),  # U+D800, encoded as if it could be
        ("/things/a?q=%FF", ["query", "q"], "UTF-8"),
        ("/things/a?%00=1", ["query"], "NUL"),
        ("/things/a%00b", ["path"], "NUL"),
        ("/things/%C0%80", ["path"], "UTF-8"),  # an overlong NUL
    ],
)
async def test_a_url_holding_what_no_text_can_store_is_a_422_before_the_route(url, loc, reason):
    response, calls = await _send("GET", url)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/unstorable-text"
    assert problem["errors"] == [{"loc": loc, "msg": problem["errors"][0]["msg"],
                                  "type": "unstorable_text"}]
    assert reason in problem["errors"][0]["msg"]
    assert calls == []


async def test_a_url_of_ordinary_text_reaches_the_route_decoded():
    response, calls = await _send("GET", "/things/%D0%90%20b?q=%E2%80%94+x%2B")

    assert response.status_code == 200, response.text
    assert calls == [("А b", "— x+")]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (rb'{"a": "x\u0000y"}', "NUL"),
        (rb'{"\u0000": 1}', "NUL"),
        (rb'{"a": "\ud800"}', "lone surrogate"),
        (rb'{"a": "\udc00"}', "lone surrogate"),
        (rb'{"a": "\ud83d x \ude00"}', "lone surrogate"),
        (rb'{"a": "\ud83d\ude00\ud83d"}', "lone surrogate"),
        (rb'{"a": "\\\u0000"}', "NUL"),  # a backslash, then the escape
        (b'{"a": "x\x00y"}', "NUL"),
        ('{"a": "\\u0000"}'.encode("utf-16-le"), "NUL"),  # valid UTF-8, NUL bytes and all
        ('{"a": "\\ud800"}'.encode("utf-16"), "UTF-8"),  # with its byte order mark
        ('{"a": 1}'.encode("utf-32"), "UTF-8"),
        (b'{"a": "\xff"}', "UTF-8"),
    ],
)
async def test_a_json_body_holding_what_no_text_can_store_is_a_422_before_the_route(body, reason):
    response, calls = await _send("POST", "/things", body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/unstorable-text"
    assert problem["errors"][0]["loc"] == ["body"]
    assert reason in problem["errors"][0]["msg"]
    assert calls == []


@pytest.mark.parametrize(
    "body",
    [
        rb'{"a": "\\u0000"}',  # an escaped backslash, then the text "u0000"
        rb'{"a": "\ud83d\ude00", "b": "\uD83D\uDE00"}',  # surrogate pairs: an emoji, twice
        '{"a": "Астана — Алматы"}'.encode(),
        json.dumps({"a": "Астана", "b": "é"}).encode(),  # every character an escape
    ],
)
async def test_a_json_body_of_storable_text_reaches_the_route_as_it_was_sent(body):
    response, calls = await _send("POST", "/things", body)

    assert response.status_code == 200, response.text
    assert calls == [json.loads(body)]


def test_the_scan_of_a_body_is_exact_about_backslashes():
    assert json_text_refusal(rb'"\\\\\ud800"') is not None  # two backslashes, then the escape
    assert json_text_refusal(rb'"\\\\ud800"') is None  # two backslashes, then text
    assert json_text_refusal(rb'"\ud83d\\ude00"') is not None  # a high, then text
    assert json_text_refusal(rb'"\u0041\u00e9"') is None
