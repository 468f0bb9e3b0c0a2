"""What the hostile-input sweep (tests/test_hostile_input.py) sends: for each operation of a
service's OpenAPI document, a small fixed corpus of bad input, built from the operation's
documented parameters and body example.

- each path and query parameter in turn, the others at their documented example: numbers
  beyond a BIGINT (2**63, -2**63 - 1), -1, 1e309, NaN, a thousand-digit number, NUL, a lone
  surrogate and bytes that are not UTF-8 (percent-encoded), a 20,000-character string, and,
  for dates and instants, the first and last day a calendar has, at the widest offsets;
- the body (when the operation takes one): each leaf of its example in turn of the wrong type,
  holding a NUL or a lone surrogate, (instants, local times and days) the first or the last a
  calendar has (beyond the year 9999 in UTC, for an instant), or (numbers) beyond a BIGINT or
  1e309; the whole body of the wrong type, 10,000 nested lists, 10,000 nested objects, invalid
  JSON, invalid UTF-8, UTF-16, 3 MiB and 5 MiB long;
- methods no route has, and headers far too long or holding NUL.

Every request is one no route should act on (the sweep asserts each answer is no 5xx and that
the service's log did not move), but those marked `Attempt.may_be_accepted`: a day or a local
time at the edge of the calendar is of the right type, and the rules decide whether it is
plausible.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

BEYOND_BIGINT = str(2**63)
BELOW_BIGINT = str(-(2**63) - 1)

PARAMETER_VALUES: tuple[str, ...] = (
    # already percent-encoded: they go into the URL as they are
    BEYOND_BIGINT,
    BELOW_BIGINT,
    "-1",
    "1e309",
    "NaN",
    "9" * 1000,
    "a%00b",
    "%00",
    "%ED%A0%80",  # U+D800, a lone surrogate, as UTF-8 would encode it if it could
    "%FF%FE",
    "x" * 20_000,
)
DATE_VALUES = ("0001-01-01", "9999-12-31", "0000-00-00")
INSTANT_VALUES = (
    "0001-01-01T00:00:00%2B14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00%2B23:59",
)

BODIES: dict[str, bytes] = {
    "a list": b"[]",
    "a string": b'"text"',
    "a number": b"1",
    "null": b"null",
    "10000 nested lists": b"[" * 10_000 + b"]" * 10_000,
    "10000 nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "invalid JSON": b'{"a": ',
    "invalid UTF-8": b'{"a": "\xff\xfe"}',
    "a NUL at the top": b'{"\\u0000": 1}',
    "UTF-16 holding a NUL": '{"a": "\\u0000"}'.encode("utf-16-le"),
    "a 3 MiB string": b'["' + b"a" * 3 * 1024 * 1024 + b'"]',  # within the 4 MiB limit
    "5 MiB, beyond the limit": b'["' + b"a" * 5 * 1024 * 1024 + b'"]',
}

UNKNOWN_METHODS = ("PROPFIND", "TRACE", "BREW")

LONG = "a" * 65_536
HEADERS: dict[str, list[tuple[bytes, bytes]]] = {
    "a long token": [(b"authorization", b"Bearer " + LONG.encode())],
    "a long If-Match": [(b"if-match", b'"' + LONG.encode() + b'"')],
    "a long Idempotency-Key": [(b"idempotency-key", LONG.encode())],
    "a long Accept-Language": [(b"accept-language", b"en;q=0.5," * 8000)],
    "a long request id": [(b"x-request-id", LONG.encode())],
    "a long content type": [(b"content-type", b"application/json; a=" + LONG.encode())],
    "a NUL in If-Match": [(b"if-match", b'"\x00"')],
    "a NUL in Idempotency-Key": [(b"idempotency-key", b"a\x00b")],
    "a NUL in Accept-Language": [(b"accept-language", b"en\x00")],
    "a bad If-Match": [(b"if-match", b'W/"' + BEYOND_BIGINT.encode() + b'"')],
}


@dataclass
class Attempt:
    """One request of the corpus: what is broken in it, and the request itself."""

    what: str
    method: str
    url: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    content: bytes | None = None
    may_be_accepted: bool = False
    """A value of the right type at the edge of its range (the first or the last day a calendar
    has): whether it is plausible is the rules' call, so it may be recorded; it may never be a
    5xx, nor leave something recorded that the service cannot read back."""


@dataclass
class Operation:
    method: str
    path: str
    parameters: list[dict[str, Any]]
    body: Any  # the body's example (None when the operation takes no body)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def operations(schema: dict[str, Any], *, skipped: frozenset[str]) -> Iterator[Operation]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if f"{method.upper()} {path}" in skipped:
                continue
            yield Operation(
                method.upper(),
                path,
                operation.get("parameters", []),
                _body_example(schema, operation),
            )


def attempts(operation: Operation, *, defaults: dict[str, str]) -> Iterator[Attempt]:
    """The corpus of `operation`. `defaults`: a value for each parameter the document gives
    no example of (a path parameter of the service's seed, say)."""
    body = _json(operation.body) if operation.body is not None else None
    required = _required(operation, defaults)
    for parameter in operation.parameters:
        if parameter["in"] not in ("path", "query"):
            continue
        for value in _hostile_values(parameter):
            yield Attempt(
                f"{parameter['in']} {parameter['name']}={value[:40]}",
                operation.method,
                _url(operation, {**required, parameter["name"]: value}),
                content=body,
            )
    base = _url(operation, required)
    if operation.body is not None:
        for what, content in BODIES.items():
            yield Attempt(f"body {what}", operation.method, base, _json_type(), content)
        for what, mutated, may_be_accepted in _mutations(operation.body):
            yield Attempt(
                f"body {what}", operation.method, base, _json_type(), mutated, may_be_accepted
            )
    for method in UNKNOWN_METHODS:
        yield Attempt(f"method {method}", method, base)
    for what, headers in HEADERS.items():
        # A write gets a body of the wrong type with its long headers: never a request that
        # could be accepted.
        content = b"[]" if operation.body is not None else None
        yield Attempt(f"header {what}", operation.method, base, headers, content)


def refused_request(operation: Operation, *, defaults: dict[str, str]) -> Attempt:
    """The operation at its documented parameters, with a body (if it takes one) that no
    route accepts: what a caller whose token is refused sends."""
    return Attempt(
        "a request of the right shape",
        operation.method,
        _url(operation, _required(operation, defaults)),
        content=b"[]" if operation.body is not None else None,
    )


def _required(operation: Operation, defaults: dict[str, str]) -> dict[str, str]:
    return {
        p["name"]: _example(p, defaults)
        for p in operation.parameters
        if p["in"] == "path" or (p["in"] == "query" and p.get("required"))
    }


def _url(operation: Operation, values: dict[str, str]) -> str:
    path = operation.path
    query = []
    for parameter in operation.parameters:
        name, place = parameter["name"], parameter["in"]
        value = values.get(name)
        if place == "path":
            path = path.replace("{" + name + "}", value or "x")
        elif place == "query" and value is not None:
            query.append(f"{name}={value}")
    return path + ("?" + "&".join(query) if query else "")


def _hostile_values(parameter: dict[str, Any]) -> tuple[str, ...]:
    formats = {s.get("format") for s in _alternatives(parameter.get("schema", {}))}
    values = PARAMETER_VALUES
    if "date" in formats:
        values += DATE_VALUES
    if "date-time" in formats:
        values += INSTANT_VALUES
    return values


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]


