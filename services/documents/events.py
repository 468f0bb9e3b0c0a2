"""The documents service's event types, registered by name and schema version.

A document is one stream (stream type ``document``, stream id its base symbol, e.g.
``SUM/2022/DRAFT/1``). Texts are per language: a mapping from a BCP 47 tag (``en``, ``ru``,
``kk``) to the text in that language. Paragraphs carry a stable `id` (like Akoma Ntoso's
``wId``) that survives renumbering: a paragraph's number (PP3, OP5, 12) follows from where it
stands in the revision, never from its id.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.access import Distribution, StateCode
from shared.eventstore import DomainEvent, EventTypes

event_types = EventTypes()

STREAM_TYPE = "document"

LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
]
"""A BCP 47 language tag, lower-case primary subtag: ``en``, ``ru``, ``kk``, ``kk-Cyrl``."""
ParagraphId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
Texts = dict[LanguageTag, str]


class DocumentType(StrEnum):
    STATEMENT = "statement"
    CONCLUSIONS = "conclusions"
    DECISION = "decision"
    REGULATIONS = "regulations"
    CONCEPT_PAPER = "concept_paper"
    PLAN_OF_ACTION = "plan_of_action"
    EXPLANATORY_NOTE = "explanatory_note"
    AGENDA = "agenda"
    MEMORANDUM = "memorandum"
    OTHER = "other"


class Part(StrEnum):
    PREAMBLE = "preamble"
    """Preambular paragraphs, numbered PP1, PP2, ..."""
    OPERATIVE = "operative"
    """Operative paragraphs, numbered OP1, OP2, ..."""
    BODY = "body"
    """Plain numbered paragraphs, 1, 2, ..."""


class Status(StrEnum):
    DRAFT = "draft"
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class AmendmentAction(StrEnum):
    REPLACE = "replace"
    INSERT_AFTER = "insert_after"
    DELETE = "delete"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubItem(_Frozen):
    id: ParagraphId
    text: Texts


class Paragraph(_Frozen):
    id: ParagraphId
    part: Part
    text: Texts
    items: tuple[SubItem, ...] = ()
    sponsors: tuple[StateCode, ...] = ()
    """The member states the paragraph speaks for ("The People's Republic of China and other
    Member States ..."), when it speaks for named states."""


class DocumentText(_Frozen):
    """The whole text of a revision."""

    title: Texts
    opening: Texts = Field(default_factory=dict)
    """The words before the paragraphs: "We, the Heads of State or Government ..."."""
    operative_heading: Texts = Field(default_factory=dict)
    """Between the preamble and the operative part: "DECIDED TO CHART ... AS FOLLOWS:"."""
    paragraphs: tuple[Paragraph, ...] = ()


@event_types.register("DraftCreated", version=1)
class DraftCreated(DomainEvent):
    symbol: str
    document_type: DocumentType
    language: LanguageTag
    """The language the draft was written in: the fallback of every read."""
    text: DocumentText
    distribution: Distribution
    author: str = "Secretariat"
    revision: int = Field(0, ge=0)
    """The revision the document entered the system at: more than 0 for a document that
    existed before the system, imported at its revision (`SUM/2022/DRAFT/1/Rev.8`); the
    revisions before it are recorded as not held, and no text of them is ever invented."""
    dated: date | None = None
    """The date an imported document bears (7 October 2022 for Rev.8); None: the day it was
    recorded, as for a draft made here."""


@event_types.register("DraftRevised", version=1)
class DraftRevised(DomainEvent):
    revision: int = Field(ge=1)
    symbol: str
    text: DocumentText
    incorporates: tuple[UUID, ...] = ()
    """The amendments this revision takes in."""
    basis: str = ""
    """Why there is a new revision: "as recommended by the SWG on 14 September 2022"."""


@event_types.register("TranslationAdded", version=1)
class TranslationAdded(DomainEvent):
    """A language version of one revision: every text of it in `language`."""

    revision: int = Field(ge=0)
    language: LanguageTag
    title: str
    opening: str = ""
    operative_heading: str = ""
    paragraphs: dict[ParagraphId, str]
    items: dict[ParagraphId, str] = Field(default_factory=dict)


@event_types.register("DocumentStatusChanged", version=1)
class DocumentStatusChanged(DomainEvent):
    status: Status
    revision: int
    body: Literal["SWG", "SOC", "MC", "SUMMIT"] | None = None
    decision_id: UUID | None = None
    session: str | None = None
    decided_on: date | None = None
    outcome: str | None = None
    note: str = ""


@event_types.register("DistributionChanged", version=1)
class DistributionChanged(DomainEvent):
    """The document's distribution from now on (a derestriction, say)."""

    distribution: Distribution
    reason: str = ""


@event_types.register("AmendmentProposed", version=1)
class AmendmentProposed(DomainEvent):
    amendment_id: UUID
    state: StateCode
    revision: int
    paragraph_id: ParagraphId
    action: AmendmentAction
    language: LanguageTag = "en"
    text: str = ""
    new_paragraph_id: ParagraphId | None = None
    """For `insert_after`: the id the inserted paragraph will have."""


@event_types.register("AmendmentWithdrawn", version=1)
class AmendmentWithdrawn(DomainEvent):
    amendment_id: UUID
    state: StateCode


@event_types.register("AmendmentDeclined", version=1)
class AmendmentDeclined(DomainEvent):
    amendment_id: UUID
    reason: str = ""
