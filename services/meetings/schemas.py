"""What the meetings service's HTTP API reads and answers: its path and query parameters, the
bodies of its requests and the representations of its answers (each with an example from
`examples`), and how a meeting, an agenda, a meeting's decisions and a silence procedure are
represented.

A request's JSON schema says all that its parsing checks, and the rules that a schema can say:
dates and times are text (`Day`, `LocalTime`), a session is one of its body's, a zone is one of
the tz database's. The rules of `services.meetings.domain` still decide each of them, and refuse,
naming the rule, what a schema cannot say (a meeting that ends before it starts, an item the
agenda does not have, a deadline that has passed) or does not (items numbered 1, 2, 3... and
sub-items lettered (a), (b), (c)...: `AgendaItemsIn`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Self
from uuid import UUID, uuid4

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from services.meetings import domain, examples, queries, silence
from services.meetings.events import (
    AgendaAnnotated,
    AgendaItem,
    Annotation,
    BodyCode,
    DocumentRef,
    DocumentSymbol,
    DraftDecision,
    ItemRef,
    NoteNumber,
    Outcome,
    Recommendation,
    RecordedIn,
    ReservationKind,
    ReservationPlaced,
    SubItem,
    Subject,
)
from shared.access import StateCode
from shared.http.pages import NextAfter
from shared.http.params import Day, Instant

MEETING_ID = r"^[A-Z]{2,6}-[0-9A-Za-z-]{1,40}$"
SESSION = r"^[A-Z]{2,6}/[0-9A-Za-z/-]{1,40}$"
"""A session's symbol: its body's series, then the session (``SOC/2022-III``); the meeting's id
is the same with ``-`` for ``/``."""

_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"  # not 0000
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_LEAP_DAY = rf"{_LEAP_YEAR}-02-29"
CALENDAR_DAY = rf"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})$"
"""A day of the calendar, ``YYYY-MM-DD``: its schema admits no 31 April, no 29 February of a
year that is not a leap year, no year 0, as parsing admits none."""
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
LOCAL_TIME = rf"^{_TIME}$"
"""A wall-clock time as the venue's clock shows it, with no offset and no day."""
_LOCAL_TIME = re.compile(LOCAL_TIME)


def _one_of(names: Iterable[str]) -> str:
    """A regular expression (of the syntax JSON Schema and Python share) matching exactly
    `names`, each ``Area/Location`` or a single name, grouped by area to keep it short."""

    def literal(text: str) -> str:
        return re.sub(r"([.+*?()\[\]{}|^$\\])", r"\\\1", text)

    by_area: dict[str, list[str | None]] = {}
    for name in sorted(names):
        area, slash, rest = name.partition("/")
        by_area.setdefault(area, []).append(rest if slash else None)
    alternatives = []
    for area, rests in by_area.items():
        nested = [literal(rest) for rest in rests if rest is not None]
        tail = f"/(?:{'|'.join(nested)})" if nested else ""
        if nested and None in rests:
            tail = f"(?:{tail})?"
        alternatives.append(literal(area) + tail)
    return "|".join(alternatives)


TIME_ZONE = rf"^(?:{_one_of(domain.TIME_ZONES)})$"
"""A zone of the tz database, as `domain.schedule` checks it: a pattern, not an enumeration,
which generated clients would make an enum of, several of its names colliding (``GMT+0``,
``GMT-0``, ``GMT0``)."""


def _example(
    example: dict[str, Any], *, extra: Literal["forbid"] | None = None, **schema: Any
) -> ConfigDict:
    """A model's configuration: its example, whether it refuses unknown fields, and what else
    its JSON schema says (`schema`)."""
    config = ConfigDict(json_schema_extra={"examples": [example], **schema})
    if extra is not None:
        config["extra"] = extra
    return config


class SessionOfBody(BaseModel):
    """A request naming a body and one of its sessions (`SESSION_OF_BODY`): said in its schema,
    checked as it is parsed (and by the rules when it is recorded)."""

    body: BodyCode
    session: str

    @model_validator(mode="after")
    def _the_bodys_session(self) -> Self:
        try:
            domain.check_session(self.body, self.session)
        except domain.SessionOfAnotherBodyError as refused:
            raise ValueError(refused.detail) from None
        return self


