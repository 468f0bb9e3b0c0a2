"""Where a fact comes from: the ``CICA-Source`` header of a write, kept in the metadata of every
event the write appends (a pure ASGI middleware).

A Secretariat's record is trusted because each fact in it can be traced to a document. Whoever
records a fact says where it comes from, on the request that records it:

    CICA-Source: cites="SOC/2022-III/Agenda/2", passage="item 2", status=record

The value is an HTTP Structured Field Dictionary (RFC 9651), parsed by ``http-sfv`` (a
well-kept implementation of the RFC, where a hand-written parser would get its escapes and
edge cases wrong):

- ``status`` (a token, required): what the fact is to its source:
  ``record`` (the source holds it as recorded), ``inferred`` (the project derived it from the
  source: ``note`` says how), ``unofficial-translation`` (a translation of the source's text
  that no one made official), ``example`` (the scenario's own step, which no source records),
  ``unverified`` (entered from what someone knows, not yet traced to a source: ``note`` says
  whose);
- ``cites`` (a string): the document the fact comes from, by its symbol or number, or a
  description where it has none; required but for ``example`` and ``unverified``;
- ``passage`` (a string): where in it (a paragraph, an item, a line);
- ``note`` (a string): what the reader must know; required for ``inferred`` and
  ``unverified``.

Each string is printable ASCII (the RFC's strings are) of at most `MAX_VALUE` characters, and
no other key is taken. The events the request appends carry it as ``metadata.source``
(``{"status": ..., "cites": ..., "passage": ..., "note": ...}``, absent keys left out), in the
hash chain with the rest of the metadata; the feeds and the auditors' tools show it.

A header that breaks these rules is a 422 problem of type ``/problems/invalid-source``, and the
request does nothing. The middleware sits inside the access gate (a caller it does not admit
learns nothing of the header) and outside the idempotency middleware (a refused request claims
no key). Reads ignore the header.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import http_sfv
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from shared import context
from shared.http.problems import ProblemError, problem_response

SOURCE_HEADER = "CICA-Source"
MAX_HEADER = 2048
"""Bytes of the whole header value."""
MAX_VALUE = 500
"""Characters of each string in it."""
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SourceStatus(StrEnum):
    RECORD = "record"
    INFERRED = "inferred"
    UNOFFICIAL_TRANSLATION = "unofficial-translation"
    EXAMPLE = "example"
    UNVERIFIED = "unverified"


KEYS = ("status", "cites", "passage", "note")
NEEDS_CITES = frozenset(
    {SourceStatus.RECORD, SourceStatus.INFERRED, SourceStatus.UNOFFICIAL_TRANSLATION}
)
NEEDS_NOTE = frozenset({SourceStatus.INFERRED, SourceStatus.UNVERIFIED})

DESCRIPTION = (
    "Where the facts this request records come from, kept in the metadata of the events it "
    "appends: a Structured Field Dictionary (RFC 9651) with `status` (a token: "
    + ", ".join(s.value for s in SourceStatus)
    + "), `cites` (the source document; required for record, inferred and "
    "unofficial-translation), `passage` and `note` (required for inferred and unverified), "
    f"strings of at most {MAX_VALUE} printable ASCII characters. An invalid one is a 422 "
    "`/problems/invalid-source`."
)
EXAMPLE = 'cites="SOC/2022-III/Agenda/2", passage="item 2", status=record'


class InvalidSourceError(
    ProblemError, status=422, title="Invalid source", type_="/problems/invalid-source"
):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The {SOURCE_HEADER} header {reason}; nothing was recorded.", header=SOURCE_HEADER
        )


def parse_source(value: str | bytes) -> dict[str, str]:
    """The source `value` (the header's text) states, as event metadata keeps it; raises
    `InvalidSourceError` saying what is wrong."""
    try:
        raw = value.encode("latin-1") if isinstance(value, str) else value
    except UnicodeEncodeError:
        raise InvalidSourceError("holds characters no header can") from None
    if len(raw) > MAX_HEADER:
        raise InvalidSourceError(f"is longer than {MAX_HEADER} bytes")
    parsed = http_sfv.Dictionary()
    try:
        parsed.parse(raw)
    except (ValueError, TypeError, IndexError, KeyError):
        raise InvalidSourceError("is not a Structured Field Dictionary (RFC 9651)") from None
    source: dict[str, str] = {}
    for key, member in parsed.items():
        if key not in KEYS:
            raise InvalidSourceError(f"has a key {key!r} it does not take ({', '.join(KEYS)})")
        if not isinstance(member, http_sfv.Item) or member.params:
            raise InvalidSourceError(f"gives {key} as a list or with parameters")
        item: Any = member.value
        if key == "status":
            if not isinstance(item, http_sfv.Token) or item not in set(SourceStatus):
                raise InvalidSourceError(
                    f"gives a status that is none of {', '.join(s.value for s in SourceStatus)}"
                )
        elif isinstance(item, http_sfv.Token) or not isinstance(item, str):
            raise InvalidSourceError(f"gives {key} as something else than a string")
        text = str(item)
        if not text.strip() or len(text) > MAX_VALUE:
            raise InvalidSourceError(f"gives {key} empty or longer than {MAX_VALUE} characters")
        source[key] = text
    status = source.get("status")
    if status is None:
        raise InvalidSourceError("gives no status")
    if status in NEEDS_CITES and "cites" not in source:
        raise InvalidSourceError(f"gives no cites for a fact of status {status}")
    if status in NEEDS_NOTE and "note" not in source:
        raise InvalidSourceError(f"gives no note for a fact of status {status}")
    return {key: source[key] for key in KEYS if key in source}


def source_header(
    status: SourceStatus | str,
    *,
    cites: str | None = None,
    passage: str | None = None,
    note: str | None = None,
) -> str:
    """The header's value for a source (what a client sends; checked as the service will)."""
    parsed = http_sfv.Dictionary()
    parsed["status"] = http_sfv.Item(http_sfv.Token(str(status)))
    for key, text in (("cites", cites), ("passage", passage), ("note", note)):
        if text is not None:
            parsed[key] = http_sfv.Item(text)
    value = str(parsed)
    parse_source(value)
    return value


class ProvenanceMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        values = Headers(scope=scope).getlist(SOURCE_HEADER)
        if not values:
            await self.app(scope, receive, send)
            return
        try:
            if len(values) > 1:
                raise InvalidSourceError("is given more than once")
            source = parse_source(values[0].encode("latin-1"))
        except InvalidSourceError as error:
            await problem_response(scope, error)(scope, receive, send)
            return
        token = context.source.set(source)
        try:
            await self.app(scope, receive, send)
        finally:
            context.source.reset(token)
