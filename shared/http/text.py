"""Only text PostgreSQL can store gets past the edge of the app: a pure ASGI middleware.

PostgreSQL's ``text`` holds no NUL character, its ``jsonb`` no ``\\u0000`` escape, and its UTF-8
encoding has no place for a lone surrogate (``\\ud800`` alone, which JSON can spell and Python
holds, but no encoder writes). Such input used to reach a query or an append and come back as
a 500 (``GET /documents?q=%00``), or reach a problem's detail and fail to render. Refused here,
once for every route, before any of it is parsed:

- the URL: its path, and each name and value of its query string, must decode (percent-escapes
  and ``+`` included) as UTF-8 and hold no NUL;
- the body (any request that declares one): UTF-8 (RFC 8259 requires it of JSON between
  systems; Python's parser would also take UTF-16 and UTF-32, whose escapes a scan of UTF-8
  bytes would miss), with no NUL, raw or as a ``\\u0000`` escape, and no surrogate escape
  that is not half of a pair.

The client gets 422 problem+json of type ``/problems/unstorable-text`` (a rule of the
system's storage that a schema does not state), with one entry in ``errors`` saying where
(never echoing the input). The middleware sits inside the body limit, which bounds what it
reads, and outside the idempotency middleware, so a refused request claims no key.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import ProblemError, problem_response


class UnstorableTextError(
    ProblemError,
    status=422,
    title="Unstorable text",
    type_="/problems/unstorable-text",
):
    def __init__(self, loc: list[str], reason: str) -> None:
        super().__init__(
            f"The request is not valid: its {' '.join(loc)} {reason}; nothing was done with it.",
            errors=[{"loc": loc, "msg": reason, "type": "unstorable_text"}],
        )


NOT_UTF8 = "is not UTF-8 text"
HOLDS_NUL = "holds a NUL character, which no text can store"
LONE_SURROGATE = "holds a lone surrogate (\\ud800-\\udfff not in a pair), which is no text"

# A \u0000 or surrogate (\ud800-\udfff) escape that is one: an odd number of backslashes
# before the "u" (after an even number, as in "\\u0000", it is a backslash, then text). Other
# escapes (all of a Cyrillic text sent as ASCII) are passed over by the regex engine alone.
_SUSPECT_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# What every such escape starts with (and more): searched first, ten times faster.
_CANDIDATE = re.compile(rb"\\u[0dD][089a-fA-F]")


class StorableTextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = url_refusal(scope)
        if refusal is None and _declares_a_body(Headers(scope=scope)):
            body = await read_body(receive)
            if body is None:  # the client went away before sending its request
                return
            reason = json_text_refusal(body)
            if reason is not None:
                refusal = UnstorableTextError(["body"], reason)
            receive = replaying(body, receive)
        if refusal is not None:
            await problem_response(scope, refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def url_refusal(scope: Scope) -> UnstorableTextError | None:
    """Why the request's path or query string is no storable text, or None."""
    raw_path = scope.get("raw_path")
    if raw_path is not None:
        reason = _text_refusal(unquote_to_bytes(raw_path))
    else:
        reason = HOLDS_NUL if "\x00" in scope.get("path", "") else None
    if reason is not None:
        return UnstorableTextError(["path"], reason)
    query: bytes = scope.get("query_string", b"")
    for field in query.split(b"&"):
        raw_name, _, raw_value = field.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        name_reason = _text_refusal(name)
        if name_reason is not None:
            return UnstorableTextError(["query"], f"parameter name {name_reason}")
        reason = _text_refusal(unquote_to_bytes(raw_value.replace(b"+", b" ")))
        if reason is not None:
            return UnstorableTextError(["query", name.decode()], reason)
    return None


def _text_refusal(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")  # strict: encoded surrogates are no UTF-8 either
    except UnicodeDecodeError:
        return NOT_UTF8
    return HOLDS_NUL if "\x00" in text else None


def json_text_refusal(body: bytes) -> str | None:
    """Why the strings of the JSON text `body` would not be storable text, or None: bytes that
    are not UTF-8, a ``\\u0000`` escape, or a surrogate escape outside a high-low pair. Linear
    in the body."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    if b"\x00" in body:  # never in JSON text; in every UTF-16 or UTF-32 one (and valid UTF-8)
        return HOLDS_NUL
    if _CANDIDATE.search(body) is None:
        return None
    low_expected_at: int | None = None  # where the escape after a high surrogate must start
    for match in _SUSPECT_ESCAPE.finditer(body):
        code = int(match.group(1), 16)
        starts = match.end() - 6
        if low_expected_at is not None:
            if starts == low_expected_at and 0xDC00 <= code <= 0xDFFF:
                low_expected_at = None
                continue
            return LONE_SURROGATE
        if code == 0:
            return HOLDS_NUL
        if 0xD800 <= code <= 0xDBFF:
            low_expected_at = match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            return LONE_SURROGATE
    return LONE_SURROGATE if low_expected_at is not None else None


def _declares_a_body(headers: Headers) -> bool:
    length = headers.get("content-length", "").strip()
    return (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client disconnects before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then listens to the client."""
    delivered = False

    async def receive_again() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again
