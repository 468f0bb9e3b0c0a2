"""What the tests read straight from a service's database, beside its API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from shared.eventstore import EventTypes, PostgresEventStore, create_engine


@asynccontextmanager
async def opened_store(
    database_url: str, event_types: EventTypes
) -> AsyncIterator[PostgresEventStore]:
    """An event store of its own engine on `database_url`, closed with its engine after."""
    engine = create_engine(database_url)
    store = PostgresEventStore(engine, event_types)
    try:
        yield store
    finally:
        await store.close()
        await engine.dispose()


async def events_in(database_url: str) -> list[asyncpg.Record]:
    """Every row of the event log, in order."""
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch("SELECT * FROM events ORDER BY position")
    finally:
        await connection.close()


async def as_superuser_without_triggers(database_url: str, *statements: str) -> None:
    """Run `statements` in one transaction as a database superuser can, the log's append-only
    triggers off (``session_replication_role = replica``): what tampering with the log takes."""
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            for statement in statements:
                await connection.execute(statement)
    finally:
        await connection.close()


async def schema_differences(database_url: str, declared: MetaData) -> list[Any]:
    """What alembic's autogenerate finds between the migrated database and the `declared`
    tables (each difference as it reports them: ``("add_table", table)``, ...)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), declared)
            )
    finally:
        await engine.dispose()
