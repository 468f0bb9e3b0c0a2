"""The meetings service's event types, registered by name and schema version.

Streams:

- ``meeting-<id>`` (stream type ``meeting``): a body's session: its schedule, its agenda from
  the draft to the agenda as adopted, the documents its items consider, the draft decisions
  put to it, the objections to them (and their withdrawal), its decisions, and the
  reservations and interpretative statements states place on drafts and decisions;
- ``silence-<id>`` (``silence_procedure``): a decision taken by written procedure, the
  objections that break the silence (and their withdrawal before the deadline);
- ``member-states`` (``membership``): the member states as the meetings service knows them,
  followed from the registry's events (``MembershipNoted``: founding membership, admission,
  suspension, reinstatement, withdrawal, each with the day it takes effect; logs written
  before hold ``MemberStatesRegistered`` and ``MemberStateAdmitted``), which give a meeting
  its participants and a state its right to object;
- ``bodies`` (``bodies``): the bodies' names over time, as the registry holds them
  (``BodyNamed``, in `services.meetings.bodies`);
- ``document-<base symbol>`` (``document``): a document's distribution as the documents service
  gave it on creation and changed it since (``DocumentDistributionNoted``), which decides who
  is shown the document's symbol in meetings (`services.meetings.distributions`).

``DecisionRecorded`` v1 is the contract the registry and the documents service follow; its
fields only grow (``item`` is optional, and a subject kind a consumer does not know is one it
ignores).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.access import StateCode
from shared.access.membership import MembershipNoted, MemberStateAdmitted, MemberStatesRegistered
from shared.access.model import Distribution, MembershipChange
from shared.eventstore import DomainEvent, EventTypes

event_types = EventTypes()

BodyCode = Literal["SWG", "SOC", "MC", "SUMMIT"]
Outcome = Literal[
    "approved",
    "recommended_for_adoption",
    "adopted",
    "continue_consideration",
    "deferred",
    "noted",
]
ItemNumber = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,2}$")]
SubItemLetter = Annotated[str, StringConstraints(pattern=r"^[a-z]$")]
ItemRef = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,2}(\([a-z]\))?$")]
"""An item ("3") or a sub-item ("3(c)") of an agenda."""
DocumentSymbol = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9-]*(/[A-Za-z0-9.-]+)+$", max_length=120)
]
Action = Literal[
    "adopt_agenda", "approve", "recommend_for_adoption", "consider", "take_note", "elect",
    "continue_consideration", "report",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------ decisions


class DocumentSubject(_Frozen):
    kind: Literal["document"]
    symbol: str


class MembershipApplicationSubject(_Frozen):
    kind: Literal["membership_application"]
    state: str = Field(pattern=r"^[A-Z]{3}$")


class ChairmanshipSubject(_Frozen):
    kind: Literal["chairmanship"]
    state: str = Field(pattern=r"^[A-Z]{3}$")
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{4}$")


class AgendaItemSubject(_Frozen):
    """A decision on an item itself (the adoption of the agenda, a nomination, a concept paper
    with no symbol yet): what the item's title says."""

    kind: Literal["agenda_item"]
    item: ItemRef


class CoordinatorSubject(_Frozen):
    """A nomination: a state as coordinator or co-coordinator of a priority area (Kyrgyzstan
    as co-coordinator of "Trade and Investment")."""

    kind: Literal["coordinator"]
    state: str = Field(pattern=r"^[A-Z]{3}$")
    area: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    role: Literal["coordinator", "co_coordinator"]


Subject = Annotated[
    DocumentSubject
    | MembershipApplicationSubject
    | ChairmanshipSubject
    | AgendaItemSubject
    | CoordinatorSubject,
    Field(discriminator="kind"),
]


@event_types.register("DecisionRecorded", version=1)
class DecisionRecorded(DomainEvent):
    """A body's decision at a session (stream_type "meeting"), or by silence procedure
    ("silence_procedure"). The contract the registry's reactions read
    (services/registry/reactions.py); the meetings service owns it."""

    decision_id: UUID
    meeting_id: str
    body: BodyCode
    session: str
    decided_on: date
    outcome: Outcome
    subject: Subject
    text: str
    item: ItemRef | None = None
    """The agenda item the decision was taken under, when it was taken at a meeting."""


