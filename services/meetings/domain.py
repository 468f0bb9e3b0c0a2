"""The meetings service's rules: a meeting and the member-state list each fold their stream's
events into state, and each decision is a pure function from that state to new events, or an
error that says why not (the silence procedure's are in `services.meetings.silence`). No I/O:
the present instant and the membership the service knows are arguments. What a body may decide
is the kit's table of competences (`shared.competence`), asked on every decision.

Participants follow membership (`follow_membership`): a meeting's participants are the member
states on its first day; a state that becomes a member (founding, admitted, reinstated) by the
first day of a meeting takes part in it, one suspended or withdrawn by then no longer does. A
meeting under way (or held) by the day a change takes effect keeps its participants. A state
objects and places reservations only while it is a member (on the day it does, at UTC, as the
kit's access rule counts it); what it said while a member stays on record, and its objection
counts for consensus while it takes part in the meeting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import TypeAdapter

from services.meetings.considered import add_supplement, replace_document
from services.meetings.considered import base_symbol as base_symbol
from services.meetings.considered import follow_document_revision as follow_document_revision
from services.meetings.considered import follow_supplement as follow_supplement
from services.meetings.events import (
    AgendaAdopted,
    AgendaAmendedByDecision,
    AgendaAnnotated,
    AgendaDrafted,
    AgendaItem,
    AgendaItemSubject,
    AgendaRevised,
    Annotation,
    ConsideredDocumentRevised,
    ConsideredDocumentSupplemented,
    DecisionIdAssigned,
    DecisionObjected,
    DecisionObjectionWithdrawn,
    DecisionProposed,
    DecisionRecorded,
    DocumentSubject,
    MeetingScheduled,
    ParticipantAdded,
    ParticipantRemoved,
    Recommendation,
    RecordedIn,
    ReservationPlaced,
    SubItem,
    Subject,
)
from shared import competence
from shared import domain as kinds
from shared.access.membership import members as members
from shared.access.model import Membership, MembershipChange
from shared.access.model import members_on as members_on
from shared.eventstore import DomainEvent

# ------------------------------------------------------------------------------ bodies


def recommendation_goes_to(body: str) -> tuple[str, ...]:
    """Which bodies `body`'s recommendations go to, as the kit's competences say."""
    return competence.RECOMMENDS_TO[body]


SESSION_PREFIX = competence.SERIES_OF
"""The first segment of a body's session symbols (``SUM/2022`` is a Summit's)."""
_SUBJECT: TypeAdapter[Subject] = TypeAdapter(Subject)


def meeting_id_of(session: str) -> str:
    """A session is one meeting: its id is the session symbol, made URL-safe."""
    return session.replace("/", "-")


# ------------------------------------------------------------------------------ errors


class MeetingsError(
    kinds.RefusedError, title="Refused by the meetings service's rules", rule="meetings-refused"
):
    """A decision the meetings service's rules refuse; nothing is recorded."""


class NotFoundError(kinds.NotFoundError):
    """What the command names (a meeting, a draft decision, a procedure) does not exist."""

    def __init__(self, what: str, **members: Any) -> None:
        super().__init__(f"{what} does not exist.", **members)


class InvalidRequestError(kinds.InvalidError):
    """What the request says cannot be: a zone that does not exist, a clock time without its
    zone, agenda items out of their order. A rule of the Organization that a request
    breaks has a subclass of its own, naming it (`NoSuchAgendaItemError`...)."""


class AgendaAdoptedError(MeetingsError, title="Agenda already adopted", rule="agenda-adopted"): ...


class NotParticipantError(
    kinds.ForbiddenError, title="Not a participant", rule="not-a-participant"
): ...


class NotAMemberStateError(
    kinds.ForbiddenError, title="Not a member state", rule="not-a-member-state"
):
    """A state objects (to a draft at a meeting, or in a silence procedure) and places
    reservations only while it is a member: not while suspended, not once withdrawn."""


def check_member(membership: Membership, state: str, now: datetime, *, acting: str) -> None:
    """`state` is a member on the day of `now` (at UTC, when the registry's changes take
    effect), or `NotAMemberStateError` saying what it may not do (`acting`)."""
    day = now.astimezone(UTC).date()
    if not membership.is_member(state, day):
        raise NotAMemberStateError(
            f"{state} is not a member state on {day.isoformat()} (suspended, withdrawn or never "
            f"admitted): only a member state {acting}.", state=state, on=day.isoformat(),
        )


class SessionOfAnotherBodyError(
    kinds.InvalidError, title="Session of another body", rule="session-of-another-body"
):
    """A body's sessions have its own symbols (``SOC/2022-III`` is the SOC's): a session
    symbol of another series is not one of its sessions."""


class NoStandingObjectionError(
    MeetingsError, title="No standing objection", rule="no-standing-objection"
):
    """Only an objection that stands is withdrawn, by the state that raised it."""


class NoConsensusError(MeetingsError, title="No consensus", rule="no-consensus"): ...


class AgendaNotCirculatedError(
    MeetingsError, title="Agenda not circulated", rule="agenda-not-circulated"
):
    """An agenda is revised, annotated or adopted once its draft is circulated: with none on
    record, there is nothing to revise, annotate or adopt."""


