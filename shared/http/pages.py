"""Cursor pagination of a list route, by keyset: never OFFSET.

A list route answers its items in a total order, the order of a `Keyset`: one or more columns of
its read model whose values, together, name one row (a log position, a primary key, or a start
instant and an id). It takes ``limit`` (`Limit`: 1 to 500, 100 by default) and ``after``, the
cursor of the previous page, and answers ``next_after`` (`NextAfter`), the cursor of the page
that follows, null on the last page::

    NOTES = Keyset(messages.c.position)
    NotesAfter = NOTES.parameter(example=(1042,))

    async def notes(engine, *, after: Keys | None, limit: int) -> Page[Note]:
        rows = await run(NOTES.seek(select(messages), after, limit))   # WHERE key > after
        return NOTES.page(rows, limit, shape=note_of_row)              # ORDER BY key LIMIT n+1

A cursor is the URL-safe base64 (unpadded) of a small JSON object, the keys of the last row of
its page by column name. It is opaque to clients, and hostile input to the service: the
``after`` parameter decodes it, bounded in length, and checks that it names exactly the
keyset's columns with values of their types (an integer within a ``bigint``, text that
PostgreSQL can store, an instant with its offset within the years 1 to 9999); anything else is a
422 problem on ``after`` (of type ``/problems/invalid-cursor``: the document states the
syntax, not which keys a list's cursors hold), never a 5xx. A well-formed cursor that no page
ever gave (forged) is only a place in the order: the page after it shows what follows,
filtered for the caller like any other page.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.types import DateTime, Integer, String

from shared.http.params import BIGINT_MAX, BIGINT_MIN, in_utc_range
from shared.http.problems import INVALID_CURSOR

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_CURSOR_CHARS",
    "MAX_LIMIT",
    "InvalidCursorError",
    "Keys",
    "Keyset",
    "Limit",
    "NextAfter",
    "Page",
]

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CURSOR_CHARS = 1024
"""The longest cursor a route decodes (a cursor it gives is far shorter)."""
MAX_TEXT_KEY_CHARS = 256
"""The longest text key a cursor may hold."""
_MAX_INSTANT_CHARS = 40
_CURSOR = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CURSOR_CHARS}}}")

Keys = tuple[Any, ...]
"""A decoded cursor: the keys of the last row of the previous page, in the keyset's order."""

Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        examples=[DEFAULT_LIMIT],
        description=f"at most this many items in the page (1 to {MAX_LIMIT})",
    ),
]
NextAfter = Annotated[
    str | None,
    Field(
        description="the cursor of the next page: send it as `after` to read on; null when "
        "this page is the last"
    ),
]


class InvalidCursorError(ValueError):
    """A cursor that is not one of this list's (a `ValueError`: pydantic reports it as a
    validation error of the parameter)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a list: its items, and the cursor of the next page (None on the last)."""

    items: list[T]
    next_after: str | None


def _kind(column: ColumnElement[Any]) -> type:
    """The Python type a cursor holds for `column`'s values."""
    column_type = column.type
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, String):
        return str
    if isinstance(column_type, DateTime) and column_type.timezone:
        return datetime
    raise TypeError(f"A keyset orders by integers, text or instants, not by {column_type!r}")


