"""Regression (found by the PostgreSQL restart fault test): while PostgreSQL was restarting,
each read model's runner spun at full speed (hundreds of failed reads a second per service on
a 2-core machine), and a batch that met the database away counted as a failing handler, its
retry delay doubling towards 30 s and its error shown at ``GET /projections``: after the
restart a read model could lag for tens of seconds. The database being away is now waited
for briefly (at most a second between tries) and is no handler's failure."""

from __future__ import annotations

import asyncpg.exceptions
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from shared.projections import Projection, ProjectionRunner, projection_metadata
from tests.faults.test_unavailable_errors import wrapped
from tests.polling import eventually
from tests.shared.member_list import StateApplied, code, state_history
from tests.shared.test_projections import notifier, store

__all__ = ["notifier", "store"]

outage_tables: MetaData = projection_metadata()
seen = Table(
    "test_outage_seen",
    outage_tables,
    Column("code", String, primary_key=True),
    Column("position", Integer, nullable=False),
)


async def test_a_batch_meeting_the_database_away_is_retried_soon_and_is_no_failure(
    store,  # type: ignore[no-untyped-def]
    notifier,  # type: ignore[no-untyped-def]
) -> None:
    outage = {"left": 8}  # a failing handler would wait 0.1 s doubling 8 times: 25 s
    projection = Projection("test_outage", version=1, tables=[seen])

    @projection.on(StateApplied)
    async def note(connection, record, event) -> None:  # type: ignore[no-untyped-def]
        if outage["left"] > 0:
            outage["left"] -= 1
            raise wrapped(asyncpg.exceptions.CannotConnectNowError("the database is starting up"))
        await connection.execute(insert(seen).values(code=event.code, position=record.position))

    async with store.engine.begin() as connection:
        await connection.run_sync(seen.create)
    runner = ProjectionRunner(store, [projection], notifier=notifier)
    await state_history(store, code(), renames=0)
    head = await store.head_position()
    runner.start()
    try:

        def outage_over() -> bool:
            assert runner.errors() == {}
            return outage["left"] == 0

        await eventually(outage_over)
        await runner.wait_for(head, within=15)
        assert runner.errors() == {}
    finally:
        await runner.stop()


async def test_reads_of_the_log_meeting_the_database_gone_are_waited_out(
    store,  # type: ignore[no-untyped-def]
    notifier,  # type: ignore[no-untyped-def]
) -> None:
    """Regression (the same fault test, after the log's reads went to the driver itself): a
    read of the log that met the connection lost raised asyncpg's own error, which the runner
    did not take for the database away: its task died, and the read models stopped where they
    were for good."""
    projection = Projection("test_outage_reads", version=1, tables=[seen])

    @projection.on(StateApplied)
    async def note(connection, record, event) -> None:  # type: ignore[no-untyped-def]
        await connection.execute(insert(seen).values(code=event.code, position=record.position))

    async with store.engine.begin() as connection:
        await connection.run_sync(seen.create)
    lost = {"left": 3}
    read_all = store.read_all

    async def read_all_meeting_the_outage(**arguments):  # type: ignore[no-untyped-def]
        if lost["left"] > 0:
            lost["left"] -= 1
            raise asyncpg.exceptions.ConnectionDoesNotExistError(
                "connection was closed in the middle of operation"
            )
        return await read_all(**arguments)

    store.read_all = read_all_meeting_the_outage
    runner = ProjectionRunner(store, [projection], notifier=notifier)
    await state_history(store, code(), renames=0)
    head = await store.head_position()
    runner.start()
    try:
        await runner.wait_for(head, within=15)
        assert lost["left"] == 0
        assert runner.errors() == {}
    finally:
        await runner.stop()
