"""The documents service's composition root."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.documents.api import ROUTERS
from services.documents.events import event_types
from services.documents.projections import PROJECTIONS, documents
from services.documents.reactions import reactions
from services.documents.settings import DocumentsSettings
from shared.access import Distribution
from shared.app import create_service_app
from shared.eventstore import RecordedEvent

DESCRIPTION = """Drafts, their revisions, language versions, amendments, status and distribution,
and the texts that accompany them (an explanatory note, with no symbol of its own), as events.
A document is addressed by its symbol: `/documents/SUM/2022/DRAFT/1`, and
`/documents/SUM/2022/DRAFT/1/Rev.3` for its third revision."""


async def document_distributions(
    engine: AsyncEngine, records: Sequence[RecordedEvent]
) -> Mapping[str, Distribution]:
    """The feed's rule: a document's events are read by those who may read the document now."""
    ids = {record.stream_id for record in records if record.stream_type == "document"}
    if not ids:
        return {}
    t = documents
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(t.c.stream_id, t.c.distribution, t.c.distribution_states).where(
                t.c.stream_id.in_(ids)
            )
        )
        return {
            row.stream_id: Distribution.of_row(row.distribution, row.distribution_states)
            for row in rows
        }


def create_app(settings: DocumentsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or DocumentsSettings(),
        event_types=event_types,
        routers=ROUTERS,
        reactions=reactions,
        projections=PROJECTIONS,
        description=DESCRIPTION,
        asyncapi=Path(__file__).with_name("asyncapi.json"),
        stream_distributions=document_distributions,
    )