SESSION_OF_BODY: dict[str, Any] = {
    "anyOf": [
        {"properties": {"body": {"const": body}, "session": {"pattern": f"^{series}/"}}}
        for body, series in domain.SESSION_PREFIX.items()
    ]
}
"""In a request's JSON schema: its `session` is one of its `body`'s (`domain.check_session`),
one alternative per body (rather than an if/then per body, which generators of examples
handle as a negation, and slowly)."""


# ------------------------------------------------------------------------------ parameters

MeetingId = Annotated[str, Path(pattern=MEETING_ID, examples=[examples.SOC_ID])]
ProcedureId = Annotated[UUID, Path(examples=[examples.PROCEDURE_ID])]
DecisionId = Annotated[UUID, Path(examples=[examples.DECISION_ID])]


def _local_time_text(value: Any) -> Any:
    """A local time as a request writes it: text as `LOCAL_TIME` says (no offset, no day);
    one the service made (a `time`) as it is."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _LOCAL_TIME.fullmatch(value):
        raise ValueError("a local time is written hh:mm[:ss], with no offset, e.g. 10:00")
    return value


LocalTime = Annotated[
    time,
    BeforeValidator(_local_time_text),
    WithJsonSchema({
        "type": "string",
        "format": "local-time",
        "pattern": LOCAL_TIME,
        "description": "wall-clock time at the venue, no offset (the zone is time_zone)",
        "examples": [examples.LOCAL_TIME],
    }),
]
"""A wall-clock time of day without an offset: not an RFC 3339 `time`, which must carry one."""
CalendarDay = Annotated[
    Day,
    WithJsonSchema({"type": "string", "format": "date", "pattern": CALENDAR_DAY,
                    "examples": [examples.DAY]}),
]
"""A `Day` whose schema says exactly which days parsing admits (`CALENDAR_DAY`)."""
AsOf = Annotated[
    Instant | None,
    Query(description="Read it as it stood at this instant (with its offset; now if absent).",
          examples=[examples.AS_OF]),
]
OfBody = Annotated[BodyCode | None, Query(examples=[examples.BODY])]
OnDay = Annotated[Day | None, Query(examples=[examples.DAY])]
ConsideringDocument = Annotated[DocumentSymbol | None, Query(
    description="a symbol, with or without /Rev.N (or `note`)", examples=[examples.DOCUMENT])]
CitingNote = Annotated[NoteNumber | None, Query(
    description="a note verbale's number (or `document`)", examples=[examples.NOTE])]
MeetingsAfter = queries.MEETINGS_ORDER.parameter(example=examples.MEETINGS_AFTER)
AgendaItemsAfter = queries.AGENDA_ITEMS_ORDER.parameter(example=examples.AGENDA_ITEMS_AFTER)
DecisionsAfter = queries.DECISIONS_ORDER.parameter(example=examples.DECISIONS_AFTER)
AgendaView = Annotated[Literal["current", "circulated", "adopted"], Query(
    description="current: as it stands (documents at their newest revision); circulated: "
    "the first draft as circulated; adopted: as the meeting adopted it",
    examples=[examples.AGENDA_VIEW])]


# ------------------------------------------------------------------------------ bodies


class PowerOut(BaseModel):
    """An outcome the body may take on a kind of subject, and the text that gives it the power
    (`shared.competence`)."""

    subject: str = Field(examples=["document"])
    outcome: str = Field(examples=["adopted"])
    power: str = Field(examples=["adopt"])
    source: str


class BodyOut(BaseModel):
    code: str = Field(description="the registry's code of the body")
    name: str | None = Field(description="its English name that day (null if it has none)")
    names: dict[str, str] = Field(description="its names that day, by language (ISO 639-1)")
    since: date = Field(description="the day these names took effect")
    meets: bool = Field(description="whether the meetings service schedules its sessions "
                        "(its code is one a meeting's body takes)")
    recommends_to: list[str]
    powers: list[PowerOut]


class BodiesOut(BaseModel):
    model_config = _example(examples.BODIES_OUT)

    on: date
    bodies: list[BodyOut]


# ------------------------------------------------------------------------------ member states


class MemberStatesOut(BaseModel):
    model_config = _example(examples.MEMBER_STATES_OUT)

    on: date
    count: int
    member_states: list[str]


# ------------------------------------------------------------------------------ meetings


class MeetingIn(SessionOfBody):
    """A session as its sources date it: its first and last days, and the local time of its
    start or end only when a source gives it (with the zone to read it in)."""

    model_config = _example(examples.MEETING_IN, extra="forbid", **SESSION_OF_BODY)

    body: BodyCode
    session: str = Field(pattern=SESSION, examples=[examples.SESSION],
                         description="a session of `body`: SOC/..., SUM/..., MC/..., SWG/...")
    title: str = Field(min_length=1, max_length=500)
    venue: str = Field(min_length=1, max_length=200)
    starts_on: CalendarDay = Field(description="its first day, at the venue")
    starts_at_local: LocalTime | None = Field(
        default=None, description="the time it starts at the venue, when a source gives it")
    ends_on: CalendarDay = Field(description="its last day, at the venue")
    ends_at_local: LocalTime | None = Field(
        default=None, description="the time it ends at the venue, when a source gives it")
    time_zone: str | None = Field(
        default=None, pattern=TIME_ZONE, examples=[examples.TIME_ZONE],
        description="an IANA zone, of the tz database, which a local time is read in "
        "(required with one): Etc/GMT-6 for the seed's \"GMT+6 hours\" (the tz database's "
        "Etc/ zones invert the sign), Astana's clock in 2022, when Asia/Almaty was UTC+6")
    participants: list[StateCode] | None = Field(
        default=None, min_length=1,
        description="the member states on the first day when absent")


class MeetingOut(BaseModel):
    model_config = _example(examples.MEETING_OUT)

    meeting_id: str
    body: str
    session: str
    title: str
    venue: str
    starts_on: date
    starts_at_local: LocalTime | None
    ends_on: date
    ends_at_local: LocalTime | None
    time_zone: str | None
    starts_at: datetime | None = Field(description="the instant it starts, when its time is "
                                       "known")
    ends_at: datetime | None = Field(description="the instant it ends, when its time is known")
    utc_offset_minutes: int | None = None
    participants: list[str]
    agenda_symbol: str | None
    agenda_status: str
    version: int

    @classmethod
    def of(cls, state: domain.Meeting, version: int) -> MeetingOut:
        scheduled = state.scheduled
        assert scheduled is not None
        status = "adopted" if state.adopted else ("draft" if state.circulated else "none")
        return cls(
            meeting_id=state.meeting_id, body=scheduled.body, session=scheduled.session,
            title=scheduled.title, venue=scheduled.venue, starts_on=scheduled.starts_on,
            starts_at_local=scheduled.starts_at_local, ends_on=scheduled.ends_on,
            ends_at_local=scheduled.ends_at_local, time_zone=scheduled.time_zone,
            starts_at=domain.starts_at(scheduled), ends_at=domain.ends_at(scheduled),
            utc_offset_minutes=scheduled.utc_offset_minutes, participants=state.participants,
            agenda_symbol=state.agenda_symbol, agenda_status=status, version=version,
        )


class MeetingsOut(BaseModel):
    model_config = _example(examples.MEETINGS_OUT)

    meetings: list[MeetingOut]
    next_after: NextAfter


# ------------------------------------------------------------------------------ agendas


class DocumentRefIn(DocumentRef):
    """A document an item considers, by its symbol as circulated (with its revision), and its
    date as text."""

    dated: Day | None = Field(default=None, examples=["2022-10-07"])


class SubItemIn(SubItem):
    """A sub-item of an agenda item, as a request gives it."""

    considers: tuple[DocumentRefIn, ...] = ()


class AgendaItemIn(AgendaItem):
    """An agenda item, as a request gives it."""

    considers: tuple[DocumentRefIn, ...] = ()
    sub_items: tuple[SubItemIn, ...] = ()


def _as_recorded(items: list[AgendaItemIn]) -> list[AgendaItem]:
    """The items as the events record them."""
    return [AgendaItem.model_validate(item.model_dump()) for item in items]


AgendaItemsIn = Annotated[
    list[AgendaItemIn], Field(min_length=1, max_length=60), AfterValidator(_as_recorded)
]
"""An agenda's items as a request gives them (`AgendaItem`s once parsed). They are numbered 1,
2, 3... and their sub-items lettered (a), (b), (c)...: a rule of `domain.draft_agenda` and its
kin (422 `invalid-request`), not of the schema. A schema can say it only position by position
(``prefixItems``), and generators of examples then draw agendas of a length uniform up to 60
items (of up to 26 sub-items), past what schemathesis's size limits allow (its health check
failed 8 times in 30 with both, about once in 80 with the numbers alone)."""


class AgendaIn(BaseModel):
    model_config = _example(examples.AGENDA_IN, extra="forbid")

    symbol: str = Field(pattern=r"^[A-Z][A-Za-z0-9-]*(/[A-Za-z0-9.-]+)+$", max_length=120)
    circulated_on: Day
    items: AgendaItemsIn


class AgendaRevisionIn(AgendaIn):
    model_config = _example(examples.AGENDA_REVISION_IN, extra="forbid")

    basis: str = Field(default="", max_length=1000)


class AgendaAnnotationsIn(BaseModel):
    """An annotated agenda: its own document, circulated under its own symbol, annotating the
    agenda's items; the agenda keeps its items and its symbol."""

    model_config = _example(examples.AGENDA_ANNOTATIONS_IN, extra="forbid")

    symbol: DocumentSymbol
    circulated_on: Day
    title: str = Field(min_length=1, max_length=500, examples=["Draft annotated agenda"])
    annotations: list[Annotation] = Field(
        min_length=1, max_length=200,
        description="its words on items (``2``) and sub-items (``3(c)``) of the agenda")


