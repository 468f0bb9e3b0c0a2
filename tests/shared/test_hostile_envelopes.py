"""Whoever can publish on a producer's subjects can send bytes no parser expects. However a
message is made (nested deeper than a parser's stack, with numbers no position can be, with
extension values of any type and length), it is either the producer's event or it is refused:
undecodable, it is poison, terminated while the rest of its batch goes on; decodable but
unverifiable, it is a forgery, never parked nor applied, and the genuine event at its position
is applied instead. What it claims moves nothing the consumer reports."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import Any

import nats
import pytest
from structlog.testing import capture_logs

from shared.envelope import (
    MAX_DEPTH,
    EnvelopeError,
    decode,
    encode,
    link_break,
    to_cloudevent,
)
from shared.eventstore import RecordedEvent
from shared.eventstore.hashing import GENESIS_HASH
from tests.polling import eventually
from tests.shared.test_chain_links import _chain
from tests.shared.test_transport import assert_applied_once_in_order, stream_holds
from tests.shared.transport import Pair

TOO_DEEP_TO_HASH = 600
"""Levels of nesting that JSON parses but the hash's canonical encoder cannot recurse through."""

Poison = Callable[[dict[str, Any]], bytes]


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _envelope_text(envelope: dict[str, Any], **raw: str) -> bytes:
    """`envelope` as JSON, each of `raw` written as the JSON text given (what `json.dumps`
    would never write)."""
    text = json.dumps({**envelope, "id": str(uuid.uuid4()), **{k: f"@{k}@" for k in raw}})
    for key, value in raw.items():
        text = text.replace(json.dumps(f"@{key}@"), value)
    return text.encode()


POISONS: dict[str, Poison] = {
    "brackets beyond the parser's stack": lambda _: b"[" * 100_000 + b"]" * 100_000,
    "an infinite sequence": lambda e: _envelope_text(e, sequence="Infinity"),
    "a stream version of minus infinity": lambda e: _envelope_text(e, streamversion="-Infinity"),
    "an integer of more than 4300 digits": lambda e: _envelope_text(e, sequence="9" * 4301),
    "a provenance nested beyond the parser's stack": lambda e: _envelope_text(
        e, provenance=json.dumps("[" * 2048 + "]" * 2048)
    ),
    "an over-long correlation id": lambda e: _envelope_text(
        e, correlationid=json.dumps("c" * 5000)
    ),
    "an actor that is no string": lambda e: _envelope_text(e, actor='["secretariat"]'),
    "an event type of 10,000 characters": lambda e: _envelope_text(
        e, type=json.dumps(e["type"].replace(".v", "X" * 10_000 + ".v"))
    ),
}


@pytest.fixture
async def pair(new_database, servers):  # type: ignore[no-untyped-def]
    p = await Pair.make(new_database, servers.nats_url)
    yield p
    await p.close()


def named(logs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == event]


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
async def test_a_poison_message_is_terminated_and_the_rest_of_its_batch_is_applied(
    pair: Pair, servers: Any, poison: Poison
) -> None:
    """The poison arrives between genuine events, in one fetched batch; no feed heals what
    the batch would lose, so the genuine events are applied only if the poison leaves the
    batch alone."""
    p = pair
    relay = await p.start_relay()
    await p.append_paragraphs("draft-1", 2)
    client = await nats.connect(servers.nats_url)
    try:
        await stream_holds(client.jetstream(), p, 2)
        await relay.close()
        await p.append_paragraphs("draft-1", 2)
        (third,) = await p.producer.read_all(after=2, limit=1)
        await p.publish_as_producer(third, poison(to_cloudevent(third, p.producer_name)))
        await p.start_relay()
        await stream_holds(client.jetstream(), p, 5)
    finally:
        await client.close()

    with capture_logs() as logs:
        await p.start_consumer(with_feed=False)
        await p.wait_until_tracked(4, within=20)
    assert len(named(logs, "consumer.poison_message")) == 1
    assert not named(logs, "consumer.failed")
    assert not named(logs, "consumer.forged_message")
    await assert_applied_once_in_order(p, {"draft-1": 4})


async def test_a_forgery_nested_too_deep_to_hash_is_refused_and_the_genuine_event_applied(
    pair: Pair,
) -> None:
    p = pair
    await p.start_consumer()
    third = await p.third_recorded_unpublished()
    envelope = to_cloudevent(third, p.producer_name)
    forged = {**envelope, "data": {"number": 3, "notes": nested(TOO_DEEP_TO_HASH)}}

    with capture_logs() as logs:
        await p.publish_as_producer(third, json.dumps(forged).encode())
        await eventually(
            lambda: named(logs, "consumer.poison_message"), what="the consumer refuses it"
        )
        await p.wait_until_tracked(3)  # the genuine third, from the producer's feed
    await p.start_relay()
    await p.append_paragraphs("draft-1", 1)
    await p.wait_until_tracked(4)

    parked, _ = await p.parked_and_outcomes()
    assert parked == []
    await assert_applied_once_in_order(p, {"draft-1": 4})


