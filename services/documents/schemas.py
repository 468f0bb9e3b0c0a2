"""The documents service's request and response models, and how each answer is shaped from the
folded document (`domain`) or a read model's row (`projections`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.documents import domain
from services.documents.domain import (
    OFFICIAL_LANGUAGES,
    Amendment,
    Document,
    Revision,
    language_versions,
    numbered,
    translation_needs,
)
from services.documents.events import (
    AmendmentAction,
    DocumentText,
    DocumentType,
    LanguageTag,
    ParagraphId,
    Part,
    Status,
)
from services.documents.reading import choose_language
from services.documents.symbols import Symbol
from shared.access import MEMBER_STATES_ONLY, Distribution, StateCode

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
    revision: int
    body: str | None
    decision_id: UUID | None
    decided_on: str | None
    outcome: str | None
    recorded_at: datetime | None


class DocumentOut(BaseModel):
    symbol: str = Field(description="The symbol of the revision shown.")
    document: str = Field(description="The document's base symbol (no suffix).")
    document_type: DocumentType
    revision: int
    latest_revision: int
    status: Status
    recommended_by: str | None
    distribution: Distribution
    language: str
    language_fallback: bool
    requested_languages: list[str]
    languages: list[str] = Field(description="The languages this revision is in.")
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

    @classmethod
    def of(
        cls,
        document: Document,
        revision: Revision | None = None,
        *,
        requested: list[str] | None = None,
        as_of: datetime | None = None,
    ) -> DocumentOut:
        """`revision` of the document (its latest if None), in the first of the `requested`
        languages it has (else in the document's own, saying so)."""
        if revision is None:
            revision = document.latest
        choice = choose_language(revision.languages, requested or [], document.language)
        language = choice.language
        text = revision.text
        return cls(
            symbol=revision.symbol,
            document=document.stream_id,
            document_type=document.document_type,
            revision=revision.number,
            latest_revision=document.latest.number,
            status=document.status,
            recommended_by=document.recommended_by,
            distribution=document.distribution,
            language=language,
            language_fallback=choice.fallback,
            requested_languages=list(choice.requested),
            languages=revision.languages,
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
            status_history=[
                StatusHistoryOut.model_validate(e, from_attributes=True)
                for e in document.status_history
            ],
        )


# ------------------------------------------------------------------------------ the documents


class DocumentSummary(BaseModel):
    symbol: str
    document: str
    document_type: str
    title: str
    revision: int
    languages: list[str]
    status: Status
    recommended_by: str | None
    open_points: int
    distribution: Distribution
    created_at: datetime
    updated_at: datetime

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
            status=document.status,
            recommended_by=document.recommended_by if recommended else None,
            open_points=len(domain.open_points(latest.text, document.language)),
            distribution=document.distribution,
            created_at=document.created_at,  # type: ignore[arg-type]
            updated_at=document.updated_at,  # type: ignore[arg-type]
        )

    @classmethod
    def of_row(cls, row: Any) -> DocumentSummary:
        """The summary of a row of the `documents_list` read model."""
        return cls.model_validate(
            dict(row._mapping)
            | {
                "document": row.stream_id,
                "languages": list(row.revision_languages),
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
    recorded_at: datetime | None
    basis: str
    incorporates: list[UUID]
    languages: list[str]
    held: bool = Field(True, description="False: from before the system, its text not held.")
    dated: date | None = Field(None, description="The date it bears, if imported.")

    @classmethod
    def of(cls, revision: Revision) -> RevisionSummary:
        return cls.model_validate(
            vars(revision) | {"revision": revision.number, "languages": revision.languages}
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


class CreateDraftIn(BaseModel):
    series: str = Field(description="body/session/kind: the service gives the next number.")
    document_type: DocumentType
    language: LanguageTag = Field("en", description="The language the draft is written in.")
    text: DocumentText
    distribution: Distribution = MEMBER_STATES_ONLY
    symbol: str | None = Field(
        None,
        description="Only to import a document that existed before the system: its symbol at "
        "the revision it enters at (`SUM/2022/DRAFT/1/Rev.8`), in `series`. The earlier "
        "revisions are recorded as not held (reading one answers 410); 409 if it is taken.",
    )
    dated: date | None = Field(
        None, description="With `symbol`: the date the imported document bears (2022-10-07)."
    )


class ReviseIn(BaseModel):
    text: DocumentText
    incorporates: list[UUID] = []
    basis: str = ""


class StatusIn(BaseModel):
    status: Status
    body: str | None = Field(None, pattern="^(SWG|SOC|MC|SUMMIT)$")
    note: str = ""


class DistributionIn(BaseModel):
    distribution: Distribution
    reason: str = ""


# ------------------------------------------------------------------------------ translations


class TranslationIn(BaseModel):
    revision: int = Field(ge=0)
    language: LanguageTag
    title: str
    opening: str = ""
    operative_heading: str = ""
    paragraphs: dict[ParagraphId, str]
    items: dict[ParagraphId, str] = {}


class LanguageVersionOut(BaseModel):
    language: str
    revision: int
    stale: bool


class TranslationNeedOut(BaseModel):
    language: str
    translated_revision: int | None
    paragraphs: list[str]


class TranslationsOut(BaseModel):
    document: str
    latest_revision: int
    versions: list[LanguageVersionOut]
    needs_translating: list[TranslationNeedOut]

    @classmethod
    def of(cls, document: Document) -> TranslationsOut:
        return cls(
            document=document.stream_id,
            latest_revision=document.latest.number,
            versions=[LanguageVersionOut(**vars(v)) for v in language_versions(document)],
            needs_translating=[
                TranslationNeedOut(
                    language=n.language,
                    translated_revision=n.translated_revision,
                    paragraphs=list(n.paragraphs),
                )
                for n in translation_needs(document)
            ],
        )


class PendingTranslation(BaseModel):
    document: str
    symbol: str
    revision: int
    languages: list[str] = Field(description="The languages the latest revision is in.")
    missing: list[str] = Field(description="Official languages it still needs.")

    @classmethod
    def of_row(cls, row: Any) -> PendingTranslation:
        """A row of the `documents_list` read model, with the official languages its latest
        revision lacks (none: nothing pending)."""
        return cls(
            document=row.stream_id,
            symbol=row.symbol,
            revision=row.revision,
            languages=list(row.revision_languages),
            missing=sorted(set(OFFICIAL_LANGUAGES) - set(row.revision_languages)),
        )


# -------------------------------------------------------------------------------- amendments


class AmendmentIn(BaseModel):
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
    status: str
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
