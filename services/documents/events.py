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
MAX_ORIGINATOR = 200
Originator = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ORIGINATOR)]
"""Who issued a text, as it says so: "Chairmanship of Kazakhstan", "Secretariat"."""
NoteNumber = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Z][A-Z0-9]{0,15}(/[A-Z][A-Z0-9]{0,15}){0,3}/[1-9][0-9]{0,8}$", max_length=80
    ),
]
"""The number of a note verbale: ``SOC/OI/1280``."""


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


class SupplementKind(StrEnum):
    """What a document issued to another one is (its symbol says which)."""

    ADDENDUM = "addendum"
    """``.../Add.N``: text added to its parent document."""
    CORRIGENDUM = "corrigendum"
    """``.../Corr.N``: a correction of its parent document (or of an addendum)."""


class CompanionKind(StrEnum):
    """What a text that accompanies a document is: its kind is its name within the document
    (one of each kind)."""

    EXPLANATORY_NOTE = "explanatory_note"
    """An explanatory note on the document ("Explanatory Note on the Draft Conclusions of the
    Sixth CICA Summit", enclosed with SUM/2022/DRAFT/5)."""


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
    """The service that recorded the draft (always the Secretariat's); who issued its text is
    `originator`."""
    revision: int = Field(0, ge=0)
    """The revision the document entered the system at: more than 0 for a document that
    existed before the system, imported at its revision (`SUM/2022/DRAFT/1/Rev.8`); the
    revisions before it are recorded as not held, and no text of them is ever invented."""
    dated: date | None = None
    """The date the text bears (7 October 2022 for Rev.8). None only in events recorded before
    drafts made here were dated: read as the day it was recorded."""
    originator: Originator | None = None
    """Who issued the text ("Chairmanship of Kazakhstan", "Secretariat"). None: the source of
    an imported document does not say (nothing is attributed without one), or an event
    recorded before originators were."""
    parent: str | None = None
    """For an addendum or a corrigendum (``SUM/2022/DRAFT/1/Add.1``): the document it is
    issued to, by its base symbol (``SUM/2022/DRAFT/1``), which the service held when it was
    made. None for any other document (and in events recorded before addenda and corrigenda
    named their parent)."""


@event_types.register("DraftRevised", version=1)
class DraftRevised(DomainEvent):
    """A new revision: the whole text of `symbol` (``.../Rev.N``), superseding the one before.
    Published contract (the meetings and notifications services follow it): fields are only
    ever added, each with a default, so version 1 reads every event ever recorded."""

    revision: int = Field(ge=1)
    symbol: str
    text: DocumentText
    incorporates: tuple[UUID, ...] = ()
    """The amendments this revision takes in."""
    basis: str = ""
    """Why there is a new revision: "as recommended by the SWG on 14 September 2022"."""
    dated: date | None = None
    """The date the revision bears ("Rev.3 of 14 September 2022"). None only in events recorded
    before revisions were dated: read as the day it was recorded."""
    originator: Originator | None = None
    """Who issued the revision ("Chairmanship of Kazakhstan"). None only in events recorded
    before revisions named their originator."""
    declines: tuple[UUID, ...] = ()
    """The open amendments this revision declines (they end as declined)."""
    supersedes_amendments: tuple[UUID, ...] = ()
    """Every other amendment still open on the revision this one supersedes: it ends as
    superseded (to be proposed again, if its state wishes, on the new text)."""


@event_types.register("TranslationAdded", version=1)
class TranslationAdded(DomainEvent):
    """A language version of one revision: every text of it in `language`, which is never the
    document's own (its original)."""

    revision: int = Field(ge=0)
    language: LanguageTag
    official: bool = False
    """True: a language version the Secretariat issues, as authentic as the original. False: an
    unofficial translation, for information, and every read of it says so. Events recorded
    before the flag existed did not state it: they read as unofficial, so that no unstated
    text is ever taken for the official one."""
    replaces: bool = False
    """True: the revision had a text in this language already, which this one replaces (before
    adoption only: the earlier text stays in the log)."""
    title: str
    opening: str = ""
    operative_heading: str = ""
    paragraphs: dict[ParagraphId, str]
    items: dict[ParagraphId, str] = Field(default_factory=dict)


@event_types.register("DocumentStatusChanged", version=1)
class DocumentStatusChanged(DomainEvent):
    """The status of one revision, by a body's decision (or recorded by hand). The document's
    status is its latest revision's: a decision on a revision since superseded is recorded on
    that revision and does not carry over to the newer text."""

    status: Status
    revision: int
    """The revision decided on (the decision's subject ``SUM/2022/DRAFT/1/Rev.8``: 8)."""
    latest_revision: int | None = None
    """The document's latest revision when the decision was recorded: above `revision`, the
    decision was on a superseded text. None in events recorded before it was stated."""
    body: Literal["SWG", "SOC", "MC", "SUMMIT"] | None = None
    decision_id: UUID | None = None
    session: str | None = None
    decided_on: date | None = None
    outcome: str | None = None
    note: str = ""
    closes_amendments: tuple[UUID, ...] = ()
    """The amendments still open when the document was adopted: they end, closed by the
    adoption."""


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


@event_types.register("DocumentCirculated", version=1)
class DocumentCirculated(DomainEvent):
    """The Secretariat circulated one revision of the document: its language versions (the
    original and the official versions it had then; an unofficial translation is not a
    language version of the text), on a date, to the addressees the document's distribution
    named then."""

    document: str
    """The document's base symbol: ``SUM/2022/DRAFT/1``."""
    revision: int = Field(ge=0)
    symbol: str
    """The symbol of the revision circulated: ``SUM/2022/DRAFT/1/Rev.8``."""
    languages: tuple[LanguageTag, ...] = Field(min_length=1)
    """The language versions circulated, the original first. A second circulation of the
    revision on the same date carries only those not circulated that day yet."""
    dated: date
    """The day it was circulated (7 October 2022 for Rev.8)."""
    addressees: Distribution
    """Who it was circulated to, as the distribution said then: every member state (general or
    member states only), or the listed states only (restricted)."""
    note: NoteNumber | None = None
    """The note verbale that circulated it, if one did: ``SOC/OI/1280``."""


@event_types.register("CompanionRecorded", version=1)
class CompanionRecorded(DomainEvent):
    """A text that accompanies one revision of the document without being a document of its
    own (the Explanatory Note enclosed with SUM/2022/DRAFT/5): it has no symbol, since its
    source gives it none and the service invents none, and it is read with the document and by
    whoever may read the document."""

    kind: CompanionKind
    revision: int = Field(ge=0)
    """The revision it accompanies (SUM/2022/DRAFT/5: 0)."""
    title: Texts
    paragraphs: tuple[Texts, ...] = Field(min_length=1)
    """Its paragraphs in order, numbered 1, 2, ... by where they stand; each in the languages
    of the title."""
    dated: date
    """The date it bears, or, for one that bears none, the day it was issued with the document
    (the Explanatory Note: 7 October 2022, enclosed with SUM/2022/DRAFT/5 by SOC/OI/1280)."""
    note: NoteNumber | None = None
    """The note verbale that enclosed it with the document, if one did: ``SOC/OI/1280``."""
