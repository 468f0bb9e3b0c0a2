"""How a projection's batch is decoded: what its handlers are given is what the store's `decode`
gives, event for event (upcast ones included), a batch with events that cannot be decoded fails
with the error of the first of them in log order, and an event several projections handle is
decoded once for all of them. No database: the records are made here, and decoding never
touches the engine."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.eventstore import DomainEvent, EventTypes, PostgresEventStore, RecordedEvent
from shared.eventstore import create_engine as create_store_engine
from shared.projections import Projection, _Decoder

event_types = EventTypes()


@event_types.register("CountryNamed", version=2)
class CountryNamed(DomainEvent):
    code: str
    names: dict[str, str]


@event_types.upcaster("CountryNamed", from_version=1)
def _name_in_english(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": data["code"], "names": {"en": data.pop("name")}}


@event_types.register("CountryJoined")
class CountryJoined(DomainEvent):
    code: str
    on: datetime


@pytest.fixture
async def store() -> AsyncIterator[PostgresEventStore]:
    engine = create_store_engine("postgresql://nobody@127.0.0.1:9/never-connected")
    yield PostgresEventStore(engine, event_types)
    await engine.dispose()


def record(position: int, event_type: str, data: dict[str, Any], schema_version: int = 1):
    return RecordedEvent(
        position=position,
        event_id=uuid.uuid4(),
        stream_id=f"country-{position}",
        stream_type="country",
        version=1,
        event_type=event_type,
        schema_version=schema_version,
        data=data,
        metadata={},
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        prev_hash=b"\0" * 32,
        hash=b"\1" * 32,
    )


def a_log() -> list[RecordedEvent]:
    return [
        record(1, "CountryNamed", {"code": "KZ", "name": "Kazakhstan"}, schema_version=1),
        record(2, "CountryJoined", {"code": "KZ", "on": "2026-01-02T10:00:00Z"}),
        record(3, "CountryNamed", {"code": "RU", "names": {"en": "Russia", "ru": "Россия"}}, 2),
        record(4, "CountryJoined", {"code": "RU", "on": "2026-01-03T10:00:00+03:00"}),
        record(5, "CountryNamed", {"code": "CN", "names": {"en": "China"}}, 2),
    ]


def collecting() -> tuple[Projection, list[tuple[RecordedEvent, DomainEvent]]]:
    given: list[tuple[RecordedEvent, DomainEvent]] = []
    projection = Projection("countries", version=1, tables=[])

    @projection.on_batch(CountryNamed, CountryJoined)
    async def fold(connection, items: Sequence[tuple[RecordedEvent, DomainEvent]]) -> None:
        given.extend(items)

    return projection, given


async def test_a_batch_handler_is_given_what_the_store_decodes_upcast_events_included(store):
    projection, given = collecting()
    records = a_log()

    await projection.apply(None, records, _Decoder(store, [projection]))  # type: ignore[arg-type]

    expected = [(r, store.decode(r)) for r in records]
    assert [(r.position, e) for r, e in given] == [(r.position, e) for r, e in expected]
    assert [type(e) for _, e in given] == [type(e) for _, e in expected]
    assert given[0][1] == CountryNamed(code="KZ", names={"en": "Kazakhstan"})
    assert given[3][1].on == datetime(2026, 1, 3, 7, tzinfo=UTC)  # type: ignore[attr-defined]


async def test_per_event_handlers_are_given_what_the_store_decodes(store):
    given: list[tuple[int, DomainEvent]] = []
    projection = Projection("countries", version=1, tables=[])

    @projection.on(CountryNamed, CountryJoined)
    async def each(connection, record: RecordedEvent, event: DomainEvent) -> None:
        given.append((record.position, event))

    records = a_log()
    await projection.apply(None, records, _Decoder(store, [projection]))  # type: ignore[arg-type]

    assert given == [(r.position, store.decode(r)) for r in records]


async def test_a_batch_with_undecodable_events_fails_with_the_error_of_the_first_in_log_order(
    store,
):
    projection, given = collecting()
    records = a_log()
    # Position 3 (a CountryNamed) is the first that cannot be decoded; position 4 (a
    # CountryJoined, the type met first in the batch) cannot be either.
    records[2] = record(3, "CountryNamed", {"code": "RU"}, 2)
    records[3] = record(4, "CountryJoined", {"code": "RU", "on": "not an instant"})

    with pytest.raises(ValidationError) as raised:
        await projection.apply(None, records, _Decoder(store, [projection]))  # type: ignore[arg-type]

    with pytest.raises(ValidationError) as alone:
        store.decode(records[2])
    assert raised.value.title == "CountryNamed"
    assert raised.value.errors() == alone.value.errors()
    assert given == []


async def test_an_event_several_projections_handle_is_decoded_once_for_all_of_them(store):
    both, _ = collecting()
    named_only = Projection("names", version=1, tables=[])

    @named_only.on(CountryNamed)
    async def named(connection, record: RecordedEvent, event: DomainEvent) -> None:
        return None

    decode = _Decoder(store, [both, named_only])
    named_record, joined_record = a_log()[2], a_log()[3]

    assert decode(named_record) is decode(named_record)  # shared: kept for the batch
    assert decode(joined_record) == decode(joined_record)  # one projection's: not kept
    assert decode(joined_record) is not decode(joined_record)
