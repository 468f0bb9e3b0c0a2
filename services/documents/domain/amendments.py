"""Amendments: a member state proposes new words for a paragraph of the text in force (its
latest revision); the state withdraws it, the Secretariat declines it, or the next revision
settles it (incorporated, declined, or superseded with the text it amended); an adoption closes
those still open."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.documents.domain.errors import (
    AmendmentNotFoundError,
    AmendmentNotOpenError,
    AmendmentToSupersededRevisionError,
    DocumentNotEditableError,
    InvalidAmendmentError,
    NotTheProposerError,
)
from services.documents.domain.state import Amendment, AmendmentStatus, Document
from services.documents.events import (
    AmendmentAction,
    AmendmentDeclined,
    AmendmentProposed,
    AmendmentWithdrawn,
    DocumentText,
    Paragraph,
)


def propose_amendment(
    document: Document,
    *,
    amendment_id: UUID,
    state: str,
    revision: int,
    paragraph_id: str,
    action: AmendmentAction,
    text: str = "",
    language: str | None = None,
    new_paragraph_id: str | None = None,
) -> AmendmentProposed:
    """An amendment to a paragraph of the revision in force: one to a superseded revision is
    refused (its words may no longer stand in the text the body considers)."""
    if not document.editable:
        raise DocumentNotEditableError(document.current_symbol, document.status)
    if amendment_id in document.amendments:
        raise InvalidAmendmentError(f"Amendment {amendment_id} exists already.")
    target = document.revision(revision)
    if target is not document.latest:
        raise AmendmentToSupersededRevisionError(target.symbol, document.current_symbol)
    ids = {p.id for p in target.text.paragraphs}
    if paragraph_id not in ids:
        raise InvalidAmendmentError(
            f"Revision {revision} of {document.stream_id} has no paragraph {paragraph_id!r}.",
            paragraph_id=paragraph_id,
        )
    if action is AmendmentAction.DELETE and text:
        raise InvalidAmendmentError("A deletion carries no text.")
    if action is not AmendmentAction.DELETE and not text.strip():
        raise InvalidAmendmentError(f"An amendment that would {action.value} needs its text.")
    if action is AmendmentAction.INSERT_AFTER:
        new_paragraph_id = new_paragraph_id or f"am-{amendment_id.hex[:12]}"
    elif new_paragraph_id is not None:
        raise InvalidAmendmentError("Only an insertion names a new paragraph id.")
    return AmendmentProposed(
        amendment_id=amendment_id,
        state=state,
        revision=revision,
        paragraph_id=paragraph_id,
        action=action,
        language=language or document.language,
        text=text,
        new_paragraph_id=new_paragraph_id,
    )


def _open_amendment(document: Document, amendment_id: UUID) -> Amendment:
    amendment = document.amendments.get(amendment_id)
    if amendment is None:
        raise AmendmentNotFoundError(amendment_id)
    if amendment.status is not AmendmentStatus.OPEN:
        raise AmendmentNotOpenError(amendment_id, amendment.status)
    return amendment


def withdraw_amendment(document: Document, *, amendment_id: UUID, state: str) -> AmendmentWithdrawn:
    """Only the state that proposed an amendment withdraws it, while it is open."""
    amendment = document.amendments.get(amendment_id)
    if amendment is None:
        raise AmendmentNotFoundError(amendment_id)
    if amendment.state != state:
        raise NotTheProposerError(amendment_id, amendment.state, state)
    _open_amendment(document, amendment_id)
    return AmendmentWithdrawn(amendment_id=amendment_id, state=state)


def decline_amendment(
    document: Document, *, amendment_id: UUID, reason: str = ""
) -> AmendmentDeclined:
    _open_amendment(document, amendment_id)
    return AmendmentDeclined(amendment_id=amendment_id, reason=reason)


def incorporated_between(document: Document, after: int, until: int) -> list[Amendment]:
    """The amendments taken into the revisions after `after` up to `until`, in the order they
    were taken in."""
    return sorted(
        (
            a
            for a in document.amendments.values()
            if a.status is AmendmentStatus.INCORPORATED
            and a.incorporated_in is not None
            and after < a.incorporated_in <= until
        ),
        key=lambda a: (a.incorporated_in or 0,
                       document.revisions[a.incorporated_in or 0].incorporates.index(a.id)),
    )


def apply_amendments(text: DocumentText, amendments: Sequence[Amendment], language: str
                     ) -> DocumentText:
    """`text` with `amendments` taken in (in the given language): a helper for the Secretariat
    drafting the next revision."""
    paragraphs = list(text.paragraphs)
    for amendment in amendments:
        index = next(
            (i for i, p in enumerate(paragraphs) if p.id == amendment.paragraph_id), None
        )
        if index is None:
            continue
        target = paragraphs[index]
        if amendment.action is AmendmentAction.DELETE:
            del paragraphs[index]
        elif amendment.action is AmendmentAction.REPLACE:
            paragraphs[index] = target.model_copy(
                update={"text": {language: amendment.text}, "items": ()}
            )
        else:
            paragraphs.insert(
                index + 1,
                Paragraph(
                    id=amendment.new_paragraph_id or f"am-{amendment.id.hex[:12]}",
                    part=target.part,
                    text={language: amendment.text},
                    sponsors=(amendment.state,),
                ),
            )
    return text.model_copy(update={"paragraphs": tuple(paragraphs)})