class AgendaCirculatedError(
    MeetingsError, title="Agenda circulated already", rule="agenda-circulated"
):
    """A meeting's draft agenda is circulated once; what changes it then is a revision, under
    a new symbol."""


class AgendaNotAdoptedError(
    MeetingsError, title="Agenda not adopted", rule="agenda-not-adopted"
):
    """A meeting decides under its adopted agenda, and only an adopted agenda is amended (by a
    decision): before its adoption there is no item to decide under, and a draft is revised
    instead."""


class AnnotatedBeforeCirculatedError(
    kinds.InvalidError, title="Annotated before circulated", rule="annotated-before-circulated"
):
    """An annotated agenda is dated on or after the day the agenda it annotates was
    circulated."""


class NoSuchAgendaItemError(
    InvalidRequestError, title="No such agenda item", rule="no-such-agenda-item"
):
    """An annotation, or a decision, is on an item or sub-item the agenda has (``3(c)``): one
    on an item it does not have annotates nothing, and is taken under nothing."""


class SymbolCirculatedError(
    MeetingsError, title="Symbol circulated already", rule="symbol-circulated"
):
    """A document symbol names one text: an agenda, a revision or an annotated agenda
    circulated under a symbol already used is refused, but the same annotated agenda recorded
    again, which records nothing."""


class DecisionWithoutSourceError(
    kinds.InvalidError, title="Decision without a source", rule="decision-without-source"
):
    """A decision is recorded under an item of the meeting's agenda, or, for a meeting whose
    agenda the record does not hold, as the document that records it says (`recorded_in`):
    with neither, nothing says it was taken."""


class DecisionOutsideAgendaError(
    kinds.InvalidError, title="Decision outside the agenda", rule="decision-outside-agenda"
):
    """A meeting whose agenda is on record decides under its items: a decision of it with no
    item would be one no item of the record accounts for."""


class NotRecommendedByError(
    kinds.InvalidError, title="Not a recommendation to this body",
    rule="not-recommended-by",
):
    """A decision follows the recommendation of a body whose recommendations go to the
    deciding body (the SWG's to the SOC, the SOC's to the Summit and the Ministerial Council:
    `shared.competence.RECOMMENDS_TO`), made by the day of the decision."""


class NotAnAgendaDecisionError(
    MeetingsError, title="Not a decision on the agenda", rule="not-an-agenda-decision"
):
    """An adopted agenda is amended by a decision the meeting recorded under its own item
    (adoption of the agenda), not by any decision of the meeting, nor by one it did not
    record."""


class AgendaDecisionUsedError(
    MeetingsError, title="Decision used already", rule="agenda-decision-used"
):
    """One decision amends the agenda once."""


class DecidedItemRemovedError(
    MeetingsError, title="Decided item removed", rule="decided-item-removed"
):
    """An amendment would remove an item that already carries a decision of the meeting."""


class DecisionIdTakenError(MeetingsError, title="Decision id taken", rule="decision-id-taken"):
    """A decision id names one decision in the service: another meeting holds it, or its
    meeting recorded another decision under it (the same decision again records nothing)."""


class NotAsProposedError(
    MeetingsError, title="Not as proposed", rule="decision-not-as-proposed"
):
    """A decision differs from the draft put to the meeting under its id: consensus was
    sought on the draft, so only the draft is taken."""


class DecisionTakenError(MeetingsError, title="Decision taken already", rule="decision-taken"):
    """A decision taken is on record as taken: no draft is put to the meeting under its id,
    and no state objects to it any more."""


class EndsBeforeItStartsError(
    InvalidRequestError, title="Ends before it starts", rule="meeting-ends-before-it-starts"
):
    """A meeting ends on or after its first day, and after the time it starts."""


class SessionScheduledError(
    MeetingsError, title="Session scheduled already", rule="session-scheduled"
):
    """A session is one meeting, scheduled once."""


class NoParticipantsError(MeetingsError, title="No participants", rule="no-participants"):
    """A meeting's participants are the member states on its first day (unless the request
    names them): with none known (the registry's member states have not reached the service
    yet), no one would take part in it."""


class DecidedOutsideTheMeetingError(
    InvalidRequestError, title="Decided outside the meeting", rule="decided-outside-the-meeting"
):
    """A meeting acts on its own days: its decisions, and the adoption of its agenda, are
    dated from its first day to its last."""


class DocumentNotConsideredError(
    InvalidRequestError, title="Document not considered", rule="document-not-considered"
):
    """A decision on a document, under an item, is on a document that item considers."""


class NotUnderItsItemError(
    InvalidRequestError, title="Not under its item", rule="decision-not-under-its-item"
):
    """A decision on an agenda item is taken under that item, not under another, nor under
    none."""


class DraftWithoutItemError(
    InvalidRequestError, title="Draft without an item", rule="draft-without-item"
):
    """A draft decision is put to the meeting under an item of its agenda."""


# ------------------------------------------------------------------------------ time

