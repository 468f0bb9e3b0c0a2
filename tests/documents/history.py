"""Documents as their events make them, for the tests of the rules that need no database:
given these events, when a command, then these events or this error."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from services.documents import domain
from services.documents.domain import Document
from services.documents.events import (
    AmendmentAction,
    AmendmentProposed,
    DocumentStatusChanged,
    DocumentText,
    DocumentType,
    DraftCreated,
    DraftRevised,
    Paragraph,
    Part,
    Status,
)
from shared.access import MEMBER_STATES_ONLY


def text(*paragraphs: tuple[str, Part, str], title: str = "Draft statement") -> DocumentText:
    return DocumentText(
        title={"en": title},
        opening={"en": "We, the Heads of State or Government,"},
        paragraphs=tuple(Paragraph(id=i, part=p, text={"en": t}) for i, p, t in paragraphs),
    )


ORIGINAL = text(("pp-a", Part.PREAMBLE, "Recognizing change"), ("op-a", Part.OPERATIVE, "We act"))
TODAY = date(2022, 10, 7)
ORIGINATOR = "Chairmanship of Kazakhstan"
CREATED = DraftCreated(
    symbol="SUM/2022/DRAFT/1",
    document_type=DocumentType.STATEMENT,
    language="en",
    text=ORIGINAL,
    distribution=MEMBER_STATES_ONLY,
    dated=date(2022, 6, 1),
    originator=ORIGINATOR,
)


def given(*events) -> Document:
    document = Document.fold([CREATED, *events])
    assert document is not None
    return document


def revised(n: int, *paragraphs, incorporates=(), **fields) -> DraftRevised:
    return DraftRevised(
        revision=n,
        symbol=f"SUM/2022/DRAFT/1/Rev.{n}",
        text=text(*paragraphs) if paragraphs else ORIGINAL,
        incorporates=incorporates,
        dated=date(2022, 6, 1) + timedelta(days=n),
        originator=ORIGINATOR,
        **fields,
    )


def revise(document: Document, **fields) -> DraftRevised:
    """`domain.revise` with a date and an originator, unless given."""
    fields = {"text": ORIGINAL, "dated": TODAY, "originator": ORIGINATOR, "today": TODAY,
              **fields}
    return domain.revise(document, **fields)


def adopted(revision: int) -> DocumentStatusChanged:
    return DocumentStatusChanged(status=Status.ADOPTED, revision=revision, body="SUMMIT")


def proposed(state="KAZ", amendment_id=None, revision=0) -> AmendmentProposed:
    return AmendmentProposed(
        amendment_id=amendment_id or uuid.uuid4(),
        state=state,
        revision=revision,
        paragraph_id="op-a",
        action=AmendmentAction.REPLACE,
        text="We act together",
    )
