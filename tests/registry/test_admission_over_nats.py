"""End to end on the test session's NATS: a meetings service's log and its relay publish the
SOC's recommendation and the Summit's adoption on `CICA_MEETINGS` (every message twice, under
distinct message ids, so JetStream's deduplication cannot hide the repeat), and the registry
app's own consumer follows them: exactly one `MemberAdmitted`."""

from __future__ import annotations

import pytest

from shared.eventstore.follow import LogNotifier
from shared.messaging import NatsConnection
from tests.polling import eventually
from tests.registry.support import (
    Meetings,
    decision,
    kuwait_applies,
    members,
    register_known_members,
    registry,
    soc_recommends_kuwait,
    summit_admits,
)
from tests.shared.transport import TwiceRelay, delete_streams


@pytest.fixture
async def fresh_meetings_stream(servers):
    """The producer's name is fixed ("meetings"), so its stream is shared by the session: the
    test starts from none (and no durable consumer of it), and leaves none behind for others."""
    await delete_streams(servers.nats_url, "meetings")
    yield
    await delete_streams(servers.nats_url, "meetings")


async def test_the_summits_adoption_over_nats_admits_kuwait_once(
    fresh_meetings_stream, database_url, servers, new_database
):
    meetings = await Meetings.make(new_database)
    connection = NatsConnection([servers.nats_url], name="meetings-relay-test")
    await connection.start()
    notifier = LogNotifier(meetings.store.engine)
    notifier.start()
    relay = TwiceRelay(service="meetings", store=meetings.store, nats=connection,
                       notifier=notifier, poll_interval=0.2)
    relay.start()
    try:
        async with registry(database_url, servers.nats_url) as (app, client):
            await register_known_members(client)
            await kuwait_applies(client)
            await meetings.record(
                soc_recommends_kuwait(),
                summit_admits(),
                decision("SUMMIT", "noted", "2022-10-13",
                         {"kind": "document", "symbol": "SUM/2022/DRAFT/5"},
                         session="SUM/2022"),
            )
            consumer = app.state.consumers[0]

            async def all_three_handled() -> bool:
                return await consumer.tracked_position() == 3

            await eventually(all_three_handled)
            # One more decision, published after every repeat of the first three: once it is
            # handled, so are the repeats before it on the stream.
            await meetings.record(
                decision("SUMMIT", "noted", "2022-10-13",
                         {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
                         session="SUM/2022"),
            )

            async def the_fourth_handled() -> bool:
                return await consumer.tracked_position() == 4

            await eventually(the_fourth_handled)
            records = await app.state.store.read_all(after=0)
            listed = await members(client, effective="2022-10-12")
    finally:
        await relay.close()
        await notifier.close()
        await connection.close()
        await meetings.close()

    admitted = [r for r in records if r.event_type == "MemberAdmitted"]
    assert len(admitted) == 1, "published twice, applied once"
    assert admitted[0].stream_id == "state-KWT"
    assert len([r for r in records if r.event_type == "AdmissionRecommended"]) == 1
    assert len(listed) == 28 and "KWT" in listed
