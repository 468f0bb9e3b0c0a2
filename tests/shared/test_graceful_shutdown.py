"""Shutdown finishes work in flight: a relay closed while batches are on their way to
JetStream waits for their acknowledgements and records how far it got, so that what it
records is exactly what the stream holds."""

from __future__ import annotations

import nats
from sqlalchemy import select

from shared.envelope import stream_name
from shared.eventstore.schema import relay_progress
from shared.relay import ensure_stream
from tests.polling import eventually
from tests.shared.transport import Pair


async def recorded(p: Pair) -> int:
    query = select(relay_progress.c.position).where(
        relay_progress.c.stream == stream_name(p.producer_name)
    )
    async with p.producer.engine.connect() as connection:
        return int((await connection.execute(query)).scalar() or 0)


async def test_a_closing_relay_records_what_it_has_in_flight(new_database, servers):
    p = await Pair.make(new_database, servers.nats_url)
    try:
        for n in range(8):
            await p.append_paragraphs(f"SUM/2022/DRAFT/{n}", 500, per_append=500)
        relay = await p.start_relay()
        relay.batch_size = 100  # many small batches, so that some are in flight at the close
        await eventually(
            lambda: relay.published, every=0.001, what="the relay published"
        )
        await relay.close()
        progress = await recorded(p)
        client = await nats.connect(servers.nats_url)
        try:
            info = await client.jetstream().stream_info(stream_name(p.producer_name))
        finally:
            await client.close()
    finally:
        await p.close()

    assert progress == relay.published > 0
    assert info.state.messages == progress, "every message sent was confirmed and recorded"


async def test_closed_consumers_leave_nothing_for_the_connections_drain(database_url, servers):
    """A consumer's pull subscription left open made every shutdown wait for the NATS drain's
    whole timeout and then fail it (asyncio's "_GatheringFuture exception was never
    retrieved"): a closed consumer unsubscribes its inbox, and the durable stays."""
    import importlib

    from tests.shared.test_access_matrix import settings_for
    from tests.shared.test_service_shell import eventually_ready, running

    app = importlib.import_module("services.meetings.app").create_app(
        settings_for("meetings", database_url, servers.nats_url)
    )
    async with running(app) as client:
        assert (await eventually_ready(client)).status_code == 200
        consumers = app.state.consumers
        nats_client = app.state.nats.client
        # The producers' streams, which their relays create when they first lead: a consumer
        # subscribes once its producer's stream exists (alone, with no other test's services
        # before it on this NATS server, this test waited for them in vain).
        for consumer in consumers:
            await ensure_stream(app.state.nats, consumer.producer)
        # Each consumer's pull inbox (`_INBOX.<prefix>.<nuid>`), which nats-py subscribes only
        # once the durable consumer exists. Counted apart from the client's request inboxes
        # (`_INBOX.<prefix>.<nuid>.*`), which are two after a reconnect: counting every
        # subscription, a loaded run went on with one consumer not subscribed yet, closed it
        # before its durable was made, and then found no durable.
        await eventually(
            lambda: [s for s in nats_client._subs.values() if not s.subject.endswith(".*")],
            until=lambda pull_inboxes: len(pull_inboxes) >= len(consumers),
            what="every consumer subscribed",
        )
        for consumer in consumers:
            await consumer.close()
        # What is left is the client's request inbox (`_INBOX.<prefix>.<nuid>.*`, once more
        # after a reconnect): no pull inbox (`_INBOX.<prefix>.<nuid>`) of any consumer.
        left = [sub.subject for sub in nats_client._subs.values()]
        assert left and all(s.endswith(".*") for s in left), f"pull inboxes still open: {left}"
        durables = {c.durable for c in consumers}
        js = nats_client.jetstream()
        for consumer in consumers:
            info = await js.consumer_info(stream_name(consumer.producer), consumer.durable)
            assert info.name in durables, "the durable consumer stays on the server"
