"""The notifications service's event types, registered by name and schema version.

Streams:

- ``series-<office>`` (stream type ``note_series``; ``series-SOC-OI`` for the office
  ``SOC/OI``): a gapless series of note numbers. ``NoteSeriesOpened`` is its first event and
  says which number comes next (the SOC/OI series was at 1280 when the log began); every
  ``NoteVerbaleIssued`` of the series follows in the same stream, so the stream's version
  serialises the numbering: a number is taken exactly once, and none is skipped.
- ``notice-<notice id>`` (``notice``): a notice the service sends by itself, in reaction to
  another service's event (a draft revised, an addendum or a corrigendum issued, a revision
  circulated, an agenda adopted, a member admitted).
- ``endpoint-<endpoint id>`` (``endpoint``): where a member state's ministry receives notes by
  webhook. No secret is ever in the log: an endpoint's signing secret is derived from the
  service's webhook key, the endpoint id and the secret's generation, and shown once to whoever
  registered or rotated it.
- ``delivery-<delivery id>`` (``delivery``): one message (a note or a notice) to one recipient
  state: each webhook attempt and its outcome, dead-lettering, redelivery by hand, and the
  state's receipt. The delivery id is derived from the message id and the state
  (`delivery_id`), so every service instance names the same delivery the same way.
- ``member-states`` (``membership``): the membership as the notifications service knows it,
  from the registry's events alone: each founding membership, admission, suspension,
  reinstatement and withdrawal with the day it takes effect (``MembershipNoted``, the
  registry's event its cause). It decides who receives a note to all members (the members on
  the note's date) and who is told of a fact (the members on its day). Logs written before hold
  ``MemberStatesRegistered`` (a set-up call the service no longer has) and
  ``MemberStateAdmitted``, folded alike.
- ``document-<base symbol>`` (``document``): what the service knows of another service's
  document: its distribution, which decides who is told of its revisions (and of the addenda
  and corrigenda issued to it).
- ``meeting-<meeting id>`` (``meeting``): what the service knows of a meeting of the meetings
  service: its participants, who are told of the adoption of its agenda.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.access import Distribution, StateCode
from shared.access.membership import MembershipNoted, MemberStateAdmitted, MemberStatesRegistered
from shared.eventstore import DomainEvent, EventTypes

event_types = EventTypes()

NAMESPACE = UUID("6b0f7c1e-8d0b-5b7e-9d6e-2c1a4f0e5a31")
"""The namespace of the ids this service derives (deliveries, reaction notices)."""

LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
]
Texts = dict[LanguageTag, str]
"""A text per language: ``{"en": ..., "ru": ..., "kk": ...}``."""
Office = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,15}(/[A-Z][A-Z0-9]{0,15}){0,3}$")
]
"""An originating office, whose series numbers its notes: ``SOC/OI`` numbers ``SOC/OI/1280``."""
DocumentSymbol = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9-]*(/[A-Za-z0-9.-]+)+$", max_length=120)
]


class NoticeKind(StrEnum):
    """What an endpoint may ask to be sent."""

    NOTE_VERBALE = "note_verbale"
    DOCUMENT_REVISED = "document_revised"
    AGENDA_ADOPTED = "agenda_adopted"
    MEMBER_ADMITTED = "member_admitted"
    ADDENDUM_ISSUED = "addendum_issued"
    """An addendum to a document the state reads (told as a revision is)."""
    CORRIGENDUM_ISSUED = "corrigendum_issued"
    """A corrigendum to a document (or an addendum) the state reads."""
    DOCUMENT_CIRCULATED = "document_circulated"
    """A revision the Secretariat circulated, told to exactly its addressees."""
    AGENDA_CIRCULATED = "agenda_circulated"
    """A meeting's draft agenda (first or revised), told to the meeting's participants."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------ streams

NOTE_SERIES = "note_series"
NOTICE = "notice"
ENDPOINT = "endpoint"
DELIVERY = "delivery"
MEMBERSHIP = "membership"
DOCUMENT = "document"
MEETING = "meeting"
MEMBERS_STREAM = "member-states"


def series_stream(office: str) -> str:
    return "series-" + office.replace("/", "-")


def notice_stream(notice_id: UUID) -> str:
    return f"notice-{notice_id}"


def endpoint_stream(endpoint_id: UUID) -> str:
    return f"endpoint-{endpoint_id}"


def delivery_stream(delivery: UUID | str) -> str:
    return f"delivery-{delivery}"


def document_stream(base_symbol: str) -> str:
    return f"document-{base_symbol}"


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def delivery_id(message_id: UUID, state: str) -> UUID:
    """The one delivery of a message (note or notice) to a state."""
    return uuid5(NAMESPACE, f"delivery/{message_id}/{state}")


# ------------------------------------------------------------------------------ notes verbales


class Enclosure(_Frozen):
    symbol: DocumentSymbol = Field(examples=["SUM/2022/DRAFT/1/Rev.8"])
    pages: int = Field(ge=1, le=10000, examples=[6])
    title: Texts = Field(default_factory=dict)


@event_types.register("NoteSeriesOpened", version=1)
class NoteSeriesOpened(DomainEvent):
    """A series of note numbers for an office, and the number its next note takes."""

    office: Office
    next_number: int = Field(ge=1)


