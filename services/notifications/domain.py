"""The notifications service's rules: a register of notes (one count that several prefixes
share, restarted each year: `Register`), the membership (each state's periods of
membership, as the registry's events announce them), what the service knows of a document's
distribution, a ministry's endpoint and a delivery (its attempts and its receipt) each fold
their stream's events into state, and each decision is a pure function from that state to new
events, or an error that says why not. No I/O: the present instant is an argument.

Membership decides by date, never by today: a note to all member states goes to the members on
the day it is dated (a state admitted later never gets it, a state suspended or withdrawn on
that day neither); a notice goes to the members on the day of the fact it tells. A state the
Secretariat names is addressed whatever its membership (an applicant, a state that withdrew),
but no recipient is sent an enclosure it may not read (`check_enclosures`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from services.notifications.events import (
    Citation,
    DeliveryAttempted,
    DeliveryDeadLettered,
    DeliveryFailed,
    DeliveryRequeued,
    DeliverySucceeded,
    DocumentDistributionNoted,
    Enclosure,
    EndpointRegistered,
    EndpointRemoved,
    EndpointSecretRotated,
    MeetingParticipantsNoted,
    NotePrefixAssigned,
    NoteRecordedByReference,
    NoteRegisterOpened,
    NoteSeriesOpened,
    NoteVerbaleIssued,
    NoticeKind,
    ReceiptAcknowledged,
    Texts,
)
from shared.access.membership import members as members
from shared.access.membership import note_change as note_change
from shared.access.model import Distribution, DistributionKind, Membership
from shared.access.model import members_on as members_on
from shared.domain import GoneError, InvalidError, RefusedError
from shared.domain import NotFoundError as _NotFound
from shared.eventstore import DomainEvent

# ------------------------------------------------------------------------------ errors


class NotificationsError(
    RefusedError, title="Refused by the notifications service's rules", rule="notifications-refused"
):
    """A decision the notifications service's rules refuse; nothing is recorded."""


class NotFoundError(_NotFound):
    """What a command or a read names does not exist: `what`, "The note SOC/OI/1299"."""

    def __init__(self, what: str, **members: Any) -> None:
        super().__init__(f"{what} does not exist.", **members)


class InvalidRequestError(InvalidError): ...


class StateNotNamedError(InvalidError, title="State not named", rule="state-not-named"):
    """A request on a state's behalf (its inbox, its receipt) by a caller that is no member
    state names the state: only a member state's token says which state it is."""


class NotARecipientError(InvalidError, title="Not a recipient", rule="not-a-recipient"):
    """Receipt of a message is acknowledged by a state it was addressed to, and by no other."""

    def __init__(self, what: str, state: str) -> None:
        super().__init__(
            f"{what} was not addressed to {state}: only a recipient acknowledges its receipt.",
            state=state,
        )


class RegisterOpenError(
    NotificationsError, title="Register already open", rule="register-open"
):
    """A register is opened once, with its prefixes, year and first number (409)."""


class PrefixInAnotherRegisterError(
    NotificationsError, title="Prefix in another register", rule="prefix-in-another-register"
):
    """A prefix's notes of a year are numbered in one register at a time (409)."""


class PrefixNotInARegisterError(
    InvalidError, title="Prefix not in a register", rule="prefix-not-in-a-register"
):
    """A note (issued or on record) whose prefix no register numbers in the note's year (422):
    open the register first."""


class RegisterOrderError(
    NotificationsError, title="Out of the register's order", rule="register-order"
):
    """A higher number dated before a lower one of the same register (409): a register's
    numbers follow its notes' dates."""


class CorrectsNoNoteError(
    InvalidRequestError, title="Corrects no note", rule="corrects-no-note"
):
    """A correction refers to a note the register issued or holds on record (422)."""


class NumberTakenError(NotificationsError, title="Number taken", rule="number-taken"):
    """A register's number belongs to one note, whatever its prefix (409)."""


