"""The delivery side's migration creates exactly the tables its projection declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.notifications.delivery_projections import projections, tables
from shared.eventstore import create_engine


async def test_the_migrated_delivery_tables_are_the_projections_tables(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), tables)
            )
    finally:
        await engine.dispose()

    ours = {t.name for p in projections for t in p.tables}
    assert ours == set(tables.tables)
    # Every other table of the tests' shared template shows as a removal.
    relevant = [
        d
        for d in differences
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name not in ours)
        and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].table.name not in ours)
    ]
    assert relevant == []
