"""The meetings service's HTTP API: parse, authorise, call a command or a query, shape the
answer.

Writes are the Secretariat's, except an objection, which a member state raises for itself
(`act_for`). What a meeting's streams hold is distributed to member states only (as the
seed's agenda says, "Distr: Member States only"): the Secretariat, auditors and services read
everything, a member state while it is an admitted member, the public nothing. A meeting's or
a procedure's representation carries its stream version as ``ETag``; writes honour
``If-Match``. Reads of one meeting take ``?as_of=<instant>``: the meeting as it stood then.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema
from sqlalchemy import select

from services.meetings import commands, domain
from services.meetings.events import (
    AgendaItem,
    BodyCode,
    DocumentRef,
    DraftDecision,
    ItemRef,
    Outcome,
    Subject,
)
from services.meetings.projections import agenda_items, decisions, meetings_table
from services.meetings.seed import (
    MEMBER_STATES_2022,
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_KUWAIT,
    SILENCE_PROCEDURE,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
)
from shared.access import (
    MEMBER_STATES_ONLY,
    SECRETARIAT_ONLY,
    Caller,
    CallerView,
    Role,
    StateCode,
    act_for,
    allow,
)
from shared.eventstore import DomainEvent, PostgresEventStore
from shared.http.etag import ExpectedVersion, set_etag
from shared.projections import ProjectionRunner

router = APIRouter()

READERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE, Role.AUDITOR, Role.SERVICE)
"""Who reads meetings: those who see everything, and member states (while admitted)."""
OBJECTORS = allow(Role.SECRETARIAT, Role.MEMBER_STATE)
MEETING_ID = r"^[A-Z]{2,6}-[0-9A-Za-z-]{1,40}$"
SOC_ID = domain.meeting_id_of(SOC_MEETING["session"])


def _store(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(_store)]
MeetingId = Annotated[str, Path(pattern=MEETING_ID, examples=[SOC_ID])]
PROCEDURE_EXAMPLE = "5d0c2e7a-1f3b-4a9e-8c61-0b7d9e2f4a13"
ProcedureId = Annotated[UUID, Path(examples=[PROCEDURE_EXAMPLE])]
DecisionId = Annotated[UUID, Path(examples=[RECOMMEND_ASTANA_STATEMENT["decision_id"]])]
LocalDateTime = Annotated[
    datetime,
    WithJsonSchema({
        "type": "string",
        "format": "local-date-time",
        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$",
        "description": "wall-clock time at the venue, no offset (the zone is time_zone)",
        "examples": ["2022-10-10T10:00:00"],
    }),
]
"""A wall-clock time without an offset: not an RFC 3339 `date-time`, which must carry one."""
AsOf = Annotated[
    AwareDatetime | None,
    Query(description="Read it as it stood at this instant (with its offset; now if absent).",
          examples=["2022-10-08T00:00:00+06:00"]),
]


async def _caught_up(request: Request) -> None:
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:  # read what was written before this request, when it is quick
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=2.0)


def _visible(viewer: Any, what: str, **members: Any) -> None:
    viewer.require(MEMBER_STATES_ONLY, domain.NotFoundError(what, **members))


class Written(BaseModel):
    """What a write recorded: the stream, its version now (also the ETag), the events."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"stream_id": f"meeting-{SOC_ID}", "version": 3, "recorded": ["AgendaRevised"]}
    ]})

    stream_id: str
    version: int
    recorded: list[str]


def _written(response: Response, recorded: commands.Recorded) -> Written:
    set_etag(response, recorded.version)
    return Written(stream_id=recorded.stream_id, version=recorded.version,
                   recorded=[e.event_type for e in recorded.events])


async def _load(
    store: PostgresEventStore, stream_id: str, as_of: datetime | None
) -> tuple[list[DomainEvent], int]:
    records = (await store.read_stream(stream_id) if as_of is None
               else await store.read_stream_as_of(stream_id, as_of))
    return [store.decode(r) for r in records], (records[-1].version if records else 0)


# ------------------------------------------------------------------------------ bodies