class NumberBeyondRegisterError(
    InvalidError, title="Number beyond the register", rule="number-beyond-the-register"
):
    """A note on record numbered at or above the register's next number (422): the register
    issues that number itself."""


class AmbiguousNumberError(
    InvalidError, title="Number of several years", rule="number-of-several-years"
):
    """A note named by its number alone, which registers of several years hold (422): a count
    restarted each year numbers a note of each year alike; name the year."""


class NoteIdTakenError(NotificationsError, title="Note id taken", rule="note-id-taken"):
    """A note to issue under the id of a note on record (409): an id names one note."""


class NoteOnRecordOnlyError(
    NotificationsError, title="Note on record only", rule="note-on-record-only"
):
    """What only an issued note has (its recipients, their receipts), asked of a note known by
    reference (409): the log holds no recipients of it."""


class NoMembersError(
    NotificationsError, title="No member states known", rule="no-member-states"
): ...


class EnclosureNotDistributedError(
    NotificationsError,
    title="Enclosure not distributed to the recipients",
    rule="enclosure-not-distributed-to-recipients",
):
    """A note encloses a document that one of its recipients may not read (a restricted
    document to a state it does not name, a member-states-only one to a state that is no
    member on the note's date)."""


# ------------------------------------------------------------------------------ numbers

_OFFICE = "[A-Z][A-Z0-9]{0,15}"
_SEQUENCE = "[1-9][0-9]{0,8}"
NOTE_NUMBER = rf"^({_OFFICE}(?:/{_OFFICE}){{0,3}})/({_SEQUENCE})$"
"""A note's number, ``SOC/OI/1280`` (its prefix, then its number in its register), as
a JSON Schema (ECMA 262) pattern: what `parse_number` takes."""
NOTE_KEY = rf"^({_OFFICE}(?:-{_OFFICE}){{0,3}})-({_SEQUENCE})$"
"""A note's number made URL-safe, as its path names it: ``SOC-OI-1280`` for ``SOC/OI/1280``."""
_NUMBER = re.compile(NOTE_NUMBER)
_KEY = re.compile(NOTE_KEY)


def parse_number(number: str) -> tuple[str, int]:
    """``SOC/OI/1280`` → (``SOC/OI``, 1280); `InvalidRequestError` if it is no note number."""
    match = _NUMBER.fullmatch(number)
    if match is None:
        raise InvalidRequestError(
            f"{number!r} is not a note number like SOC/OI/1280.", number=number
        )
    return match[1], int(match[2])


