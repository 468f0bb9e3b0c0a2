"""`recorded_event`, the store's fast way to make a `RecordedEvent` from a row: the very record
the dataclass's constructor makes, each field in its place, frozen as ever. `stored_event`, the
same with the data as its stored JSON text, parsed when first asked for, and decoded from the
text in one pass."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.eventstore import types
from shared.eventstore.types import RecordedEvent, recorded_event, stored_event
from tests.shared.test_projection_rebuild_decoding import CountryNamed, event_types


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


# -------------------------------------------------- `stored_event`: the data as stored, parsed late

@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts `shared.eventstore.types` parses as JSON, from now on."""
    seen: list[str] = []
    real = types.from_json

    def parse(text: str, **options: Any) -> Any:
        seen.append(text)
        return real(text, **options)

    monkeypatch.setattr(types, "from_json", parse)
    return seen


def _stored(data_text: str, schema_version: int = 2) -> RecordedEvent:
    return stored_event(
        9,
        uuid.UUID(int=9),
        "country-9",
        "country",
        2,
        "CountryNamed",
        schema_version,
        data_text,
        {"correlation_id": "c-9"},
        datetime(2022, 10, 13, 9, 30, tzinfo=UTC),
        b"\x03" * 32,
        b"\x04" * 32,
    )


def test_a_stored_event_is_the_record_with_its_data_parsed_once_when_first_asked_for(
    parses: list[str],
) -> None:
    text = '{"code": "KAZ", "names": {"en": "Kazakhstan", "kk": "Қазақстан"}}'
    made = _stored(text)
    assert parses == [], "made without parsing its data"

    data = made.data

    assert data == {"code": "KAZ", "names": {"en": "Kazakhstan", "kk": "Қазақстан"}}
    assert made.data is data and parses == [text], "parsed once, then kept"
    plain = RecordedEvent(
        **{field.name: getattr(made, field.name) for field in dataclasses.fields(RecordedEvent)}
    )
    assert made == plain and plain == made, "equal to the record the constructor makes"
    assert made != dataclasses.replace(plain, version=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.data = {}  # type: ignore[misc]
    changed = dataclasses.replace(made, metadata={})
    assert changed.data == data and changed.metadata == {}
    assert copy.deepcopy(made) == made and pickle.loads(pickle.dumps(made)) == made


def test_decoding_a_stored_event_validates_its_text_without_parsing_it_first(
    parses: list[str],
) -> None:
    current = _stored('{"code": "KAZ", "names": {"en": "Kazakhstan"}}')
    older = _stored('{"code": "KAZ", "name": "Kazakhstan"}', schema_version=1)
    expected = CountryNamed(code="KAZ", names={"en": "Kazakhstan"})

    assert event_types.decode_record(current) == expected
    assert parses == [], "the current version's text goes to the model as it is"
    assert event_types.decode_record(older) == expected, "an older one through its upcaster"
    assert event_types.decode_record(dataclasses.replace(current)) == expected, "made plain"
    with pytest.raises(ValidationError):
        event_types.decode_record(_stored('{"code": "KAZ", "names": {"en": 7}}'))