@event_types.register("NoteVerbaleIssued", version=1)
class NoteVerbaleIssued(DomainEvent):
    """A note verbale as the Secretariat sent it; never edited. A correction is a new note
    whose `corrects` names the note it corrects."""

    note_id: UUID
    number: str = Field(examples=["SOC/OI/1280"])
    office: Office
    sequence: int = Field(ge=1, examples=[1280])
    place: str = Field(examples=["Almaty"])
    dated: date
    subject: Texts
    text: Texts
    """The whole text per language, with its diplomatic formulas (from the templates when the
    note was issued from structured data)."""
    languages: tuple[LanguageTag, ...]
    enclosures: tuple[Enclosure, ...] = ()
    recipients: tuple[StateCode, ...]
    """Every state the note is addressed to, as fixed at the moment of issue."""
    addressed_to_all_members: bool
    corrects: str | None = None
    """The number of the note this one corrects."""
    issued_at: AwareDatetime


@event_types.register("NoticeIssued", version=1)
class NoticeIssued(DomainEvent):
    """A notice the service sent of its own accord, because of another service's event (the
    cause is in the metadata): a revision circulated, an addendum or a corrigendum issued, an
    agenda adopted, a member admitted."""

    notice_id: UUID
    kind: NoticeKind
    subject: Texts
    text: Texts
    languages: tuple[LanguageTag, ...]
    recipients: tuple[StateCode, ...]
    reference: str = Field(default="", examples=["SUM/2022/DRAFT/1/Rev.8"])
    """What the notice is about: a document's symbol, a meeting, a state."""
    issued_at: AwareDatetime


# ------------------------------------------------------------------------------ endpoints


@event_types.register("EndpointRegistered", version=1)
class EndpointRegistered(DomainEvent):
    """Where a state's ministry receives notes by webhook (an HTTPS URL outside private,
    loopback and link-local networks, unless the deployment allows them for development)."""

    endpoint_id: UUID
    state: StateCode
    url: str
    languages: tuple[LanguageTag, ...]
    kinds: tuple[NoticeKind, ...]
    secret_generation: int = 1


@event_types.register("EndpointSecretRotated", version=1)
class EndpointSecretRotated(DomainEvent):
    """A new signing secret; the previous one still signs, beside it, until `previous_until`
    so that the ministry can switch without missing a delivery."""

    secret_generation: int = Field(ge=2)
    previous_until: AwareDatetime


@event_types.register("EndpointRemoved", version=1)
class EndpointRemoved(DomainEvent):
    reason: str = ""


# ------------------------------------------------------------------------------ deliveries


@event_types.register("DeliveryAttempted", version=1)
class DeliveryAttempted(DomainEvent):
    """Recorded before the request is sent: an attempt with no outcome after a restart is one
    whose receiver never answered, and is sent again."""

    delivery_id: UUID
    message_id: UUID
    """The note's or notice's id, which is also the ``webhook-id``."""
    state: StateCode
    endpoint_id: UUID
    attempt: int = Field(ge=1)
    attempted_at: AwareDatetime


@event_types.register("DeliverySucceeded", version=1)
class DeliverySucceeded(DomainEvent):
    attempt: int = Field(ge=1)
    status_code: int
    answered_at: AwareDatetime


@event_types.register("DeliveryFailed", version=1)
class DeliveryFailed(DomainEvent):
    attempt: int = Field(ge=1)
    reason: str
    """``timeout``, ``connection``, ``status 503``, ..."""
    status_code: int | None = None
    failed_at: AwareDatetime
    next_attempt_at: AwareDatetime | None = None
    """None when this was the last attempt."""


@event_types.register("DeliveryDeadLettered", version=1)
class DeliveryDeadLettered(DomainEvent):
    attempts: int
    dead_lettered_at: AwareDatetime


@event_types.register("DeliveryRequeued", version=1)
class DeliveryRequeued(DomainEvent):
    """Sent again by hand (after a dead letter, or to a new endpoint); attempts count anew."""

    requeued_at: AwareDatetime
    reason: str = ""


@event_types.register("ReceiptAcknowledged", version=1)
class ReceiptAcknowledged(DomainEvent):
    """A state acknowledged receipt of a message addressed to it (for itself only)."""

    delivery_id: UUID
    message_id: UUID
    state: StateCode
    acknowledged_at: AwareDatetime
    reference: str = ""
    """The ministry's own reference for the receipt, if it gives one."""


# ------------------------------------------------------------------------------ what it learns


# The kit's record of the membership this service follows (shared.access.membership): the
# registry's changes (`MembershipNoted`), and the two events of logs written before.
event_types.register("MembershipNoted", version=1)(MembershipNoted)
event_types.register("MemberStatesRegistered", version=1)(MemberStatesRegistered)
event_types.register("MemberStateAdmitted", version=1)(MemberStateAdmitted)


@event_types.register("DocumentDistributionNoted", version=1)
class DocumentDistributionNoted(DomainEvent):
    """The documents service created a document or changed its distribution: who is told of
    its revisions from now on."""

    symbol: DocumentSymbol
    distribution: Distribution


@event_types.register("MeetingParticipantsNoted", version=1)
class MeetingParticipantsNoted(DomainEvent):
    """The meetings service scheduled a meeting or added a participant to it (its
    ``MeetingScheduled`` or ``ParticipantAdded`` is the cause): who takes part, so that the
    adoption of its agenda is told to them."""

    meeting_id: str
    participants: tuple[StateCode, ...]


STREAM_TYPES = Literal[
    "note_series", "notice", "endpoint", "delivery", "membership", "document", "meeting"
]
