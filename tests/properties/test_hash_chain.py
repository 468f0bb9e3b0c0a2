"""The hash chain (shared/eventstore/hashing.py), by properties: a chain over any events
verifies, and any single change to a stored row (an edit of any field, a deletion, two rows
swapped, an edit whose own hash is recomputed) is found at its position.

Most examples run on the pure functions (the recipe and the store's own row check); a few run
on the real store, the rows changed behind its back in PostgreSQL, so the read-back path (JSONB,
timestamps) is part of the property too.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.eventstore import ANY_VERSION, DomainEvent, EventTypes, PostgresEventStore
from shared.eventstore import create_engine as create_store_engine
from shared.eventstore.hashing import GENESIS_HASH, canonical_document, chain_hash
from shared.eventstore.postgres import _check as check_row
from shared.eventstore.types import RecordedEvent
from tests.database import as_superuser_without_triggers

# ------------------------------------------------------------------------------ the values

SAFE = 2**53 - 1
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
payloads = st.dictionaries(text, json_values, max_size=4)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def logs(draw: st.DrawFn, min_size: int = 1, max_size: int = 8) -> list[RecordedEvent]:
    """A chained log of random events, hashed by the documented recipe."""
    size = draw(st.integers(min_size, max_size))
    streams = draw(st.lists(text.map(lambda t: f"s-{t}"), min_size=1, max_size=3))
    versions: dict[str, int] = {}
    records, prev = [], GENESIS_HASH
    for position in range(1, size + 1):
        stream = draw(st.sampled_from(streams))
        versions[stream] = versions.get(stream, 0) + 1
        fields = {
            "position": position,
            "event_id": uuid.UUID(int=draw(st.integers(0, 2**128 - 1))),
            "stream_id": stream,
            "stream_type": draw(st.sampled_from(["document", "meeting", "member_state"])),
            "version": versions[stream],
            "event_type": draw(st.sampled_from(["DraftCreated", "DraftRevised", "X"])),
            "schema_version": draw(st.integers(1, 3)),
            "data": draw(payloads),
            "metadata": draw(payloads),
            "recorded_at": draw(instants),
        }
        digest = chain_hash(prev, canonical_document(**fields))
        records.append(RecordedEvent(**fields, prev_hash=prev, hash=digest))
        prev = digest
    return records


def verify(records: list[RecordedEvent]) -> tuple[int | None, int, bytes]:
    """The verification the store runs over its rows (`verify_chain`), on a list: the first bad
    position (None when the chain holds), the head position and the head hash."""
    prev, expected = GENESIS_HASH, 1
    for record in records:
        if check_row(record, expected, prev) is not None:
            return expected, expected - 1, prev
        prev, expected = record.hash, expected + 1
    return None, expected - 1, prev


FIELDS = [field.name for field in dataclasses.fields(RecordedEvent) if field.name != "position"]
"""Every field of a stored row but its position (rows moved are the swap's property)."""


def altered(record: RecordedEvent, field: str, draw: st.DrawFn) -> RecordedEvent:
    old = getattr(record, field)
    new: Any
    if field in ("prev_hash", "hash"):
        new = draw(st.binary(min_size=32, max_size=32))
    elif field == "event_id":
        new = uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))
    elif field in ("version", "schema_version"):
        new = old + draw(st.integers(1, 5))
    elif field in ("data", "metadata"):
        new = draw(payloads)
    elif field == "recorded_at":
        new = old + timedelta(microseconds=draw(st.integers(1, 10**9)))
    else:
        new = old + draw(st.text("abcXYZ", min_size=1, max_size=3))
    assume(new != old)
    return dataclasses.replace(record, **{field: new})


# ------------------------------------------------------------------------ pure properties