def number_of_key(key: str) -> str:
    """``SOC-OI-1280`` → ``SOC/OI/1280`` (offices have no ``-``, so this is unambiguous)."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise NotFoundError(f"The note {key}", note=key)
    return f"{match[1].replace('-', '/')}/{match[2]}"


def key_of_number(number: str) -> str:
    return number.replace("/", "-")


_REVISION = re.compile(
    r"^(?P<head>.+?)/Rev\.[1-9][0-9]*(?P<tail>(?:/(?:Add|Corr)\.[1-9][0-9]*)*)$"
)


def base_symbol(symbol: str) -> str:
    """The document a symbol names, whatever its revision: ``SUM/2022/DRAFT/1/Rev.9`` →
    ``SUM/2022/DRAFT/1``; an addendum's revision ``SUM/2022/DRAFT/1/Rev.2/Add.1`` →
    ``SUM/2022/DRAFT/1/Add.1``."""
    match = _REVISION.match(symbol)
    return match["head"] + match["tail"] if match else symbol


# ------------------------------------------------------------------------------ registers of notes


@dataclass
class Register:
    """A register of notes: one count that its prefixes share, for its year (None: a count
    never restarted, as the series per office of the logs before were).

    Why one count across prefixes, restarted each year: the sources cite SOC/OI/88 of
    3 February 2022, IO/1256 of 3 October 2022 and SOC/OI/1280 of 7 October 2022. A count at
    88 in early February and at 1256 to 1280 in October of the same year is a count that
    starts again with the year (some 1,200 notes in eight months: a count running on from
    earlier years would not stand at 88 in February); IO/1256 and SOC/OI/1280, four days and
    24 numbers apart under two prefixes, are one count that both prefixes take from (two counts
    of their own would hardly meet so closely). The sources show one year only: that the count
    restarts on 1 January is inferred, not read; a register whose `year` is None is a count
    that never restarts.

    `issued` are the notes the log issued, numbered from `first_number` one after another;
    `on_record` the notes known by reference (`NoteRecordedByReference`), below `first_number`.
    """

    name: str
    prefixes: tuple[str, ...] = ()
    year: int | None = None
    first_number: int = 0
    opened: bool = False
    issued: list[NoteVerbaleIssued] = field(default_factory=list)
    on_record: list[NoteRecordedByReference] = field(default_factory=list)

    @property
    def next_number(self) -> int:
        return self.first_number + len(self.issued)

    def notes(self) -> list[NoteVerbaleIssued | NoteRecordedByReference]:
        """Every note of the register, in its order (by number)."""
        return sorted([*self.on_record, *self.issued], key=lambda n: n.sequence)

    def note(self, sequence: int) -> NoteVerbaleIssued | NoteRecordedByReference | None:
        """The note numbered `sequence`, whatever its prefix (one count: one note a number)."""
        return next((n for n in self.notes() if n.sequence == sequence), None)

    def note_by_id(self, note_id: UUID) -> NoteVerbaleIssued | NoteRecordedByReference | None:
        return next((n for n in self.notes() if n.note_id == note_id), None)

    def covers(self, day: date) -> bool:
        return self.year is None or day.year == self.year


def note_register(name: str, events: Iterable[DomainEvent]) -> Register:
    """The register its stream's events describe (`opened` False: never opened). A series of
    the logs before (`NoteSeriesOpened`) is the register of its one office, with no year."""
    state = Register(name)
    for event in events:
        if isinstance(event, NoteRegisterOpened):
            state.prefixes, state.year = event.prefixes, event.year
            state.first_number, state.opened = event.next_number, True
        elif isinstance(event, NoteSeriesOpened):
            state.prefixes, state.year = (event.office,), None
            state.first_number, state.opened = event.next_number, True
        elif isinstance(event, NoteVerbaleIssued):
            state.issued.append(event)
        elif isinstance(event, NoteRecordedByReference):
            state.on_record.append(event)
    return state


def _overlap(one: int | None, other: int | None) -> bool:
    """Whether two registers' years meet (None: every year)."""
    return one is None or other is None or one == other


def register_of(assignments: Iterable[DomainEvent], year: int) -> str | None:
    """The register that numbers a prefix's notes of `year`, from the prefix's stream."""
    return next(
        (a.register_name for a in assignments
         if isinstance(a, NotePrefixAssigned) and _overlap(a.year, year)),
        None,
    )  # fmt: skip


def registers_of(assignments: Iterable[DomainEvent]) -> list[str]:
    """Every register that numbers a prefix's notes (of one year or another), as assigned."""
    return [a.register_name for a in assignments if isinstance(a, NotePrefixAssigned)]


def open_register(
    state: Register, *, prefixes: Sequence[str], year: int | None, next_number: int
) -> list[NoteRegisterOpened]:
    """Open a register for `prefixes` and `year`, its next issued note numbered
    `next_number`. Opening it again with the same terms records nothing (a retry); with others
    is refused (`RegisterOpenError`): a register is numbered once."""
    terms = (tuple(dict.fromkeys(prefixes)), year, next_number)
    if state.opened:
        if (state.prefixes, state.year, state.first_number) == terms:
            return []
        raise RegisterOpenError(
            f"The register {state.name} is open already (prefixes "
            f"{', '.join(state.prefixes)}, year {state.year}, from {state.first_number}); a "
            "register is never renumbered.",
            register=state.name,
        )
    if not terms[0]:
        raise InvalidRequestError("A register numbers the notes of one prefix at least.")
    return [
        NoteRegisterOpened(
            name=state.name, prefixes=terms[0], year=year, next_number=next_number
        )
    ]


