"""Events between services on the real NATS JetStream and PostgreSQL: whatever NATS loses,
repeats or delays, each event is applied exactly once, in its producer's order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from cloudevents.core.formats.json import JSONFormat
from nats.js.errors import NotFoundError

from shared.envelope import stream_name
from shared.system.devservers import LocalNats, free_port
from tests.polling import eventually
from tests.shared.transport import Pair, TwiceRelay


async def assert_applied_once_in_order(pair: Pair, streams: dict[str, int]) -> None:
    """The consumer's log holds one ParagraphSeen per producer event, in each stream's order,
    and one tracking row per producer position."""
    head = await pair.producer.head_position()
    for stream_id, count in streams.items():
        seen = await pair.consumer.read_stream(f"seen-{stream_id}")
        assert [r.data["number"] for r in seen] == list(range(1, count + 1)), stream_id
    url = pair.consumer.engine.url.set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(url)
    try:
        positions = await connection.fetch(
            "SELECT position, outcome FROM tracking WHERE producer = $1 ORDER BY position",
            pair.producer_name,
        )
        causes = await connection.fetchval(
            "SELECT count(DISTINCT metadata->>'causation_id') FROM events"
        )
        total = await connection.fetchval("SELECT count(*) FROM events")
    finally:
        await connection.close()
    assert [r["position"] for r in positions] == list(range(1, head + 1))
    assert {r["outcome"] for r in positions} <= {"applied"}
    assert total == causes == sum(streams.values())


async def stream_holds(js: Any, pair: Pair, count: int) -> None:
    """Wait until the producer's JetStream stream holds `count` messages (or more)."""
    name = stream_name(pair.producer_name)

    async def messages() -> int:
        try:
            return (await js.stream_info(name)).state.messages
        except NotFoundError:  # the relay has not made the stream yet
            return 0

    await eventually(messages, until=lambda held: held >= count, what=f"{name} holds {count}")


@pytest.fixture
async def pair(new_database, servers):
    made: list[Pair] = []

    async def make(**options: object) -> Pair:
        p = await Pair.make(new_database, servers.nats_url, **options)  # type: ignore[arg-type]
        made.append(p)
        return p

    yield make
    for p in made:
        await p.close()


async def test_ten_thousand_events_reach_the_consumer_once_each_in_order(pair):
    p = await pair()
    await p.start_relay()
    await p.start_consumer()
    streams = {f"SUM/2022/DRAFT/{i}": 0 for i in range(20)}
    for _ in range(5):
        await asyncio.gather(*(p.append_paragraphs(s, 100, per_append=25) for s in streams))
        for s in streams:
            streams[s] += 100
    assert await p.producer.head_position() == 10_000

    await p.wait_until_tracked(10_000, within=240)
    await assert_applied_once_in_order(p, streams)


async def test_every_event_published_twice_is_applied_once(pair, servers):
    p = await pair(relay_class=TwiceRelay)
    await p.start_relay()
    await p.append_paragraphs("SOC/2022-III/Agenda/2", 30, per_append=3)
    await p.append_paragraphs("SUM/2022/DRAFT/5", 20)
    client = await nats.connect(servers.nats_url)
    try:
        js = client.jetstream()
        await stream_holds(js, p, 100)
    finally:
        await client.close()

    await p.start_consumer()
    await p.wait_until_tracked(50)
    await asyncio.sleep(0.5)  # let the repeats arrive: they must change nothing
    await assert_applied_once_in_order(p, {"SOC/2022-III/Agenda/2": 30, "SUM/2022/DRAFT/5": 20})


async def test_nats_stopped_in_the_middle_of_the_appends_loses_and_repeats_nothing(
    new_database,
):
    store_dir = Path(tempfile.mkdtemp(prefix="cica-nats-"))
    server = LocalNats(store_dir / "nats", free_port())
    server.start()
    p = await Pair.make(new_database, server.url)
    try:
        await p.start_relay()
        await p.start_consumer()
        await p.append_paragraphs("SUM/2022/DRAFT/1", 40, per_append=4)
        await p.wait_until_tracked(40)

        server.stop()
        await p.append_paragraphs("SUM/2022/DRAFT/1", 40, per_append=4)  # while NATS is down
        await asyncio.sleep(2)  # the idle consumer may heal these from the producer's feed
        server.start()
        await p.append_paragraphs("SUM/2022/DRAFT/1", 40, per_append=4)

        await p.wait_until_tracked(120, within=180)  # a loaded machine reconnects slowly
        await assert_applied_once_in_order(p, {"SUM/2022/DRAFT/1": 120})
    finally:
        await p.close()
        server.stop()


