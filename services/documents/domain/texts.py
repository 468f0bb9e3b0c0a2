"""A document's texts: creating and importing a draft, revising it (a new text with its date,
its originator, and what it does with the amendments still open), its paragraphs' numbers and
its open blanks, and who reads it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from services.documents.domain.errors import (
    AmendmentNotFoundError,
    AmendmentNotOpenError,
    DatedBeforePreviousRevisionError,
    DatedInTheFutureError,
    DocumentNotEditableError,
    InvalidAmendmentError,
    InvalidOriginatorError,
    InvalidTextError,
    SupplementNotImportedError,
    SymbolNotInSeriesError,
    UndatedImportError,
)
from services.documents.domain.state import AmendmentStatus, Document
from services.documents.events import (
    MAX_ORIGINATOR,
    DistributionChanged,
    DocumentText,
    DocumentType,
    DraftCreated,
    DraftRevised,
    Paragraph,
    Part,
)
from services.documents.symbols import Series, Symbol
from shared.access import Distribution

PLACEHOLDER = re.compile(r"_{3,}|\\_(?:\\_)+|\[\s*(?:\.\.\.|…)\s*\]")
"""A blank still to be filled: "____ in 2024-2026" (or "[...]")."""

# ------------------------------------------------------------------------ numbering, points


def numbered(text: DocumentText) -> list[tuple[str, Paragraph]]:
    """Each paragraph with its number as it stands: PP1.., OP1.., or 1.. for plain ones."""
    counters = {Part.PREAMBLE: 0, Part.OPERATIVE: 0, Part.BODY: 0}
    prefix = {Part.PREAMBLE: "PP", Part.OPERATIVE: "OP", Part.BODY: ""}
    result = []
    for paragraph in text.paragraphs:
        counters[paragraph.part] += 1
        result.append((f"{prefix[paragraph.part]}{counters[paragraph.part]}", paragraph))
    return result


@dataclass(frozen=True)
class OpenPoint:
    paragraph_id: str
    number: str
    item_id: str | None
    language: str
    context: str


def open_points(text: DocumentText, language: str) -> list[OpenPoint]:
    """The blanks still open in the text ("____ in 2024-2026"), where they stand."""
    points = []
    for number, paragraph in numbered(text):
        places = [(None, paragraph.text.get(language, ""))] + [
            (item.id, item.text.get(language, "")) for item in paragraph.items
        ]
        for item_id, value in places:
            for match in PLACEHOLDER.finditer(value):
                start, end = max(0, match.start() - 40), min(len(value), match.end() + 40)
                points.append(
                    OpenPoint(paragraph.id, number, item_id, language, value[start:end].strip())
                )
    return points


# ---------------------------------------------------------------------------- checking


def check_text(text: DocumentText, language: str) -> None:
    """A text is whole: unique ids, and every part in every language its title is in."""
    languages = set(text.title)
    if language not in languages:
        raise InvalidTextError(f"The title has no {language!r} text, the document's language.")
    seen: set[str] = set()

    def check(where: str, texts: dict[str, str], required: bool = True) -> None:
        if not texts and not required:
            return
        if set(texts) != languages:
            raise InvalidTextError(
                f"{where} is in {sorted(texts)}, the title in {sorted(languages)}: every part "
                "of a revision is in the same languages."
            )

    check("The opening", text.opening, required=False)
    check("The operative heading", text.operative_heading, required=False)
    for paragraph in text.paragraphs:
        for pid in [paragraph.id, *(item.id for item in paragraph.items)]:
            if pid in seen:
                raise InvalidTextError(f"The paragraph id {pid!r} appears twice.")
            seen.add(pid)
        check(f"Paragraph {paragraph.id}", paragraph.text)
        for item in paragraph.items:
            check(f"Item {item.id}", item.text)


def originator_of(originator: str | None) -> str:
    """Who issued a text, in a few words (missing, blank and overlong refused)."""
    said = " ".join((originator or "").split())
    if not said or len(said) > MAX_ORIGINATOR:
        raise InvalidOriginatorError(
            f"Name who issued the text in 1 to {MAX_ORIGINATOR} characters "
            "(\"Chairmanship of Kazakhstan\", \"Secretariat\").",
            length=len(said),
        )
    return said


def check_dated(dated: date, today: date) -> None:
    """A text recorded now bears a date that has come somewhere on earth: at most one day after
    today at UTC (the earliest time zone is UTC+14)."""
    latest = today + timedelta(days=1)
    if dated > latest:
        raise DatedInTheFutureError(dated, latest)


# -------------------------------------------------------------------------- decisions


def create_draft(
    *,
    symbol: Symbol,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    originator: str | None,
    today: date,
    dated: date | None = None,
    parent: str | None = None,
) -> DraftCreated:
    """A new draft made here, by its originator, dated the day it is made unless it says
    otherwise (an addendum or a corrigendum names its `parent`: see `supplements`)."""
    check_text(text, language)
    dated = dated or today
    check_dated(dated, today)
    return DraftCreated(
        symbol=str(symbol.base),
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution,
        dated=dated,
        originator=originator_of(originator),
        parent=parent,
    )


def import_draft(
    *,
    symbol: Symbol,
    series: Series,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    dated: date | None,
    today: date,
    originator: str | None = None,
) -> DraftCreated:
    """A document from before the system, at the revision its symbol names (the earlier ones
    recorded as not held), with the date it bears; its originator when the source says who
    issued it (None: it does not, and none is invented). It is a document of `series`, the one
    asked for, and neither an addendum nor a corrigendum (those are issued to their document)."""
    if symbol.add is not None or symbol.corr is not None:
        raise SupplementNotImportedError(str(symbol))
    if symbol.series != series:
        raise SymbolNotInSeriesError(str(symbol), str(series))
    check_text(text, language)
    if dated is None:
        raise UndatedImportError(
            f"{symbol} existed before the system: state the date it bears (the day of its "
            "import is not its date).",
            symbol=str(symbol),
        )
    check_dated(dated, today)
    return DraftCreated(
        symbol=str(symbol.base),
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution,
        revision=symbol.rev or 0,
        dated=dated,
        originator=originator_of(originator) if originator is not None else None,
    )


def revise(
    document: Document,
    *,
    text: DocumentText,
    dated: date,
    originator: str,
    today: date,
    incorporates: Sequence[UUID] = (),
    declines: Sequence[UUID] = (),
    basis: str = "",
) -> DraftRevised:
    """The next revision: a new text, with its date (not before the revision it supersedes)
    and its originator. The open amendments it names end incorporated or declined; every
    other amendment still open ends superseded with the text it amended."""
    if not document.editable:
        raise DocumentNotEditableError(document.current_symbol, document.status)
    check_text(text, document.language)
    said = originator_of(originator)
    check_dated(dated, today)
    number = document.latest.number + 1
    symbol = str(document.symbol.with_revision(number))
    previous = document.latest.day
    if previous is not None and dated < previous:
        raise DatedBeforePreviousRevisionError(symbol, dated, document.current_symbol, previous)
    both = set(incorporates) & set(declines)
    if both:
        raise InvalidAmendmentError(
            "An amendment is either incorporated or declined, not both: "
            f"{sorted(str(i) for i in both)}."
        )
    for amendment_id in [*incorporates, *declines]:
        amendment = document.amendments.get(amendment_id)
        if amendment is None:
            raise AmendmentNotFoundError(amendment_id)
        if amendment.status is not AmendmentStatus.OPEN:
            raise AmendmentNotOpenError(amendment_id, amendment.status)
    named = set(incorporates) | set(declines)
    return DraftRevised(
        revision=number,
        symbol=symbol,
        text=text,
        incorporates=tuple(dict.fromkeys(incorporates)),
        basis=basis,
        dated=dated,
        originator=said,
        declines=tuple(dict.fromkeys(declines)),
        supersedes_amendments=tuple(
            a.id for a in document.open_amendments() if a.id not in named
        ),
    )


def change_distribution(
    document: Document, distribution: Distribution, *, reason: str = ""
) -> DistributionChanged | None:
    if distribution == document.distribution:
        return None
    return DistributionChanged(distribution=distribution, reason=reason)