def assign_prefix(
    assignments: Sequence[DomainEvent], *, prefix: str, register: str, year: int | None
) -> list[NotePrefixAssigned]:
    """`prefix`'s notes of `year` are numbered in `register`: once (again, nothing), and only
    if no other register numbers them (`PrefixInAnotherRegisterError`)."""
    for assigned in assignments:
        if not isinstance(assigned, NotePrefixAssigned) or not _overlap(assigned.year, year):
            continue
        if assigned.register_name == register and assigned.year == year:
            return []
        raise PrefixInAnotherRegisterError(
            f"{prefix} notes of {year or 'every year'} are numbered in the register "
            f"{assigned.register_name} already: a prefix belongs to one register at a time.",
            prefix=prefix,
            register=assigned.register_name,
        )
    return [NotePrefixAssigned(prefix=prefix, register_name=register, year=year)]


def check_order(state: Register, *, number: str, sequence: int, dated: date) -> None:
    """The register's order: a higher number is never dated before a lower one
    (`RegisterOrderError`, naming the note it would contradict)."""
    for other in state.notes():
        before = other.sequence < sequence and other.dated > dated
        after = other.sequence > sequence and other.dated < dated
        if before or after:
            raise RegisterOrderError(
                f"{number} dated {dated.isoformat()} would break the register's order: "
                f"{other.number} is dated {other.dated.isoformat()} (a higher number is never "
                "dated before a lower one).",
                number=number,
                contradicts=other.number,
                contradicts_dated=other.dated.isoformat(),
            )


def _check_prefix(state: Register, prefix: str, dated: date) -> None:
    if not state.opened or prefix not in state.prefixes or not state.covers(dated):
        raise PrefixNotInARegisterError(
            f"No register numbers {prefix} notes of {dated.year}: open one that does "
            "(POST /registers).",
            prefix=prefix,
            year=dated.year,
        )


def issue_note(
    state: Register,
    *,
    prefix: str,
    note_id: UUID,
    place: str,
    dated: date,
    subject: Texts,
    text: Texts,
    enclosures: Sequence[Enclosure],
    pages: int | None,
    recipients: Sequence[str] | None,
    membership: Membership,
    enclosed: Mapping[str, Distribution],
    corrects: str | None,
    corrected_exists: bool,
    now: datetime,
) -> list[NoteVerbaleIssued]:
    """The register's next note, `prefix`/the register's next number. Without `recipients`, to
    every member state on the day the note is `dated`; with them, to the states named (a
    non-member too: the Secretariat writes to applicants). `enclosed` is the distribution the
    service knows of each enclosure's document (by the enclosure's symbol): each must be
    readable by every recipient (`check_enclosures`). A note whose `note_id` the register
    holds already is not issued again (a retried request). Its date keeps the register's order
    (`check_order`): no note is dated before one numbered below it, issued or on record."""
    _check_prefix(state, prefix, dated)
    held = state.note_by_id(note_id)
    if isinstance(held, NoteVerbaleIssued):
        return []  # the same note, issued by an earlier request
    if held is not None:
        raise NoteIdTakenError(
            f"The id {note_id} is the note {held.number}'s, on record: a note issued has an id "
            "of its own.",
            note_id=str(note_id),
            number=held.number,
        )
    to_all = recipients is None
    chosen = membership.on(dated) if recipients is None else sorted(set(recipients))
    if to_all and not chosen:
        raise NoMembersError(
            f"No state is known as a member on {dated.isoformat()}: the registry's members "
            "have not reached the service yet, or name the recipients.",
            dated=dated.isoformat(),
        )
    if not chosen:
        raise InvalidRequestError("A note goes to at least one state.")
    languages = tuple(text)
    if not languages:
        raise InvalidRequestError("A note has its text in at least one language.")
    missing = sorted(set(languages) - set(subject)) if subject else []
    if missing:
        raise InvalidRequestError(
            f"The subject is missing in {', '.join(missing)}: a note with a subject has it in "
            "every language of its text.",
            languages=missing,
        )
    in_all = enclosed_pages(enclosures, pages)
    if corrects is not None and not corrected_exists:
        raise CorrectsNoNoteError(
            f"{corrects} was never issued: a correction refers to a note that exists.",
            corrects=corrects,
        )
    sequence = state.next_number
    number = f"{prefix}/{sequence}"
    check_order(state, number=number, sequence=sequence, dated=dated)
    check_enclosures(enclosures, enclosed, recipients=chosen, membership=membership, day=dated)
    return [
        NoteVerbaleIssued(
            note_id=note_id,
            number=number,
            office=prefix,
            sequence=sequence,
            register_name=state.name,
            place=place,
            dated=dated,
            subject=subject,
            text=text,
            languages=languages,
            enclosures=tuple(enclosures),
            pages=in_all,
            recipients=tuple(chosen),
            addressed_to_all_members=to_all,
            corrects=corrects,
            issued_at=now,
        )
    ]


