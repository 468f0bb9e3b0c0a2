"""Relay leadership on real PostgreSQL and NATS: trouble on the NATS side is the leader's to sit
out, lock in hand, so leadership does not flip between replicas while NATS is away; only the
lock's connection going ends it, and a relay (the standby, as a rule) takes the lock again.
Each leadership is logged once as it starts and once as it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from structlog.testing import capture_logs

from shared.envelope import stream_name
from shared.eventstore.follow import LogNotifier
from shared.messaging import NatsConnection
from shared.relay import JetStreamRelay, leadership_lock_key
from shared.system.devservers import LocalNats, free_port
from tests.polling import eventually
from tests.shared.transport import Pair

DRAFT = "SUM/2022/DRAFT/1"
ACK_TIMEOUT = 1.0
"""Short, so that the publishes NATS cannot take fail quickly."""


class Relays:
    """Replicas of the pair's relay, each with its own NATS connection and log notifier, as
    each replica of a service has; `close` closes them all."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self._closers: list[Callable[[], Awaitable[None]]] = []

    async def start(self, **options: Any) -> JetStreamRelay:
        connection = NatsConnection([self.pair.nats_url], name=f"{self.pair.producer_name}-relay")
        await connection.start()
        notifier = LogNotifier(self.pair.producer.engine)
        notifier.start()
        relay = JetStreamRelay(
            service=self.pair.producer_name,
            store=self.pair.producer,
            nats=connection,
            notifier=notifier,
            poll_interval=0.2,
            **options,
        )
        relay.start()
        self._closers += [connection.close, notifier.close, relay.close]
        return relay

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[LocalNats]:
    """A NATS server of the test's own, which it may stop and start again."""
    server = LocalNats(tmp_path / "nats", free_port())
    server.start()
    yield server
    server.stop()


async def published_ids(nats_url: str, p: Pair) -> list[str]:
    """The `Nats-Msg-Id` of every message in the producer's stream, in the stream's order."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        name = stream_name(p.producer_name)
        state = (await js.stream_info(name)).state
        if not state.messages:
            return []
        return [
            (await js.get_msg(name, sequence)).headers["Nats-Msg-Id"]  # type: ignore[index]
            for sequence in range(state.first_seq, state.last_seq + 1)
        ]
    finally:
        await client.close()


async def wait_until_published(nats_url: str, p: Pair, count: int, *, within: float) -> None:
    await eventually(
        lambda: published_ids(nats_url, p),
        until=lambda ids: len(ids) >= count,
        within=within,
        every=0.3,
        what=f"{count} messages in the stream",
        ignoring=(OSError, TimeoutError, nats.errors.Error),
    )


async def logged_ids(p: Pair) -> list[str]:
    return [str(record.event_id) for record in await p.producer.read_all()]


def named(logs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == event]


def troubles(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the relays logged of a failure, at any level."""
    return [entry for entry in logs if entry["event"].startswith("relay.") and "error" in entry]


async def test_nats_stopped_and_started_again_keeps_the_leader_which_publishes_all_once_in_order(
    new_database: Callable[[], Awaitable[str]], own_nats: LocalNats
) -> None:
    p = await Pair.make(new_database, own_nats.url)
    relays = Relays(p)
    try:
        with capture_logs() as logs:
            first = await relays.start(ack_timeout=ACK_TIMEOUT)
            second = await relays.start(ack_timeout=ACK_TIMEOUT)
            await p.append_paragraphs(DRAFT, 10)
            await eventually(lambda: first.is_leader or second.is_leader, what="a relay leads")
            leader, standby = (first, second) if first.is_leader else (second, first)
            await wait_until_published(own_nats.url, p, 10, within=60)

            own_nats.stop()
            # Fewer batches than may be in flight (4), so that each round fails on its acks.
            await p.append_paragraphs(DRAFT, 3)
            await eventually(
                lambda: len(troubles(logs)) >= 2,
                within=60,
                what="two rounds of publishing failed while NATS is away",
            )
            own_nats.start()
            await p.append_paragraphs(DRAFT, 10)
            await wait_until_published(own_nats.url, p, 23, within=120)
            still = (leader.is_leader, standby.is_leader)

        assert still == (True, False)
        assert len(named(logs, "relay.leading")) == 1, "leadership was taken once"
        assert named(logs, "relay.leadership_ended") == [], "and never lost"
        assert named(logs, "relay.publishing_resumed"), "the leader said it was back"
        assert await published_ids(own_nats.url, p) == await logged_ids(p)
    finally:
        await relays.close()
        await p.close()


async def test_a_leader_whose_acks_time_out_with_its_queue_full_publishes_again_once_nats_is_back(
    new_database: Callable[[], Awaitable[str]], own_nats: LocalNats
) -> None:
    p = await Pair.make(new_database, own_nats.url)
    relays = Relays(p)
    try:
        relay = await relays.start(ack_timeout=ACK_TIMEOUT, max_batches_in_flight=1)
        await p.append_paragraphs(DRAFT, 2)
        await wait_until_published(own_nats.url, p, 2, within=60)

        own_nats.stop()
        # One batch a commit: more batches than may be in flight, while no ack comes...
        await p.append_paragraphs(DRAFT, 6)
        await asyncio.sleep(3 * ACK_TIMEOUT)  # ...for longer than the relay waits for one
        own_nats.start()
        await wait_until_published(own_nats.url, p, 8, within=120)

        assert relay.is_leader
        assert await published_ids(own_nats.url, p) == await logged_ids(p)
    finally:
        await relays.close()
        await p.close()


async def test_a_leader_that_loses_its_lock_connection_ends_its_leadership_once_and_one_leads(
    new_database: Callable[[], Awaitable[str]], servers: Any
) -> None:
    p = await Pair.make(new_database, servers.nats_url)
    relays = Relays(p)
    try:
        with capture_logs() as logs:
            first = await relays.start()
            second = await relays.start()
            await p.append_paragraphs(DRAFT, 5)
            await eventually(lambda: first.is_leader or second.is_leader, what="a relay leads")
            await wait_until_published(servers.nats_url, p, 5, within=60)

            await terminate_lock_holder(p)  # as when the database drops its connection
            await p.append_paragraphs(DRAFT, 5)
            await eventually(
                lambda: len(named(logs, "relay.leading")) == 2, what="the lock taken again"
            )
            await wait_until_published(servers.nats_url, p, 10, within=60)
            leaders = [relay.is_leader for relay in (first, second)]

        assert leaders.count(True) == 1
        assert len(named(logs, "relay.leading")) == 2, "taken, lost, taken (the standby, mostly)"
        ended = named(logs, "relay.leadership_ended")
        assert [entry["log_level"] for entry in ended] == ["warning"], "lost once"
        assert await published_ids(servers.nats_url, p) == await logged_ids(p)
    finally:
        await relays.close()
        await p.close()


async def terminate_lock_holder(p: Pair) -> None:
    """End the database session that holds the producer relay's advisory lock."""
    url = p.producer.engine.url.set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(url)
    try:
        terminated = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND objid = $1::bigint::oid",
            leadership_lock_key(p.producer_name),
        )
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
    assert terminated == 1
