"""`recorded_event`, the store's fast way to make a `RecordedEvent` from a row: the very record
the dataclass's constructor makes, each field in its place, frozen as ever."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from shared.eventstore.types import RecordedEvent, recorded_event


def test_recorded_event_makes_what_the_constructor_makes() -> None:
    values = (
        7,
        uuid.uuid4(),
        "state-KWT",
        "member_state",
        3,
        "MemberAdmitted",
        2,
        {"decision": "SUM/2022/DEC/1"},
        {"correlation_id": "c-1"},
        datetime(2022, 10, 13, 9, 30, tzinfo=UTC),
        b"\x01" * 32,
        b"\x02" * 32,
    )  # every field a value of its own, so that one set in another's place shows

    made = recorded_event(*values)

    assert made == RecordedEvent(*values)
    assert [getattr(made, field.name) for field in dataclasses.fields(RecordedEvent)] == list(
        values
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.position = 8  # type: ignore[misc]