def enclosed_pages(enclosures: Sequence[Enclosure], pages: int | None) -> int | None:
    """The note's pages in all: as given (``on 10 p.``), or the sum of its enclosures' own
    counts when each has one. Given both, they agree (`InvalidRequestError`); a note that
    encloses nothing has no pages."""
    own = [e.pages for e in enclosures]
    counted = sum(p for p in own if p is not None) if own and None not in own else None
    if pages is not None and not enclosures:
        raise InvalidRequestError("A note that encloses nothing has no pages enclosed.")
    if pages is not None and counted is not None and pages != counted:
        raise InvalidRequestError(
            f"The enclosures count {counted} pages, not {pages}.", pages=pages, counted=counted
        )
    return pages if pages is not None else counted


def record_note(
    state: Register,
    *,
    note_id: UUID,
    number: str,
    dated: date,
    subject: Texts,
    cited_in: Citation,
    now: datetime,
) -> list[NoteRecordedByReference]:
    """Record a note the log did not issue, known from `cited_in`, in the register of its
    prefix for its year. Its number is below the register's next number
    (`NumberBeyondRegisterError`: the next number is where the Secretariat said its own count
    stood when it opened the register; a cited note at or past it is a number the register
    would issue itself, and moving the count past it on a citation's word would leave numbers
    that no note holds in a count that has no gaps); taken once (`NumberTakenError`; the same
    record again records nothing); and dated in the register's order (`check_order`)."""
    prefix, sequence = parse_number(number)
    _check_prefix(state, prefix, dated)
    if sequence >= state.next_number:
        raise NumberBeyondRegisterError(
            f"{number} is not below the register {state.name}'s next number "
            f"({state.next_number}): the register issues that number itself.",
            number=number,
            next_number=state.next_number,
        )
    taken = state.note(sequence)
    if taken is not None:
        same = isinstance(taken, NoteRecordedByReference) and (
            taken.note_id, taken.dated, taken.subject, taken.cited_in
        ) == (note_id, dated, subject, cited_in)
        if same:
            return []
        raise NumberTakenError(
            f"Number {sequence} of the register {state.name} is {taken.number} of "
            f"{taken.dated.isoformat()} already: a number is taken once.",
            number=number,
            taken_by=taken.number,
        )
    check_order(state, number=number, sequence=sequence, dated=dated)
    return [
        NoteRecordedByReference(
            note_id=note_id,
            number=number,
            office=prefix,
            sequence=sequence,
            register_name=state.name,
            dated=dated,
            subject=subject,
            cited_in=cited_in,
            recorded_at=now,
        )
    ]


