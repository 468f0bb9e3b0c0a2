"""What the documents service reads: a document folded from its stream (now, or as it stood),
and the read models (`projections`) as the caller's distribution lets it see them.

The distribution rule is applied in SQL (`Viewer.where`); the shaping of answers is left to the
HTTP layer (`schemas`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select

from services.documents.domain import (
    Document,
    DocumentNotFoundError,
    RevisionNotFoundError,
    fold_until_revision,
)
from services.documents.events import STREAM_TYPE, DocumentType, DraftCreated, Status
from services.documents.projections import amendments as amendments_table
from services.documents.projections import documents as documents_table
from services.documents.symbols import Series, parse_symbol
from shared.access import Viewer
from shared.eventstore import DomainEvent, PostgresEventStore
from shared.eventstore.schema import events as events_table

# ------------------------------------------------------------------- a document, from its log


@dataclass(frozen=True)
class Loaded:
    """A document as its stream holds it now: its version (the ETag) and its events, each with
    the instant it was recorded, to fold it as it stood."""

    document: Document
    version: int
    events: list[tuple[DomainEvent, datetime]]

    def as_of(self, instant: datetime) -> Document:
        """The document as it stood at `instant`; 404 if it did not exist yet."""
        document = Document.fold([(e, at) for e, at in self.events if at <= instant])
        if document is None:
            raise DocumentNotFoundError(self.document.stream_id)
        return document

    def while_latest(self, revision: int) -> Document:
        """The document as it stood while `revision` was its newest; 404 if it has no such
        revision yet."""
        if revision > self.document.latest.number:
            raise RevisionNotFoundError(self.document.stream_id, revision)
        document = fold_until_revision(self.events, revision)
        assert document is not None
        return document


async def load(store: PostgresEventStore, stream_id: str) -> Loaded:
    """The document in `stream_id`; 404 if there is none (nor for a stream that holds no
    document). Read as the commands read it (`read_committed`): only the events past those the
    store has decoded already are read and decoded."""
    stream = await store.read_committed(stream_id)
    if not stream.events or not isinstance(stream.events[0], DraftCreated):
        raise DocumentNotFoundError(stream_id)
    events = list(zip(stream.events, stream.recorded_at, strict=True))
    document = Document.fold(events)
    assert document is not None
    return Loaded(document, stream.version, events)


async def taken_in_series(store: PostgresEventStore, series: Series) -> list[str]:
    """The stream ids of the documents numbered in `series` so far."""
    query = select(events_table.c.stream_id).where(
        events_table.c.stream_type == STREAM_TYPE,
        events_table.c.version == 1,
        events_table.c.stream_id.startswith(f"{series}/", autoescape=True),
    )
    async with store.engine.connect() as connection:
        return list((await connection.execute(query)).scalars())


# ----------------------------------------------------------------------- the list of documents


def _readable(viewer: Viewer) -> Any:
    """The viewer's distribution rule on `documents_list`."""
    t = documents_table
    return viewer.where(t.c.distribution, t.c.distribution_states)


async def document_rows(
    store: PostgresEventStore,
    viewer: Viewer,
    *,
    status: Status | None,
    series: Series | None,
    document_type: DocumentType | None,
    q: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Row[Any]]]:
    """One page of the documents the viewer may read (rows of `documents_list`, by series and
    number) and how many there are in all."""
    t = documents_table
    query = select(t).where(_readable(viewer))
    if status is not None:
        query = query.where(t.c.status == status.value)
    if series is not None:
        query = query.where(t.c.series == str(series))
    if document_type is not None:
        query = query.where(t.c.document_type == document_type.value)
    if q:
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(t.c.title.ilike(f"%{pattern}%", escape="\\"))
    count = select(func.count()).select_from(query.subquery())
    async with store.engine.connect() as connection:
        total = (await connection.execute(count)).scalar_one()
        rows = (
            await connection.execute(
                query.order_by(t.c.series, t.c.number).limit(limit).offset(offset)
            )
        ).all()
    return total, rows


async def documents_as_of(
    store: PostgresEventStore,
    viewer: Viewer,
    as_of: datetime,
    *,
    status: Status | None,
    series: Series | None,
    document_type: DocumentType | None,
    q: str | None,
) -> list[Document]:
    """The documents as they stood at `as_of` (folded from the log), among those the viewer
    may read now, by series and number."""
    t = documents_table
    async with store.engine.connect() as connection:
        query = select(t.c.stream_id).where(_readable(viewer))
        visible = list((await connection.execute(query)).scalars())
    found: list[Document] = []
    for stream_id in visible:
        records = await store.read_stream_as_of(stream_id, as_of)
        document = Document.fold([(store.decode(r), r.recorded_at) for r in records])
        if document is None:
            continue
        if status is not None and document.status is not status:
            continue
        if series is not None and document.symbol.series != series:
            continue
        if document_type is not None and document.document_type is not document_type:
            continue
        title = document.latest.text.title.get(document.language, "")
        if q and q.lower() not in title.lower():
            continue
        found.append(document)
    found.sort(key=lambda d: (str(d.symbol.series), d.symbol.number))
    return found


async def supplement_rows(
    store: PostgresEventStore, viewer: Viewer, parent: str, *, as_of: datetime | None = None
) -> Sequence[Row[Any]]:
    """The addenda and corrigenda issued to the document `parent` (rows of `documents_list`)
    that the viewer may read, those made by `as_of` if given, by symbol."""
    t = documents_table
    query = select(t).where(t.c.parent == parent, _readable(viewer))
    if as_of is not None:
        query = query.where(t.c.created_at <= as_of)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()

    def numbered(row: Row[Any]) -> tuple[bool, int, int]:
        symbol = parse_symbol(row.stream_id)
        return symbol.corr is not None, symbol.add or 0, symbol.corr or 0

    return sorted(rows, key=numbered)


async def translation_rows(
    store: PostgresEventStore, viewer: Viewer, *, status: Status | None
) -> Sequence[Row[Any]]:
    """The documents the viewer may read (of `status`, if given), by series and number."""
    t = documents_table
    query = select(t).where(_readable(viewer))
    if status is not None:
        query = query.where(t.c.status == status.value)
    async with store.engine.connect() as connection:
        return (await connection.execute(query.order_by(t.c.series, t.c.number))).all()


# ---------------------------------------------------------------------------------- amendments


async def open_amendment_rows(
    store: PostgresEventStore, viewer: Viewer, stream_id: str
) -> Sequence[Row[Any]]:
    """The document's open amendments (rows of `documents_open_amendments`), oldest first,
    if the viewer may read the document."""
    t = amendments_table
    query = (
        select(t)
        .where(t.c.stream_id == stream_id)
        .where(viewer.where(t.c.distribution, t.c.distribution_states))
        .order_by(t.c.proposed_at, t.c.amendment_id)
    )
    async with store.engine.connect() as connection:
        return (await connection.execute(query)).all()
