"""A consumer applies a message only if it continues its producer's hash chain. A message
published with the next sequence by someone who could publish on the producer's subjects (here
the test harness, which may publish anything), altered, unlinked or claiming a position the
producer never recorded, is not applied: the genuine event at its position is taken from the
producer's feed and applied, once, and the forgery is logged and never delivered again."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from structlog.testing import capture_logs

from shared.envelope import EnvelopeError, decode, link_break, to_cloudevent
from shared.eventstore import RecordedEvent
from shared.eventstore.hashing import GENESIS_HASH, canonical_document, chain_hash
from tests.polling import eventually
from tests.shared.test_transport import assert_applied_once_in_order
from tests.shared.transport import Pair

Forgery = Callable[[dict[str, Any]], dict[str, Any]]


def altered(envelope: dict[str, Any]) -> dict[str, Any]:
    """The genuine message with its content changed on the way (its hashes kept)."""
    return {**envelope, "data": {**envelope["data"], "number": 999}}


def relinked(envelope: dict[str, Any]) -> dict[str, Any]:
    """A message whose hash is right for its content, but which follows some other event."""
    return relinked_after(altered(envelope), hashlib.sha256(b"elsewhere").digest())


def from_the_future(envelope: dict[str, Any]) -> dict[str, Any]:
    """A message at a position the producer's log does not have (yet)."""
    return {**altered(envelope), "id": str(uuid.uuid4()), "sequence": 1000}


async def tracked_hashes(p: Pair) -> dict[int, bytes]:
    url = p.consumer.engine.url.set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT position, hash FROM tracking ORDER BY position")
    finally:
        await connection.close()
    return {row["position"]: bytes(row["hash"]) for row in rows}


@pytest.fixture
async def pair(new_database, servers):  # type: ignore[no-untyped-def]
    p = await Pair.make(new_database, servers.nats_url)
    yield p
    await p.close()


@pytest.mark.parametrize("forge", [altered, relinked, from_the_future])
async def test_a_forged_message_with_the_next_sequence_is_not_applied_and_the_genuine_one_is_once(
    pair: Pair, forge: Forgery
) -> None:
    p = pair
    await p.start_consumer()
    third = await p.third_recorded_unpublished()
    forged = forge(to_cloudevent(third, p.producer_name))

    with capture_logs() as logs:
        await p.publish_as_producer(third, json.dumps(forged).encode())
        await eventually(
            lambda: [e for e in logs if e["event"] == "consumer.forged_message"],
            what="the consumer names the forgery",
        )
        await p.wait_until_tracked(3)  # the genuine third, from the producer's feed
    (named,) = [e for e in logs if e["event"] == "consumer.forged_message"]
    assert (named["producer"], named["position"]) == (p.producer_name, forged["sequence"])

    await p.start_relay()  # now the genuine third comes over NATS too: skipped
    await p.append_paragraphs("draft-1", 1)
    await p.wait_until_tracked(4)
    await assert_applied_once_in_order(p, {"draft-1": 4})
    records = await p.producer.read_all()
    assert await tracked_hashes(p) == {r.position: r.hash for r in records}


async def test_a_forgery_that_links_is_found_at_the_next_genuine_event_and_the_consumer_stops(
    pair: Pair,
) -> None:
    """Whoever may publish as the producer can forge a message that continues the chain (the
    hashes are no signature); it is applied. The next genuine event then does not continue
    what the consumer recorded, and neither does the producer's own feed: the consumer says so
    and applies nothing more, for a person to look at, rather than build on the forgery."""
    p = pair
    await p.start_consumer()
    third = await p.third_recorded_unpublished()
    linked = relinked_after(altered(to_cloudevent(third, p.producer_name)), third.prev_hash)

    with capture_logs() as logs:
        await p.publish_as_producer(third, json.dumps(linked).encode())
        await p.wait_until_tracked(3)  # the forgery, applied
        await p.start_relay()
        await p.append_paragraphs("draft-1", 1)
        await eventually(
            lambda: [e for e in logs if e["event"] == "consumer.chain_broken"],
            what="the consumer stops at the broken chain",
        )
    (broken, *_) = [e for e in logs if e["event"] == "consumer.chain_broken"]
    assert (broken["producer"], broken["position"]) == (p.producer_name, 4)
    assert await p.tracked() == 3
    assert not [e for e in logs if e["event"] == "consumer.forged_message"]