class BodyOut(BaseModel):
    code: str
    name: str
    recommends_to: list[str]


class BodiesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bodies": [
        {"code": "SOC", "name": "Senior Officials Committee", "recommends_to": ["MC", "SUMMIT"]},
        {"code": "SWG", "name": "Special Working Group", "recommends_to": ["SOC"]},
    ]}]})

    bodies: list[BodyOut]


@router.get("/bodies", tags=["bodies"])
@READERS
async def list_bodies() -> BodiesOut:
    """The bodies that meet, and which bodies each one's recommendations go to."""
    return BodiesOut(bodies=[
        BodyOut(code=code, name=name, recommends_to=list(domain.recommendation_goes_to(code)))
        for code, name in domain.BODIES.items()
    ])


# ------------------------------------------------------------------------------ member states


class MemberStatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"states": list(MEMBER_STATES_2022), "member_since": "1999-09-14"}]})

    states: list[StateCode] = Field(min_length=1, max_length=300)
    member_since: date


class MemberStatesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"on": "2022-10-12", "count": 28, "member_states": [*MEMBER_STATES_2022, "KWT"]}]})

    on: date
    count: int
    member_states: list[str]


@router.post("/member-states", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def register_member_states(
    body: MemberStatesIn, store: Store, response: Response, expected: ExpectedVersion
) -> Written:
    """Register the member states that were members before this log began; later admissions
    come from the registry's `MemberAdmitted`, by themselves."""
    recorded = await commands.register_member_states(
        store=store, states=body.states, member_since=body.member_since, expected=expected)
    return _written(response, recorded)


@router.get("/member-states", tags=["member states"])
@READERS
async def list_member_states(
    store: Store, viewer: CallerView,
    on: Annotated[date | None, Query(examples=["2022-10-12"])] = None,
) -> MemberStatesOut:
    """The member states the meetings service counts as participants on a date (today)."""
    _visible(viewer, "The member-state list")
    day = on or datetime.now(UTC).date()
    async with store.engine.connect() as connection:
        known = await commands.known_members(connection, store)
    states = domain.members_on(known, day)
    return MemberStatesOut(on=day, count=len(states), member_states=states)


# ------------------------------------------------------------------------------ meetings


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SOC_MEETING]})

    body: BodyCode
    session: str = Field(pattern=r"^[A-Z]{2,6}/[0-9A-Za-z/-]{1,40}$", examples=["SOC/2022-III"])
    title: str = Field(min_length=1, max_length=500)
    venue: str = Field(min_length=1, max_length=200)
    starts_local: LocalDateTime
    ends_local: LocalDateTime
    time_zone: str = Field(min_length=1, max_length=64, description="IANA zone",
                           examples=["Asia/Almaty"])
    participants: list[StateCode] | None = Field(
        default=None, description="the member states on the first day when absent")


class MeetingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "meeting_id": SOC_ID, **SOC_MEETING, "starts_at": "2022-10-10T04:00:00Z",
        "ends_at": "2022-10-11T12:00:00Z", "utc_offset_minutes": 360,
        "participants": list(MEMBER_STATES_2022), "agenda_symbol": "SOC/2022-III/Agenda/2",
        "agenda_status": "adopted", "version": 5,
    }]})

    meeting_id: str
    body: str
    session: str
    title: str
    venue: str
    starts_local: LocalDateTime
    ends_local: LocalDateTime
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    utc_offset_minutes: int | None = None
    participants: list[str]
    agenda_symbol: str | None
    agenda_status: str
    version: int


class MeetingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"meetings": [{
        "meeting_id": SOC_ID, **SOC_MEETING, "starts_at": "2022-10-10T04:00:00Z",
        "ends_at": "2022-10-11T12:00:00Z", "participants": list(MEMBER_STATES_2022),
        "agenda_symbol": "SOC/2022-III/Agenda/2", "agenda_status": "adopted", "version": 5,
    }]}]})

    meetings: list[MeetingOut]


