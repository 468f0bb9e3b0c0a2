"""One async function per use case, on the kit's command path (`shared.commands`): read the
document's stream, decide with the rules of `domain`, append.

Each returns `Changed`: what was recorded (the stream's version now, the ETag) and the document
after it, which the HTTP layer shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.documents import domain
from services.documents.domain import Document, DocumentNotFoundError
from services.documents.events import (
    STREAM_TYPE,
    DocumentText,
    DocumentType,
    DraftCreated,
    SupplementKind,
)
from services.documents.queries import taken_in_series
from services.documents.symbols import Series, Symbol, next_number
from shared.access import Distribution
from shared.commands import Folds, History, Recorded, run_command
from shared.eventstore import NO_STREAM, ConcurrencyError, DomainEvent, PostgresEventStore
from shared.retry import retrying

MAX_ALLOCATION_ATTEMPTS = 10
"""Numbers a new draft tries in all when concurrent creations keep taking the next one."""


def today() -> date:
    """The day it is at UTC: what the rules check a text's date against."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Changed(Recorded):
    """What a command recorded, and the document after it."""

    document: Document


FOLDS: Folds[Document] = Folds(
    lambda document, events: Document.fold(events, document), Document.copy
)
"""The documents commands have folded, kept for the next command on each (`Folds`)."""


def document_of(history: History) -> Document:
    """The document the stream holds, of the caller's own; 404 when it holds none."""
    document = FOLDS.state(history)
    if document is None:
        raise DocumentNotFoundError(history.stream_id)
    return document


async def _change(
    store: PostgresEventStore,
    stream_id: str,
    rule: Callable[..., DomainEvent | None],
    *,
    expected: int | None,
    **arguments: Any,
) -> Changed:
    """Decide with `rule` (``rule(document, **arguments)``) on the document as it stands,
    record what it decides, and give the document after it. A stream with no document is a
    404, If-Match or not."""
    decided_on: list[Document] = []

    def decide(history: History) -> DomainEvent | None:
        document = document_of(history)
        decided_on.append(document)
        return rule(document, **arguments)

    try:
        recorded = await run_command(store, stream_id, STREAM_TYPE, decide, expected=expected)
    except ConcurrencyError as error:
        if error.actual_version == NO_STREAM:
            raise DocumentNotFoundError(stream_id) from None
        raise
    document = decided_on[-1]
    for event in recorded.events:
        document.apply(event)
    return Changed(recorded.stream_id, recorded.version, recorded.events, document)


async def _create(store: PostgresEventStore, event: DraftCreated) -> Changed:
    """A new document's stream, which must not exist yet (409 if it does)."""
    recorded = await run_command(
        store, event.symbol, STREAM_TYPE, lambda history: event, expected=NO_STREAM
    )
    document = Document.fold([event])
    assert document is not None
    return Changed(recorded.stream_id, recorded.version, recorded.events, document)


async def create_draft(
    *,
    store: PostgresEventStore,
    series: Series,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    originator: str,
    dated: date | None = None,
) -> Changed:
    """Create a draft with the next number of its series (allocated here: a concurrent
    creation that takes the same number makes this one try the next), by its originator,
    dated the day it is made unless it says otherwise."""
    async for attempt in retrying(on=ConcurrencyError, attempts=MAX_ALLOCATION_ATTEMPTS):
        with attempt:
            number = next_number(series, await taken_in_series(store, series))
            event = domain.create_draft(
                symbol=series.symbol(number),
                document_type=document_type,
                language=language,
                text=text,
                distribution=distribution,
                originator=originator,
                dated=dated,
                today=today(),
            )
            return await _create(store, event)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def import_draft(
    *,
    store: PostgresEventStore,
    symbol: Symbol,
    series: Series,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    dated: date,
    originator: str | None = None,
) -> Changed:
    """A document that existed before the system, entered under its own symbol at its revision
    (`SUM/2022/DRAFT/1/Rev.8`: Rev.0-7 recorded as not held), with the date it bears and its
    originator if the source names one. 409 if the symbol is taken."""
    event = domain.import_draft(
        symbol=symbol,
        series=series,
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution,
        dated=dated,
        originator=originator,
        today=today(),
    )
    return await _create(store, event)