TIME_ZONES: frozenset[str] = frozenset(available_timezones() - {"localtime", "Factory"})
"""The zones a meeting is scheduled in: the tz database's (as Python has it), but the machine's
own local time and the placeholder zone of no place."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidRequestError(f"{name!r} is not an IANA time zone.", time_zone=name) from error


def instant(local: datetime, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time in `time_zone` (as the tz database says)."""
    return local.replace(tzinfo=zone(time_zone)).astimezone(UTC)


def starts_at(scheduled: MeetingScheduled) -> datetime | None:
    """The instant a meeting starts, when its sources give the time (and so its zone)."""
    if scheduled.starts_at_local is None or scheduled.time_zone is None:
        return None
    return instant(datetime.combine(scheduled.starts_on, scheduled.starts_at_local),
                   scheduled.time_zone)


def ends_at(scheduled: MeetingScheduled) -> datetime | None:
    """The instant a meeting ends, when its sources give the time (and so its zone)."""
    if scheduled.ends_at_local is None or scheduled.time_zone is None:
        return None
    return instant(datetime.combine(scheduled.ends_on, scheduled.ends_at_local),
                   scheduled.time_zone)


def first_instant(scheduled: MeetingScheduled) -> datetime:
    """Where a meeting falls on the time line, to list meetings in order: its start, or with
    no time known the start of its first day (in its zone; at UTC with none). An ordering
    key, never shown as the meeting's start."""
    at = starts_at(scheduled)
    if at is not None:
        return at
    return instant(datetime.combine(scheduled.starts_on, time()),
                   scheduled.time_zone or "UTC")


# ------------------------------------------------------------------------------ meetings


@dataclass
class Decision:
    decision_id: UUID
    item: str | None
    outcome: str
    subject: dict[str, Any]
    decided_on: date
    text: str | None
    recorded_in: RecordedIn | None = None
    on_recommendation_of: Recommendation | None = None


@dataclass
class Meeting:
    meeting_id: str
    scheduled: MeetingScheduled | None = None
    participants: list[str] = field(default_factory=list)
    circulated: AgendaDrafted | None = None
    revisions: list[AgendaRevised] = field(default_factory=list)
    annotated: list[AgendaAnnotated] = field(default_factory=list)
    """The annotated agendas circulated, each its own document: they change no item."""
    adopted: AgendaAdopted | None = None
    items: tuple[AgendaItem, ...] = ()
    """The agenda as it stands: the last draft, or as adopted, with current documents."""
    document_history: list[ConsideredDocumentRevised] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    proposals: dict[UUID, DecisionProposed] = field(default_factory=dict)
    amended_by: list[AgendaAmendedByDecision] = field(default_factory=list)
    """The amendments of the adopted agenda, each by its decision."""
    objections: dict[UUID, list[DecisionObjected]] = field(default_factory=dict)
    """The objections to each draft that stand (a withdrawn one is no longer among them)."""
    withdrawals: dict[UUID, list[DecisionObjectionWithdrawn]] = field(default_factory=dict)
    reservations: dict[UUID, list[ReservationPlaced]] = field(default_factory=dict)
    """The reservations and interpretative statements on each draft or decision."""

    @property
    def exists(self) -> bool:
        return self.scheduled is not None

    @property
    def agenda_symbol(self) -> str | None:
        if self.adopted is not None:
            return self.adopted.symbol
        if self.revisions:
            return self.revisions[-1].symbol
        return self.circulated.symbol if self.circulated else None

    def item(self, ref: str) -> AgendaItem | SubItem | None:
        return find_item(self.items, ref)


def find_item(items: Sequence[AgendaItem], ref: str) -> AgendaItem | SubItem | None:
    """The item ``2`` or sub-item ``3(c)`` of `items`; None if there is none."""
    number, _, letter = ref.partition("(")
    for item in items:
        if item.number == number:
            if not letter:
                return item
            return next((s for s in item.sub_items if s.letter == letter[0]), None)
    return None


def meeting(meeting_id: str, events: Iterable[DomainEvent]) -> Meeting:
    state = Meeting(meeting_id)
    for event in events:
        if isinstance(event, MeetingScheduled):
            state.scheduled = event
            state.participants = list(event.participants)
        elif isinstance(event, ParticipantAdded):
            state.participants = sorted({*state.participants, event.state})
        elif isinstance(event, ParticipantRemoved):
            state.participants = [p for p in state.participants if p != event.state]
        elif isinstance(event, AgendaDrafted):
            state.circulated = event
            state.items = event.items
        elif isinstance(event, AgendaRevised):
            state.revisions.append(event)
            state.items = event.items
        elif isinstance(event, AgendaAnnotated):
            state.annotated.append(event)
        elif isinstance(event, AgendaAdopted):
            state.adopted = event
            state.items = event.items
        elif isinstance(event, AgendaAmendedByDecision):
            state.items = event.items
            state.amended_by.append(event)
        elif isinstance(event, ConsideredDocumentRevised):
            state.document_history.append(event)
            state.items = replace_document(state.items, event.item, event.current)
        elif isinstance(event, ConsideredDocumentSupplemented):
            state.items = add_supplement(state.items, event.item, event.parent, event.added)
        elif isinstance(event, DecisionProposed):
            state.proposals[event.decision_id] = event
            state.objections.setdefault(event.decision_id, [])
        elif isinstance(event, DecisionObjected):
            state.objections.setdefault(event.decision_id, []).append(event)
        elif isinstance(event, DecisionObjectionWithdrawn):
            _withdraw(state, event)
        elif isinstance(event, ReservationPlaced):
            state.reservations.setdefault(event.decision_id, []).append(event)
        elif isinstance(event, DecisionRecorded):
            state.decisions.append(Decision(
                event.decision_id, event.item, event.outcome,
                event.subject.model_dump(mode="json"), event.decided_on, event.text,
                event.recorded_in, event.on_recommendation_of,
            ))
    return state


