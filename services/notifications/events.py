"""The notifications service's event types, registered by name and schema version.

Streams:

- ``register-<name>`` (stream type ``note_register``; ``register-2022``): a register of notes,
  one count that several prefixes share (``SOC/OI/1280`` and ``IO/1256`` are numbers of one
  count), restarted each year. ``NoteRegisterOpened`` is its first event: its prefixes, its
  year and the number its next issued note takes (1280 in 2022, when the log began). Every
  ``NoteVerbaleIssued`` of the register follows in the same stream, and every
  ``NoteRecordedByReference`` (a note the log did not issue, known from a source that cites
  it: ``SOC/OI/88 of 3 February 2022``), so the stream's version serialises the numbering: a
  number is taken exactly once, the issued ones follow one another with none skipped, and the
  register's order (a higher number never dated before a lower one) is decided on all of them.
- ``prefix-<prefix>`` (``note_prefix``; ``prefix-SOC-OI``): which register numbers a prefix's
  notes in which year (``NotePrefixAssigned``), appended in the same transaction as the
  register's opening, so that two registers never claim one prefix for one year.
- ``series-<office>`` (``note_series``; ``series-SOC-OI``): the series per office of logs
  written before the registers. ``NoteSeriesOpened`` and the notes after it fold as a register
  named after the office, of that one prefix, never restarted (no year); an issued note of v1
  is brought to v2 by naming that register.
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
from typing import Annotated, Any, Literal
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
"""A note's prefix, its originating office: ``SOC/OI`` in ``SOC/OI/1280``; its register
gives the number."""
RegisterName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,16}([/-][A-Za-z0-9]{1,16}){0,3}$")
]
"""A register's name: ``2022`` (or, for a series of the logs before, its office: ``SOC/OI``)."""
NEW_REGISTER_NAME = r"^[A-Za-z0-9]{1,16}(-[A-Za-z0-9]{1,16}){0,3}$"
"""The name of a register opened now: no ``/`` (its stream, ``register-<name>``, must name it
alone)."""
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

NOTE_REGISTER = "note_register"
NOTE_PREFIX = "note_prefix"
NOTE_SERIES = "note_series"
NOTICE = "notice"
ENDPOINT = "endpoint"
DELIVERY = "delivery"
MEMBERSHIP = "membership"
DOCUMENT = "document"
MEETING = "meeting"
MEMBERS_STREAM = "member-states"


def register_stream(register: str) -> str:
    return "register-" + register.replace("/", "-")


def prefix_stream(prefix: str) -> str:
    return "prefix-" + prefix.replace("/", "-")


def series_stream(office: str) -> str:
    """The stream of an office's series, in logs written before the registers."""
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


def note_on_record_id(number: str, dated: date) -> UUID:
    """The id of a note known by reference, from its number and year (a count restarted each
    year repeats a number from one year to the next): recorded twice at once, the store keeps
    it once."""
    return uuid5(NAMESPACE, f"note-on-record/{dated.year}/{number}")


# ------------------------------------------------------------------------------ notes verbales


class Enclosure(_Frozen):
    symbol: DocumentSymbol = Field(examples=["SUM/2022/DRAFT/1/Rev.8"])
    pages: int | None = Field(
        default=None,
        ge=1,
        le=10000,
        examples=[None],
        description="its own pages, when known (SOC/OI/1280 gives only the total of its "
        "enclosures: `Enclosure: as stated, on 10 p.`, the note's `pages`)",
    )
    title: Texts = Field(default_factory=dict)


class Citation(_Frozen):
    """Where a source cites a note: the document and the place in it."""

    symbol: DocumentSymbol = Field(examples=["SOC/2022-III/Agenda/2"])
    passage: str = Field(min_length=1, max_length=200, examples=["item 5(b)"])


@event_types.register("NoteSeriesOpened", version=1)
class NoteSeriesOpened(DomainEvent):
    """A series of note numbers for an office, and the number its next note takes: the logs
    written before the registers (`NoteRegisterOpened`) hold it; folded as a register of that
    one office, never restarted."""

    office: Office
    next_number: int = Field(ge=1)