def _example(parameter: dict[str, Any], defaults: dict[str, str]) -> str:
    name = parameter["name"]
    if name in defaults:
        return defaults[name]
    found: Any = None
    if "example" in parameter:
        found = parameter["example"]
    elif parameter.get("examples"):
        found = next(iter(parameter["examples"].values())).get("value")
    else:
        for schema in _alternatives(parameter.get("schema", {})):
            if schema.get("examples"):
                found = schema["examples"][0]
                break
    if found is None:
        found = "1" if _is_integer(parameter) else "x"
    if isinstance(found, list):
        found = found[0] if found else "x"
    if isinstance(found, bool):
        found = str(found).lower()
    return quote(str(found), safe="")


def _is_integer(parameter: dict[str, Any]) -> bool:
    return any(s.get("type") == "integer" for s in _alternatives(parameter.get("schema", {})))


def _body_example(schema: dict[str, Any], operation: dict[str, Any]) -> Any:
    body = operation.get("requestBody")
    if body is None:
        return None
    media = next(iter(body.get("content", {}).values()), {})
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return next(iter(media["examples"].values())).get("value")
    model = media.get("schema", {})
    if "$ref" in model:
        model = schema["components"]["schemas"][model["$ref"].rsplit("/", 1)[-1]]
    if model.get("examples"):
        return model["examples"][0]
    return {}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def _json_type() -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json")]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(body)
    if not path:
        return value
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


MAX_LEAVES = 40
"""Leaves mutated per body (the first ones, in document order): enough to reach the fields a
route reads first and the free texts that go into its events."""

EXTREME_INSTANTS = ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")
EXTREME_LOCAL_TIMES = ("9999-12-31T23:59:59", "0001-01-01T00:00:00")
EXTREME_DAYS = ("9999-12-31", "0001-01-01")


def _mutations(body: Any) -> Iterator[tuple[str, bytes, bool]]:
    marker = "\u2063MARK\u2063"  # replaced, in the JSON text, by what JSON cannot say in Python
    for path, leaf in list(_leaves(body))[:MAX_LEAVES]:
        where = "/".join(str(step) for step in path) or "(root)"
        yield f"{where} of the wrong type", _json(_replaced(body, path, {"$ne": None})), False
        if isinstance(leaf, str):
            for what, escape in (("NUL", "\\u0000"), ("lone surrogate", "\\ud800")):
                text = _json(_replaced(body, path, leaf + marker))
                escaped = text.replace(_json(marker)[1:-1], escape.encode())
                yield f"{where} with a {what}", escaped, False
            extremes, valid = _extremes(leaf)
            for extreme in extremes:
                yield f"{where}={extreme}", _json(_replaced(body, path, extreme)), valid
        elif isinstance(leaf, int | float) and not isinstance(leaf, bool):
            for raw in (BEYOND_BIGINT, BELOW_BIGINT, "1e309"):
                text = _json(_replaced(body, path, marker))
                yield f"{where}={raw}", text.replace(_json(marker), raw.encode()), False


def _extremes(text: str) -> tuple[tuple[str, ...], bool]:
    """The first and last of what `text` is, if it is an instant, a local time or a day, and
    whether they are values of its type: an instant outside the years 1 to 9999 in UTC is not
    (PostgreSQL and Python cannot hold it); a local time or a day is."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return (), False
    if parsed.tzinfo is not None:
        return EXTREME_INSTANTS, False
    return (EXTREME_LOCAL_TIMES if "T" in text else EXTREME_DAYS), True
