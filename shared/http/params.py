"""Types for request parameters that PostgreSQL and Python can hold, so that a value beyond
them is a 422 where it is parsed, not a 500 where it is used.

- `BIGINT_MAX`: the largest position, id or count a ``bigint`` holds. Every integer query or
  path parameter declares ``le=`` at most this (and ``ge=`` at least ``-BIGINT_MAX - 1``);
  tests/test_hostile_input.py checks every service's OpenAPI document for it.
- `Instant`: a date-time with its offset that is an instant Python and PostgreSQL can hold in
  UTC. ``0001-01-01T00:00:00+14:00`` parses, but is in the year 0 in UTC: asyncpg cannot send
  it, and ``9999-12-31T23:59:59-14:00`` is in the year 10000.
- `Day`: a calendar date written as the OpenAPI document says, ``2022-10-12``.

Both are text and nothing else: pydantic would take a number as seconds since 1970
(``?effective=0`` as 1 January 1970), which the document, ``format: date`` or ``date-time``,
does not allow.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from shared.eventstore.schema import BIGINT_MAX

__all__ = ["BIGINT_MAX", "BIGINT_MIN", "Day", "Instant", "in_utc_range"]

BIGINT_MIN = -BIGINT_MAX - 1


def in_utc_range(value: datetime) -> datetime:
    """`value`, if it is an instant within the years 1 to 9999 in UTC; else ValueError (which
    pydantic reports as a validation error)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "the instant is outside the years 1 to 9999 once its offset is applied (in UTC)"
        ) from None
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text_only(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError("a date or a date-time is written as text (ISO 8601), not as a number")
    return value


def _iso_date_text(value: Any) -> Any:
    value = _text_only(value)
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2022-10-12")
    return value


_RFC_3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc_3339_text(value: Any) -> Any:
    value = _text_only(value)
    if isinstance(value, str) and not _RFC_3339.fullmatch(value):
        raise ValueError("an instant is written as RFC 3339 says, e.g. 2022-10-07T12:00:00Z")
    return value


Day = Annotated[date, BeforeValidator(_iso_date_text)]
"""A calendar date as text, ``YYYY-MM-DD``."""

Instant = Annotated[AwareDatetime, BeforeValidator(_rfc_3339_text), AfterValidator(in_utc_range)]
"""A date-time with its offset, within the years 1 to 9999 in UTC."""