def check_session(body: str, session: str) -> None:
    """`session` is a session of `body`: its symbol begins with the body's series."""
    if not session.startswith(SESSION_PREFIX[body] + "/"):
        raise SessionOfAnotherBodyError(
            f"A {body} session symbol begins with {SESSION_PREFIX[body]}/: {session!r}.",
            body=body, session=session,
        )


def _withdraw(state: Meeting, event: DecisionObjectionWithdrawn) -> None:
    standing = state.objections.get(event.decision_id, [])
    state.objections[event.decision_id] = [o for o in standing if o.state != event.state]
    state.withdrawals.setdefault(event.decision_id, []).append(event)


def _must_exist(state: Meeting) -> MeetingScheduled:
    if state.scheduled is None:
        raise NotFoundError(f"The meeting {state.meeting_id}", meeting_id=state.meeting_id)
    return state.scheduled


def schedule(
    state: Meeting,
    *,
    body: str,
    session: str,
    title: str,
    venue: str,
    starts_on: date,
    ends_on: date,
    starts_at_local: time | None = None,
    ends_at_local: time | None = None,
    time_zone: str | None = None,
    participants: Sequence[str],
) -> list[MeetingScheduled]:
    """A session as its sources date it: its days, and the clock times of its start and end
    only when a source gives them (the Summit of "12-13 October 2022" has none). A clock time
    is read in a zone, so a time takes one; a zone with no time is kept as given."""
    if state.exists:
        raise SessionScheduledError(f"The session {session} is scheduled already.",
                                    session=session)
    check_session(body, session)
    if any(t is not None and t.tzinfo is not None for t in (starts_at_local, ends_at_local)):
        raise InvalidRequestError(
            "starts_at_local and ends_at_local are wall-clock times without an offset; the "
            "zone is time_zone."
        )
    if ends_on < starts_on:
        raise EndsBeforeItStartsError(
            f"A meeting ends on or after its first day: {ends_on} is before {starts_on}.")
    if (starts_at_local is not None and ends_at_local is not None and ends_on == starts_on
            and ends_at_local <= starts_at_local):
        raise EndsBeforeItStartsError("A meeting ends after it starts.")
    if time_zone is None and (starts_at_local is not None or ends_at_local is not None):
        raise InvalidRequestError(
            "A clock time is read in a time zone: give time_zone with starts_at_local or "
            "ends_at_local.")
    if time_zone is not None and time_zone not in TIME_ZONES:
        raise InvalidRequestError(f"{time_zone!r} is not an IANA time zone.", time_zone=time_zone)
    if not participants:
        raise NoParticipantsError(
            "A meeting has participants: name them, or let the registry's member states reach "
            "the meetings service first."
        )
    offset = None
    if time_zone is not None:
        local = datetime.combine(starts_on, starts_at_local or time())
        delta = local.replace(tzinfo=zone(time_zone)).utcoffset() or timedelta(0)
        offset = int(delta.total_seconds() // 60)
    return [MeetingScheduled(
        meeting_id=state.meeting_id, body=body, session=session,  # type: ignore[arg-type]
        title=title, venue=venue, starts_on=starts_on, starts_at_local=starts_at_local,
        ends_on=ends_on, ends_at_local=ends_at_local, time_zone=time_zone,
        utc_offset_minutes=offset, participants=tuple(sorted(set(participants))),
    )]


def _check_items(items: Sequence[AgendaItem]) -> None:
    if not items:
        raise InvalidRequestError("An agenda has at least one item.")
    for index, item in enumerate(items, start=1):
        if item.number != str(index):
            raise InvalidRequestError(
                f"Agenda items are numbered 1, 2, 3…: item {index} is numbered {item.number}.",
                item=item.number,
            )
        for position, sub in enumerate(item.sub_items):
            expected = chr(ord("a") + position)
            if sub.letter != expected:
                raise InvalidRequestError(
                    f"Sub-items of item {item.number} are lettered (a), (b), (c)…: sub-item "
                    f"{position + 1} is ({sub.letter}).", item=item.number,
                )


def draft_agenda(
    state: Meeting, *, symbol: str, circulated_on: date, items: Sequence[AgendaItem]
) -> list[AgendaDrafted]:
    _must_exist(state)
    if state.circulated is not None:
        raise AgendaCirculatedError(
            f"The draft agenda was circulated already as {state.circulated.symbol}; revise it.",
            symbol=state.circulated.symbol,
        )
    _check_items(items)
    return [AgendaDrafted(symbol=symbol, circulated_on=circulated_on, items=tuple(items))]


def revise_agenda(
    state: Meeting, *, symbol: str, circulated_on: date, items: Sequence[AgendaItem],
    basis: str = "",
) -> list[AgendaRevised]:
    _must_exist(state)
    if state.circulated is None:
        raise AgendaNotCirculatedError("There is no draft agenda to revise; draft it first.")
    if state.adopted is not None:
        raise AgendaAdoptedError(
            "The agenda is adopted: it changes only by a decision the meeting records."
        )
    if symbol in _symbols_used(state):
        raise SymbolCirculatedError(
            f"{symbol} was circulated already; a revision has a new symbol.", symbol=symbol)
    _check_items(items)
    return [AgendaRevised(symbol=symbol, circulated_on=circulated_on, items=tuple(items),
                          basis=basis)]


def _symbols_used(state: Meeting) -> set[str]:
    """The symbols of the agenda, its revisions and its annotated agendas circulated."""
    circulated = [state.circulated] if state.circulated else []
    return {e.symbol for e in [*circulated, *state.revisions, *state.annotated]}


def annotate_agenda(
    state: Meeting, *, symbol: str, circulated_on: date, title: str,
    annotations: Sequence[Annotation],
) -> list[AgendaAnnotated]:
    """Circulate an annotated agenda: its own document, under its own symbol, with its words on
    items of the agenda as it stands; the agenda keeps its items and its symbol. The same
    annotated agenda again records nothing; another text under a symbol circulated is
    refused."""
    _must_exist(state)
    if state.circulated is None:
        raise AgendaNotCirculatedError(
            "There is no agenda to annotate: circulate the draft agenda first.",
            meeting_id=state.meeting_id)
    annotates = state.agenda_symbol or state.circulated.symbol
    for earlier in state.annotated:
        if earlier.symbol == symbol:
            same = (earlier.circulated_on, earlier.title, earlier.annotations) == (
                circulated_on, title, tuple(annotations))
            if same:
                return []
            raise SymbolCirculatedError(
                f"{symbol} was circulated already with other annotations.", symbol=symbol)
    if symbol in _symbols_used(state):
        raise SymbolCirculatedError(
            f"{symbol} was circulated already as the agenda or a revision of it.",
            symbol=symbol)
    last = state.revisions[-1] if state.revisions else state.circulated
    if circulated_on < last.circulated_on:
        raise AnnotatedBeforeCirculatedError(
            f"{symbol} annotates {annotates}, circulated on {last.circulated_on}; it is not "
            f"dated before it ({circulated_on}).", symbol=symbol, annotates=annotates)
    if not annotations:
        raise InvalidRequestError("An annotated agenda annotates at least one item.")
    refs = [a.ref for a in annotations]
    unknown = [ref for ref in refs if state.item(ref) is None]
    if unknown:
        raise NoSuchAgendaItemError(
            f"The agenda {annotates} has no item {', '.join(unknown)}.", items=unknown)
    twice = sorted({ref for ref in refs if refs.count(ref) > 1})
    if twice:
        raise InvalidRequestError(
            f"An annotated agenda annotates an item once: {', '.join(twice)} twice.",
            items=twice)
    return [AgendaAnnotated(symbol=symbol, circulated_on=circulated_on, title=title,
                            annotates=annotates, annotations=tuple(annotations))]


def adopt_agenda(
    state: Meeting, *, adopted_on: date, items: Sequence[AgendaItem] | None = None
) -> list[AgendaAdopted]:
    scheduled = _must_exist(state)
    if state.circulated is None:
        raise AgendaNotCirculatedError("There is no draft agenda to adopt.")
    if state.adopted is not None:
        raise AgendaAdoptedError(f"The agenda was adopted on {state.adopted.adopted_on}.")
    if not scheduled.starts_on <= adopted_on <= scheduled.ends_on:
        raise DecidedOutsideTheMeetingError(
            f"The agenda is adopted at the meeting ({scheduled.starts_on} to "
            f"{scheduled.ends_on}), not on {adopted_on}."
        )
    adopted = tuple(items) if items is not None else state.items
    _check_items(adopted)
    return [AgendaAdopted(adopted_on=adopted_on, symbol=state.agenda_symbol or "",
                          items=adopted, amended=adopted != state.items)]


def amend_adopted_agenda(
    state: Meeting, *, decision_id: UUID, items: Sequence[AgendaItem]
) -> list[AgendaAmendedByDecision]:
    _must_exist(state)
    if state.adopted is None:
        raise AgendaNotAdoptedError("The agenda is not adopted: revise the draft instead.")
    decision = next((d for d in state.decisions if d.decision_id == decision_id), None)
    if decision is None:
        raise NotAnAgendaDecisionError(
            f"An adopted agenda changes only by a decision this meeting recorded; {decision_id} "
            "is not one.", decision_id=str(decision_id),
        )
    on = state.item(decision.item) if decision.item else None
    if not isinstance(on, AgendaItem) or on.action != "adopt_agenda":
        raise NotAnAgendaDecisionError(
            f"The decision {decision_id} was taken under item {decision.item}, not under the "
            "item on the agenda itself: it does not amend the agenda.",
            decision_id=str(decision_id),
        )
    _check_items(items)
    for earlier in state.amended_by:
        if earlier.decision_id == decision_id:
            if earlier.items == tuple(items):
                return []  # the same amendment again
            raise AgendaDecisionUsedError(
                f"The decision {decision_id} amended the agenda already; another amendment "
                "takes another decision.", decision_id=str(decision_id),
            )
    removed = sorted({
        d.item for d in state.decisions if d.item and find_item(items, d.item) is None
    })
    if removed:
        raise DecidedItemRemovedError(
            f"Items {', '.join(removed)} carry decisions of this meeting: an amendment keeps "
            "them.", items=removed,
        )
    return [AgendaAmendedByDecision(decision_id=decision_id, items=tuple(items))]


def record_decision(
    state: Meeting,
    *,
    decision_id: UUID,
    item: str | None,
    outcome: str,
    subject: Subject,
    decided_on: date,
    text: str | None = None,
    recorded_in: RecordedIn | None = None,
    on_recommendation_of: Recommendation | None = None,
) -> list[DecisionRecorded]:
    """A decision of the meeting, by consensus: under an item of its adopted agenda, or, at a
    meeting whose agenda the record does not hold, as the document that records it says
    (`recorded_in`: the Summit's decisions known from its draft conclusions). Within the
    body's competence, on one of the meeting's days, and on the recommendation of a body whose
    recommendations go to it when it says it follows one. The same decision again records
    nothing; other content under its id is refused (`DecisionIdTakenError`)."""
    scheduled = _must_exist(state)
    subject = _SUBJECT.validate_python(subject)
    recorded = next((d for d in state.decisions if d.decision_id == decision_id), None)
    if recorded is not None:
        if _as_recorded(recorded, item=item, outcome=outcome, subject=subject,
                        decided_on=decided_on, text=text, recorded_in=recorded_in,
                        on_recommendation_of=on_recommendation_of):
            return []  # the same decision, recorded once
        raise DecisionIdTakenError(
            f"The decision {decision_id} was taken already with other content; a decision is "
            "recorded once, as taken: another decision takes a new id.",
            decision_id=str(decision_id), meeting_id=state.meeting_id,
        )
    competence.check_competence(scheduled.body, subject.model_dump(mode="json"), outcome)
    if item is None:
        _check_outside_agenda(state, recorded_in=recorded_in, subject=subject)
    else:
        _check_under_item(state, decision_id=decision_id, item=item, outcome=outcome,
                          subject=subject, text=text, recorded_in=recorded_in,
                          on_recommendation_of=on_recommendation_of)
    if not scheduled.starts_on <= decided_on <= scheduled.ends_on:
        raise DecidedOutsideTheMeetingError(
            f"The meeting sits from {scheduled.starts_on} to {scheduled.ends_on}; a decision "
            f"on {decided_on} is not its own."
        )
    if on_recommendation_of is not None:
        _check_recommendation(scheduled.body, on_recommendation_of, decided_on)
    return [DecisionRecorded(
        decision_id=decision_id, meeting_id=state.meeting_id, body=scheduled.body,
        session=scheduled.session, decided_on=decided_on, outcome=outcome,  # type: ignore[arg-type]
        subject=subject, text=text, item=item, recorded_in=recorded_in,
        on_recommendation_of=on_recommendation_of,
    )]


def _as_recorded(
    decision: Decision, *, item: str | None, outcome: str, subject: Subject,
    decided_on: date, text: str | None, recorded_in: RecordedIn | None,
    on_recommendation_of: Recommendation | None,
) -> bool:
    """Whether a decision says what the decision recorded under its id says."""
    return (decision.item, decision.outcome, decision.subject, decision.decided_on,
            decision.text, decision.recorded_in, decision.on_recommendation_of) == (
        item, outcome, _SUBJECT.validate_python(subject).model_dump(mode="json"), decided_on,
        text, recorded_in, on_recommendation_of,
    )


def _check_outside_agenda(
    state: Meeting, *, recorded_in: RecordedIn | None, subject: Subject
) -> None:
    """A decision with no item: named by the document that records it, at a meeting whose
    agenda the record does not hold, and not on an agenda item."""
    if recorded_in is None:
        raise DecisionWithoutSourceError(
            "A decision with no agenda item names the document that records it (recorded_in: "
            "its symbol and paragraph).")
    if state.circulated is not None:
        raise DecisionOutsideAgendaError(
            f"The meeting's agenda {state.agenda_symbol} is on record: a decision of it is "
            "taken under one of its items.", agenda=state.agenda_symbol)
    if isinstance(subject, AgendaItemSubject):
        raise NotUnderItsItemError(
            "A decision on an agenda item is taken under that item: this one has none.")


def _check_under_item(
    state: Meeting, *, decision_id: UUID, item: str, outcome: str, subject: Subject,
    text: str | None, recorded_in: RecordedIn | None,
    on_recommendation_of: Recommendation | None,
) -> None:
    """A decision under `item`: of the adopted agenda, as the draft put to the meeting (if any)
    said, with no standing objection, on what the item considers."""
    if state.adopted is None:
        raise AgendaNotAdoptedError(
            "A meeting decides under its adopted agenda: adopt the agenda first.")
    proposed = state.proposals.get(decision_id)
    if proposed is not None and not _as_proposed(
        proposed, item=item, outcome=outcome, subject=subject, text=text,
        recorded_in=recorded_in, on_recommendation_of=on_recommendation_of,
    ):
        raise NotAsProposedError(
            f"The draft decision {decision_id} was put to the meeting under item "
            f"{proposed.item} as {proposed.outcome!r} with its own text; it is taken as put, "
            "or not at all.", decision_id=str(decision_id),
        )
    objected = _standing_objections(state, item=item, subject=subject)
    if objected:
        raise NoConsensusError(
            f"{', '.join(sorted(objected))} objected to a draft decision on this subject under "
            f"item {item}: a decision with an objection is not taken, under any id.",
            decision_id=str(decision_id), objections=sorted(objected),
        )
    on = state.item(item)
    if on is None:
        raise NoSuchAgendaItemError(f"The agenda has no item {item}.", item=item)
    if isinstance(subject, DocumentSubject):
        considered = {d.symbol for d in on.considers}
        if subject.symbol not in considered:
            raise DocumentNotConsideredError(
                f"Item {item} considers {sorted(considered) or 'no document'}, not "
                f"{subject.symbol}.", item=item, symbol=subject.symbol,
            )
    if isinstance(subject, AgendaItemSubject) and subject.item != item:
        raise NotUnderItsItemError(f"A decision under item {item} is on item {item}.")


def _check_recommendation(body: str, recommendation: Recommendation, decided_on: date) -> None:
    if body not in competence.RECOMMENDS_TO.get(recommendation.body, ()):
        raise NotRecommendedByError(
            f"The {recommendation.body}'s recommendations go to "
            f"{', '.join(competence.RECOMMENDS_TO.get(recommendation.body, ())) or 'no body'}, "
            f"not to the {body}.", body=body, recommended_by=recommendation.body)
    if recommendation.dated is not None and recommendation.dated > decided_on:
        raise NotRecommendedByError(
            f"A decision of {decided_on} follows a recommendation made by then, not one of "
            f"{recommendation.dated}.", recommended_by=recommendation.body)


def assign_decision_id(
    events: Iterable[DomainEvent], *, decision_id: UUID, meeting_id: str
) -> list[DecisionIdAssigned]:
    """Take `decision_id` for a draft or a decision of `meeting_id`, the first time; again for
    the same meeting, nothing; for another meeting, refused."""
    for event in events:
        if isinstance(event, DecisionIdAssigned):
            if event.meeting_id == meeting_id:
                return []
            raise DecisionIdTakenError(
                f"The decision id {decision_id} names a decision of {event.meeting_id}; a new "
                "decision takes a new id.", decision_id=str(decision_id),
                meeting_id=event.meeting_id,
            )
    return [DecisionIdAssigned(decision_id=decision_id, meeting_id=meeting_id)]


def _as_proposed(
    proposed: DecisionProposed, *, item: str, outcome: str, subject: Subject, text: str | None,
    recorded_in: RecordedIn | None = None, on_recommendation_of: Recommendation | None = None,
) -> bool:
    """Whether a decision says what the draft put to the meeting said."""
    return (proposed.item, proposed.outcome, proposed.subject, proposed.text,
            proposed.recorded_in, proposed.on_recommendation_of) == (
        item, outcome, _SUBJECT.validate_python(subject), text, recorded_in,
        on_recommendation_of,
    )


def _standing_objections(state: Meeting, *, item: str, subject: Subject) -> set[str]:
    """The states objecting to any draft on `subject` under `item`: consensus is on what is
    decided, so a fresh id does not escape an objection to the same decision. An objection
    withdrawn no longer stands (the fold keeps only those that stand in `objections`); one
    of a state that no longer takes part in the meeting (suspended or withdrawn by its first
    day) stays on record but does not count: consensus is among the participants."""
    subject = _SUBJECT.validate_python(subject)
    return {
        objection.state
        for proposal in state.proposals.values()
        if proposal.item == item and proposal.subject == subject
        for objection in state.objections.get(proposal.decision_id, [])
        if objection.state in state.participants
    }


def propose_decision(
    state: Meeting, *, decision_id: UUID, item: str | None, outcome: str, subject: Subject,
    decided_on: date, text: str | None = None, recorded_in: RecordedIn | None = None,
    on_recommendation_of: Recommendation | None = None,
) -> list[DecisionProposed]:
    """Put a draft decision to the meeting under an item of its agenda: checked as
    `record_decision` checks it. The same draft put again changes nothing; other content under
    the same id is refused (a draft is put once; a new text is a new draft)."""
    if item is None:
        raise DraftWithoutItemError("A draft decision is put to the meeting under an item of "
                                    "its agenda: name the item.")
    facts: dict[str, Any] = {"item": item, "outcome": outcome, "subject": subject, "text": text,
                             "recorded_in": recorded_in,
                             "on_recommendation_of": on_recommendation_of}
    proposed = state.proposals.get(decision_id)
    if proposed is not None:
        if _as_proposed(proposed, **facts):
            return []
        raise NotAsProposedError(
            f"The draft decision {decision_id} was put already with other content; put a new "
            "text under a new id.", decision_id=str(decision_id),
        )
    (checked,) = record_decision(state, decision_id=decision_id, decided_on=decided_on,
                                 **facts) or [None]
    if checked is None:
        raise DecisionTakenError(f"The decision {decision_id} is recorded already.",
                                 decision_id=str(decision_id))
    return [DecisionProposed(decision_id=decision_id, item=item, outcome=checked.outcome,
                             subject=checked.subject, text=text, recorded_in=recorded_in,
                             on_recommendation_of=on_recommendation_of)]


def object_to_decision(
    state: Meeting, *, decision_id: UUID, member_state: str, membership: Membership,
    now: datetime, reason: str = "",
) -> list[DecisionObjected]:
    """A participating state objects to a draft put to the meeting, while it is a member
    state (`now`, by `membership`); objected already, nothing more is recorded."""
    _must_exist(state)
    if decision_id not in state.proposals:
        raise NotFoundError(f"The draft decision {decision_id}", decision_id=str(decision_id))
    if any(d.decision_id == decision_id for d in state.decisions):
        raise DecisionTakenError(f"The decision {decision_id} is taken already.",
                                 decision_id=str(decision_id))
    if member_state not in state.participants:
        raise NotParticipantError(
            f"{member_state} does not take part in this meeting; only participants object.",
            state=member_state,
        )
    check_member(membership, member_state, now, acting="objects to a draft decision")
    if any(o.state == member_state for o in state.objections.get(decision_id, [])):
        return []
    return [DecisionObjected(decision_id=decision_id, state=member_state, reason=reason)]


def withdraw_objection_to_decision(
    state: Meeting, *, decision_id: UUID, member_state: str, reason: str = ""
) -> list[DecisionObjectionWithdrawn]:
    """A state withdraws its own objection to a draft: it no longer stands, and the draft can
    be taken if no other does. Withdrawn already (and not raised again), nothing more is
    recorded; a state with no objection to withdraw is refused."""
    _must_exist(state)
    if decision_id not in state.proposals:
        raise NotFoundError(f"The draft decision {decision_id}", decision_id=str(decision_id))
    if any(o.state == member_state for o in state.objections.get(decision_id, [])):
        return [DecisionObjectionWithdrawn(decision_id=decision_id, state=member_state,
                                           reason=reason)]
    if any(w.state == member_state for w in state.withdrawals.get(decision_id, [])):
        return []
    raise NoStandingObjectionError(
        f"{member_state} has no objection to the draft decision {decision_id} to withdraw.",
        decision_id=str(decision_id), state=member_state,
    )


def place_reservation(
    state: Meeting, *, decision_id: UUID, member_state: str, kind: str, text: str,
    membership: Membership, now: datetime,
) -> list[ReservationPlaced]:
    """A participating state places a reservation or an interpretative statement on record on
    a draft put to the meeting or a decision it took, while it is a member state (`now`, by
    `membership`). It does not block the decision; the same text placed again by the same
    state records nothing more."""
    _must_exist(state)
    known = decision_id in state.proposals or any(
        d.decision_id == decision_id for d in state.decisions)
    if not known:
        raise NotFoundError(f"The decision {decision_id} of {state.meeting_id}",
                            decision_id=str(decision_id))
    if member_state not in state.participants:
        raise NotParticipantError(
            f"{member_state} does not take part in this meeting; only participants place "
            "reservations on its decisions.", state=member_state,
        )
    check_member(membership, member_state, now, acting="places reservations on a decision")
    placed = state.reservations.get(decision_id, [])
    if any((r.state, r.kind, r.text) == (member_state, kind, text) for r in placed):
        return []
    return [ReservationPlaced(
        decision_id=decision_id, state=member_state, kind=kind, text=text,  # type: ignore[arg-type]
    )]


def follow_membership(
    state: Meeting, *, state_code: str, change: MembershipChange, effective_on: date,
    membership: Membership,
) -> list[ParticipantAdded | ParticipantRemoved]:
    """A change of `state_code`'s membership (taking effect on `effective_on`; `membership` is
    the service's, the change included) on a meeting that has not started by then: a state
    that is a member on the meeting's first day takes part in it (a founding member, an
    admission, a reinstatement), one that is not (suspended, withdrawn) no longer does. A
    meeting under way or held by that day keeps its participants; a change that is followed
    already records nothing."""
    scheduled = _must_exist(state)
    first_day = scheduled.starts_on
    if first_day < effective_on:
        return []
    member = membership.is_member(state_code, first_day)
    taking_part = state_code in state.participants
    if change.makes_a_member and member and not taking_part:
        return [ParticipantAdded(state=state_code, member_since=effective_on, change=change)]
    if not change.makes_a_member and not member and taking_part:
        return [ParticipantRemoved(state=state_code, change=change, effective_on=effective_on)]
    return []