class Keyset:
    """The total order a list route pages in: `columns`, whose values together name one row of
    what the route lists (the last the tie-breaker), compared as a row (lexicographically)."""

    def __init__(self, *columns: ColumnElement[Any]) -> None:
        if not columns:
            raise ValueError("A keyset orders by one column at least")
        self.columns = columns
        self.names: tuple[str, ...] = tuple(str(getattr(c, "name", c.key)) for c in columns)
        self.kinds: tuple[type, ...] = tuple(_kind(c) for c in columns)

    # -------------------------------------------------------------------------- the cursor

    def encode(self, keys: Sequence[Any]) -> str:
        """The cursor of a row whose keys are `keys` (in the keyset's order)."""
        if len(keys) != len(self.names):
            raise ValueError(f"A cursor of this keyset holds {len(self.names)} key(s)")
        plain = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in zip(self.names, keys, strict=True)
        }
        raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def decode(self, cursor: object) -> Keys:
        """The keys `cursor` holds; `InvalidCursorError` unless it is a cursor of this keyset
        (see the module's docstring). Raises nothing else, whatever `cursor` is."""
        if not isinstance(cursor, str) or not _CURSOR.fullmatch(cursor):
            raise InvalidCursorError(
                f"not a cursor: send the `next_after` of the previous page as it came "
                f"(URL-safe base64, at most {MAX_CURSOR_CHARS} characters)"
            )
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            keys = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # binascii, Unicode and JSON errors are ValueErrors
            raise InvalidCursorError("not a cursor: it does not decode") from None
        if not isinstance(keys, dict) or set(keys) != set(self.names):
            raise InvalidCursorError(
                f"not a cursor of this list: it holds the keys {', '.join(self.names)}"
            )
        return tuple(
            _key(name, kind, keys[name]) for name, kind in zip(self.names, self.kinds, strict=True)
        )

    def _decode_parameter(self, cursor: object) -> Keys:
        try:
            return self.decode(cursor)
        except InvalidCursorError as error:
            # Its own error type: the 422 names the rule (shared.http.problems), since a
            # cursor of the right syntax that no page gave cannot be told from the schema.
            raise PydanticCustomError(INVALID_CURSOR, str(error)) from None

    def parameter(self, *, example: Sequence[Any]) -> Any:
        """The type of a route's ``after`` query parameter (default None: the first page): a
        string in the OpenAPI document, the decoded `Keys` in the route; `example` is the keys
        of the documented example."""
        schema = {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_CURSOR_CHARS,
            "pattern": "^[A-Za-z0-9_-]+$",
            "examples": [self.encode(example)],
        }
        return Annotated[
            Any,
            PlainValidator(self._decode_parameter),
            WithJsonSchema(schema),
            Query(
                description="the `next_after` of the previous page, as it came (opaque); the "
                "first page when absent"
            ),
        ]

    # -------------------------------------------------------------------------- the page

    def seek(self, query: Select[Any], after: Keys | None, limit: int) -> Select[Any]:
        """`query` from the row after `after` on, in the keyset's order, one row more than
        `limit` (so that `page` knows whether another page follows)."""
        if after is not None:
            bound = [
                literal(value, column.type)
                for column, value in zip(self.columns, after, strict=True)
            ]
            if len(bound) == 1:
                query = query.where(self.columns[0] > bound[0])
            else:
                query = query.where(tuple_(*self.columns) > tuple_(*bound))
        return query.order_by(*self.columns).limit(limit + 1)

    def keys_of(self, row: Any) -> Keys:
        """The keys of `row` (a row of a `seek` query, or a mapping holding its columns)."""
        values: Mapping[str, Any] = getattr(row, "_mapping", row)
        return tuple(values[name] for name in self.names)

    def page(
        self, rows: Sequence[Any], limit: int, shape: Callable[[Any], T] | None = None
    ) -> Page[T]:
        """The page of the `rows` a `seek` query read with `limit`: the first `limit` of them,
        each `shape`d, and the cursor of the last when more follow."""
        shown = list(rows[:limit])
        next_after = self.encode(self.keys_of(shown[-1])) if len(rows) > limit else None
        return Page([shape(row) for row in shown] if shape else shown, next_after)


def _key(name: str, kind: type, value: Any) -> Any:
    """`value` as the key `name` of type `kind`, or `InvalidCursorError`."""
    if kind is int and type(value) is int and BIGINT_MIN <= value <= BIGINT_MAX:
        return value
    if kind is str and isinstance(value, str) and _storable(value):
        return value
    if kind is datetime and isinstance(value, str) and len(value) <= _MAX_INSTANT_CHARS:
        try:
            instant = datetime.fromisoformat(value)
            if instant.utcoffset() is not None:
                return in_utc_range(instant)
        except ValueError:
            pass
    raise InvalidCursorError(f"not a cursor of this list: its `{name}` is not a {kind.__name__}")


def _storable(text: str) -> bool:
    """Whether PostgreSQL can take `text` as a bound parameter: not too long, no NUL, no lone
    surrogate."""
    if len(text) > MAX_TEXT_KEY_CHARS or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