@event_types.register("NoteRegisterOpened", version=1)
class NoteRegisterOpened(DomainEvent):
    """A register of notes: one count shared by its `prefixes`, for `year` (None: a count never
    restarted), and the number its next issued note takes."""

    name: RegisterName
    prefixes: tuple[Office, ...] = Field(min_length=1)
    year: int | None = Field(ge=1992, le=9999)
    next_number: int = Field(ge=1)


@event_types.register("NotePrefixAssigned", version=1)
class NotePrefixAssigned(DomainEvent):
    """A prefix's notes of `year` (None: of every year) are numbered in `register_name`."""

    prefix: Office
    register_name: RegisterName
    year: int | None


@event_types.register("NoteVerbaleIssued", version=2)
class NoteVerbaleIssued(DomainEvent):
    """A note verbale as the Secretariat sent it; never edited. A correction is a new note
    whose `corrects` names the note it corrects. v2 names its `register_name`, gives its total of
    enclosed `pages` (an enclosure's own count is optional) and may have no subject (the
    seed's note has none)."""

    note_id: UUID
    number: str = Field(examples=["SOC/OI/1280"])
    office: Office
    """The note's prefix."""
    sequence: int = Field(ge=1, examples=[1280])
    register_name: RegisterName
    """The register that numbers it (``2022``)."""
    place: str = Field(examples=["Almaty"])
    dated: date
    subject: Texts = Field(default_factory=dict)
    """A subject line, when the note has one (the seed's SOC/OI/1280 has none)."""
    text: Texts
    """The whole text per language, with its diplomatic formulas (from the templates when the
    note was issued from structured data)."""
    languages: tuple[LanguageTag, ...]
    enclosures: tuple[Enclosure, ...] = ()
    pages: int | None = Field(default=None, ge=1, examples=[10])
    """The pages enclosed in all, as the enclosure line gives them (``on 10 p.``)."""
    recipients: tuple[StateCode, ...]
    """Every state the note is addressed to, as fixed at the moment of issue."""
    addressed_to_all_members: bool
    corrects: str | None = None
    """The number of the note this one corrects."""
    issued_at: AwareDatetime


@event_types.upcaster("NoteVerbaleIssued", from_version=1)
def _note_of_a_series(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: a note of the logs before the registers was numbered in its office's series,
    which folds as the register named after the office; its pages in all are its enclosures'
    (each had its own count then)."""
    pages = sum(e.get("pages") or 0 for e in data.get("enclosures", ()))
    return {**data, "register_name": data["office"], "pages": pages or None}


@event_types.register("NoteRecordedByReference", version=1)
class NoteRecordedByReference(DomainEvent):
    """A note the log did not issue, recorded by its number and date as a source cites it
    (the annotated agenda SOC/2022-III/Agenda/2 cites SOC/OI/88 of 3 February 2022 and IO/1256
    of 3 October 2022): what the source says of it, and nothing more: no text, no recipients,
    no deliveries."""

    note_id: UUID
    number: str = Field(examples=["IO/1256"])
    office: Office
    """The note's prefix."""
    sequence: int = Field(ge=1, examples=[1256])
    register_name: RegisterName
    dated: date
    subject: Texts
    """What the citing source says the note is about, in its words."""
    cited_in: Citation
    recorded_at: AwareDatetime


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
    """The meetings service scheduled a meeting, or added a participant to it or removed one
    (its ``MeetingScheduled``, ``ParticipantAdded`` or ``ParticipantRemoved`` is the cause):
    who takes part, so that the adoption of its agenda is told to them."""

    meeting_id: str
    participants: tuple[StateCode, ...]


STREAM_TYPES = Literal[
    "note_register", "note_prefix", "note_series", "notice", "endpoint", "delivery",
    "membership", "document", "meeting",
]
