"""The documents service's request and response models, and how each answer is shaped from the
folded document (`domain`) or a read model's row (`projections`). Those of language versions are
in `schemas_translations`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ConfigDict, Field

from services.documents import domain
from services.documents.deps import NOT_BLANK
from services.documents.domain import (
    STATUS_OUTCOME,
    Amendment,
    AmendmentStatus,
    Document,
    LanguageStatus,
    Revision,
    StatusEntry,
    numbered,
)
from services.documents.events import (
    AmendmentAction,
    DocumentText,
    DocumentType,
    LanguageTag,
    Originator,
    ParagraphId,
    Part,
    Status,
    SupplementKind,
)
from services.documents.reading import choose_language
from services.documents.schemas_circulation import CirculationOut, SupplementOut
from services.documents.schemas_companions import CompanionOut
from services.documents.symbols import REVISION_SYMBOL_PATTERN, SERIES_PATTERN, Symbol
from shared.access import MEMBER_STATES_ONLY, Distribution, StateCode
from shared.http.params import Day

# ------------------------------------------------------------------------------- a document


class ItemOut(BaseModel):
    id: str
    number: str
    text: str


class ParagraphOut(BaseModel):
    id: str = Field(description="Stable across revisions, whatever the paragraph's number.")
    number: str = Field(description="PP1.., OP1.., or 1.. as the paragraph stands here.")
    part: Part
    text: str
    items: list[ItemOut] = []
    sponsors: list[str] = []

    @classmethod
    def all_of(cls, text: DocumentText, language: str) -> list[ParagraphOut]:
        """The text's paragraphs in `language`, each numbered as it stands."""
        return [
            cls(
                id=paragraph.id,
                number=number,
                part=paragraph.part,
                text=paragraph.text.get(language, ""),
                items=[
                    ItemOut(id=item.id, number=f"({index})", text=item.text.get(language, ""))
                    for index, item in enumerate(paragraph.items, start=1)
                ],
                sponsors=list(paragraph.sponsors),
            )
            for number, paragraph in numbered(text)
        ]


class OpenPointOut(BaseModel):
    paragraph_id: str
    number: str
    item_id: str | None
    context: str


class StatusHistoryOut(BaseModel):
    status: Status
    revision: int = Field(description="The revision decided on: the status is that revision's.")
    symbol: str = Field(description="The symbol of the revision decided on.")
    body: str | None
    decision_id: UUID | None
    decided_on: str | None
    outcome: str | None
    recorded_at: datetime | None
    latest_revision: int | None = Field(
        None, description="The latest revision when it was recorded: above `revision`, a "
        "decision on a superseded text, which does not carry over to the newer one."
    )

    @classmethod
    def of(cls, entry: StatusEntry) -> StatusHistoryOut:
        return cls.model_validate(entry, from_attributes=True)


class RevisionStatusOut(BaseModel):
    revision: int
    symbol: str
    status: Status = Field(description="This revision's own status.")
    dated: date | None = Field(description="The date it bears (None: not held).")
    originator: str | None = Field(description="Who issued it (None: not stated).")
    held: bool

    @classmethod
    def of(cls, revision: Revision) -> RevisionStatusOut:
        """Made once for each revision: a revision is frozen (a change of its status or its
        languages makes another), and every answer about its document lists them all, so a
        document revised often made the same ones again on every write."""
        made = _REVISION_STATUS.get(revision)
        if made is None:
            made = _REVISION_STATUS[revision] = cls(
                revision=revision.number,
                symbol=revision.symbol,
                status=revision.status,
                dated=revision.day,
                originator=revision.originator,
                held=revision.held,
            )
        return made


_REVISION_STATUS: WeakKeyDictionary[Revision, RevisionStatusOut] = WeakKeyDictionary()
"""`RevisionStatusOut.of` of each revision alive (one is kept by the commands' `Folds`)."""