def may_read(distribution: Distribution, state: str, membership: Membership, day: date) -> bool:
    """Whether `state` reads a document of `distribution` on `day`: anyone a general one, the
    members on that day a member-states-only one, the states it names a restricted one."""
    if distribution.kind is DistributionKind.GENERAL:
        return True
    if distribution.kind is DistributionKind.MEMBER_STATES_ONLY:
        return membership.is_member(state, day)
    return state in distribution.states


def check_enclosures(
    enclosures: Sequence[Enclosure],
    enclosed: Mapping[str, Distribution],
    *,
    recipients: Sequence[str],
    membership: Membership,
    day: date,
) -> None:
    """Refuse a note one of whose recipients may not read one of its enclosures on the note's
    `day` (`EnclosureNotDistributedError`, naming the enclosure and those states). An enclosure
    whose distribution the service never learnt (a paper the documents service does not hold,
    or one not heard of yet) is not checked: the note carries its symbol, pages and title, and
    the document itself is read from the documents service, which enforces its distribution."""
    for enclosure in enclosures:
        distribution = enclosed.get(enclosure.symbol)
        if distribution is None:
            continue
        barred = [s for s in recipients if not may_read(distribution, s, membership, day)]
        if barred:
            raise EnclosureNotDistributedError(
                f"{enclosure.symbol} is distributed to {_described(distribution)}: "
                f"{', '.join(barred)} may not read it on {day.isoformat()}, so a note to "
                "them does not enclose it.",
                symbol=enclosure.symbol,
                distribution=distribution.model_dump(mode="json"),
                states=barred,
            )


def _described(distribution: Distribution) -> str:
    if distribution.kind is DistributionKind.RESTRICTED:
        return "the states it names only (" + ", ".join(distribution.states) + ")"
    return "member states only"


# ------------------------------------------------------------------------------ documents


def _last_noted(events: Iterable[DomainEvent], noted: type[DomainEvent], field: str) -> Any:
    """`field` of the last `noted` event; None if there is none."""
    current = None
    for event in events:
        if isinstance(event, noted):
            current = getattr(event, field)
    return current


def distribution(events: Iterable[DomainEvent]) -> Distribution | None:
    """A document's distribution as last noted; None if the service never heard of it."""
    return _last_noted(events, DocumentDistributionNoted, "distribution")


def note_distribution(
    events: Iterable[DomainEvent], *, symbol: str, noted: Distribution
) -> list[DocumentDistributionNoted]:
    if distribution(events) == noted:
        return []
    return [DocumentDistributionNoted(symbol=symbol, distribution=noted)]


def readers(distribution: Distribution, known: Membership, day: date) -> list[str]:
    """The states a document of `distribution` goes to on `day`: every member state then for
    a document of general or member-states-only distribution; for a restricted one, the
    states it names and no other."""
    if distribution.kind is DistributionKind.RESTRICTED:
        return sorted(distribution.states)
    return known.on(day)


def told_of_revisions(noted: Distribution, known: Membership, day: date) -> list[str]:
    """Who is told of a document's revision: its readers (`readers`) as last noted, on the day
    the revision is dated."""
    return readers(noted, known, day)


def told_of_supplement(
    parent: Distribution, own: Distribution, known: Membership, day: date
) -> list[str]:
    """Who is told of an addendum or a corrigendum: its parent's readers, as of a revision of
    the parent, among those who may read the addendum or corrigendum itself (one restricted
    to fewer states is never told to the others)."""
    return sorted(set(readers(parent, known, day)) & set(readers(own, known, day)))


def addressees(addressed: Distribution, known: Membership, day: date) -> list[str]:
    """Who is told of a circulation: exactly its addressees on the day it was circulated
    (general and member states only: every member state then; restricted: the states
    listed)."""
    return readers(addressed, known, day)


# ------------------------------------------------------------------------------ meetings


