"""Addenda and corrigenda: each a document of its own (``SUM/2022/DRAFT/1/Add.1``,
``SUM/2022/DRAFT/1/Corr.1``, ``SUM/2022/DRAFT/5/Add.1/Corr.2``), issued to a parent document the
service holds, numbered after the parent's earlier ones, and naming the parent in its
`DraftCreated`. An addendum is issued to a document; a corrigendum corrects a document or an
addendum."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.documents.domain.errors import (
    ParentDocumentNotFoundError,
    SupplementBeforeItsParentError,
    SupplementOfSupplementError,
)
from services.documents.domain.state import Document
from services.documents.domain.texts import create_draft
from services.documents.events import DocumentText, DocumentType, DraftCreated, SupplementKind
from services.documents.symbols import Symbol, next_supplement
from shared.access import Distribution

SUFFIX = {SupplementKind.ADDENDUM: "Add", SupplementKind.CORRIGENDUM: "Corr"}


def supplement_symbol(parent: Document, kind: SupplementKind, taken: Sequence[str]) -> Symbol:
    """The symbol of `parent`'s next addendum or corrigendum, given the symbols taken in its
    series; refused when the parent is a document that takes none of that kind."""
    takes = (
        parent.supplement is None
        if kind is SupplementKind.ADDENDUM
        else parent.supplement is not SupplementKind.CORRIGENDUM
    )
    if not takes:
        raise SupplementOfSupplementError(parent.stream_id, kind)
    return next_supplement(parent.symbol, SUFFIX[kind], list(taken))


def issue_supplement(
    parent: Document | None,
    *,
    parent_symbol: str,
    kind: SupplementKind,
    taken: Sequence[str],
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution | None,
    originator: str | None,
    today: date,
    dated: date | None = None,
) -> DraftCreated:
    """A new addendum or corrigendum of `parent` (None: the service holds no document
    `parent_symbol`, and none is issued), numbered after its earlier ones, with its own text,
    originator and date (today unless it says), distributed as its parent unless it says
    otherwise, and never dated before its parent's earliest date. Its `DraftCreated` names
    the parent."""
    if parent is None:
        raise ParentDocumentNotFoundError(parent_symbol, kind)
    days = [revision.day for revision in parent.revisions if revision.day is not None]
    if days and (dated or today) < min(days):
        raise SupplementBeforeItsParentError(parent.stream_id, kind, dated or today, min(days))
    return create_draft(
        symbol=supplement_symbol(parent, kind, taken),
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution if distribution is not None else parent.distribution,
        originator=originator,
        today=today,
        dated=dated,
        parent=parent.stream_id,
    )