def _meeting_out(state: domain.Meeting, version: int) -> MeetingOut:
    scheduled = state.scheduled
    assert scheduled is not None
    status = "adopted" if state.adopted else ("draft" if state.circulated else "none")
    return MeetingOut(
        meeting_id=state.meeting_id, body=scheduled.body, session=scheduled.session,
        title=scheduled.title, venue=scheduled.venue, starts_local=scheduled.starts_local,
        ends_local=scheduled.ends_local, time_zone=scheduled.time_zone,
        starts_at=domain.instant(scheduled.starts_local, scheduled.time_zone),
        ends_at=domain.instant(scheduled.ends_local, scheduled.time_zone),
        utc_offset_minutes=scheduled.utc_offset_minutes, participants=state.participants,
        agenda_symbol=state.agenda_symbol, agenda_status=status, version=version,
    )


async def _meeting(
    store: PostgresEventStore, meeting_id: str, as_of: datetime | None
) -> tuple[domain.Meeting, int]:
    history, version = await _load(store, commands.meeting_stream(meeting_id), as_of)
    state = domain.meeting(meeting_id, history)
    if not state.exists:
        suffix = f" as of {as_of.isoformat()}" if as_of else ""
        raise domain.NotFoundError(f"The meeting {meeting_id}{suffix}", meeting_id=meeting_id)
    return state, version


@router.post("/meetings", status_code=201, tags=["meetings"])
@SECRETARIAT_ONLY
async def schedule_meeting(body: MeetingIn, store: Store, response: Response) -> Written:
    """Schedule a body's session at a venue, from a local start to a local end in an IANA
    zone. The meeting's id is its session symbol with `-` for `/` (`SOC-2022-III`)."""
    recorded = await commands.schedule_meeting(
        store=store, body=body.body, session=body.session, title=body.title, venue=body.venue,
        starts_local=body.starts_local, ends_local=body.ends_local, time_zone=body.time_zone,
        participants=body.participants,
    )
    response.headers["Location"] = f"/meetings/{recorded.stream_id.removeprefix('meeting-')}"
    return _written(response, recorded)


@router.get("/meetings", tags=["meetings"])
@READERS
async def list_meetings(
    request: Request, viewer: CallerView,
    body: Annotated[BodyCode | None, Query(examples=["SOC"])] = None,
) -> MeetingsOut:
    """Every meeting, by start (from the read model)."""
    _visible(viewer, "The meetings")
    await _caught_up(request)
    query = select(meetings_table).order_by(meetings_table.c.starts_at)
    if body is not None:
        query = query.where(meetings_table.c.body == body)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return MeetingsOut(meetings=[MeetingOut(**row) for row in rows])


@router.get("/meetings/{meeting_id}", tags=["meetings"])
@READERS
async def get_meeting(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> MeetingOut:
    """One meeting, as it stands (or stood at `as_of`); ETag = its stream's version."""
    _visible(viewer, f"The meeting {meeting_id}", meeting_id=meeting_id)
    state, version = await _meeting(store, meeting_id, as_of)
    set_etag(response, version)
    return _meeting_out(state, version)


# ------------------------------------------------------------------------------ agendas


class AgendaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SOC_AGENDA_DRAFT]})

    symbol: str = Field(pattern=r"^[A-Z][A-Za-z0-9-]*(/[A-Za-z0-9.-]+)+$", max_length=120)
    circulated_on: date
    items: list[AgendaItem] = Field(min_length=1, max_length=60)


class AgendaRevisionIn(AgendaIn):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [SOC_AGENDA_ANNOTATED]})

    basis: str = Field(default="", max_length=1000)


class AdoptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"adopted_on": "2022-10-10"}]})

    adopted_on: date
    items: list[AgendaItem] | None = Field(
        default=None, description="the agenda as amended at the meeting; as circulated if absent")


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision_id": RECOMMEND_KUWAIT["decision_id"],
         "items": SOC_AGENDA_ANNOTATED["items"]}]})

    decision_id: UUID
    items: list[AgendaItem] = Field(min_length=1, max_length=60)


class DocumentChangeOut(BaseModel):
    item: str
    previous: DocumentRef
    current: DocumentRef


class AgendaOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "meeting_id": SOC_ID, "view": "current", "symbol": "SOC/2022-III/Agenda/2",
        "status": "adopted", "circulated_on": "2022-10-07", "adopted_on": "2022-10-10",
        "amended": False, "items": SOC_AGENDA_ANNOTATED["items"],
        "circulated": ["SOC/2022-III/Agenda/1", "SOC/2022-III/Agenda/2"],
        "document_history": [{
            "item": "3(c)",
            "previous": {"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""},
            "current": {"symbol": "SUM/2022/DRAFT/1/Rev.9", "dated": "2022-10-11", "note": ""},
        }],
    }]})

    meeting_id: str
    view: str
    symbol: str
    status: str
    circulated_on: date | None
    adopted_on: date | None
    amended: bool | None
    items: list[AgendaItem]
    circulated: list[str]
    document_history: list[DocumentChangeOut]


@router.post("/meetings/{meeting_id}/agenda", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def draft_agenda(
    meeting_id: MeetingId, body: AgendaIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Circulate the draft agenda under its document symbol (`SOC/2022-III/Agenda/1`)."""
    recorded = await commands.draft_agenda(
        store=store, meeting_id=meeting_id, symbol=body.symbol,
        circulated_on=body.circulated_on, items=body.items, expected=expected)
    return _written(response, recorded)


@router.post("/meetings/{meeting_id}/agenda/revisions", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def revise_agenda(
    meeting_id: MeetingId, body: AgendaRevisionIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Circulate a revised or annotated draft under a new symbol (`SOC/2022-III/Agenda/2`);
    refused (409) once the agenda is adopted."""
    recorded = await commands.revise_agenda(
        store=store, meeting_id=meeting_id, symbol=body.symbol,
        circulated_on=body.circulated_on, items=body.items, basis=body.basis,
        expected=expected)
    return _written(response, recorded)


@router.post("/meetings/{meeting_id}/agenda/adoption", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def adopt_agenda(
    meeting_id: MeetingId, body: AdoptionIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """The meeting adopts its agenda, as circulated or as amended at the meeting."""
    recorded = await commands.adopt_agenda(
        store=store, meeting_id=meeting_id, adopted_on=body.adopted_on, items=body.items,
        expected=expected)
    return _written(response, recorded)


@router.post("/meetings/{meeting_id}/agenda/amendments", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def amend_adopted_agenda(
    meeting_id: MeetingId, body: AmendmentIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Change an adopted agenda by a decision the meeting has recorded (409 otherwise)."""
    recorded = await commands.amend_adopted_agenda(
        store=store, meeting_id=meeting_id, decision_id=body.decision_id, items=body.items,
        expected=expected)
    return _written(response, recorded)


@router.get("/meetings/{meeting_id}/agenda", tags=["agendas"])
@READERS
async def get_agenda(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    view: Annotated[Literal["current", "circulated", "adopted"], Query(
        description="current: as it stands (documents at their newest revision); circulated: "
        "the first draft as circulated; adopted: as the meeting adopted it",
        examples=["adopted"])] = "current",
    as_of: AsOf = None,
) -> AgendaOut:
    """The agenda as circulated, as adopted, or as it stands (or stood at `as_of`)."""
    _visible(viewer, f"The meeting {meeting_id}", meeting_id=meeting_id)
    state, version = await _meeting(store, meeting_id, as_of)
    if state.circulated is None:
        raise domain.NotFoundError(f"An agenda of {meeting_id}", meeting_id=meeting_id)
    circulated = [state.circulated.symbol, *(r.symbol for r in state.revisions)]
    if view == "adopted" and state.adopted is None:
        raise domain.NotFoundError(f"An adopted agenda of {meeting_id}", meeting_id=meeting_id)
    if view == "circulated":
        symbol, items = state.circulated.symbol, state.circulated.items
    elif view == "adopted":
        assert state.adopted is not None
        symbol, items = state.adopted.symbol, state.adopted.items
    else:
        symbol, items = state.agenda_symbol or "", state.items
    set_etag(response, version)
    last = state.revisions[-1] if state.revisions else state.circulated
    return AgendaOut(
        meeting_id=meeting_id, view=view, symbol=symbol,
        status="adopted" if state.adopted else "draft",
        circulated_on=state.circulated.circulated_on if view == "circulated"
        else last.circulated_on,
        adopted_on=state.adopted.adopted_on if state.adopted else None,
        amended=state.adopted.amended if state.adopted else None,
        items=list(items), circulated=circulated,
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


class AgendaItemsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [{
        "meeting_id": SOC_ID, "ref": "3(c)",
        "title": "Draft Astana Statement on CICA Transformation",
        "action": "recommend_for_adoption",
        "considers": [{"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""}],
    }]}]})

    items: list[AgendaItemOut]


@router.get("/agenda-items", tags=["agendas"])
@READERS
async def find_agenda_items(
    request: Request, viewer: CallerView,
    document: Annotated[str, Query(min_length=1, max_length=120,
                                   description="a symbol, with or without /Rev.N",
                                   examples=["SUM/2022/DRAFT/1"])],
) -> AgendaItemsOut:
    """The agenda items (of every meeting) that consider a document, at any revision."""
    _visible(viewer, "Agenda items")
    await _caught_up(request)
    base = domain.base_symbol(document)[0]
    query = (select(agenda_items)
             .where(agenda_items.c.document_bases.contains([base]))
             .order_by(agenda_items.c.meeting_id, agenda_items.c.ordinal))
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return AgendaItemsOut(items=[AgendaItemOut(
        meeting_id=r["meeting_id"], ref=r["ref"], title=r["title"], action=r["action"],
        considers=r["considers"]) for r in rows])


# ------------------------------------------------------------------------------ decisions


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RECOMMEND_KUWAIT]})

    decision_id: UUID = Field(default_factory=uuid4)
    item: ItemRef
    outcome: Outcome
    subject: Subject
    decided_on: date
    text: str = Field(min_length=1, max_length=20000)


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **RECOMMEND_KUWAIT, "meeting_id": SOC_ID, "body": "SOC", "session": "SOC/2022-III"}]})

    decision_id: UUID
    meeting_id: str
    body: str
    session: str
    item: str | None
    outcome: str
    subject: dict[str, Any]
    decided_on: date
    text: str


class ProposalOut(BaseModel):
    decision_id: UUID
    item: str
    outcome: str
    subject: dict[str, Any]
    text: str
    objections: list[str]
    taken: bool


class DecisionsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "decisions": [{**d, "meeting_id": SOC_ID, "body": "SOC", "session": "SOC/2022-III"}
                      for d in (RECOMMEND_KUWAIT, RECOMMEND_ASTANA_STATEMENT)],
        "proposals": [{key: RECOMMEND_KUWAIT[key]
                       for key in ("decision_id", "item", "outcome", "subject", "text")}
                      | {"objections": [], "taken": True}],
    }]})

    decisions: list[DecisionOut]
    proposals: list[ProposalOut] = Field(
        default_factory=list, description="draft decisions put to the meeting, and who objected")


class DecisionObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"state": "IND", "reason": "The draft needs further consultations in the SWG."}]})

    state: StateCode
    reason: str = Field(default="", max_length=5000)


@router.post("/meetings/{meeting_id}/decisions", status_code=201, tags=["decisions"])
@SECRETARIAT_ONLY
async def record_decision(
    meeting_id: MeetingId, body: DecisionIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Record a decision taken by consensus under an item of the adopted agenda: on a
    document (by symbol and revision), a membership application, a chairmanship or the item
    itself. The same `decision_id` is recorded once."""
    recorded = await commands.record_decision(
        store=store, meeting_id=meeting_id, decision_id=body.decision_id, item=body.item,
        outcome=body.outcome, subject=body.subject, text=body.text,
        decided_on=body.decided_on, expected=expected)
    return _written(response, recorded)


@router.post("/meetings/{meeting_id}/decision-proposals", status_code=201, tags=["decisions"])
@SECRETARIAT_ONLY
async def propose_decision(
    meeting_id: MeetingId, body: DecisionIn, store: Store, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Put a draft decision to the meeting. Decisions are by consensus: once any participant
    objects, recording it (`POST .../decisions` with its `decision_id`) is refused (409)."""
    recorded = await commands.propose_decision(
        store=store, meeting_id=meeting_id, decision_id=body.decision_id, item=body.item,
        outcome=body.outcome, subject=body.subject, text=body.text,
        decided_on=body.decided_on, expected=expected)
    return _written(response, recorded)


@router.post("/meetings/{meeting_id}/decision-proposals/{decision_id}/objections",
             status_code=201, tags=["decisions"])
@OBJECTORS
async def object_to_decision(
    meeting_id: MeetingId, decision_id: DecisionId, body: DecisionObjectionIn, store: Store,
    caller: Caller, response: Response, expected: ExpectedVersion,
) -> Written:
    """A participating member state objects to a draft decision, in its own name only (403
    for another state's, or for a state that does not take part in the meeting)."""
    state = act_for(caller, body.state)
    recorded = await commands.object_to_decision(
        store=store, meeting_id=meeting_id, decision_id=decision_id, state=state,
        reason=body.reason, expected=expected)
    return _written(response, recorded)


@router.get("/meetings/{meeting_id}/decisions", tags=["decisions"])
@READERS
async def list_decisions(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> DecisionsOut:
    """The meeting's decisions (as recorded by `as_of`)."""
    _visible(viewer, f"The meeting {meeting_id}", meeting_id=meeting_id)
    state, version = await _meeting(store, meeting_id, as_of)
    assert state.scheduled is not None
    set_etag(response, version)
    return DecisionsOut(decisions=[DecisionOut(
        decision_id=d.decision_id, meeting_id=meeting_id, body=state.scheduled.body,
        session=state.scheduled.session, item=d.item, outcome=d.outcome, subject=d.subject,
        decided_on=d.decided_on, text=d.text) for d in state.decisions],
        proposals=[ProposalOut(
            decision_id=p.decision_id, item=p.item, outcome=p.outcome,
            subject=p.subject.model_dump(mode="json"), text=p.text,
            objections=[o.state for o in state.objections.get(p.decision_id, [])],
            taken=any(d.decision_id == p.decision_id for d in state.decisions))
            for p in state.proposals.values()])


@router.get("/decisions", tags=["decisions"])
@READERS
async def find_decisions(
    request: Request, viewer: CallerView,
    body: Annotated[BodyCode | None, Query(examples=["SOC"])] = None,
) -> DecisionsOut:
    """Every decision recorded, at meetings and by silence procedure (from the read model)."""
    _visible(viewer, "Decisions")
    await _caught_up(request)
    query = select(decisions).order_by(decisions.c.position)
    if body is not None:
        query = query.where(decisions.c.body == body)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return DecisionsOut(decisions=[DecisionOut(
        decision_id=r["decision_id"], meeting_id=r["meeting_id"], body=r["body"],
        session=r["session"], item=r["item"], outcome=r["outcome"], subject=r["subject"],
        decided_on=r["decided_on"], text=r["text"]) for r in rows])


# ------------------------------------------------------------------------------ silence procedure


class SilenceProcedureIn(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [SILENCE_PROCEDURE]})

    procedure_id: UUID = Field(default_factory=uuid4)
    body: BodyCode
    session: str = Field(min_length=1, max_length=60)
    meeting_id: str | None = Field(default=None, pattern=MEETING_ID)
    draft: DraftDecision
    deadline: AwareDatetime
    participants: list[StateCode] | None = Field(
        default=None, description="the meeting's participants, or today's member states")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"state": "IND", "reason": "Operative paragraph 3 needs further consultations."}]})

    state: StateCode
    reason: str = Field(default="", max_length=5000)


class ObjectionOut(BaseModel):
    state: str
    raised_at: datetime
    reason: str


class SilenceProcedureOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "procedure_id": "5d0c2e7a-1f3b-4a9e-8c61-0b7d9e2f4a13", **SILENCE_PROCEDURE,
        "meeting_id": None, "started_at": "2022-11-01T09:00:00Z",
        "participants": list(MEMBER_STATES_2022), "objections": [], "status": "adopted",
        "concluded_at": "2022-11-15T12:00:01Z",
        "decision_id": "9c1e4b7a-2d3f-5a6b-8c9d-0e1f2a3b4c5d", "version": 3,
    }]})

    procedure_id: UUID
    body: str
    session: str
    meeting_id: str | None
    draft: DraftDecision
    started_at: datetime
    deadline: datetime
    participants: list[str]
    objections: list[ObjectionOut]
    status: Literal["running", "adopted", "not_adopted"]
    concluded_at: datetime | None
    decision_id: UUID | None
    version: int