# A log is costly to draw: half the profile's examples suffice for single-row changes.
chained = settings(max_examples=max(10, settings.default.max_examples // 2))


@chained
@given(logs(min_size=0))
def test_a_chain_over_any_events_verifies(records):
    assert verify(records) == (None, len(records), records[-1].hash if records else GENESIS_HASH)


@chained
@given(logs(), st.data())
def test_an_edit_of_any_field_of_one_row_is_found_at_its_position(records, data):
    index = data.draw(st.integers(0, len(records) - 1))
    field = data.draw(st.sampled_from(FIELDS))
    records[index] = altered(records[index], field, data.draw)
    bad, head, _ = verify(records)
    assert bad == index + 1
    assert head == index


@chained
@given(logs(min_size=2), st.data())
def test_a_deleted_row_is_found_at_its_position_and_a_deleted_tail_by_the_head(records, data):
    index = data.draw(st.integers(0, len(records) - 1))
    head_hash = records[-1].hash
    del records[index]
    bad, head, found_head_hash = verify(records)
    if index < len(records):
        assert bad == index + 1
    else:
        # The last row gone leaves a shorter chain that holds: only the head, as published
        # before (the feed's `head_hash`), shows it.
        assert bad is None
        assert (head, found_head_hash) == (len(records), records[-1].hash)
        assert found_head_hash != head_hash


@chained
@given(logs(min_size=2), st.data())
def test_two_swapped_rows_are_found_at_the_first_of_them(records, data):
    i = data.draw(st.integers(0, len(records) - 2))
    j = data.draw(st.integers(i + 1, len(records) - 1))
    records[i], records[j] = records[j], records[i]
    assert verify(records)[0] == i + 1


@chained
@given(logs(min_size=2), st.data())
def test_two_swapped_rows_renumbered_into_place_are_found_at_the_first_of_them(records, data):
    """The forger also swaps their positions, so that the positions run 1, 2, 3 again."""
    i = data.draw(st.integers(0, len(records) - 2))
    j = data.draw(st.integers(i + 1, len(records) - 1))
    a, b = records[i], records[j]
    records[i] = dataclasses.replace(b, position=a.position)
    records[j] = dataclasses.replace(a, position=b.position)
    assert verify(records)[0] == i + 1


@chained
@given(logs(), st.data())
def test_an_edit_with_its_own_hash_recomputed_is_found_at_the_next_row(records, data):
    index = data.draw(st.integers(0, len(records) - 1))
    record = records[index]
    forged_data = data.draw(payloads.filter(lambda d: d != record.data))
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    fields["data"] = forged_data
    document = canonical_document(
        **{k: v for k, v in fields.items() if k not in ("prev_hash", "hash")}
    )
    records[index] = dataclasses.replace(
        record, data=forged_data, hash=chain_hash(record.prev_hash, document)
    )
    bad = verify(records)[0]
    if index < len(records) - 1:
        assert bad == index + 2
    else:
        assert bad is None, "a forged last row verifies: only the published head shows it"


# -------------------------------------------------------------- on the real store, sparingly

store_types = EventTypes()


@store_types.register("Anything")
class Anything(DomainEvent):
    payload: dict[str, Any]


MUTATIONS = {
    "edit": lambda p, q: [
        f"UPDATE events SET data = data || '{{\"forged\": 1}}' WHERE position = {p}"
    ],
    "delete": lambda p, q: [f"DELETE FROM events WHERE position = {p}"],
    "swap": lambda p, q: [
        f"UPDATE events SET position = position + 100000 WHERE position IN ({p}, {q})",
        f"UPDATE events SET position = CASE position WHEN {p} + 100000 THEN {q} ELSE {p} END "
        "WHERE position > 100000",
    ],
}


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(payloads, min_size=3, max_size=8),
    st.sampled_from(sorted(MUTATIONS)),
    st.data(),
)
async def test_on_the_store_any_edit_deletion_or_swap_is_found_at_its_position(
    new_database, events, mutation, data
):
    url = await new_database()
    store = PostgresEventStore(create_store_engine(url), store_types)
    try:
        for payload in events:
            stream = f"s-{data.draw(st.integers(0, 2))}"
            await store.append(
                stream,
                [Anything(payload=payload)],
                stream_type="probe",
                expected_version=ANY_VERSION,
            )
        assert (await store.verify_chain()).ok
        n = len(events)
        p = data.draw(st.integers(1, n - 1))  # not the last: that one only the head shows
        q = data.draw(st.integers(p + 1, n))
        await as_superuser_without_triggers(url, *MUTATIONS[mutation](p, q))
        report = await store.verify_chain()
    finally:
        await store.close()
        await store.engine.dispose()
    assert not report.ok, json.dumps(events)
    assert report.first_bad_position == p
    assert report.checked == p - 1