def participants(events: Iterable[DomainEvent]) -> tuple[str, ...] | None:
    """A meeting's participants as last noted; None if the service never heard of it."""
    return _last_noted(events, MeetingParticipantsNoted, "participants")


def note_participants(
    events: Iterable[DomainEvent], *, meeting_id: str, states: Iterable[str]
) -> list[MeetingParticipantsNoted]:
    noted = tuple(sorted(set(states)))
    if participants(events) == noted:
        return []
    return [MeetingParticipantsNoted(meeting_id=meeting_id, participants=noted)]


# ------------------------------------------------------------------------------ receipts


def receipt(events: Iterable[DomainEvent]) -> ReceiptAcknowledged | None:
    """The first receipt recorded in a delivery's stream (the other events are the attempts)."""
    return next((e for e in events if isinstance(e, ReceiptAcknowledged)), None)


def acknowledge(
    events: Iterable[DomainEvent],
    *,
    delivery_id: UUID,
    message_id: UUID,
    state: str,
    recipients: Sequence[str],
    reference: str,
    now: datetime,
) -> list[ReceiptAcknowledged]:
    """A state acknowledges a message addressed to it, once: again, nothing changes."""
    if state not in recipients:
        raise NotFoundError(f"A message {message_id} to {state}", message_id=str(message_id))
    if receipt(events) is not None:
        return []
    return [
        ReceiptAcknowledged(
            delivery_id=delivery_id,
            message_id=message_id,
            state=state,
            acknowledged_at=now,
            reference=reference,
        )
    ]


# ------------------------------------------------------------------------------ endpoints


class EndpointNotFoundError(_NotFound, title="Endpoint not found", rule="endpoint-not-found"):
    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"No endpoint {endpoint_id}.", endpoint_id=str(endpoint_id))


class EndpointGoneError(GoneError, title="Endpoint removed", rule="endpoint-gone"):
    """An endpoint read after its removal: 410 (its record stays in the list with
    ``include_removed=true``, and in its stream)."""

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(
            f"Endpoint {endpoint_id} was removed; GET /endpoints?include_removed=true lists it.",
            endpoint_id=str(endpoint_id),
        )


class EndpointRemovedError(RefusedError, title="Endpoint removed", rule="endpoint-removed"):
    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"Endpoint {endpoint_id} was removed.", endpoint_id=str(endpoint_id))


class EndpointExistsError(RefusedError, title="Endpoint exists", rule="endpoint-exists"):
    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(
            f"Endpoint {endpoint_id} is registered already.", endpoint_id=str(endpoint_id)
        )


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: UUID
    state: str
    url: str
    languages: tuple[str, ...]
    kinds: tuple[NoticeKind, ...]
    generation: int
    previous_until: datetime | None
    removed: bool
    version: int

    def generations_in_force(self, now: datetime) -> list[int]:
        """The secret generations that sign at `now`: the newest, and the previous one while
        its grace period lasts."""
        if self.previous_until is not None and now < self.previous_until:
            return [self.generation, self.generation - 1]
        return [self.generation]


def endpoint(history: Sequence[DomainEvent]) -> Endpoint | None:
    """The endpoint its stream's events describe; None when it was never registered."""
    current: Endpoint | None = None
    for version, event in enumerate(history, start=1):
        if isinstance(event, EndpointRegistered):
            current = Endpoint(
                endpoint_id=event.endpoint_id,
                state=event.state,
                url=event.url,
                languages=event.languages,
                kinds=event.kinds,
                generation=event.secret_generation,
                previous_until=None,
                removed=False,
                version=version,
            )
        elif current is not None and isinstance(event, EndpointSecretRotated):
            current = replace(
                current,
                generation=event.secret_generation,
                previous_until=event.previous_until,
                version=version,
            )
        elif current is not None and isinstance(event, EndpointRemoved):
            current = replace(current, removed=True, version=version)
    return current