async def _procedure(
    store: PostgresEventStore, procedure_id: UUID, as_of: datetime | None = None
) -> SilenceProcedureOut:
    history, version = await _load(store, commands.silence_stream(procedure_id), as_of)
    state = domain.silence_procedure(procedure_id, history)
    started = state.started
    if started is None:
        raise domain.NotFoundError(f"The silence procedure {procedure_id}",
                                   procedure_id=str(procedure_id))
    concluded = state.concluded
    return SilenceProcedureOut(
        procedure_id=procedure_id, body=started.body, session=started.session,
        meeting_id=started.meeting_id, draft=started.draft, started_at=started.started_at,
        deadline=started.deadline, participants=list(started.participants),
        objections=[ObjectionOut(state=o.state, raised_at=o.raised_at, reason=o.reason)
                    for o in state.objections],
        status=concluded.outcome if concluded else "running",
        concluded_at=concluded.concluded_at if concluded else None,
        decision_id=concluded.decision_id if concluded else None, version=version,
    )


@router.post("/silence-procedures", status_code=201, tags=["silence procedure"])
@SECRETARIAT_ONLY
async def start_silence_procedure(
    body: SilenceProcedureIn, store: Store, response: Response
) -> Written:
    """Circulate a draft decision under the silence procedure until an exact deadline. At the
    deadline the service concludes it by itself: adopted if no member state objected."""
    recorded = await commands.start_silence_procedure(
        store=store, procedure_id=body.procedure_id, body=body.body, session=body.session,
        meeting_id=body.meeting_id, draft=body.draft, deadline=body.deadline,
        participants=body.participants, now=datetime.now(UTC))
    response.headers["Location"] = f"/silence-procedures/{body.procedure_id}"
    return _written(response, recorded)