async def issue_supplement(
    *,
    store: PostgresEventStore,
    parent: Symbol,
    kind: SupplementKind,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution | None,
    originator: str,
    dated: date | None = None,
) -> Changed:
    """An addendum or a corrigendum of the document `parent` names (`domain.issue_supplement`),
    with the next number of its kind (allocated here, as a new draft's is)."""
    stream_id = str(parent.base)
    async for attempt in retrying(on=ConcurrencyError, attempts=MAX_ALLOCATION_ATTEMPTS):
        with attempt:
            records = await store.read_stream(stream_id)
            held = Document.fold(
                (store.decode(r), r.recorded_at) for r in records if r.stream_type == STREAM_TYPE
            )
            event = domain.issue_supplement(
                held,
                parent_symbol=stream_id,
                kind=kind,
                taken=await taken_in_series(store, parent.series),
                document_type=document_type,
                language=language,
                text=text,
                distribution=distribution,
                originator=originator,
                dated=dated,
                today=today(),
            )
            return await _create(store, event)
    raise AssertionError("unreachable: the last attempt returns or raises")


# The changes to a document: each takes the arguments of its rule in `domain` (by name), and
# the version the client read (If-Match), if it stated one.


async def revise_draft(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **revision: Any
) -> Changed:
    """A new revision of a draft (`domain.revise`: text, dated, originator, incorporates,
    declines, basis)."""
    return await _change(
        store, stream_id, domain.revise, expected=expected, today=today(), **revision
    )


async def add_translation(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **version: Any
) -> Changed:
    """A language version of one revision (`domain.add_translation`)."""
    return await _change(store, stream_id, domain.add_translation, expected=expected, **version)


async def change_status(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **change: Any
) -> Changed:
    """A status recorded by hand (`domain.change_status`: status, revision, body, note)."""
    return await _change(store, stream_id, domain.change_status, expected=expected, **change)


async def change_distribution(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **change: Any
) -> Changed:
    """Who reads the document from now on (`domain.change_distribution`: distribution,
    reason); nothing is recorded when it does not change."""
    return await _change(
        store, stream_id, domain.change_distribution, expected=expected, **change
    )


async def propose_amendment(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **amendment: Any
) -> Changed:
    """A member state's amendment (`domain.propose_amendment`)."""
    return await _change(
        store, stream_id, domain.propose_amendment, expected=expected, **amendment
    )


async def withdraw_amendment(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **withdrawal: Any
) -> Changed:
    """An amendment withdrawn by the state that proposed it (`domain.withdraw_amendment`:
    amendment_id, state)."""
    return await _change(
        store, stream_id, domain.withdraw_amendment, expected=expected, **withdrawal
    )


async def decline_amendment(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **decline: Any
) -> Changed:
    """An open amendment declined by the Secretariat (`domain.decline_amendment`:
    amendment_id, reason)."""
    return await _change(store, stream_id, domain.decline_amendment, expected=expected, **decline)


async def circulate(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **circulation: Any
) -> Changed:
    """A revision circulated by the Secretariat (`domain.circulate`: revision, dated, note)."""
    return await _change(
        store, stream_id, domain.circulate, expected=expected, today=today(), **circulation
    )


async def record_companion(
    *, store: PostgresEventStore, stream_id: str, expected: int | None = None, **companion: Any
) -> Changed:
    """A text that accompanies a revision (`domain.record_companion`: kind, title,
    paragraphs, dated, revision, note); nothing is recorded when the document has this very
    text already."""
    return await _change(
        store, stream_id, domain.record_companion, expected=expected, today=today(), **companion
    )