async def test_a_message_whose_link_cannot_be_checked_is_a_forgery_and_never_parked(
    pair: Pair,
) -> None:
    """Past the envelope's own bounds (as a caller of `receive` may hand it), content the hash
    cannot be recomputed for is not the producer's: neither retried as a failing handler and
    parked, nor applied; the genuine event at its position is."""
    p = pair
    consumer = await p.start_consumer()
    third = await p.third_recorded_unpublished()
    await consumer.close()  # nothing but this test's call handles the third
    genuine = decode(encode(third, p.producer_name))
    forged = dataclasses.replace(genuine, data={"number": 3, "notes": nested(TOO_DEEP_TO_HASH)})

    with capture_logs() as logs:
        assert await consumer.receive(forged) is False

    (named_forgery,) = named(logs, "consumer.forged_message")
    assert named_forgery["position"] == 3
    assert named_forgery["reason"].startswith("its hash cannot be recomputed: RecursionError")
    assert not named(logs, "consumer.parked")
    parked, outcomes = await p.parked_and_outcomes()
    assert parked == []
    assert [(r["position"], r["outcome"]) for r in outcomes] == [
        (1, "applied"), (2, "applied"), (3, "applied"),
    ]  # fmt: skip
    assert [r.data["number"] for r in await p.consumer.read_all()] == [1, 2, 3]


async def test_a_forged_far_future_sequence_does_not_move_the_known_head(
    pair: Pair,
) -> None:
    p = pair
    consumer = await p.start_consumer()
    await p.start_relay()
    await p.append_paragraphs("draft-1", 2)
    await p.wait_until_tracked(2)
    assert consumer.known_head == 2  # what the genuine messages told it
    (second,) = await p.producer.read_all(after=1, limit=1)
    far = 10**30
    forged = {**to_cloudevent(second, p.producer_name), "id": str(uuid.uuid4()), "sequence": far}

    with capture_logs() as logs:
        await p.publish_as_producer(second, json.dumps(forged).encode())
        (named_forgery,) = await eventually(
            lambda: named(logs, "consumer.forged_message"), what="the consumer names the forgery"
        )
    assert named_forgery["position"] == far
    assert consumer.known_head == 2


def test_nesting_is_bounded_by_structure_and_not_by_brackets_within_strings() -> None:
    (event,) = [RecordedEvent.from_feed_item(item) for item in _chain([{"number": 1}])]
    envelope = to_cloudevent(event, "registry")

    def with_notes(notes: Any) -> bytes:
        return json.dumps({**envelope, "data": {"number": 1, "notes": notes}}).encode()

    # The envelope and its data are two levels: notes may nest MAX_DEPTH - 2 more.
    assert decode(with_notes(nested(MAX_DEPTH - 2))).data["notes"] == nested(MAX_DEPTH - 2)
    assert decode(with_notes("[{" * 10 * MAX_DEPTH)).data["notes"] == "[{" * 10 * MAX_DEPTH
    assert decode(with_notes(['\\"[' * MAX_DEPTH])).data["notes"] == ['\\"[' * MAX_DEPTH]
    with pytest.raises(EnvelopeError, match="nested more than"):
        decode(with_notes(nested(MAX_DEPTH - 1)))
    for unterminated in (b'{"a": "' + b'\\"' * 1000 + b"[" * 100, b"[" * 100 + b'"\\'):
        with pytest.raises(EnvelopeError):
            decode(unterminated)


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_every_hostile_payload_is_an_envelope_error(poison: Poison) -> None:
    (event,) = [RecordedEvent.from_feed_item(item) for item in _chain([{"number": 1}])]
    with pytest.raises(EnvelopeError) as refused:
        decode(poison(to_cloudevent(event, "registry")))
    assert len(str(refused.value)) < 1000, "what the poison's log line says is bounded"


def test_a_link_that_cannot_be_recomputed_is_broken_rather_than_an_error() -> None:
    (event,) = [RecordedEvent.from_feed_item(item) for item in _chain([{"number": 1}])]
    genuine = decode(encode(event, "registry"))
    deep = dataclasses.replace(genuine, data={"notes": nested(TOO_DEEP_TO_HASH)})
    assert link_break(genuine, GENESIS_HASH) is None
    assert (link_break(deep, GENESIS_HASH) or "").startswith("its hash cannot be recomputed")
