"""The request and response models of a document's companion texts: a text that accompanies a
revision without a symbol of its own (the Explanatory Note enclosed with the draft conclusions),
posted, and read in the language asked for."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.documents.domain import Document
from services.documents.events import (
    CompanionKind,
    CompanionRecorded,
    NoteNumber,
    Texts,
)
from services.documents.reading import choose_language
from shared.http.params import Day


class CompanionIn(BaseModel):
    kind: CompanionKind = Field(description="What it is; a document has one of each kind.")
    title: Texts = Field(description="Its title, per language: the document's own language at "
                         "least.")
    paragraphs: list[Texts] = Field(
        min_length=1, description="Its paragraphs in order, each in the languages of the title."
    )
    dated: Day = Field(
        description="The date it bears or, if it bears none, the day it was issued with the "
        "document; not before the date of the revision it accompanies, never later than the "
        "day it is anywhere on earth."
    )
    revision: int | None = Field(
        None, ge=0, description="The revision it accompanies; the latest if absent."
    )
    note: NoteNumber | None = Field(
        None, description="The note verbale that enclosed it with the document, if one did: "
        "SOC/OI/1280."
    )


class CompanionParagraphOut(BaseModel):
    number: str = Field(description="1, 2, ... as it stands.")
    text: str


class CompanionOut(BaseModel):
    kind: CompanionKind
    document: str = Field(description="The document it accompanies (its base symbol).")
    symbol: str = Field(description="The revision it accompanies; it has no symbol of its "
                        "own.")
    revision: int
    dated: date
    note: str | None = Field(description="The note verbale that enclosed it, if one did.")
    language: str
    language_fallback: bool = Field(
        description="True: it is in none of the languages asked for, and is shown in the "
        "document's own."
    )
    languages: list[str]
    title: str
    paragraphs: list[CompanionParagraphOut]

    @classmethod
    def of(
        cls, document: Document, companion: CompanionRecorded, requested: list[str] | None = None
    ) -> CompanionOut:
        """`companion` of `document`, in the first of the `requested` languages it has (else in
        the document's own, saying so)."""
        choice = choose_language(sorted(companion.title), requested or [], document.language)
        return cls(
            kind=companion.kind,
            document=document.stream_id,
            symbol=document.revisions[companion.revision].symbol,
            revision=companion.revision,
            dated=companion.dated,
            note=companion.note,
            language=choice.language,
            language_fallback=choice.fallback,
            languages=sorted(companion.title),
            title=companion.title[choice.language],
            paragraphs=[
                CompanionParagraphOut(number=str(n), text=p[choice.language])
                for n, p in enumerate(companion.paragraphs, start=1)
            ],
        )

    @classmethod
    def all_of(cls, document: Document, requested: list[str] | None = None) -> list[CompanionOut]:
        return [cls.of(document, c, requested) for c in document.companions.values()]

