"""The request and response models of what is issued to a document and how it goes out: an
addendum or a corrigendum issued to it (and, on a read, those issued so far), and the
circulation of one of its revisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from services.documents.deps import NOT_BLANK
from services.documents.events import (
    DocumentCirculated,
    DocumentText,
    DocumentType,
    LanguageTag,
    NoteNumber,
    Originator,
    Status,
    SupplementKind,
)
from services.documents.symbols import parse_symbol
from shared.access import Distribution
from shared.http.params import Day

# ------------------------------------------------------------------ addenda and corrigenda


class SupplementIn(BaseModel):
    document_type: DocumentType
    language: LanguageTag = Field("en", description="The language it is written in.")
    text: DocumentText
    distribution: Distribution | None = Field(
        None, description="Who reads it; its parent document's distribution if absent."
    )
    dated: Day | None = Field(
        None,
        description="The date it bears; the day it is made unless it says otherwise. Never "
        "later than the day it is anywhere on earth.",
    )
    originator: Originator = Field(
        description="Who issued it (\"Chairmanship of Kazakhstan\", \"Secretariat\").",
        json_schema_extra={"pattern": NOT_BLANK},
    )


class SupplementOut(BaseModel):
    """An addendum or a corrigendum issued to a document, as the document list has it."""

    symbol: str = Field(description="The symbol of its newest revision.")
    document: str = Field(description="Its own base symbol: SUM/2022/DRAFT/5/Add.1.")
    kind: SupplementKind
    title: str
    revision: int
    status: Status
    created_at: datetime

    @classmethod
    def of_row(cls, row: Any) -> SupplementOut:
        """From a row of the `documents_list` read model."""
        symbol = parse_symbol(row.stream_id)
        kind = SupplementKind.CORRIGENDUM if symbol.corr is not None else SupplementKind.ADDENDUM
        return cls(
            symbol=row.symbol,
            document=row.stream_id,
            kind=kind,
            title=row.title,
            revision=row.revision,
            status=Status(row.status),
            created_at=row.created_at,
        )


# ------------------------------------------------------------------------------ circulation


class CirculationIn(BaseModel):
    revision: int | None = Field(
        None, ge=0, description="The revision circulated (or name it in the path's symbol, "
        "`.../Rev.8/circulation`); the latest if neither does."
    )
    dated: Day = Field(description="The day it was circulated: not before the date the "
                       "revision bears, never later than the day it is anywhere on earth.")
    note: NoteNumber | None = Field(
        None, description="The note verbale that circulated it, if one did: SOC/OI/1280."
    )


class CirculationOut(BaseModel):
    revision: int
    symbol: str = Field(description="The symbol of the revision circulated.")
    languages: list[str] = Field(
        description="The language versions circulated, the original first (an unofficial "
        "translation is not circulated as a language version)."
    )
    dated: date
    addressees: Distribution = Field(
        description="Who it was circulated to, as the distribution said then: every member "
        "state (general, member states only) or the listed states (restricted)."
    )
    note: str | None

    @classmethod
    def of(cls, event: DocumentCirculated) -> CirculationOut:
        return cls(
            revision=event.revision,
            symbol=event.symbol,
            languages=list(event.languages),
            dated=event.dated,
            addressees=event.addressees,
            note=event.note,
        )