class DocumentOut(BaseModel):
    symbol: str = Field(description="The symbol of the revision shown.")
    document: str = Field(description="The document's base symbol (no suffix).")
    document_type: DocumentType
    revision: int
    latest_revision: int
    status: Status = Field(description="The document's status: its latest revision's.")
    revision_status: Status = Field(description="The status of the revision shown.")
    recommended_by: str | None
    distribution: Distribution
    dated: date | None = Field(description="The date the revision shown bears.")
    originator: str | None = Field(description="Who issued the revision shown (None: not "
                                   "stated by the source of an imported document).")
    language: str
    language_status: LanguageStatus = Field(
        description="original (the document's own language), official (a language version the "
        "Secretariat issues) or unofficial (a translation for information: not the official "
        "text)."
    )
    language_fallback: bool
    requested_languages: list[str]
    languages: list[str] = Field(description="The languages this revision is in.")
    unofficial_languages: list[str] = Field(
        description="Those of `languages` this revision has in an unofficial translation only."
    )
    title: str
    opening: str
    operative_heading: str
    paragraphs: list[ParagraphOut]
    open_points: list[OpenPointOut]
    basis: str
    incorporates: list[UUID]
    revised_at: datetime | None
    as_of: datetime | None
    status_history: list[StatusHistoryOut]
    latest_decision: StatusHistoryOut | None = Field(
        description="The latest decision on the document, and the revision it concerns."
    )
    revisions: list[RevisionStatusOut] = Field(
        description="Every revision (as the document stood), each with its own status."
    )
    parent: str | None = Field(
        None, description="For an addendum or a corrigendum: the document it is issued to."
    )
    supplement: SupplementKind | None = Field(
        None, description="addendum or corrigendum (of `parent`); null for any other document."
    )
    supplements: list[SupplementOut] | None = Field(
        None,
        description="The addenda and corrigenda issued to this document that the caller may "
        "read (those made by `as_of`, if given). Listed on a read; null in a write's answer.",
    )
    circulations: list[CirculationOut] = Field(
        [], description="Each circulation of a revision (as the document stood), oldest first."
    )
    companions: list[CompanionOut] = Field(
        [], description="The texts that accompany the document with no symbol of their own "
        "(its explanatory note), as it stood, in the language asked for where they have it."
    )

    @classmethod
    def of(
        cls,
        document: Document,
        revision: Revision | None = None,
        *,
        requested: list[str] | None = None,
        as_of: datetime | None = None,
        supplements: list[SupplementOut] | None = None,
    ) -> DocumentOut:
        """`revision` of the document (its latest if None), in the first of the `requested`
        languages it has (else in the document's own, saying so), with the `supplements`
        issued to it when they were read."""
        if revision is None:
            revision = document.latest
        choice = choose_language(revision.languages, requested or [], document.language)
        language = choice.language
        text = revision.text
        latest_decision = document.latest_decision
        return cls(
            symbol=revision.symbol,
            document=document.stream_id,
            document_type=document.document_type,
            revision=revision.number,
            latest_revision=document.latest.number,
            status=document.status,
            revision_status=revision.status,
            recommended_by=document.recommended_by,
            distribution=document.distribution,
            dated=revision.day,
            originator=revision.originator,
            language=language,
            language_status=revision.language_status(language) or LanguageStatus.ORIGINAL,
            language_fallback=choice.fallback,
            requested_languages=list(choice.requested),
            languages=revision.languages,
            unofficial_languages=revision.unofficial_languages,
            title=text.title.get(language, ""),
            opening=text.opening.get(language, ""),
            operative_heading=text.operative_heading.get(language, ""),
            paragraphs=ParagraphOut.all_of(text, language),
            open_points=[
                OpenPointOut.model_validate(p, from_attributes=True)
                for p in domain.open_points(text, language)
            ],
            basis=revision.basis,
            incorporates=list(revision.incorporates),
            revised_at=revision.recorded_at,
            as_of=as_of,
            status_history=[StatusHistoryOut.of(e) for e in document.status_history],
            latest_decision=(
                StatusHistoryOut.of(latest_decision) if latest_decision is not None else None
            ),
            revisions=[RevisionStatusOut.of(r) for r in document.revisions],
            parent=document.parent,
            supplement=document.supplement,
            supplements=supplements,
            circulations=[CirculationOut.of(c) for c in document.circulations],
            companions=CompanionOut.all_of(document, requested),
        )


# ------------------------------------------------------------------------------ the documents