async def relayed_with_a_message_deleted(
    p: Pair, nats_url: str, appended: int, *, deleted: int
) -> int:
    """`appended` paragraphs relayed to the stream, then its message `deleted` deleted: the
    messages the stream holds after."""
    await p.start_relay()
    await p.append_paragraphs("SUM/2022/DRAFT/1", appended)
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await stream_holds(js, p, appended)
        await js.delete_msg(stream_name(p.producer_name), deleted)
        return (await js.stream_info(stream_name(p.producer_name))).state.messages
    finally:
        await client.close()


async def test_a_message_deleted_from_the_stream_is_taken_from_the_producers_feed(
    pair, servers
):
    p = await pair()
    assert await relayed_with_a_message_deleted(p, servers.nats_url, 6, deleted=3) == 5

    await p.start_consumer()
    await p.wait_until_tracked(6)
    await assert_applied_once_in_order(p, {"SUM/2022/DRAFT/1": 6})


async def test_a_lost_last_message_is_found_when_the_consumer_is_idle(pair, servers):
    p = await pair()
    await relayed_with_a_message_deleted(p, servers.nats_url, 4, deleted=4)

    await p.start_consumer()
    await p.wait_until_tracked(4, within=30)
    await assert_applied_once_in_order(p, {"SUM/2022/DRAFT/1": 4})


async def test_a_failing_handler_parks_its_event_and_the_others_go_on(pair):
    broken = {"number": 3}

    async def fragile(ctx, event):  # type: ignore[no-untyped-def]
        if event.data["number"] == broken["number"]:
            raise RuntimeError("OP3 cannot be read")
        await see_paragraph_any_order(ctx, event)

    p = await pair(handler=fragile)
    await p.start_relay()
    await p.start_consumer(max_attempts=3)
    await p.append_paragraphs("SUM/2022/DRAFT/1", 5)
    await p.wait_until_tracked(5)

    parked, outcomes = await p.parked_and_outcomes()
    assert len(parked) == 1
    assert parked[0]["position"] == 3
    assert parked[0]["attempts"] == 3
    assert "OP3 cannot be read" in parked[0]["error"]
    assert [(r["position"], r["outcome"]) for r in outcomes] == [
        (1, "applied"), (2, "applied"), (3, "parked"), (4, "applied"), (5, "applied"),
    ]
    seen = [r.data["number"] for r in await p.consumer.read_all()]
    assert seen == [1, 2, 4, 5]

    # The fix lands; the retry applies the event once, and a second retry finds nothing.
    from shared.consumers import ParkedNotFoundError, retry_parked

    broken["number"] = -1
    await retry_parked(parked_id=parked[0]["id"], reactions=p.reactions, store=p.consumer)
    with pytest.raises(ParkedNotFoundError):
        await retry_parked(parked_id=parked[0]["id"], reactions=p.reactions, store=p.consumer)
    seen = [r.data["number"] for r in await p.consumer.read_all()]
    assert sorted(seen) == [1, 2, 3, 4, 5]
    assert len(seen) == 5