class AdoptionIn(BaseModel):
    model_config = _example(examples.ADOPTION_IN, extra="forbid")

    adopted_on: Day = Field(description="a day of the meeting")
    items: AgendaItemsIn | None = Field(
        default=None, description="the agenda as amended at the meeting; as circulated if absent")


class AmendmentIn(BaseModel):
    model_config = _example(examples.AMENDMENT_IN, extra="forbid")

    decision_id: UUID
    items: AgendaItemsIn


class AnnotatedAgendaOut(BaseModel):
    """An annotated agenda circulated: its symbol and date, the agenda it annotates, and its
    annotations by item."""

    symbol: str
    circulated_on: date
    title: str
    annotates: str
    annotations: list[Annotation]

    @classmethod
    def of(cls, event: AgendaAnnotated) -> AnnotatedAgendaOut:
        return cls(symbol=event.symbol, circulated_on=event.circulated_on, title=event.title,
                   annotates=event.annotates, annotations=list(event.annotations))


class DocumentChangeOut(BaseModel):
    item: str
    previous: DocumentRef
    current: DocumentRef


class AgendaOut(BaseModel):
    model_config = _example(examples.AGENDA_OUT)

    meeting_id: str
    view: str
    symbol: str
    status: str
    circulated_on: date | None
    adopted_on: date | None
    amended: bool | None
    items: list[AgendaItem]
    circulated: list[str] = Field(
        description="the symbols of the agenda and of its revisions, in order")
    annotated: list[AnnotatedAgendaOut] = Field(
        default_factory=list, description="the annotated agendas circulated (by `as_of`), "
        "each its own document: they change no item")
    document_history: list[DocumentChangeOut]

    @classmethod
    def of(cls, state: domain.Meeting, view: str) -> AgendaOut:
        """The agenda of `state` in `view`: current, circulated or adopted (404 if the meeting
        has no agenda, or none adopted for that view)."""
        meeting_id = state.meeting_id
        if state.circulated is None:
            raise domain.NotFoundError(f"An agenda of {meeting_id}", meeting_id=meeting_id)
        circulated = [state.circulated.symbol, *(r.symbol for r in state.revisions)]
        if view == "adopted" and state.adopted is None:
            raise domain.NotFoundError(f"An adopted agenda of {meeting_id}",
                                       meeting_id=meeting_id)
        if view == "circulated":
            symbol, items = state.circulated.symbol, state.circulated.items
        elif view == "adopted":
            assert state.adopted is not None
            symbol, items = state.adopted.symbol, state.adopted.items
        else:
            symbol, items = state.agenda_symbol or "", state.items
        last = state.revisions[-1] if state.revisions else state.circulated
        return cls(
            meeting_id=meeting_id, view=view, symbol=symbol,
            status="adopted" if state.adopted else "draft",
            circulated_on=state.circulated.circulated_on if view == "circulated"
            else last.circulated_on,
            adopted_on=state.adopted.adopted_on if state.adopted else None,
            amended=state.adopted.amended if state.adopted else None,
            items=list(items), circulated=circulated,
            annotated=[AnnotatedAgendaOut.of(a) for a in state.annotated],
            document_history=[DocumentChangeOut(item=e.item, previous=e.previous,
                                                current=e.current)
                              for e in state.document_history],
        )


