"""Types for request parameters that PostgreSQL and Python can hold, so that a value beyond
them is a 422 where it is parsed, not a 500 where it is used.

- `BIGINT_MAX`: the largest position, id or count a ``bigint`` holds. Every integer query or
  path parameter declares ``le=`` at most this (and ``ge=`` at least ``-BIGINT_MAX - 1``);
  tests/test_hostile_input.py checks every service's OpenAPI document for it.
- `Instant`: a date-time with its offset that is an instant Python and PostgreSQL can hold in
  UTC. ``0001-01-01T00:00:00+14:00`` parses, but is in the year 0 in UTC: asyncpg cannot send
  it, and ``9999-12-31T23:59:59-14:00`` is in the year 10000.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from shared.eventstore.schema import BIGINT_MAX

__all__ = ["BIGINT_MAX", "BIGINT_MIN", "Instant", "in_utc_range"]

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


Instant = Annotated[AwareDatetime, AfterValidator(in_utc_range)]
"""A date-time with its offset, within the years 1 to 9999 in UTC."""
