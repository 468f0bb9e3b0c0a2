"""Companion texts: a text that accompanies one revision of a document without being a document
of its own, as the Explanatory Note accompanies the draft conclusions (note verbale SOC/OI/1280
encloses "Draft Conclusions of the Sixth CICA Summit and Explanatory Note"). It has no symbol:
an addendum or a corrigendum would give it one (`supplements`), which its source does not. It
is named by its kind, one of each per document; it is issued with its revision or after it;
and it is read by whoever may read the document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from services.documents.domain.errors import (
    CompanionDatedBeforeItsDocumentError,
    CompanionRecordedError,
    InvalidCompanionError,
)
from services.documents.domain.state import Document
from services.documents.domain.texts import check_dated
from services.documents.events import CompanionKind, CompanionRecorded


def _check_whole(
    document: Document, title: Mapping[str, str], paragraphs: Sequence[Mapping[str, str]]
) -> None:
    languages = set(title)
    if document.language not in languages:
        raise InvalidCompanionError(
            f"The title has no {document.language!r} text, the document's own language."
        )
    if not paragraphs:
        raise InvalidCompanionError("A companion text has at least one paragraph.")
    for number, paragraph in enumerate(paragraphs, start=1):
        if set(paragraph) != languages:
            raise InvalidCompanionError(
                f"Paragraph {number} is in {sorted(paragraph)}, the title in "
                f"{sorted(languages)}: every part is in the same languages."
            )
    for where, value in [("The title", t) for t in title.values()] + [
        (f"Paragraph {n}", t) for n, p in enumerate(paragraphs, start=1) for t in p.values()
    ]:
        if not value.strip():
            raise InvalidCompanionError(f"{where} is blank.")


def record_companion(
    document: Document,
    *,
    kind: CompanionKind,
    title: Mapping[str, str],
    paragraphs: Sequence[Mapping[str, str]],
    dated: date,
    today: date,
    revision: int | None = None,
    note: str | None = None,
) -> CompanionRecorded | None:
    """The text of `kind` that accompanies `revision` (the latest if None), dated as it is (or
    as it was issued with the document), under the note verbale that enclosed it if one did.
    None when the document has this very text already (nothing to record); refused when it has
    another of the kind."""
    number = document.latest.number if revision is None else revision
    accompanied = document.revision(number)
    _check_whole(document, title, paragraphs)
    check_dated(dated, today)
    revision_dated = accompanied.day
    if revision_dated is not None and dated < revision_dated:
        raise CompanionDatedBeforeItsDocumentError(
            accompanied.symbol, kind.value, dated, revision_dated
        )
    event = CompanionRecorded(
        kind=kind,
        revision=number,
        title=dict(title),
        paragraphs=tuple(dict(p) for p in paragraphs),
        dated=dated,
        note=note,
    )
    held = document.companions.get(kind)
    if held is not None:
        if held == event:
            return None
        raise CompanionRecordedError(document.stream_id, kind.value)
    return event