class AgendaItemOut(BaseModel):
    meeting_id: str
    ref: str
    title: str
    action: str | None
    considers: list[dict[str, Any]]
    cites_notes: list[dict[str, Any]] = Field(default_factory=list)


class AgendaItemsOut(BaseModel):
    model_config = _example(examples.AGENDA_ITEMS_OUT)

    items: list[AgendaItemOut]
    next_after: NextAfter


# ------------------------------------------------------------------------------ decisions


class DecisionIn(BaseModel):
    """A decision of the meeting: under an item of its adopted agenda, or, at a meeting whose
    agenda the record does not hold, with no item, as the document that records it says
    (`recorded_in`, then required: 422 `decision-without-source`)."""

    model_config = _example(examples.DECISION_IN, extra="forbid")

    decision_id: UUID = Field(default_factory=uuid4)
    item: ItemRef | None = Field(default=None, description="the agenda item it is taken under")
    outcome: Outcome
    subject: Subject
    decided_on: Day = Field(description="a day of the meeting")
    text: str | None = Field(
        default=None, min_length=1, max_length=20000,
        description="the decision's words as its source gives them; absent when the record "
        "holds none (a description is not a quotation)")
    recorded_in: RecordedIn | None = Field(
        default=None, description="the document that records the decision, and its paragraph")
    on_recommendation_of: Recommendation | None = Field(
        default=None, description="the body whose recommendation it follows, and when that "
        "body recommended it (if a source says)")