def rotate(
    current: Endpoint | None, endpoint_id: UUID, *, now: datetime, grace: timedelta
) -> EndpointSecretRotated:
    if current is None:
        raise EndpointNotFoundError(endpoint_id)
    if current.removed:
        raise EndpointRemovedError(endpoint_id)
    return EndpointSecretRotated(
        secret_generation=current.generation + 1, previous_until=now + grace
    )


def remove(current: Endpoint | None, endpoint_id: UUID, *, reason: str) -> EndpointRemoved:
    if current is None:
        raise EndpointNotFoundError(endpoint_id)
    if current.removed:
        raise EndpointRemovedError(endpoint_id)
    return EndpointRemoved(reason=reason)


def register(history: Sequence[DomainEvent], event: EndpointRegistered) -> EndpointRegistered:
    """An endpoint is registered once under its id (a retry too is refused: its secret was
    shown once already)."""
    if history:
        raise EndpointExistsError(event.endpoint_id)
    return event


# ------------------------------------------------------------------------------ deliveries

PENDING, ATTEMPTING, FAILED, SUCCEEDED, DEAD_LETTERED = (
    "pending",
    "attempting",
    "failed",
    "succeeded",
    "dead_lettered",
)
STATUSES = (PENDING, ATTEMPTING, FAILED, SUCCEEDED, DEAD_LETTERED)
"""How far a delivery has got (`Progress.status`, and the read model's)."""


@dataclass(frozen=True)
class Progress:
    """How far a delivery has got, from its stream."""

    status: str = PENDING
    attempts: int = 0
    attempted_at: datetime | None = None
    next_attempt_at: datetime | None = None


def progress(history: Sequence[DomainEvent]) -> Progress:
    current = Progress()
    for event in history:
        if isinstance(event, DeliveryAttempted):
            current = Progress(ATTEMPTING, event.attempt, event.attempted_at, None)
        elif isinstance(event, DeliverySucceeded):
            current = Progress(SUCCEEDED, current.attempts, current.attempted_at, None)
        elif isinstance(event, DeliveryFailed):
            current = Progress(
                FAILED, current.attempts, current.attempted_at, event.next_attempt_at
            )
        elif isinstance(event, DeliveryDeadLettered):
            current = Progress(DEAD_LETTERED, current.attempts, current.attempted_at, None)
        elif isinstance(event, DeliveryRequeued):
            current = Progress(PENDING, 0, current.attempted_at, event.requeued_at)
    return current


def is_due(current: Progress, now: datetime, *, lease: timedelta) -> bool:
    """Whether an attempt may be made now: not after success or a dead letter, not while
    another attempt may still be waiting for its answer, not before the backoff is over."""
    if current.status in (SUCCEEDED, DEAD_LETTERED):
        return False
    if current.status == ATTEMPTING:
        return current.attempted_at is None or current.attempted_at + lease <= now
    return current.next_attempt_at is None or current.next_attempt_at <= now


class DeliveryNotFoundError(_NotFound, title="Delivery not found", rule="delivery-not-found"):
    def __init__(self, delivery_id: UUID) -> None:
        super().__init__(f"No delivery {delivery_id}.", delivery_id=str(delivery_id))


class DeliveryNotRequeuableError(
    RefusedError, title="Delivery cannot be sent again now", rule="delivery-not-requeuable"
):
    def __init__(self, delivery_id: UUID, status: str) -> None:
        super().__init__(
            f"Delivery {delivery_id} is {status}: only a delivery that failed, was "
            "dead-lettered or was never attempted is sent again by hand.",
            delivery_id=str(delivery_id),
            delivery_status=status,
        )


def requeue(
    current: Progress, delivery_id: UUID, *, now: datetime, reason: str
) -> DeliveryRequeued:
    if current.status in (SUCCEEDED, ATTEMPTING):
        raise DeliveryNotRequeuableError(delivery_id, current.status)
    return DeliveryRequeued(requeued_at=now, reason=reason)
