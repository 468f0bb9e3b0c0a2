"""Projections on the real PostgreSQL the test session starts: a live runner and a replay from
position 0 agree to the byte (by digest), a version bump rebuilds on start, rows and checkpoint
commit together, replicas never apply an event twice, and a failing projection holds up no
other. (`GET /projections` is tested with the app, in test_introspection.py.)"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, Table, insert, select, update

from shared.eventstore import (
    PostgresEventStore,
    create_engine,
)
from shared.eventstore.follow import LogNotifier
from shared.projections import (
    Projection,
    ProjectionError,
    ProjectionRunner,
    apply_batch,
    catch_up,
    projection_metadata,
    projection_state,
    read_checkpoint,
    rebuild,
    replay_digest,
)
from tests.shared.member_list import (
    StateApplied,
    Switches,
    Unrelated,
    code,
    event_types,
    member_list,
    member_list_batched,
    rows,
    state_history,
    states,
    tables,
    tallies,
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    store = PostgresEventStore(engine, event_types)
    yield store
    await store.close()
    await engine.dispose()


@pytest.fixture
async def notifier(store: PostgresEventStore) -> AsyncIterator[LogNotifier]:
    notifier = LogNotifier(store.engine)
    notifier.start()
    yield notifier
    await notifier.close()


# ------------------------------------------------------------------------------ live = replay


async def test_a_live_projection_has_the_digest_of_its_replay_from_position_zero(store, notifier):
    projection = member_list()
    runner = ProjectionRunner(store, [projection], notifier=notifier, batch_size=37)
    runner.start()
    try:
        # Many writers at once while the runner follows: batches of every size, interleaved.
        codes = [code() for _ in range(60)]
        await asyncio.gather(
            *(state_history(store, c, renames=random.randint(0, 12)) for c in codes)
        )
        head = await runner.wait_until_caught_up(within=30)
    finally:
        await runner.stop()

    live = await projection_state(store.engine, projection)
    replayed = await replay_digest(store, member_list(), until=head)
    report = await rebuild(store, member_list())

    assert live.position == head
    assert len(await rows(store.engine, states)) == 60
    tally = dict(await rows(store.engine, tallies))
    assert tally["StateApplied"] == 60 and tally["StateAdmitted"] == 60
    assert "Unrelated" not in tally, "events without a handler are skipped"
    assert replayed == live.digest, "a replay into scratch tables gives the live state"
    assert report.digest_before == live.digest
    assert report.digest_after == live.digest, "a rebuild in place gives the same state"
    assert report.position_after == head
    assert report.events == head


async def test_a_batch_handler_gives_the_rows_of_the_per_event_handlers(store, notifier):
    runner = ProjectionRunner(store, [member_list_batched()], notifier=notifier, batch_size=23)
    runner.start()
    try:
        await asyncio.gather(
            *(state_history(store, code(), renames=random.randint(0, 9)) for _ in range(40))
        )
        head = await runner.wait_until_caught_up(within=30)
    finally:
        await runner.stop()
    live = await projection_state(store.engine, member_list_batched())

    assert live.position == head
    assert live.digest == await replay_digest(store, member_list(), until=head)
    assert dict(await rows(store.engine, tallies))["StateApplied"] == 40


def test_a_projection_has_per_event_handlers_or_one_batch_handler():
    projection = member_list_batched()
    with pytest.raises(ValueError, match="batch handler"):
        projection.on(Unrelated)(lambda *_: None)
    with pytest.raises(ValueError, match="one batch handler"):
        member_list().on_batch(Unrelated)(lambda *_: None)


async def test_the_digest_changes_with_any_row_and_not_with_insert_order(store):
    first, second = member_list(), member_list()
    a, b = code(), code()
    await state_history(store, a, renames=1)
    await state_history(store, b, renames=2)
    await catch_up(store, [first])
    before = (await projection_state(store.engine, first)).digest
    async with store.engine.begin() as connection:
        await connection.execute(update(states).where(states.c.code == a).values(renames=7))
    edited = (await projection_state(store.engine, first)).digest
    async with store.engine.begin() as connection:
        await connection.execute(update(states).where(states.c.code == a).values(renames=1))
        # The same rows, written in the other order: same digest.
        saved = [r._asdict() for r in await connection.execute(select(states))]
        await connection.execute(states.delete())
        await connection.execute(insert(states), list(reversed(saved)))
    restored = (await projection_state(store.engine, second)).digest

    assert edited != before
    assert restored == before


# ----------------------------------------------------------------------------- versions


async def test_a_version_bump_rebuilds_the_projection_on_start(store, notifier):
    codes = [code() for _ in range(5)]
    for c in codes:
        await state_history(store, c, renames=2)
    first = ProjectionRunner(store, [member_list(version=1)], notifier=notifier)
    first.start()
    head = await first.wait_until_caught_up()
    await first.stop()

    # New code, same version: nothing is rebuilt, the old rows stay as they were.
    same_version = ProjectionRunner(
        store, [member_list(version=1, switches=Switches(upper_names=True))], notifier=notifier
    )
    same_version.start()
    await same_version.wait_for(head)
    await same_version.stop()
    names_kept = {r[1] for r in await rows(store.engine, states)}

    # New code and a new version: rebuilt from position 0 on start.
    bumped = member_list(version=2, switches=Switches(upper_names=True))
    second = ProjectionRunner(store, [bumped], notifier=notifier)
    second.start()
    await second.wait_for(head)
    await second.stop()

    async with store.engine.connect() as connection:
        checkpoint = await read_checkpoint(connection, "test_member_list")
    assert all(not n.isupper() for n in names_kept)
    assert {r[1] for r in await rows(store.engine, states)} == {
        f"State {c} (1)".upper() for c in codes
    }
    tally = dict(await rows(store.engine, tallies))
    assert tally == {"StateApplied": 5, "StateRenamed": 10, "StateAdmitted": 5}, (
        "the old rows were deleted before the replay"
    )
    assert checkpoint is not None
    assert (checkpoint.version, checkpoint.position) == (2, head)


async def test_an_older_process_stops_writing_into_a_projection_rebuilt_under_a_newer_version(
    store,
):
    await state_history(store, code(), renames=1)
    await catch_up(store, [member_list(version=2)])
    old = member_list(version=1)
    records = await store.read_all(after=0)

    with pytest.raises(ProjectionError, match="stored at version 2"):
        await apply_batch(store.engine, old, records, store.decode)


# ------------------------------------------------------------------------- transactions


async def test_a_handler_failing_mid_batch_leaves_neither_rows_nor_checkpoint(store):
    good, bad = code(), code()
    await state_history(store, good, renames=0)
    await state_history(store, bad, renames=0)
    projection = member_list(switches=Switches(fail_on_code=bad))
    records = await store.read_all(after=0)
    assert [r.event_type for r in records][:4] == [
        "StateApplied",
        "StateAdmitted",
        "Unrelated",
        "StateApplied",
    ]

    with pytest.raises(RuntimeError, match=f"cannot project {bad}"):
        await apply_batch(store.engine, projection, records, store.decode)

    async with store.engine.connect() as connection:
        checkpoint = await read_checkpoint(connection, projection.name)
    assert await rows(store.engine, states) == [], "the good state's rows rolled back too"
    assert await rows(store.engine, tallies) == []
    assert checkpoint is None or checkpoint.position == 0


async def test_a_failing_projection_holds_up_no_other_and_catches_up_once_fixed(store, notifier):
    bad = code()
    switches = Switches(fail_on_code=bad)
    failing = member_list(switches=switches)
    other_states = Table(
        "test_other_states",
        tables,
        *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in states.c),
    )
    healthy = Projection("test_healthy", version=1, tables=[other_states])

    @healthy.on(StateApplied)
    async def copy_state(connection, record, event) -> None:
        await connection.execute(
            insert(other_states).values(
                code=event.code, name=event.name, renames=0, last_position=record.position
            )
        )

    async with store.engine.begin() as connection:
        await connection.run_sync(other_states.create)
    runner = ProjectionRunner(
        store, [failing, healthy], notifier=notifier, retry_delay=0.05, max_retry_delay=0.2
    )
    runner.start()
    try:
        await state_history(store, code(), renames=0)
        await state_history(store, bad, renames=0)
        await state_history(store, code(), renames=0)
        head = await store.head_position()
        with pytest.raises(TimeoutError, match=rf"test_member_list at \d+ .*cannot project {bad}"):
            await runner.wait_for(head, within=1.0)
        assert runner.positions()["test_member_list"] < 4, "it stopped before the bad event"
        assert runner.positions()["test_healthy"] == head
        assert len(await rows(store.engine, other_states)) == 3

        switches.fail_on_code = None  # the fix is deployed
        await runner.wait_for(head, within=10)
        assert runner.errors() == {}
    finally:
        await runner.stop()
    tally = dict(await rows(store.engine, tallies))
    assert tally["StateApplied"] == 3, "the failed attempts left nothing behind"
    assert len(await rows(store.engine, states)) == 3


async def test_two_replicas_running_the_same_projection_apply_each_event_once(store, database_url):
    other_engine = create_engine(database_url, pool_size=5)
    other_store = PostgresEventStore(other_engine, event_types)
    notifiers = [LogNotifier(store.engine), LogNotifier(other_engine)]
    for n in notifiers:
        n.start()
    runners = [
        ProjectionRunner(s, [member_list()], notifier=n, batch_size=7)
        for s, n in zip((store, other_store), notifiers, strict=True)
    ]
    for runner in runners:
        runner.start()
    try:
        codes = [code() for _ in range(30)]
        await asyncio.gather(*(state_history(store, c, renames=3) for c in codes))
        head = await store.head_position()
        for runner in runners:
            await runner.wait_for(head, within=30)
    finally:
        for runner in runners:
            await runner.stop()
        for n in notifiers:
            await n.close()
        await other_store.close()
        await other_engine.dispose()

    tally = dict(await rows(store.engine, tallies))
    assert tally == {"StateApplied": 30, "StateRenamed": 90, "StateAdmitted": 30}


async def test_stopping_finishes_the_batch_in_hand_and_the_next_start_goes_on_from_there(
    store, notifier
):
    for _ in range(20):
        await state_history(store, code(), renames=4)  # 7 events each
    head = await store.head_position()
    switches = Switches(pause_at=15)  # in the second batch of 10
    runner = ProjectionRunner(
        store, [member_list(switches=switches)], notifier=notifier, batch_size=10
    )
    runner.start()
    await switches.entered.wait()
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0)  # stop() has asked the runner to stop, and waits for it
    assert not stopping.done(), "stop waits for the batch in hand"
    switches.release.set()
    await stopping

    async with store.engine.connect() as connection:
        checkpoint = await read_checkpoint(connection, "test_member_list")
    tally = dict(await rows(store.engine, tallies))
    assert checkpoint is not None
    assert checkpoint.position == 20, "the batch in hand was committed, and no other begun"
    assert sum(tally.values()) == 20 - 20 // 7, "each event up to 20 but the Unrelated ones"

    again = ProjectionRunner(store, [member_list()], notifier=notifier)
    again.start()
    await again.wait_for(head, within=30)
    await again.stop()
    tally = dict(await rows(store.engine, tallies))
    assert tally == {"StateApplied": 20, "StateRenamed": 80, "StateAdmitted": 20}


def test_projection_tables_need_a_primary_key_for_the_digest_order():
    keyless = Table("test_keyless", projection_metadata(), Column("n", Integer))
    with pytest.raises(ValueError, match="primary key"):
        Projection("test_keyless", version=1, tables=[keyless])