def relinked_after(envelope: dict[str, Any], prev_hash: bytes) -> dict[str, Any]:
    """`envelope` (its content as it is) hashed anew after `prev_hash`: a forgery that links."""
    record = RecordedEvent.from_feed_item(decode(json.dumps(envelope).encode()).as_feed_item())
    document = canonical_document(
        position=record.position, event_id=record.event_id, stream_id=record.stream_id,
        stream_type=record.stream_type, version=record.version, event_type=record.event_type,
        schema_version=record.schema_version, data=record.data, metadata=record.metadata,
        recorded_at=record.recorded_at,
    )  # fmt: skip
    return {**envelope, "prevhash": prev_hash.hex(), "hash": chain_hash(prev_hash, document).hex()}


def test_the_link_check_accepts_the_genuine_message_and_names_what_is_wrong_with_others() -> None:
    events = [
        RecordedEvent.from_feed_item(item)
        for item in _chain([{"number": 1}, {"number": 2}])
    ]
    first, second = (
        decode(json.dumps(to_cloudevent(event, "registry")).encode()) for event in events
    )
    assert link_break(first, GENESIS_HASH) is None
    assert link_break(second, events[0].hash) is None
    assert link_break(second, None) is None  # the hash before it unknown: its own is checked
    assert link_break(second, GENESIS_HASH) == "its prevhash is not the hash of the event before it"
    tampered = decode(json.dumps(altered(to_cloudevent(events[1], "registry"))).encode())
    assert link_break(tampered, events[0].hash) == "its content does not give its hash"
    garbled = decode(json.dumps({**to_cloudevent(events[1], "registry"), "hash": "zz"}).encode())
    assert (link_break(garbled, events[0].hash) or "").startswith("its hash cannot be recomputed")


def test_a_sourced_events_message_carries_its_source_and_links_and_a_changed_source_does_not():
    """The metadata's ``source`` (shared/http/provenance.py) is in the hash: the envelope carries
    it (the ``provenance`` extension), so a genuine message links and one whose source was
    changed on the way does not; one whose provenance is not an object of strings is no
    message of this system."""
    source = {"status": "record", "cites": "SOC/OI/1280", "passage": "enclosures"}
    (event,) = [
        RecordedEvent.from_feed_item(item)
        for item in _chain([{"number": 1}], metadata={"actor": "secretariat", "source": source})
    ]
    envelope = to_cloudevent(event, "registry")
    genuine = decode(json.dumps(envelope).encode())
    assert genuine.metadata["source"] == source
    assert link_break(genuine, GENESIS_HASH) is None
    claimed = json.dumps({**source, "status": "inferred"})
    changed = decode(json.dumps({**envelope, "provenance": claimed}).encode())
    assert link_break(changed, GENESIS_HASH) == "its content does not give its hash"
    for bad in ('["SOC/OI/1280"]', '{"cites": 1280}', "not json", "x" * 5000):
        with pytest.raises(EnvelopeError):
            decode(json.dumps({**envelope, "provenance": bad}).encode())


def _chain(
    datas: list[dict[str, Any]], metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Feed items of a little chain, hashed as the store hashes."""
    items, prev = [], GENESIS_HASH
    for position, data in enumerate(datas, start=1):
        item = {
            "position": position, "event_id": str(uuid.uuid4()), "stream_id": "state-KWT",
            "stream_type": "member_state", "version": position, "event_type": "MemberAdmitted",
            "schema_version": 1, "data": data,
            "metadata": metadata or {"actor": "secretariat"},
            "recorded_at": "2022-10-13T09:00:00.000000Z",
        }  # fmt: skip
        record = RecordedEvent.from_feed_item({**item, "prev_hash": prev.hex(), "hash": "00"})
        document = canonical_document(
            position=position, event_id=record.event_id, stream_id=record.stream_id,
            stream_type=record.stream_type, version=position, event_type=record.event_type,
            schema_version=1, data=data, metadata=record.metadata,
            recorded_at=record.recorded_at,
        )  # fmt: skip
        digest = chain_hash(prev, document)
        items.append({**item, "prev_hash": prev.hex(), "hash": digest.hex()})
        prev = digest
    return items
