"""Each service's migration creates exactly the tables its projections declare: the registry's,
the documents', the meetings', the notifications' and the notifications' delivery side's."""

from __future__ import annotations

import pytest

from services.documents import projections as documents
from services.meetings import projections as meetings
from services.notifications import delivery_projections as delivery
from services.notifications import projections as notifications
from services.registry import projections as registry
from tests.database import schema_differences

# Each read model's projections and the metadata of their tables.
READ_MODELS = {
    "registry": (registry.projections, registry.tables),
    "documents": (documents.PROJECTIONS, documents.tables),
    "meetings": (meetings.projections, meetings.tables),
    "notifications": (notifications.projections, notifications.tables),
    "delivery": (delivery.projections, delivery.tables),
}


@pytest.mark.parametrize(("projections", "tables"), READ_MODELS.values(), ids=READ_MODELS.keys())
async def test_the_migrated_tables_are_the_projections_tables(projections, tables, database_url):
    differences = await schema_differences(database_url, tables)

    ours = {t.name for p in projections for t in p.tables}
    assert ours == set(tables.tables)
    # The other read models' tables (in the tests' shared template) show as removals.
    relevant = [
        d
        for d in differences
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name not in ours)
        and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].table.name not in ours)
    ]
    assert relevant == []