class ReservationOut(BaseModel):
    """A reservation or an interpretative statement a state placed on record."""

    state: str
    kind: ReservationKind
    text: str

    @classmethod
    def each(cls, placed: list[ReservationPlaced]) -> list[ReservationOut]:
        return [cls(state=r.state, kind=r.kind, text=r.text) for r in placed]


class DecisionOut(BaseModel):
    model_config = _example(examples.DECISION_OUT)

    decision_id: UUID
    meeting_id: str
    body: str
    session: str
    item: str | None
    outcome: str
    subject: dict[str, Any]
    decided_on: date
    text: str | None
    recorded_in: RecordedIn | None = None
    on_recommendation_of: Recommendation | None = None
    reservations: list[ReservationOut] = Field(
        default_factory=list, description="reservations and interpretative statements placed "
        "on the decision or on its draft: they do not block it")


class ProposalOut(BaseModel):
    decision_id: UUID
    item: str
    outcome: str
    subject: dict[str, Any]
    text: str | None
    recorded_in: RecordedIn | None = None
    on_recommendation_of: Recommendation | None = None
    objections: list[str] = Field(
        description="the states whose objection stands (not withdrawn); one of a state no "
        "longer taking part in the meeting (suspended or withdrawn by its first day) stays "
        "here on record but does not block consensus")
    withdrawn_objections: list[str] = Field(
        default_factory=list, description="the states that withdrew an objection to it")
    reservations: list[ReservationOut] = Field(default_factory=list)
    taken: bool


class DecisionsOut(BaseModel):
    model_config = _example(examples.DECISIONS_OUT)

    decisions: list[DecisionOut]
    proposals: list[ProposalOut] = Field(
        default_factory=list, description="draft decisions put to the meeting, and who objected")

    @classmethod
    def of(cls, state: domain.Meeting) -> DecisionsOut:
        """A meeting's decisions, and the draft decisions put to it."""
        scheduled = state.scheduled
        assert scheduled is not None
        def reservations(decision_id: UUID) -> list[ReservationOut]:
            return ReservationOut.each(state.reservations.get(decision_id, []))

        return cls(decisions=[DecisionOut(
            decision_id=d.decision_id, meeting_id=state.meeting_id, body=scheduled.body,
            session=scheduled.session, item=d.item, outcome=d.outcome, subject=d.subject,
            decided_on=d.decided_on, text=d.text, recorded_in=d.recorded_in,
            on_recommendation_of=d.on_recommendation_of,
            reservations=reservations(d.decision_id))
            for d in state.decisions],
            proposals=[ProposalOut(
                decision_id=p.decision_id, item=p.item, outcome=p.outcome,
                subject=p.subject.model_dump(mode="json"), text=p.text,
                recorded_in=p.recorded_in, on_recommendation_of=p.on_recommendation_of,
                objections=[o.state for o in state.objections.get(p.decision_id, [])],
                withdrawn_objections=[w.state for w in state.withdrawals.get(p.decision_id, [])],
                reservations=reservations(p.decision_id),
                taken=any(d.decision_id == p.decision_id for d in state.decisions))
                for p in state.proposals.values()])