class DocumentSummary(BaseModel):
    symbol: str
    document: str
    document_type: str
    title: str
    revision: int
    languages: list[str]
    unofficial_languages: list[str] = Field(
        description="Those of `languages` the latest revision has in an unofficial translation "
        "only."
    )
    status: Status = Field(description="The latest revision's status.")
    recommended_by: str | None
    open_points: int
    distribution: Distribution
    created_at: datetime
    updated_at: datetime
    parent: str | None = Field(
        None, description="For an addendum or a corrigendum: the document it is issued to."
    )

    @classmethod
    def of(cls, document: Document) -> DocumentSummary:
        """The summary of a document folded from the log."""
        latest = document.latest
        recommended = document.status is Status.RECOMMENDED
        return cls(
            symbol=latest.symbol,
            document=document.stream_id,
            document_type=document.document_type.value,
            title=latest.text.title.get(document.language, ""),
            revision=latest.number,
            languages=latest.languages,
            unofficial_languages=latest.unofficial_languages,
            status=document.status,
            recommended_by=document.recommended_by if recommended else None,
            open_points=len(domain.open_points(latest.text, document.language)),
            distribution=document.distribution,
            created_at=document.created_at,  # type: ignore[arg-type]
            updated_at=document.updated_at,  # type: ignore[arg-type]
            parent=document.parent,
        )

    @classmethod
    def of_row(cls, row: Any) -> DocumentSummary:
        """The summary of a row of the `documents_list` read model."""
        return cls.model_validate(
            dict(row._mapping)
            | {
                "document": row.stream_id,
                "languages": list(row.revision_languages),
                "unofficial_languages": list(row.unofficial_languages),
                "recommended_by": row.status_body if row.status == Status.RECOMMENDED else None,
                "distribution": Distribution.of_row(row.distribution, row.distribution_states),
            }
        )


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    total: int


class RevisionSummary(BaseModel):
    revision: int
    symbol: str
    status: Status = Field(description="This revision's own status.")
    recorded_at: datetime | None
    dated: date | None = Field(None, description="The date it bears (None: not held).")
    originator: str | None = Field(None, description="Who issued it (None: not stated).")
    basis: str
    incorporates: list[UUID] = Field(description="The amendments it took in.")
    declines: list[UUID] = Field(description="The open amendments it declined.")
    supersedes_amendments: list[UUID] = Field(
        description="The other amendments open on the text it superseded: they ended with it."
    )
    languages: list[str]
    unofficial_languages: list[str] = Field(
        description="Those of `languages` it has in an unofficial translation only."
    )
    held: bool = Field(True, description="False: from before the system, its text not held.")

    @classmethod
    def of(cls, revision: Revision) -> RevisionSummary:
        return cls.model_validate(
            vars(revision)
            | {
                "revision": revision.number,
                "dated": revision.day,
                "languages": revision.languages,
                "unofficial_languages": revision.unofficial_languages,
            }
        )


class SymbolOut(BaseModel):
    symbol: str
    document: str
    series: str
    body: str
    session: str
    kind: str
    number: int
    revision: int | None
    addendum: int | None
    corrigendum: int | None

    @classmethod
    def of(cls, symbol: Symbol) -> SymbolOut:
        return cls(
            symbol=str(symbol),
            document=str(symbol.base),
            series=str(symbol.series),
            body=symbol.body,
            session=symbol.session,
            kind=symbol.kind,
            number=symbol.number,
            revision=symbol.rev,
            addendum=symbol.add,
            corrigendum=symbol.corr,
        )


# ------------------------------------------------------------------------------------ writes

ORIGINATOR = {"pattern": NOT_BLANK}
"""Who issued a text, as declared: not blank (the rules refuse a blank one,
``invalid-originator``)."""


