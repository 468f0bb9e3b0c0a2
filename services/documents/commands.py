"""One async function per use case: load the document's stream, decide, append."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select

from services.documents import domain
from services.documents.domain import Document, DocumentNotFoundError
from services.documents.events import (
    STREAM_TYPE,
    AmendmentAction,
    DocumentText,
    DocumentType,
    Status,
)
from services.documents.symbols import Series, Symbol, next_number
from shared.access import Distribution
from shared.eventstore import NO_STREAM, ConcurrencyError, DomainEvent, PostgresEventStore
from shared.eventstore.schema import events as events_table

MAX_ALLOCATION_ATTEMPTS = 10
MAX_RETRIES = 5


@dataclass(frozen=True)
class Loaded:
    document: Document
    version: int
    events: list[tuple[DomainEvent, datetime]]


async def load(
    store: PostgresEventStore, stream_id: str, *, as_of: datetime | None = None
) -> Loaded:
    """The document in `stream_id` (as it stood at `as_of`, if given); 404 if there is none."""
    if as_of is None:
        records = await store.read_stream(stream_id)
    else:
        records = await store.read_stream_as_of(stream_id, as_of)
    records = [r for r in records if r.stream_type == STREAM_TYPE]
    events = [(store.decode(r), r.recorded_at) for r in records]
    document = Document.fold(events)
    if document is None:
        raise DocumentNotFoundError(stream_id)
    return Loaded(document, records[-1].version, events)


async def _decide_and_append(
    store: PostgresEventStore,
    stream_id: str,
    decide: Callable[[Document], DomainEvent | None],
    *,
    expected_version: int | None = None,
) -> tuple[Document, int]:
    """Load, check the client's expected version (a stale one appends nothing), decide,
    append expecting the version decided on. Returns the document after and its version.

    A client that stated no version (no If-Match) gets its command decided again on the newer
    state when another write got in between (two states proposing amendments at once), a few
    times; one that stated a version gets the conflict."""
    attempts = 1 if expected_version is not None else MAX_RETRIES
    for attempt in range(1, attempts + 1):
        loaded = await load(store, stream_id)
        if expected_version is not None and expected_version != loaded.version:
            raise ConcurrencyError(stream_id, expected_version, loaded.version)
        event = decide(loaded.document)
        if event is None:
            return loaded.document, loaded.version
        try:
            result = await store.append(
                stream_id, [event], stream_type=STREAM_TYPE, expected_version=loaded.version
            )
        except ConcurrencyError:
            if attempt == attempts:
                raise
            continue
        loaded.document.apply(event)
        return loaded.document, result.version
    raise AssertionError("unreachable")


async def taken_in_series(store: PostgresEventStore, series: Series) -> list[str]:
    prefix = f"{series}/"
    query = select(events_table.c.stream_id).where(
        events_table.c.stream_type == STREAM_TYPE,
        events_table.c.version == 1,
        events_table.c.stream_id.startswith(prefix, autoescape=True),
    )
    async with store.engine.connect() as connection:
        return list((await connection.execute(query)).scalars())


async def create_draft(
    store: PostgresEventStore,
    *,
    series: Series,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
) -> tuple[Document, int]:
    """Create a draft with the next number of its series (allocated here: a concurrent
    creation that takes the same number makes this one try the next)."""
    for _ in range(MAX_ALLOCATION_ATTEMPTS):
        number = next_number(series, await taken_in_series(store, series))
        symbol = series.symbol(number)
        event = domain.create_draft(
            symbol=symbol,
            document_type=document_type,
            language=language,
            text=text,
            distribution=distribution,
        )
        try:
            result = await store.append(
                str(symbol), [event], stream_type=STREAM_TYPE, expected_version=NO_STREAM
            )
        except ConcurrencyError:
            continue
        document = Document.fold([event])
        assert document is not None
        return document, result.version
    raise RuntimeError(f"could not allocate a number in {series}")


async def import_draft(
    store: PostgresEventStore,
    *,
    symbol: Symbol,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    dated: date | None = None,
) -> tuple[Document, int]:
    """A document that existed before the system, entered under its own symbol at its revision
    (`SUM/2022/DRAFT/1/Rev.8`: Rev.0-7 recorded as not held). 409 if the symbol is taken."""
    event = domain.create_draft(
        symbol=symbol,
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution,
        revision=symbol.rev or 0,
        dated=dated,
    )
    result = await store.append(
        str(symbol.base), [event], stream_type=STREAM_TYPE, expected_version=NO_STREAM
    )
    document = Document.fold([event])
    assert document is not None
    return document, result.version


async def revise_draft(
    store: PostgresEventStore,
    *,
    stream_id: str,
    expected_version: int,
    text: DocumentText,
    incorporates: Sequence[UUID],
    basis: str,
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.revise(d, text=text, incorporates=incorporates, basis=basis),
        expected_version=expected_version,
    )


async def add_translation(
    store: PostgresEventStore,
    *,
    stream_id: str,
    revision: int,
    language: str,
    title: str,
    opening: str,
    operative_heading: str,
    paragraphs: dict[str, str],
    items: dict[str, str],
    expected_version: int | None = None,
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.add_translation(
            d,
            revision=revision,
            language=language,
            title=title,
            opening=opening,
            operative_heading=operative_heading,
            paragraphs=paragraphs,
            items=items,
        ),
        expected_version=expected_version,
    )


async def change_status(
    store: PostgresEventStore,
    *,
    stream_id: str,
    status: Status,
    body: str | None,
    note: str,
    expected_version: int | None = None,
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.change_status(d, status, body=body, note=note),
        expected_version=expected_version,
    )


async def change_distribution(
    store: PostgresEventStore,
    *,
    stream_id: str,
    distribution: Distribution,
    reason: str,
    expected_version: int | None = None,
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.change_distribution(d, distribution, reason=reason),
        expected_version=expected_version,
    )


async def propose_amendment(
    store: PostgresEventStore,
    *,
    stream_id: str,
    amendment_id: UUID,
    state: str,
    revision: int,
    paragraph_id: str,
    action: AmendmentAction,
    text: str,
    language: str | None,
    new_paragraph_id: str | None,
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.propose_amendment(
            d,
            amendment_id=amendment_id,
            state=state,
            revision=revision,
            paragraph_id=paragraph_id,
            action=action,
            text=text,
            language=language,
            new_paragraph_id=new_paragraph_id,
        ),
    )


async def withdraw_amendment(
    store: PostgresEventStore, *, stream_id: str, amendment_id: UUID, state: str
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.withdraw_amendment(d, amendment_id=amendment_id, state=state),
    )


async def decline_amendment(
    store: PostgresEventStore, *, stream_id: str, amendment_id: UUID, reason: str
) -> tuple[Document, int]:
    return await _decide_and_append(
        store,
        stream_id,
        lambda d: domain.decline_amendment(d, amendment_id=amendment_id, reason=reason),
    )
