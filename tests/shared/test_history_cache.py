"""The store's cache of decoded streams (`PostgresEventStore.read_decoded`, under
`shared.commands.read_history`), on the real PostgreSQL: a command reads only the events past
the ones it has decoded, and still gets exactly what a full read gives, whoever appended them;
it keeps nothing that was not committed, holds no more events than it is allowed, and finds out
when the log no longer holds what it kept."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.commands import History, decide_and_append, in_transaction, read_history, run_command
from shared.eventstore import DomainEvent, EventTypes
from shared.eventstore.postgres import PostgresEventStore, create_engine
from tests.database import as_superuser_without_triggers, opened_store

event_types = EventTypes()


@event_types.register("Counted")
class Counted(DomainEvent):
    number: int


class RefusedError(Exception):
    """The rules refused a command."""


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    async with opened_store(database_url, event_types) as store:
        yield store


@pytest.fixture
async def replica(database_url: str) -> AsyncIterator[PostgresEventStore]:
    """Another process's store on the same log."""
    async with opened_store(database_url, event_types) as store:
        yield store


def next_number(history: History) -> Counted:
    return Counted(number=len(history.events) + 1)


async def history(store: PostgresEventStore, stream_id: str) -> History:
    async with store.engine.connect() as connection:
        return await read_history(connection, store, stream_id)


async def full_read(store: PostgresEventStore, stream_id: str) -> History:
    """The stream as read and decoded whole, no cache involved."""
    records = await store.read_stream(stream_id)
    return History(
        stream_id=stream_id,
        version=records[-1].version if records else 0,
        events=[store.decode(r) for r in records],
        recorded_at=[r.recorded_at for r in records],
    )


async def count(store: PostgresEventStore, stream_id: str, n: int) -> None:
    for _ in range(n):
        await run_command(store, stream_id, "counter", next_number)


async def test_a_command_reads_another_replicas_appends_and_decodes_only_those(store, replica):
    stream_id = f"counter-{uuid.uuid4()}"
    await count(store, stream_id, 3)
    before = await history(store, stream_id)

    await count(replica, stream_id, 2)
    after = await history(store, stream_id)

    assert after == await full_read(store, stream_id)
    assert [e.number for e in after.events] == [1, 2, 3, 4, 5]
    assert after.version == 5
    assert all(a is b for a, b in zip(after.events, before.events, strict=False)), (
        "the first three were not decoded again"
    )
    assert store.history_cache.peek(stream_id).version == 5


async def test_the_callers_lists_are_their_own(store):
    stream_id = f"counter-{uuid.uuid4()}"
    await count(store, stream_id, 2)

    first = await history(store, stream_id)
    first.events.clear()
    first.recorded_at.clear()

    assert await history(store, stream_id) == await full_read(store, stream_id)


async def test_a_rolled_back_transaction_leaves_nothing_it_appended_in_the_cache(store):
    stream_id = f"counter-{uuid.uuid4()}"
    await count(store, stream_id, 1)
    seen_inside: list[int] = []

    def refuse(history: History) -> None:
        seen_inside.append(history.version)
        raise RefusedError

    async def twice(connection):  # type: ignore[no-untyped-def]
        await decide_and_append(connection, store, stream_id, "counter", next_number)
        # The second read sees the first append, not committed yet; then the rules refuse,
        # and the whole transaction rolls back.
        await decide_and_append(connection, store, stream_id, "counter", refuse)

    with pytest.raises(RefusedError):
        await in_transaction(store, twice, again=False)

    assert seen_inside == [2], "the command saw its own transaction's append"
    assert store.history_cache.peek(stream_id).version == 1
    assert await history(store, stream_id) == await full_read(store, stream_id)
    assert (await history(store, stream_id)).version == 1


async def test_a_refused_command_keeps_only_what_was_committed(store, replica):
    stream_id = f"counter-{uuid.uuid4()}"
    await count(replica, stream_id, 2)

    def refuse(history: History) -> None:
        raise RefusedError

    with pytest.raises(RefusedError):
        await run_command(store, stream_id, "counter", refuse)

    assert store.history_cache.peek(stream_id).version == 2
    assert await history(store, stream_id) == await full_read(store, stream_id)


async def test_the_cache_holds_no_more_events_than_it_is_allowed(database_url):
    engine = create_engine(database_url)
    small = PostgresEventStore(engine, event_types, history_cache_events=5)
    try:
        first, second, third, long = (f"counter-{uuid.uuid4()}" for _ in range(4))
        for stream_id in (first, second, third):
            await count(small, stream_id, 2)
        await count(small, long, 6)
        for stream_id in (first, second):
            await history(small, stream_id)
        await history(small, first)  # read last: the second is now the least recently read
        await history(small, third)

        assert small.history_cache.events_held <= 5
        assert (first in small.history_cache, second in small.history_cache) == (True, False)
        assert third in small.history_cache
        assert long not in small.history_cache, "longer than the whole cache"
        assert await history(small, long) == await full_read(small, long)
    finally:
        await small.close()
        await engine.dispose()


async def test_the_cache_holds_no_more_stored_data_than_it_is_allowed(database_url):
    """However few their events, the streams kept hold no more characters of stored JSON than
    the bound: one large revision can weigh what thousands of small events do."""
    engine = create_engine(database_url)
    each = len('{"number": 1}')  # a Counted event as JSONB writes it (numbers below 10)
    small = PostgresEventStore(engine, event_types, history_cache_characters=3 * each)
    try:
        first, second, long = (f"counter-{uuid.uuid4()}" for _ in range(3))
        await count(small, first, 2)
        await count(small, second, 1)
        await count(small, long, 4)
        for stream_id in (first, second, long):
            await history(small, stream_id)

        assert small.history_cache.characters_held == 3 * each
        assert (first in small.history_cache, second in small.history_cache) == (True, True)
        assert long not in small.history_cache, "more stored data than the whole cache"
        await count(small, second, 1)
        await history(small, second)  # read at 2 events: the first, read longest ago, goes
        assert (first in small.history_cache, second in small.history_cache) == (False, True)
        assert small.history_cache.characters_held == 2 * each
        assert await history(small, long) == await full_read(small, long)
    finally:
        await small.close()
        await engine.dispose()


async def test_a_log_emptied_and_written_again_is_read_whole(store, replica, database_url):
    shorter, same_length = f"counter-{uuid.uuid4()}", f"counter-{uuid.uuid4()}"
    await count(store, shorter, 3)
    await count(store, same_length, 3)
    assert (await history(store, shorter)).version == 3

    # A database restored from an older backup, or a test emptying the log: the log no longer
    # holds what the cache kept, and other events take the same versions.
    await as_superuser_without_triggers(database_url, "TRUNCATE events")
    await count(replica, shorter, 2)
    for number in (7, 8, 9):
        await replica.append(
            same_length, [Counted(number=number)], stream_type="counter", expected_version=None
        )

    after_shorter = await history(store, shorter)
    after_same = await history(store, same_length)

    assert after_shorter == await full_read(store, shorter)
    assert after_shorter.version == 2
    assert after_same == await full_read(store, same_length)
    assert [e.number for e in after_same.events] == [7, 8, 9]


async def test_load_gives_the_stream_as_committed(store, replica):
    stream_id = f"counter-{uuid.uuid4()}"
    await count(store, stream_id, 2)
    await store.load(stream_id)
    await count(replica, stream_id, 1)

    events, version = await store.load(stream_id)

    assert ([e.number for e in events], version) == ([1, 2, 3], 3)