class CreateDraftIn(BaseModel):
    """A draft made here (no `symbol`: its `originator` is required), or a document from before
    the system imported under its `symbol` (with the date it bears, `dated`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["symbol"], "properties": {"symbol": {"type": "string"}}},
            "then": {"required": ["dated"], "properties": {"dated": {"type": "string"}}},
            "else": {
                "required": ["originator"],
                "properties": {"originator": {"type": "string"}},
            },
        }
    )

    series: str = Field(
        description="body/session/kind: the service gives the next number.",
        json_schema_extra={"pattern": SERIES_PATTERN},
    )
    document_type: DocumentType
    language: LanguageTag = Field("en", description="The language the draft is written in.")
    text: DocumentText
    distribution: Distribution = MEMBER_STATES_ONLY
    symbol: str | None = Field(
        None,
        description="Only to import a document that existed before the system: its symbol at "
        "the revision it enters at (`SUM/2022/DRAFT/1/Rev.8`), in `series`. The earlier "
        "revisions are recorded as not held (reading one answers 410); 409 if it is taken.",
        json_schema_extra={"pattern": REVISION_SYMBOL_PATTERN},
    )
    dated: Day | None = Field(
        None,
        description="The date the text bears (2022-10-07). Required to import a document; a "
        "draft made here is dated the day it is made unless it says otherwise. Never later "
        "than the day it is anywhere on earth.",
    )
    originator: Originator | None = Field(
        None,
        description="Who issued the text (\"Chairmanship of Kazakhstan\", \"Secretariat\"). "
        "Required for a draft made here; for an import, only if its source names one.",
        json_schema_extra=ORIGINATOR,
    )


class ReviseIn(BaseModel):
    text: DocumentText
    dated: Day = Field(description="The date the revision bears: not before the revision it "
                       "supersedes (\"Rev.3 of 14 September 2022\").")
    originator: Originator = Field(description="Who issued the revision "
                                   "(\"Chairmanship of Kazakhstan\").",
                                   json_schema_extra=ORIGINATOR)
    incorporates: list[UUID] = Field([], description="Open amendments it takes in.")
    declines: list[UUID] = Field([], description="Open amendments it declines. Every other "
                                 "amendment still open ends as superseded.")
    basis: str = ""


class StatusIn(BaseModel):
    """A status by hand: one that a body's decision gives (recommended, approved, adopted)
    names the `body` that took it."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"status": {"enum": [s.value for s in STATUS_OUTCOME]}}},
            "then": {"required": ["body"], "properties": {"body": {"type": "string"}}},
        }
    )

    status: Status
    revision: int | None = Field(
        None, ge=0, description="The revision decided on (or name it in the path's symbol, "
        "`.../Rev.8/status`); the latest if neither does."
    )
    body: str | None = Field(None, pattern="^(SWG|SOC|MC|SUMMIT)$")
    note: str = ""


class DistributionIn(BaseModel):
    distribution: Distribution
    reason: str = ""


# -------------------------------------------------------------------------------- amendments


class AmendmentIn(BaseModel):
    """A replacement or an insertion carries its (not blank) text; a deletion none; only an
    insertion may name the id of the paragraph it inserts."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"action": {"const": AmendmentAction.DELETE.value}}},
                    "then": {"properties": {"text": {"maxLength": 0}}},
                },
                {
                    "if": {"properties": {"action": {"const": AmendmentAction.DELETE.value}}},
                    "else": {"required": ["text"], "properties": {"text": {"pattern": NOT_BLANK}}},
                },
                {
                    "if": {
                        "properties": {"action": {"const": AmendmentAction.INSERT_AFTER.value}}
                    },
                    "else": {"properties": {"new_paragraph_id": {"type": "null"}}},
                },
            ]
        }
    )

    state: StateCode = Field(description="The member state proposing: your own.")
    revision: int = Field(ge=0)
    paragraph_id: ParagraphId
    action: AmendmentAction
    text: str = ""
    language: LanguageTag | None = None
    new_paragraph_id: ParagraphId | None = None


class WithdrawalIn(BaseModel):
    state: StateCode = Field(description="The state that proposed the amendment: your own.")


class DeclineIn(BaseModel):
    reason: str = ""


class AmendmentOut(BaseModel):
    amendment_id: UUID
    document: str
    revision: int
    paragraph_id: str
    action: AmendmentAction
    state: str
    language: str
    text: str
    new_paragraph_id: str | None
    status: AmendmentStatus
    incorporated_in: int | None = None
    settled_in: int | None = Field(
        None, description="The revision whose recording (or adoption) ended it."
    )
    reason: str = ""
    proposed_at: datetime | None = None

    @classmethod
    def of(cls, document: Document, amendment: Amendment) -> AmendmentOut:
        """An amendment as the document folded from the log holds it."""
        return cls.model_validate(
            vars(amendment) | {"amendment_id": amendment.id, "document": document.stream_id}
        )

    @classmethod
    def of_row(cls, row: Any) -> AmendmentOut:
        """An open amendment, a row of the `documents_open_amendments` read model."""
        return cls.model_validate(
            dict(row._mapping) | {"document": row.stream_id, "status": "open"}
        )