async def test_a_refused_reaction_is_parked_at_once_with_its_rule_and_a_waiting_one_is_applied_when_its_prerequisite_comes(pair):  # noqa: E501
    from shared.domain import AwaitingError, RefusedError

    class Refused(RefusedError, title="Refused", rule="paragraph-refused"): ...

    class Waits(AwaitingError, title="Waits", rule="paragraph-awaited"): ...

    prerequisite = {"there": False}

    async def ruled(ctx, event):  # type: ignore[no-untyped-def]
        if event.data["number"] == 2:
            raise Refused("OP2 is refused by the rules")
        if event.data["number"] == 3 and not prerequisite["there"]:
            raise Waits("OP3 rests on what is not recorded yet")
        await see_paragraph_any_order(ctx, event)

    p = await pair(handler=ruled)
    await p.start_relay()
    consumer = await p.start_consumer(max_attempts=5, waiting_check_after=0.2)
    await p.append_paragraphs("SUM/2022/DRAFT/1", 4)
    await p.wait_until_tracked(4)

    parked, outcomes = await p.parked_and_outcomes()
    assert [(r["position"], r["rule"], r["waiting"]) for r in parked] == [
        (2, "paragraph-refused", False),
        (3, "paragraph-awaited", True),
    ]
    assert parked[0]["attempts"] == 1  # a refusal is not retried: the same every time
    # A waiting one is looked at again every `waiting_check_after` (0.2 s) until its
    # prerequisite comes: on a loaded machine that may have happened already.
    assert parked[1]["attempts"] >= 1
    assert parked[0]["error"] == "paragraph-refused: OP2 is refused by the rules"
    assert [r["outcome"] for r in outcomes] == ["applied", "parked", "parked", "applied"]

    # Nothing applies the waiting event while its prerequisite is missing...
    assert await consumer.retry_waiting() == 0
    # ...and once it comes the consumer applies it by itself, once; the refusal stays parked.
    prerequisite["there"] = True

    async def seen() -> list[int]:
        return sorted(r.data["number"] for r in await p.consumer.read_all())

    await eventually(seen, until=lambda numbers: numbers == [1, 3, 4], what="OP3 applied")
    parked, outcomes = await p.parked_and_outcomes()
    assert [(r["position"], r["resolved_at"] is None) for r in parked] == [(2, True), (3, False)]
    assert [r["outcome"] for r in outcomes] == ["applied", "parked", "applied", "applied"]
    assert await consumer.retry_waiting() == 0


async def see_paragraph_any_order(ctx, event):  # type: ignore[no-untyped-def]
    from tests.shared.transport import ParagraphSeen

    await ctx.append(
        f"seen-{event.stream_id}-{event.position}",
        [ParagraphSeen(stream_id=event.stream_id, number=event.data["number"],
                       position=event.position)],
        stream_type="seen",
        expected_version=0,
    )


async def test_every_message_on_the_wire_is_a_cloudevent(pair, servers):
    p = await pair()
    await p.start_relay()
    await p.append_paragraphs("SUM/2022/DRAFT/1", 3)
    client = await nats.connect(servers.nats_url)
    try:
        js = client.jetstream()
        subscription = await js.pull_subscribe(
            f"cica.{p.producer_name}.>", durable=None, stream=stream_name(p.producer_name)
        )
        messages: list[Any] = []

        async def fetched() -> int:
            with contextlib.suppress(nats.errors.TimeoutError):
                messages.extend(await subscription.fetch(3 - len(messages), timeout=1))
            return len(messages)

        await eventually(fetched, until=lambda held: held >= 3, every=0)
    finally:
        await client.close()

    records = await p.producer.read_all()
    for message, record in zip(messages, records, strict=True):
        event = JSONFormat().read(None, message.data)  # the SDK validates the attributes
        assert event.get_specversion() == "1.0"
        assert event.get_id() == str(record.event_id) == message.headers["Nats-Msg-Id"]
        assert event.get_source() == f"/cica/{p.producer_name}"
        assert event.get_type() == f"int.cica.{p.producer_name}.ParagraphAdded.v1"
        assert event.get_subject() == "SUM/2022/DRAFT/1"
        assert event.get_time() == record.recorded_at
        assert event.get_extension("sequence") == record.position
        assert event.get_extension("hash") == record.hash.hex()
        assert event.get_data() == record.data
        assert message.subject == f"cica.{p.producer_name}.draft.ParagraphAdded"