class DecisionsPageOut(DecisionsOut):
    """A page of every decision recorded (`proposals` is empty: the drafts are a meeting's)."""

    model_config = _example(examples.DECISIONS_PAGE_OUT)

    next_after: NextAfter


class DecisionObjectionIn(BaseModel):
    model_config = _example(examples.DECISION_OBJECTION_IN, extra="forbid")

    state: StateCode
    reason: str = Field(default="", max_length=5000)


class ObjectionWithdrawalIn(BaseModel):
    """The state withdrawing its own objection (to a draft decision at a meeting, or to a
    draft under silence procedure), and why."""

    model_config = _example(examples.OBJECTION_WITHDRAWAL_IN, extra="forbid")

    state: StateCode
    reason: str = Field(default="", max_length=5000)


class ReservationIn(BaseModel):
    """A reservation (the state does not consider itself bound by part of the decision) or an
    interpretative statement (how it understands it), placed on record by a participating
    state."""

    model_config = _example(examples.RESERVATION_IN, extra="forbid")

    state: StateCode
    kind: ReservationKind
    text: str = Field(min_length=1, max_length=5000)


# ------------------------------------------------------------------------------ silence procedure


class SilenceProcedureIn(SessionOfBody):
    """A draft decision of a body, under silence until `deadline`, in one of the body's
    sessions (and at one of its meetings in that session, if `meeting_id` is given). It goes to
    the body's members when it starts, which the service knows: the meeting's participants, or
    the member states on that day at the seat. The request does not name them: a body with a
    `participants` field is refused (422), like any other unknown field."""

    model_config = _example(examples.SILENCE_PROCEDURE_IN, extra="forbid", **SESSION_OF_BODY)

    procedure_id: UUID = Field(default_factory=uuid4)
    body: BodyCode
    session: str = Field(pattern=SESSION, examples=[examples.SESSION],
                         description="a session of `body`: SOC/..., SUM/..., MC/..., SWG/...")
    meeting_id: str | None = Field(default=None, pattern=MEETING_ID,
                                   description="the body's meeting in `session`, if any")
    draft: DraftDecision
    deadline: Instant = Field(description="an instant still to come")


class ObjectionIn(BaseModel):
    model_config = _example(examples.OBJECTION_IN, extra="forbid")

    state: StateCode
    reason: str = Field(default="", max_length=5000)


class ObjectionOut(BaseModel):
    state: str
    raised_at: datetime
    reason: str


class WithdrawalOut(BaseModel):
    state: str
    withdrawn_at: datetime
    reason: str


class SilenceProcedureOut(BaseModel):
    model_config = _example(examples.SILENCE_PROCEDURE_OUT)

    procedure_id: UUID
    body: str
    session: str
    meeting_id: str | None
    draft: DraftDecision
    started_at: datetime
    deadline: datetime
    participants: list[str]
    objections: list[ObjectionOut] = Field(description="the objections that stand")
    withdrawn_objections: list[WithdrawalOut] = Field(
        default_factory=list, description="objections withdrawn before the deadline")
    status: Literal["running", "adopted", "not_adopted"]
    concluded_at: datetime | None
    decision_id: UUID | None
    version: int

    @classmethod
    def of(cls, state: silence.SilenceProcedure, version: int) -> SilenceProcedureOut:
        started, concluded = state.started, state.concluded
        assert started is not None
        return cls(
            procedure_id=state.procedure_id, body=started.body, session=started.session,
            meeting_id=started.meeting_id, draft=started.draft, started_at=started.started_at,
            deadline=started.deadline, participants=list(started.participants),
            objections=[ObjectionOut(state=o.state, raised_at=o.raised_at, reason=o.reason)
                        for o in state.objections],
            withdrawn_objections=[
                WithdrawalOut(state=w.state, withdrawn_at=w.withdrawn_at, reason=w.reason)
                for w in state.withdrawals],
            status=concluded.outcome if concluded else "running",
            concluded_at=concluded.concluded_at if concluded else None,
            decision_id=concluded.decision_id if concluded else None, version=version,
        )
