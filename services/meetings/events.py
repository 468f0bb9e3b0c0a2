"""The meetings service's event types, registered by name and schema version.

Streams:

- ``meeting-<id>`` (stream type ``meeting``): a body's session: its schedule, its agenda from
  the draft to the agenda as adopted, the annotated agendas that annotate it (each its own
  document: ``AgendaAnnotated``), the documents its items consider, the draft decisions
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
ignores; ``text`` may be null, ``recorded_in`` and ``on_recommendation_of`` are optional).
``MeetingScheduled`` is at version 2 (days, and times only where known); version 1 is upcast
when read, but a consumer reading the raw feed sees each event in the version it was stored.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
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
NoteNumber = Annotated[
    str, StringConstraints(
        pattern=r"^[A-Z][A-Z0-9]{0,15}(/[A-Z][A-Z0-9]{0,15}){0,3}/[1-9][0-9]{0,8}$", max_length=80)
]
"""A note verbale's number: its office's series (capitals), then its number: ``SOC/OI/88``,
``IO/1256`` (the notifications service numbers its notes so)."""
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


class NextMeetingSubject(_Frozen):
    """The year of a body's next meeting (the draft conclusions SUM/2022/DRAFT/5, paragraph 5:
    "took decisions ... on the next meetings of the CICA Summit in 2026 and CICA Ministerial
    Council in 2024")."""

    kind: Literal["next_meeting"]
    body: Literal["SUMMIT", "MC"]
    year: int = Field(ge=1992, le=2200)


Subject = Annotated[
    DocumentSubject
    | MembershipApplicationSubject
    | ChairmanshipSubject
    | AgendaItemSubject
    | CoordinatorSubject
    | NextMeetingSubject,
    Field(discriminator="kind"),
]


class RecordedIn(_Frozen):
    """The document that records a decision, and where in it: the Summit's decisions of October
    2022 are known only from its draft conclusions (SUM/2022/DRAFT/5, paragraph 5)."""

    symbol: DocumentSymbol = Field(examples=["SUM/2022/DRAFT/5"])
    paragraph: str = Field(pattern=r"^[A-Za-z0-9.()-]{1,20}$", examples=["5"])


class Recommendation(_Frozen):
    """The body on whose recommendation a decision is taken, and the day it recommended it
    when the source gives one (the annotated agenda: Kyrgyzstan "recommended by the SWG on 14
    September 2022"; the Regulations of the CICA Fund "recommended by the SWG", undated)."""

    body: BodyCode
    dated: date | None = None


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
    text: str | None = None
    """The decision's words as its source gives them; none when the record holds no text
    (absent from no event recorded before it became optional)."""
    item: ItemRef | None = None
    """The agenda item the decision was taken under, when it was taken at a meeting whose
    agenda the record holds."""
    recorded_in: RecordedIn | None = None
    """The document that records the decision, when it is known from that document (required
    when it has no item)."""
    on_recommendation_of: Recommendation | None = None
    """The body whose recommendation the decision follows, when its source says so."""


@event_types.register("DecisionProposed", version=1)
class DecisionProposed(DomainEvent):
    """A draft decision put to the meeting under an item; taken by consensus, so any
    participating member state's objection stops it."""

    decision_id: UUID
    item: ItemRef
    outcome: Outcome
    subject: Subject
    text: str | None = None
    on_recommendation_of: Recommendation | None = None
    recorded_in: RecordedIn | None = None


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


@event_types.register("MeetingScheduled", version=2)
class MeetingScheduled(DomainEvent):
    """A body's session as its sources date it: its first and last days, and the local
    wall-clock time of its start and of its end when a source gives one, in a zone of the tz
    database. The SOC met "in Astana on 10-11 October 2022 at 10:00 (GMT+6 hours)": it starts
    on 10 October at 10:00, ends on 11 October at a time no source gives; the Summit met on
    "12-13 October 2022", at times no source gives. Version 1 held a start and an end each with
    a time (`upcast_meeting_scheduled_v1`)."""

    meeting_id: str
    body: BodyCode
    session: str
    title: str
    venue: str
    starts_on: date
    starts_at_local: time | None = None
    ends_on: date
    ends_at_local: time | None = None
    time_zone: str | None = None
    """The zone its clock times are read in; none when no time is known and no source names
    one."""
    utc_offset_minutes: int | None = None
    """The zone's offset at the start (at the start of the first day when its time is not
    known), as the tz database gave it when scheduled; none with no zone."""
    participants: tuple[StateCode, ...]


@event_types.upcaster("MeetingScheduled", from_version=1)
def upcast_meeting_scheduled_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1's start and end (``starts_local``, ``ends_local``: a local date-time each) as
    days and times."""
    starts = datetime.fromisoformat(data.pop("starts_local"))
    ends = datetime.fromisoformat(data.pop("ends_local"))
    return {**data, "starts_on": starts.date().isoformat(),
            "starts_at_local": starts.time().isoformat(), "ends_on": ends.date().isoformat(),
            "ends_at_local": ends.time().isoformat()}


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


class NoteRef(_Frozen):
    """A note verbale an item cites, by its number and date (item 2 of the SOC's agenda cites
    Kuwait's application, circulated by note SOC/OI/88 of 3 February 2022)."""

    number: NoteNumber = Field(examples=["SOC/OI/88"])
    dated: date | None = Field(default=None, examples=["2022-02-03"])


class SubItem(_Frozen):
    letter: SubItemLetter
    title: str = Field(min_length=1, max_length=1000)
    annotation: str = Field(default="", max_length=5000)
    """An annotation carried in the item itself (agendas recorded before annotated agendas
    were their own documents: `AgendaAnnotated`)."""
    considers: tuple[DocumentRef, ...] = ()
    cites_notes: tuple[NoteRef, ...] = Field(default=(), max_length=20)
    action: Action | None = None


class AgendaItem(_Frozen):
    number: ItemNumber
    title: str = Field(min_length=1, max_length=1000)
    annotation: str = Field(default="", max_length=5000)
    """As a sub-item's."""
    considers: tuple[DocumentRef, ...] = ()
    cites_notes: tuple[NoteRef, ...] = Field(default=(), max_length=20)
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


class Annotation(_Frozen):
    """An annotated agenda's words on one item or sub-item of the agenda, as it gives them."""

    ref: ItemRef
    text: str = Field(min_length=1, max_length=5000)


@event_types.register("AgendaAnnotated", version=1)
class AgendaAnnotated(DomainEvent):
    """An annotated agenda circulated under its own symbol: a document that annotates the
    agenda, item by item, and changes neither its items nor its symbol (the SOC's draft
    annotated agenda SOC/2022-III/Agenda/2 of 7 October 2022 annotates the draft agenda
    SOC/2022-III/Agenda/1, which "was not revised")."""

    symbol: DocumentSymbol
    circulated_on: date
    title: str
    annotates: DocumentSymbol
    """The agenda it annotates, by the symbol it had then."""
    annotations: tuple[Annotation, ...]


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
