"""The request and response models of a document's language versions: a translation posted,
and what each language version is (original, official, unofficial) and what needs
translating."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.documents.domain import (
    OFFICIAL_LANGUAGES,
    Document,
    LanguageStatus,
    language_versions,
    translation_needs,
)
from services.documents.events import LanguageTag, ParagraphId


class TranslationIn(BaseModel):
    revision: int = Field(ge=0)
    language: LanguageTag = Field(description="Another language than the document's own.")
    official: bool = Field(
        description="True: a language version the Secretariat issues. False: an unofficial "
        "translation, for information (every read of it says so)."
    )
    title: str
    opening: str = ""
    operative_heading: str = ""
    paragraphs: dict[ParagraphId, str]
    items: dict[ParagraphId, str] = {}


class LanguageVersionOut(BaseModel):
    language: str
    revision: int
    stale: bool
    status: LanguageStatus
    official: bool = Field(description="False: an unofficial translation, not the official "
                           "text.")


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
            versions=[
                LanguageVersionOut(**vars(v), official=v.official)
                for v in language_versions(document)
            ],
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
    unofficial_languages: list[str] = Field(
        description="Those it has in an unofficial translation only (still needing an "
        "official version)."
    )
    missing: list[str] = Field(description="Official languages it still needs.")

    @classmethod
    def of_row(cls, row: Any) -> PendingTranslation:
        """A row of the `documents_list` read model, with the official languages its latest
        revision lacks an official version in (none: nothing pending)."""
        official = set(row.revision_languages) - set(row.unofficial_languages)
        return cls(
            document=row.stream_id,
            symbol=row.symbol,
            revision=row.revision,
            languages=list(row.revision_languages),
            unofficial_languages=list(row.unofficial_languages),
            missing=sorted(set(OFFICIAL_LANGUAGES) - official),
        )
