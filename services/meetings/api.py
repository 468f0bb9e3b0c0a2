"""The meetings service's HTTP API: parse, authorise, call a command or a query, shape the
answer (the bodies and answers are in `schemas`, their examples in `examples`).

Writes are the Secretariat's, except what a member state says for itself (`act_for`): an
objection, its withdrawal, and a reservation or an interpretative statement. What a meeting's
streams hold is distributed to member states only (as the seed's agenda says, "Distr: Member
States only"): the Secretariat, auditors and services read everything, a member state while it
is an admitted member, the public nothing. A meeting's or a procedure's representation carries
its stream version as ``ETag``; writes honour ``If-Match``. Reads of one meeting take
``?as_of=<instant>``: the meeting as it stood then.

A document a caller may not see (by the distribution the documents service gave it, as the
meetings service noted it last: `services.meetings.distributions`) is absent from every read,
not named: the items that consider it stay without it, the decisions, drafts and silence
procedures on it are absent, and ``/agenda-items?document=`` answers for it as for a symbol
nobody ever heard of.

The lists (``/meetings``, ``/agenda-items``, ``/decisions``) come a page at a time, by keyset
(`shared.http.pages`): ``limit`` (1 to 500, 100 by default) items after the cursor ``after``,
and ``next_after``, the cursor of the next page (null on the last).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.meetings import bodies, commands, distributions, domain, examples, queries
from services.meetings.schemas import (
    AdoptionIn,
    AgendaAnnotationsIn,
    AgendaIn,
    AgendaItemOut,
    AgendaItemsAfter,
    AgendaItemsOut,
    AgendaOut,
    AgendaRevisionIn,
    AgendaView,
    AmendmentIn,
    AsOf,
    BodiesOut,
    BodyOut,
    CitingNote,
    ConsideringDocument,
    DecisionId,
    DecisionIn,
    DecisionObjectionIn,
    DecisionOut,
    DecisionsAfter,
    DecisionsOut,
    DecisionsPageOut,
    MeetingId,
    MeetingIn,
    MeetingOut,
    MeetingsAfter,
    MeetingsOut,
    MemberStatesOut,
    ObjectionIn,
    ObjectionWithdrawalIn,
    OfBody,
    OnDay,
    PowerOut,
    ProcedureId,
    ReservationIn,
    SilenceProcedureIn,
    SilenceProcedureOut,
)
from services.meetings.settings import MeetingsSettings
from shared.access import (
    MEMBER_STATES_ONLY,
    SECRETARIAT_ONLY,
    Caller,
    CallerView,
    Role,
    Viewer,
    act_for,
    allow,
)
from shared.competence import RECOMMENDS_TO, powers_of
from shared.eventstore import PostgresEventStore
from shared.http.etag import set_etag
from shared.http.pages import DEFAULT_LIMIT, Limit
from shared.http.reads import caught_up
from shared.http.writes import Store, Write, Written

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

router = APIRouter()


async def _settings(request: Request) -> MeetingsSettings:
    return request.app.state.settings


Settings = Annotated[MeetingsSettings, Depends(_settings)]

READERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE, Role.AUDITOR, Role.SERVICE)
"""Who reads meetings: those who see everything, and member states (while admitted)."""
OBJECTORS = allow(Role.SECRETARIAT, Role.MEMBER_STATE)


async def _read_model(request: Request, viewer: CallerView, what: str) -> AsyncEngine:
    """The engine to read a read model with, once the caller may see `what` and the read
    models have caught up with the writes before this request (when that is quick)."""
    _visible(viewer, what)
    await caught_up(request)
    return request.app.state.engine


def _visible(viewer: Any, what: str, **members: Any) -> None:
    viewer.require(MEMBER_STATES_ONLY, domain.NotFoundError(what, **members))


async def _meeting(
    store: PostgresEventStore, response: Response, viewer: CallerView, meeting_id: str,
    as_of: datetime | None,
) -> tuple[domain.Meeting, int]:
    """A meeting the caller may see, as it stands (stood at `as_of`), and its version (the
    answer's ETag)."""
    _visible(viewer, f"The meeting {meeting_id}", meeting_id=meeting_id)
    state, version = await queries.meeting(store, meeting_id, as_of)
    set_etag(response, version)
    return state, version


async def _as_shown(
    engine: AsyncEngine, viewer: Viewer, state: domain.Meeting
) -> domain.Meeting:
    """The meeting as `viewer` is shown it: without the documents it may not see."""
    if viewer.principal.sees_everything:
        return state
    sees = await queries.documents_seen(engine, viewer, distributions.documents_in(state))
    return distributions.meeting_shown(state, sees)


# ------------------------------------------------------------------------------ bodies


@router.get("/bodies", tags=["bodies"])
@READERS
async def list_bodies(store: Store, on: OnDay = None) -> BodiesOut:
    """The bodies as the registry names them on a day (today, at UTC): each one's names that
    day (a renaming effective later does not apply yet), whether it meets, which bodies its
    recommendations go to and its powers. A body the registry has not named by then is not
    listed."""
    day = on or datetime.now(UTC).date()
    return BodiesOut(on=day, bodies=[
        BodyOut(
            code=body.code, name=body.name, names=body.names, since=body.since,
            meets=body.code in bodies.MEETING_BODIES,
            recommends_to=list(RECOMMENDS_TO.get(body.code, ())),
            powers=[PowerOut(subject=row.subject, outcome=row.outcome, power=row.power.value,
                             source=row.source) for row in powers_of(body.code)],
        )
        for body in await queries.bodies_on(store, day)
    ])


# ------------------------------------------------------------------------------ member states


@router.get("/member-states", tags=["member states"])
@READERS
async def list_member_states(store: Store, viewer: CallerView, on: OnDay = None) -> MemberStatesOut:
    """The member states the meetings service counts on a date (today): those it followed from
    the registry's events (founding members, admissions, suspensions, reinstatements,
    withdrawals), members that day. They are a meeting's default participants and the states
    that may object; there is no other way to register them."""
    _visible(viewer, "The member-state list")
    day = on or datetime.now(UTC).date()
    states = await queries.members_on(store, day)
    return MemberStatesOut(on=day, count=len(states), member_states=states)


# ------------------------------------------------------------------------------ meetings


def _created(what: str, example: str) -> dict[int | str, dict[str, Any]]:
    """The 201 of a write that creates a resource, with its ``Location``."""
    return {201: {"headers": {"Location": {
        "description": f"where the {what} is read", "schema": {"type": "string"},
        "example": example,
    }}}}


@router.post("/meetings", status_code=201, tags=["meetings"],
             responses=_created("meeting", f"/meetings/{examples.SOC_ID}"))
@SECRETARIAT_ONLY
async def schedule_meeting(body: MeetingIn, write: Write) -> Written:
    """Schedule a body's session at a venue, as its sources date it: its first and last days,
    and the local time of its start or end (in an IANA zone) only when a source gives it. The
    meeting's id is its session symbol with `-` for `/` (`SOC-2022-III`). A session is
    scheduled once (409 `session-scheduled`), ends on or after it starts (422
    `meeting-ends-before-it-starts`), and has participants (409 `no-participants` while no
    member state has reached the service and the request names none)."""
    written = await write(commands.schedule_meeting, **dict(body))
    write.response.headers["Location"] = f"/meetings/{written.stream_id.removeprefix('meeting-')}"
    return written


@router.get("/meetings", tags=["meetings"])
@READERS
async def list_meetings(
    request: Request, viewer: CallerView, body: OfBody = None, limit: Limit = DEFAULT_LIMIT,
    after: MeetingsAfter = None,
) -> MeetingsOut:
    """The meetings (of `body`), from the read model, a page at a time: by start, then by
    meeting id, at most `limit` after the cursor `after`; `next_after` reads on."""
    engine = await _read_model(request, viewer, "The meetings")
    page = await queries.meetings(engine, body=body, after=after, limit=limit)
    return MeetingsOut(meetings=[MeetingOut(**row) for row in page.items],
                       next_after=page.next_after)


@router.get("/meetings/{meeting_id}", tags=["meetings"])
@READERS
async def get_meeting(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> MeetingOut:
    """One meeting, as it stands (or stood at `as_of`); ETag = its stream's version."""
    return MeetingOut.of(*await _meeting(store, response, viewer, meeting_id, as_of))


# ------------------------------------------------------------------------------ agendas


@router.post("/meetings/{meeting_id}/agenda", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def draft_agenda(meeting_id: MeetingId, body: AgendaIn, write: Write) -> Written:
    """Circulate the draft agenda under its document symbol (`SOC/2022-III/Agenda/1`)."""
    return await write(commands.draft_agenda, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/agenda/revisions", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def revise_agenda(meeting_id: MeetingId, body: AgendaRevisionIn, write: Write) -> Written:
    """Circulate a revision of the draft agenda, with its own items, under a new symbol;
    refused with no draft agenda circulated (409 `agenda-not-circulated`), once the agenda is
    adopted (409 `agenda-adopted`), or under a symbol circulated already (409
    `symbol-circulated`). An annotated agenda that does not revise the agenda is not a
    revision: `/agenda/annotations`."""
    return await write(commands.revise_agenda, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/agenda/annotations", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def annotate_agenda(
    meeting_id: MeetingId, body: AgendaAnnotationsIn, write: Write
) -> Written:
    """Record an annotated agenda (`SOC/2022-III/Agenda/2`, the draft annotated agenda of 7
    October 2022): its own document, annotating items of the agenda as it stands, whose items
    and symbol it leaves as they are. Refused with no agenda circulated (409
    `agenda-not-circulated`), dated before the agenda it annotates (422
    `annotated-before-circulated`), on an item the agenda does not have (422
    `no-such-agenda-item`), or under a symbol circulated already with another text (409
    `symbol-circulated`); the same annotated agenda again records nothing."""
    return await write(commands.annotate_agenda, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/agenda/adoption", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def adopt_agenda(meeting_id: MeetingId, body: AdoptionIn, write: Write) -> Written:
    """The meeting adopts its agenda, as circulated or as amended at the meeting."""
    return await write(commands.adopt_agenda, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/agenda/amendments", status_code=201, tags=["agendas"])
@SECRETARIAT_ONLY
async def amend_adopted_agenda(meeting_id: MeetingId, body: AmendmentIn, write: Write) -> Written:
    """Change an adopted agenda by a decision the meeting recorded under the agenda's own item
    (adoption of the agenda), once (the same amendment again changes nothing), and never so as
    to lose an item that carries a decision; 409 naming the rule otherwise (409
    `agenda-not-adopted` before the agenda is adopted: a draft is revised)."""
    return await write(commands.amend_adopted_agenda, meeting_id=meeting_id, **dict(body))


@router.get("/meetings/{meeting_id}/agenda", tags=["agendas"])
@READERS
async def get_agenda(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    view: AgendaView = "current", as_of: AsOf = None,
) -> AgendaOut:
    """The agenda as circulated, as adopted, or as it stands (or stood at `as_of`), without
    the documents the caller may not see, with the annotated agendas circulated (`annotated`:
    each one's symbol, date and annotations by item)."""
    state, _ = await _meeting(store, response, viewer, meeting_id, as_of)
    return AgendaOut.of(await _as_shown(store.engine, viewer, state), view)


@router.get("/agenda-items", tags=["agendas"])
@READERS
async def find_agenda_items(
    request: Request, viewer: CallerView, document: ConsideringDocument = None,
    note: CitingNote = None, limit: Limit = DEFAULT_LIMIT, after: AgendaItemsAfter = None,
) -> AgendaItemsOut:
    """The agenda items (of every meeting) that consider a document, at any revision, or that
    cite a note verbale (`note`: one of the two, 422 `invalid-request` otherwise), each without
    the documents the caller may not see (none for a document it may not see); a page at a
    time: by meeting id, then in the agenda's order, at most `limit` after the cursor `after`;
    `next_after` reads on."""
    engine = await _read_model(request, viewer, "Agenda items")
    if (document is None) == (note is None):
        raise domain.InvalidRequestError(
            "Agenda items are found by the document they consider or the note they cite: give "
            "one of document and note.")
    if document is None:
        assert note is not None
        page = await queries.agenda_items_citing(engine, note, after=after, limit=limit)
    else:
        asked = domain.base_symbol(document)[0]
        if not (await queries.documents_seen(engine, viewer, {asked}))(document):
            return AgendaItemsOut(items=[], next_after=None)
        page = await queries.agenda_items_considering(engine, document, after=after,
                                                      limit=limit)
    named = {domain.base_symbol(d["symbol"])[0] for row in page.items for d in row["considers"]}
    sees = await queries.documents_seen(engine, viewer, named)
    return AgendaItemsOut(items=[
        AgendaItemOut.model_validate(
            {**row, "considers": [d for d in row["considers"] if sees(d["symbol"])]})
        for row in page.items
    ], next_after=page.next_after)


# ------------------------------------------------------------------------------ decisions


@router.post("/meetings/{meeting_id}/decisions", status_code=201, tags=["decisions"])
@SECRETARIAT_ONLY
async def record_decision(meeting_id: MeetingId, body: DecisionIn, write: Write) -> Written:
    """Record a decision taken by consensus under an item of the adopted agenda (409
    `agenda-not-adopted` before its adoption; 422 `no-such-agenda-item` for an item it does
    not have), on one of the meeting's days (422 `decided-outside-the-meeting`): on a
    document the item considers (by symbol and revision; 422 `document-not-considered`), a
    membership application, a chairmanship, a coordinator, the next meeting of a body or the
    item itself (422 `decision-not-under-its-item` for another item). At a meeting whose agenda the
    record does not hold, a decision has no item and names the document that records it
    (`recorded_in`; 422 `decision-without-source` with neither, 422 `decision-outside-agenda`
    with no item where the agenda is held). One that follows a recommendation names the body
    (`on_recommendation_of`: one whose recommendations go to this body, made by the day of the
    decision, 422 `not-recommended-by` otherwise). The same `decision_id` is recorded once: the
    same decision again records nothing, other content under its id is refused (409
    `decision-id-taken`). A draft put to the meeting is recorded as it was put (409
    `decision-not-as-proposed` otherwise); a decision recorded with no draft is the draft taken
    at once, every participant present. A standing objection to a draft on the same subject
    under the same item refuses it, whatever its id (409 `no-consensus`)."""
    return await write(commands.record_decision, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/decision-proposals", status_code=201, tags=["decisions"])
@SECRETARIAT_ONLY
async def propose_decision(meeting_id: MeetingId, body: DecisionIn, write: Write) -> Written:
    """Put a draft decision to the meeting, under an item of its agenda (422
    `draft-without-item` with none), checked as a decision is. Decisions are by consensus:
    once any participant objects, recording it, or any decision on the same subject under the
    same item, is refused (409). The same draft put again changes nothing; other content under
    its id is refused (409): a new text is a new draft; a draft under the id of a decision
    taken is refused (409 `decision-taken`)."""
    return await write(commands.propose_decision, meeting_id=meeting_id, **dict(body))


@router.post("/meetings/{meeting_id}/decision-proposals/{decision_id}/objections",
             status_code=201, tags=["decisions"])
@OBJECTORS
async def object_to_decision(
    meeting_id: MeetingId, decision_id: DecisionId, body: DecisionObjectionIn, caller: Caller,
    write: Write,
) -> Written:
    """A participating member state objects to a draft decision, in its own name only (403
    for another state's, or for a state that does not take part in the meeting), while it is a
    member state (403 `not-a-member-state` while suspended or once withdrawn), until the
    decision is taken (409 `decision-taken`)."""
    return await write(commands.object_to_decision, meeting_id=meeting_id,
                       decision_id=decision_id, state=act_for(caller, body.state),
                       reason=body.reason, now=datetime.now(UTC))


@router.post("/meetings/{meeting_id}/decision-proposals/{decision_id}/objection-withdrawals",
             status_code=201, tags=["decisions"])
@OBJECTORS
async def withdraw_objection_to_decision(
    meeting_id: MeetingId, decision_id: DecisionId, body: ObjectionWithdrawalIn, caller: Caller,
    write: Write,
) -> Written:
    """A member state withdraws its own objection to a draft decision (403 for another
    state's): it no longer stands, and the draft can be taken if no other objection does.
    Withdrawn already, nothing more is recorded (`recorded` is empty); a state with no
    objection to withdraw is refused (409 `no-standing-objection`)."""
    return await write(commands.withdraw_objection_to_decision, meeting_id=meeting_id,
                       decision_id=decision_id, state=act_for(caller, body.state),
                       reason=body.reason)


@router.post("/meetings/{meeting_id}/decisions/{decision_id}/reservations", status_code=201,
             tags=["decisions"])
@OBJECTORS
async def place_reservation(
    meeting_id: MeetingId, decision_id: DecisionId, body: ReservationIn, caller: Caller,
    write: Write,
) -> Written:
    """A participating member state places a reservation or an interpretative statement on
    record, in its own name only (403 for another state's, or for a state that does not take
    part in the meeting; 403 `not-a-member-state` while suspended or once withdrawn), on a
    draft put to the meeting or a decision it took (404 for neither). It does not block the
    decision; it is shown with the draft and the decision."""
    return await write(commands.place_reservation, meeting_id=meeting_id,
                       decision_id=decision_id, state=act_for(caller, body.state),
                       kind=body.kind, text=body.text, now=datetime.now(UTC))


@router.get("/meetings/{meeting_id}/decisions", tags=["decisions"])
@READERS
async def list_decisions(
    meeting_id: MeetingId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> DecisionsOut:
    """The meeting's decisions (as recorded by `as_of`), but those on a document the caller may
    not see."""
    state, _ = await _meeting(store, response, viewer, meeting_id, as_of)
    return DecisionsOut.of(await _as_shown(store.engine, viewer, state))


@router.get("/decisions", tags=["decisions"])
@READERS
async def find_decisions(
    request: Request, viewer: CallerView, body: OfBody = None, limit: Limit = DEFAULT_LIMIT,
    after: DecisionsAfter = None,
) -> DecisionsPageOut:
    """Every decision recorded, at meetings and by silence procedure (from the read model), but
    those on a document the caller may not see (and without the document that records one,
    `recorded_in`, when the caller may not see that document); a page at a time, in the order
    recorded (log position): at most `limit` after the cursor `after`. The decisions the
    caller may not see are left out of the page they fall in, so a page may hold fewer than
    `limit`, even none, while `next_after` is not null: read on until it is."""
    engine = await _read_model(request, viewer, "Decisions")
    page = await queries.recorded_decisions(engine, body=body, after=after, limit=limit)
    named = [distributions.subject_document(row["subject"]) for row in page.items]
    named += [row["recorded_in"]["symbol"] for row in page.items if row["recorded_in"]]
    sees = await queries.documents_seen(
        engine, viewer, {domain.base_symbol(s)[0] for s in named if s is not None})

    def shown(row: dict[str, Any]) -> dict[str, Any]:
        record = row["recorded_in"]
        return row if record is None or sees(record["symbol"]) else {**row, "recorded_in": None}

    return DecisionsPageOut(
        decisions=[DecisionOut.model_validate(shown(row)) for row in page.items
                   if distributions.subject_shown(row["subject"], sees)],
        next_after=page.next_after)


# ------------------------------------------------------------------------------ silence procedure


@router.post("/silence-procedures", status_code=201, tags=["silence procedure"],
             responses=_created("procedure", f"/silence-procedures/{examples.PROCEDURE_ID}"))
@SECRETARIAT_ONLY
async def start_silence_procedure(
    body: SilenceProcedureIn, write: Write, settings: Settings
) -> Written:
    """Circulate a body's draft decision under the silence procedure until an exact deadline
    still to come (422 `deadline-in-the-past` otherwise), to the body's members: the
    participants of its meeting (`meeting_id`), or the member states on the day at the seat
    (409 `no-recipients` if there are none). The session is the
    body's (as its schema says: 422 otherwise), the meeting the body's in that session (404, 422
    `meeting-of-another-session`), the draft within the body's competence (409
    `outside-competence`). The same procedure started again records nothing; another one under
    its `procedure_id` is refused (409 `procedure-id-taken`). At the deadline the service
    concludes it by itself: adopted if no objection stands, the decision dated at the seat."""
    written = await write(commands.start_silence_procedure, **dict(body), now=datetime.now(UTC),
                          seat_time_zone=settings.seat_time_zone)
    write.response.headers["Location"] = f"/silence-procedures/{body.procedure_id}"
    return written


@router.get("/silence-procedures/{procedure_id}", tags=["silence procedure"])
@READERS
async def get_silence_procedure(
    procedure_id: ProcedureId, store: Store, response: Response, viewer: CallerView,
    as_of: AsOf = None,
) -> SilenceProcedureOut:
    """A silence procedure, its objections and its outcome (as it stood at `as_of`); 404 when
    its draft is on a document the caller may not see."""
    what = f"The silence procedure {procedure_id}"
    _visible(viewer, what, procedure_id=str(procedure_id))
    state, version = await queries.silence_procedure(store, procedure_id, as_of)
    assert state.started is not None
    subject = distributions.subject_document(state.started.draft.subject)
    if subject is not None:
        sees = await queries.documents_seen(
            store.engine, viewer, {domain.base_symbol(subject)[0]})
        if not sees(subject):
            raise domain.NotFoundError(what, procedure_id=str(procedure_id))
    set_etag(response, version)
    return SilenceProcedureOut.of(state, version)


@router.post("/silence-procedures/{procedure_id}/objections", status_code=201,
             tags=["silence procedure"])
@OBJECTORS
async def raise_objection(
    procedure_id: ProcedureId, body: ObjectionIn, caller: Caller, write: Write
) -> Written:
    """A member state breaks the silence, in its own name only (403 for another state's);
    refused at or after the deadline (409), from a state the draft was not sent to (403), or
    from one suspended or withdrawn since (403 `not-a-member-state`)."""
    return await write(commands.raise_objection, procedure_id=procedure_id,
                       state=act_for(caller, body.state), reason=body.reason,
                       now=datetime.now(UTC))


@router.post("/silence-procedures/{procedure_id}/objection-withdrawals", status_code=201,
             tags=["silence procedure"])
@OBJECTORS
async def withdraw_objection(
    procedure_id: ProcedureId, body: ObjectionWithdrawalIn, caller: Caller, write: Write
) -> Written:
    """A member state withdraws its own objection before the deadline (403 for another
    state's; 409 at or after it): at the deadline it no longer counts. Withdrawn already,
    nothing more is recorded; a state with no objection to withdraw is refused (409
    `no-standing-objection`)."""
    return await write(commands.withdraw_objection, procedure_id=procedure_id,
                       state=act_for(caller, body.state), reason=body.reason,
                       now=datetime.now(UTC))


@router.post("/silence-procedures/{procedure_id}/conclusion", status_code=201,
             tags=["silence procedure"])
@SECRETARIAT_ONLY
async def conclude_silence_procedure(
    procedure_id: ProcedureId, write: Write, settings: Settings
) -> Written:
    """Conclude a procedure whose deadline has passed now, rather than at the service's next
    check; a procedure concluded already records nothing (`recorded` is empty)."""
    return await write(commands.conclude_silence_procedure, procedure_id=procedure_id,
                       now=datetime.now(UTC), seat_time_zone=settings.seat_time_zone)