@router.get("/silence-procedures/{procedure_id}", tags=["silence procedure"])
@READERS
async def get_silence_procedure(
    procedure_id: ProcedureId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> SilenceProcedureOut:
    """A silence procedure, its objections and its outcome (as it stood at `as_of`)."""
    _visible(viewer, f"The silence procedure {procedure_id}", procedure_id=str(procedure_id))
    out = await _procedure(store, procedure_id, as_of)
    set_etag(response, out.version)
    return out


@router.post("/silence-procedures/{procedure_id}/objections", status_code=201,
             tags=["silence procedure"])
@OBJECTORS
async def raise_objection(
    procedure_id: ProcedureId, body: ObjectionIn, store: Store, caller: Caller, response: Response,
    expected: ExpectedVersion,
) -> Written:
    """A member state breaks the silence, in its own name only (403 for another state's);
    refused at or after the deadline (409), or from a state the draft was not sent to (403)."""
    state = act_for(caller, body.state)
    recorded = await commands.raise_objection(
        store=store, procedure_id=procedure_id, state=state, reason=body.reason,
        now=datetime.now(UTC), expected=expected)
    return _written(response, recorded)


@router.post("/silence-procedures/{procedure_id}/conclusion", status_code=201,
             tags=["silence procedure"])
@SECRETARIAT_ONLY
async def conclude_silence_procedure(
    procedure_id: ProcedureId, store: Store, response: Response
) -> Written:
    """Conclude a procedure whose deadline has passed now, rather than at the service's next
    check; a procedure concluded already records nothing (`recorded` is empty)."""
    recorded = await commands.conclude_silence_procedure(
        store=store, procedure_id=procedure_id, now=datetime.now(UTC))
    return _written(response, recorded)