@event_types.register("DecisionProposed", version=1)
class DecisionProposed(DomainEvent):
    """A draft decision put to the meeting under an item; taken by consensus, so any
    participating member state's objection stops it."""

    decision_id: UUID
    item: ItemRef
    outcome: Outcome
    subject: Subject
    text: str


@event_types.register("DecisionIdAssigned", version=1)
class DecisionIdAssigned(DomainEvent):
    """A decision id taken by a meeting's draft or decision (in a stream of its own, so that one
    id names one decision in the service and never a second at another meeting)."""

    decision_id: UUID
    meeting_id: str


@event_types.register("DecisionObjected", version=1)
class DecisionObjected(DomainEvent):
    """A participating member state objected to a proposed decision: there is no consensus."""

    decision_id: UUID
    state: StateCode
    reason: str = ""


@event_types.register("DecisionObjectionWithdrawn", version=1)
class DecisionObjectionWithdrawn(DomainEvent):
    """A member state withdrew its objection to a proposed decision: its objection no longer
    stands, and the draft can be taken if no other does."""

    decision_id: UUID
    state: StateCode
    reason: str = ""


ReservationKind = Literal["reservation", "statement"]
"""A reservation (the state does not consider itself bound by part of the decision) or an
interpretative statement (how it understands the decision)."""


@event_types.register("ReservationPlaced", version=1)
class ReservationPlaced(DomainEvent):
    """A participating member state placed a reservation or an interpretative statement on
    record on a draft decision or a decision taken; it does not block the decision."""

    decision_id: UUID
    state: StateCode
    kind: ReservationKind
    text: str = Field(min_length=1, max_length=5000)


# ------------------------------------------------------------------------------ meetings


@event_types.register("MeetingScheduled", version=1)
class MeetingScheduled(DomainEvent):
    """A body's session: local wall-clock start and end in an IANA zone, so that 10:00 in
    Asia/Almaty in October 2022 stays UTC+6 whatever the zone's rules became later."""

    meeting_id: str
    body: BodyCode
    session: str
    title: str
    venue: str
    starts_local: datetime
    ends_local: datetime
    time_zone: str
    utc_offset_minutes: int
    """The zone's offset at the start, as the tz database gave it when scheduled."""
    participants: tuple[StateCode, ...]


@event_types.register("ParticipantAdded", version=1)
class ParticipantAdded(DomainEvent):
    """A state that became a member (founding, admitted, reinstated) by the meeting's first
    day takes part in it (the registry's event is the cause)."""

    state: StateCode
    member_since: date
    """The day the change that made it a member takes effect."""
    change: MembershipChange | None = None
    """That change (absent from events recorded before suspensions were followed: an
    admission)."""


@event_types.register("ParticipantRemoved", version=1)
class ParticipantRemoved(DomainEvent):
    """A state suspended or withdrawn by the meeting's first day no longer takes part in it
    (the registry's event is the cause); what it said before stays on record."""

    state: StateCode
    change: MembershipChange
    effective_on: date


# ------------------------------------------------------------------------------ agendas


class DocumentRef(_Frozen):
    """A document an item considers, by its symbol as circulated (with its revision)."""

    symbol: DocumentSymbol = Field(examples=["SUM/2022/DRAFT/1/Rev.8"])
    dated: date | None = Field(default=None, examples=["2022-10-07"])
    note: str = Field(default="", max_length=500,
                      examples=["recommended by the Special Working Group (SWG)"])


class SubItem(_Frozen):
    letter: SubItemLetter
    title: str = Field(min_length=1, max_length=1000)
    annotation: str = Field(default="", max_length=5000)
    considers: tuple[DocumentRef, ...] = ()
    action: Action | None = None


class AgendaItem(_Frozen):
    number: ItemNumber
    title: str = Field(min_length=1, max_length=1000)
    annotation: str = Field(default="", max_length=5000)
    considers: tuple[DocumentRef, ...] = ()
    action: Action | None = None
    sub_items: tuple[SubItem, ...] = ()


@event_types.register("AgendaDrafted", version=1)
class AgendaDrafted(DomainEvent):
    symbol: DocumentSymbol
    circulated_on: date
    items: tuple[AgendaItem, ...]


