"""Read models of the documents service, folded from its own log and rebuildable from it.

- `document_list`: one row per document (its newest revision and that revision's status, its
  languages, those of them in an unofficial translation only, open blanks, distribution, and
  for an addendum or a corrigendum its parent), what `GET /documents` pages through and a
  document's read lists its addenda and corrigenda from, filtered by the caller's distribution
  in SQL;
- `open_amendments`: the amendments still open, per document, with the document's
  distribution alongside (its own copy, so the projection replays from the log alone). A new
  revision settles every one open (incorporated, declined or superseded), an adoption closes
  those left.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.documents.domain import open_points
from services.documents.events import (
    STREAM_TYPE,
    AmendmentDeclined,
    AmendmentProposed,
    AmendmentWithdrawn,
    CompanionRecorded,
    DistributionChanged,
    DocumentCirculated,
    DocumentStatusChanged,
    DraftCreated,
    DraftRevised,
    Status,
    TranslationAdded,
)
from services.documents.symbols import parse_symbol
from shared.access import distribution_columns
from shared.eventstore import RecordedEvent
from shared.projections import Projection, projection_metadata

tables = projection_metadata()

documents = Table(
    "documents_list",
    tables,
    Column("stream_id", Text, primary_key=True),
    Column("symbol", Text, nullable=False),
    Column("series", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("document_type", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("revision_languages", ARRAY(Text), nullable=False),
    Column("unofficial_languages", ARRAY(Text), nullable=False, server_default="{}"),
    Column("status", Text, nullable=False),
    Column("status_body", Text),
    Column("open_points", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("parent", Text, index=True),
    *distribution_columns(),
)

amendments = Table(
    "documents_open_amendments",
    tables,
    Column("amendment_id", Text, primary_key=True),
    Column("stream_id", Text, nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("paragraph_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("new_paragraph_id", Text),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    *distribution_columns(),
)

amendment_documents = Table(
    "documents_amendment_distributions",
    tables,
    Column("stream_id", Text, primary_key=True),
    *distribution_columns(),
)

document_list = Projection(
    "document_list",
    version=3,
    tables=[documents],
    description="Every document: its newest revision, that revision's status, its languages "
    "(official or not), distribution, and the parent of an addendum or a corrigendum.",
)
open_amendments = Projection(
    "open_amendments",
    version=2,
    tables=[amendments, amendment_documents],
    description="The amendments still open, per document.",
)


def _mine(record: RecordedEvent) -> bool:
    return record.stream_type == STREAM_TYPE


async def _touch(connection: AsyncConnection, record: RecordedEvent, **values: object) -> None:
    await connection.execute(
        update(documents)
        .where(documents.c.stream_id == record.stream_id)
        .values(version=record.version, updated_at=record.recorded_at, **values)
    )


@document_list.on(DraftCreated)
async def when_draft_created_list_it(
    connection: AsyncConnection, record: RecordedEvent, event: DraftCreated
) -> None:
    if not _mine(record):
        return
    symbol = parse_symbol(event.symbol)
    await connection.execute(
        insert(documents).values(
            stream_id=record.stream_id,
            symbol=str(symbol.with_revision(event.revision)),
            series=str(symbol.series),
            number=symbol.number,
            document_type=event.document_type.value,
            language=event.language,
            title=event.text.title[event.language],
            revision=event.revision,
            revision_languages=sorted(event.text.title),
            unofficial_languages=[],
            status=Status.DRAFT.value,
            status_body=None,
            open_points=len(open_points(event.text, event.language)),
            version=record.version,
            created_at=record.recorded_at,
            updated_at=record.recorded_at,
            parent=event.parent,
            **event.distribution.as_row(),
        )
    )


# The row's title and open blanks are in the document's own language, which the row holds: the
# statement picks them from the revision's, given for each language of its text, so that a
# revision is one round trip (reading the language first made it two). Built once: building
# it for every event cost more than running it (profiled under the HTTP benchmark).
_REVISED = (
    update(documents)
    .where(documents.c.stream_id == bindparam("b_stream_id"))
    .values(
        version=bindparam("b_version"),
        updated_at=bindparam("b_recorded_at"),
        symbol=bindparam("b_symbol"),
        title=func.coalesce(bindparam("b_titles", type_=JSONB)[documents.c.language].astext, ""),
        revision=bindparam("b_revision"),
        revision_languages=bindparam("b_languages", type_=ARRAY(Text)),
        unofficial_languages=bindparam("b_unofficial", type_=ARRAY(Text)),
        open_points=func.coalesce(
            cast(bindparam("b_points", type_=JSONB)[documents.c.language].astext, Integer), 0
        ),
        status=bindparam("b_status"),
        status_body=None,
    )
)


@document_list.on(DraftRevised)
async def when_draft_revised_show_the_new_revision(
    connection: AsyncConnection, record: RecordedEvent, event: DraftRevised
) -> None:
    if not _mine(record):
        return
    titles = event.text.title
    await connection.execute(
        _REVISED,
        {
            "b_stream_id": record.stream_id,
            "b_version": record.version,
            "b_recorded_at": record.recorded_at,
            "b_symbol": event.symbol,
            "b_titles": dict(titles),
            "b_revision": event.revision,
            "b_languages": sorted(titles),
            "b_unofficial": [],
            "b_points": {lang: len(open_points(event.text, lang)) for lang in titles},
            "b_status": Status.DRAFT.value,  # the new text is the body's to consider afresh
        },
    )


@document_list.on(TranslationAdded)
async def when_translation_added_count_its_language(
    connection: AsyncConnection, record: RecordedEvent, event: TranslationAdded
) -> None:
    if not _mine(record):
        return
    row = (
        await connection.execute(
            select(
                documents.c.revision, documents.c.revision_languages,
                documents.c.unofficial_languages,
            ).where(documents.c.stream_id == record.stream_id)
        )
    ).one()
    languages, unofficial = set(row.revision_languages), set(row.unofficial_languages)
    if event.revision == row.revision:
        languages.add(event.language)
        if event.official:
            unofficial.discard(event.language)
        else:
            unofficial.add(event.language)
    await _touch(connection, record, revision_languages=sorted(languages),
                 unofficial_languages=sorted(unofficial))


@document_list.on(DocumentStatusChanged)
async def when_status_changed_show_it(
    connection: AsyncConnection, record: RecordedEvent, event: DocumentStatusChanged
) -> None:
    if not _mine(record):
        return
    revision = (
        await connection.execute(
            select(documents.c.revision).where(documents.c.stream_id == record.stream_id)
        )
    ).scalar_one()
    if event.revision != revision:  # a decision on a superseded revision stays with it
        await _touch(connection, record)
        return
    await _touch(connection, record, status=event.status.value, status_body=event.body)


@document_list.on(DistributionChanged)
async def when_distribution_changed_show_it(
    connection: AsyncConnection, record: RecordedEvent, event: DistributionChanged
) -> None:
    if not _mine(record):
        return
    await _touch(connection, record, **event.distribution.as_row())


@document_list.on(
    AmendmentProposed, AmendmentWithdrawn, AmendmentDeclined, DocumentCirculated,
    CompanionRecorded,
)
async def when_amended_circulated_or_accompanied_note_the_version(
    connection: AsyncConnection, record: RecordedEvent, event: object
) -> None:
    if not _mine(record):
        return
    await _touch(connection, record)


# ----------------------------------------------------------------------- open amendments


@open_amendments.on(DraftCreated)
async def when_draft_created_note_its_distribution(
    connection: AsyncConnection, record: RecordedEvent, event: DraftCreated
) -> None:
    if not _mine(record):
        return
    await connection.execute(
        insert(amendment_documents).values(
            stream_id=record.stream_id, **event.distribution.as_row()
        )
    )


@open_amendments.on(DistributionChanged)
async def when_distribution_changed_follow_it(
    connection: AsyncConnection, record: RecordedEvent, event: DistributionChanged
) -> None:
    if not _mine(record):
        return
    for table in (amendment_documents, amendments):
        await connection.execute(
            update(table)
            .where(table.c.stream_id == record.stream_id)
            .values(**event.distribution.as_row())
        )


@open_amendments.on(AmendmentProposed)
async def when_amendment_proposed_list_it(
    connection: AsyncConnection, record: RecordedEvent, event: AmendmentProposed
) -> None:
    if not _mine(record):
        return
    distribution = (
        await connection.execute(
            select(
                amendment_documents.c.distribution, amendment_documents.c.distribution_states
            ).where(amendment_documents.c.stream_id == record.stream_id)
        )
    ).one()
    await connection.execute(
        insert(amendments).values(
            amendment_id=str(event.amendment_id),
            stream_id=record.stream_id,
            revision=event.revision,
            paragraph_id=event.paragraph_id,
            action=event.action.value,
            state=event.state,
            language=event.language,
            text=event.text,
            new_paragraph_id=event.new_paragraph_id,
            proposed_at=record.recorded_at,
            distribution=distribution.distribution,
            distribution_states=list(distribution.distribution_states),
        )
    )


@open_amendments.on(AmendmentWithdrawn, AmendmentDeclined)
async def when_amendment_closed_drop_it(
    connection: AsyncConnection,
    record: RecordedEvent,
    event: AmendmentWithdrawn | AmendmentDeclined,
) -> None:
    if not _mine(record):
        return
    await connection.execute(
        delete(amendments).where(amendments.c.amendment_id == str(event.amendment_id))
    )


@open_amendments.on(DraftRevised)
async def when_a_revision_settles_amendments_drop_them(
    connection: AsyncConnection, record: RecordedEvent, event: DraftRevised
) -> None:
    settled = [*event.incorporates, *event.declines, *event.supersedes_amendments]
    if not _mine(record) or not settled:
        return
    await connection.execute(
        delete(amendments).where(amendments.c.amendment_id.in_([str(i) for i in settled]))
    )


@open_amendments.on(DocumentStatusChanged)
async def when_the_document_is_adopted_drop_the_amendments_left(
    connection: AsyncConnection, record: RecordedEvent, event: DocumentStatusChanged
) -> None:
    if not _mine(record) or event.status is not Status.ADOPTED:
        return
    await connection.execute(delete(amendments).where(amendments.c.stream_id == record.stream_id))


PROJECTIONS = (document_list, open_amendments)