ROOT = str(Path(__file__).resolve().parents[2])
CONSUMER_PROCESS = """
import asyncio, os, signal, sys
sys.path.insert(0, {root!r})
from shared.consumers import JetStreamConsumer, Reactions
from shared.eventstore import PostgresEventStore, create_engine
from shared.messaging import NatsConnection
from tests.shared.transport import consumer_types, see_paragraph

async def main():
    store = PostgresEventStore(create_engine({db!r}), consumer_types)
    reactions = Reactions({consumer!r})
    reactions.on({producer!r}, "ParagraphAdded")(see_paragraph)
    connection = NatsConnection([{nats!r}], name="killed-consumer")
    await connection.start()
    consumer = JetStreamConsumer(service={consumer!r}, producer={producer!r},
                                 reactions=reactions, store=store, nats=connection,
                                 ack_wait=2.0)
    kill_at = int(os.environ.get("KILL_AFTER_COMMIT_OF", "0"))
    def after_commit(event):
        if event.position == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # committed, not yet acked
    consumer.after_commit = after_commit
    await consumer.run()

asyncio.run(main())
"""


async def test_a_consumer_killed_between_commit_and_ack_does_not_apply_twice(pair):
    p = await pair()
    await p.start_relay()
    await p.append_paragraphs("SUM/2022/DRAFT/1", 10)
    script = CONSUMER_PROCESS.format(
        root=ROOT,
        db=p.consumer.engine.url.set(drivername="postgresql").render_as_string(False),
        consumer=p.consumer_name,
        producer=p.producer_name,
        nats=p.nats_url,
    )
    env = {**os.environ, "KILL_AFTER_COMMIT_OF": "4"}
    killed = subprocess.Popen([sys.executable, "-c", script], env=env)  # noqa: ASYNC220
    assert await asyncio.to_thread(killed.wait, 60) == -signal.SIGKILL
    url = p.consumer.engine.url.set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(url)
    try:
        # Committed (4 and whatever came in its batch), acked: nothing.
        assert await connection.fetchval("SELECT max(position) FROM tracking") >= 4
    finally:
        await connection.close()

    env["KILL_AFTER_COMMIT_OF"] = "0"
    restarted = subprocess.Popen([sys.executable, "-c", script], env=env)  # noqa: ASYNC220
    try:

        async def tracked() -> int | None:
            connection = await asyncpg.connect(url)
            try:
                return await connection.fetchval("SELECT max(position) FROM tracking")
            finally:
                await connection.close()

        await eventually(tracked, until=lambda position: position == 10, within=60)
    finally:
        restarted.terminate()
        await asyncio.to_thread(restarted.wait, 30)

    seen = await p.consumer.read_stream("seen-SUM/2022/DRAFT/1")
    assert [r.data["number"] for r in seen] == list(range(1, 11))
    assert len({json.dumps(r.metadata["causation_id"]) for r in seen}) == 10
    assert uuid.UUID(seen[3].metadata["causation_id"])


async def test_two_relays_of_one_service_publish_one_at_a_time_and_the_other_takes_over(
    pair, servers
):
    p = await pair()
    first = await p.start_relay()
    second = await p.start_relay()
    await p.append_paragraphs("SUM/2022/DRAFT/1", 5)
    await eventually(lambda: first.is_leader or second.is_leader, what="a relay leads")
    assert first.is_leader != second.is_leader, "exactly one relay publishes"
    leader, standby = (first, second) if first.is_leader else (second, first)

    await leader.close()  # its lock connection closes, as when its process dies
    await p.append_paragraphs("SUM/2022/DRAFT/1", 5)
    await eventually(lambda: standby.is_leader, what="the standby took over")
    await p.start_consumer()
    await p.wait_until_tracked(10)
    await assert_applied_once_in_order(p, {"SUM/2022/DRAFT/1": 10})


async def test_two_replicas_of_a_consumer_share_the_work_and_apply_each_event_once(pair):
    p = await pair()
    await p.start_relay()
    await p.start_consumer()
    await p.start_consumer()
    streams = {f"SOC/2022-III/Agenda/{i}": 60 for i in range(5)}
    await asyncio.gather(*(p.append_paragraphs(s, 60, per_append=6) for s in streams))
    await p.wait_until_tracked(300)
    await assert_applied_once_in_order(p, streams)