@event_types.register("AgendaRevised", version=1)
class AgendaRevised(DomainEvent):
    """A new version of the draft (annotated, or amended), circulated under its own symbol."""

    symbol: DocumentSymbol
    circulated_on: date
    items: tuple[AgendaItem, ...]
    basis: str = ""


@event_types.register("AgendaAdopted", version=1)
class AgendaAdopted(DomainEvent):
    """The agenda as the meeting adopted it; `amended` when it differs from the last draft."""

    adopted_on: date
    symbol: DocumentSymbol
    items: tuple[AgendaItem, ...]
    amended: bool


@event_types.register("AgendaAmendedByDecision", version=1)
class AgendaAmendedByDecision(DomainEvent):
    """An adopted agenda changed, by a decision the meeting recorded."""

    decision_id: UUID
    items: tuple[AgendaItem, ...]


@event_types.register("ConsideredDocumentRevised", version=1)
class ConsideredDocumentRevised(DomainEvent):
    """The documents service revised a draft an item considers: the item now considers the
    new revision (the previous one stays in the history)."""

    item: ItemRef
    previous: DocumentRef
    current: DocumentRef


@event_types.register("ConsideredDocumentSupplemented", version=1)
class ConsideredDocumentSupplemented(DomainEvent):
    """The documents service issued an addendum or a corrigendum to a document an item
    considers, while the agenda was not adopted: the item now considers it too, right after
    its parent (and the parent's earlier addenda and corrigenda), with its own date."""

    item: ItemRef
    parent: DocumentRef
    """The parent document as the item considers it."""
    added: DocumentRef
    """The addendum or corrigendum: ``SUM/2022/DRAFT/1/Add.1``, dated as it is."""
    kind: Literal["addendum", "corrigendum"]


# ------------------------------------------------------------------------------ silence procedure


class DraftDecision(_Frozen):
    outcome: Outcome
    subject: Subject
    text: str = Field(min_length=1, max_length=20000)


@event_types.register("SilenceProcedureStarted", version=1)
class SilenceProcedureStarted(DomainEvent):
    procedure_id: UUID
    body: BodyCode
    session: str
    meeting_id: str | None = None
    draft: DraftDecision
    started_at: AwareDatetime
    deadline: AwareDatetime
    participants: tuple[StateCode, ...]


@event_types.register("ObjectionRaised", version=1)
class ObjectionRaised(DomainEvent):
    state: StateCode
    raised_at: AwareDatetime
    reason: str = ""


@event_types.register("ObjectionWithdrawn", version=1)
class ObjectionWithdrawn(DomainEvent):
    """A member state withdrew, before the deadline, the objection by which it broke the
    silence: at the deadline its objection no longer counts."""

    state: StateCode
    withdrawn_at: AwareDatetime
    reason: str = ""


@event_types.register("SilenceProcedureConcluded", version=1)
class SilenceProcedureConcluded(DomainEvent):
    outcome: Literal["adopted", "not_adopted"]
    concluded_at: AwareDatetime
    objections: tuple[StateCode, ...]
    decision_id: UUID | None = None


# ------------------------------------------------------------------------------ documents


@event_types.register("DocumentDistributionNoted", version=1)
class DocumentDistributionNoted(DomainEvent):
    """The documents service created a document or changed its distribution: who may be shown
    its symbol in meetings from now on (the agenda items that consider it, the decisions on
    it, the events that name it)."""

    symbol: DocumentSymbol
    """The document's base symbol (``SUM/2022/DRAFT/1``: every revision of it)."""
    distribution: Distribution


# ------------------------------------------------------------------------------ member states


# The kit's record of the member states this service follows (shared.access.membership).
event_types.register("MemberStatesRegistered", version=1)(MemberStatesRegistered)
event_types.register("MemberStateAdmitted", version=1)(MemberStateAdmitted)
event_types.register("MembershipNoted", version=1)(MembershipNoted)

# The bodies' names as the registry holds them (``BodyNamed``, stream ``bodies``): registered by
# their own module, imported here so that the catalogue is whole wherever it is read.
from services.meetings import bodies as bodies  # noqa: E402
