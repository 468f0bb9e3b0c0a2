"""The registry's HTTP API: parse, authorise, call a command or a query, shape the answer
(models: `services.registry.schemas`; their examples: `services.registry.examples`).

Writes are the Secretariat's; reads of the registry are public. Every read takes
``?effective=<date>`` (the facts in force on that date; today by default) and
``?as_of=<instant>`` (the registry as it was recorded at that instant; now by default). A
single stream's representation carries its version as ``ETag``; writes honour ``If-Match``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.convertors import Convertor, register_url_convertor

from services.registry import commands, queries
from services.registry.domain import (
    AREA_PATTERN,
    KEY_PATTERN,
    PERIOD_PATTERN,
    MembershipStatus,
    NotFoundError,
)
from services.registry.queries import Moment
from services.registry.schemas import (
    AdmissionIn,
    ApplicationIn,
    BodiesOut,
    BodyIn,
    BodyOut,
    ChairIn,
    ChairmanshipIn,
    ChairmanshipOut,
    ChairmanshipsOut,
    CoordinatorIn,
    CoordinatorsOut,
    KnownMembersIn,
    KnownMembersOut,
    MemberStateDetailOut,
    MemberStateOut,
    MemberStatesOut,
    ObserverIn,
    ObserversOut,
    PartnerIn,
    PartnersOut,
    PriorityAreaIn,
    RecommendationIn,
    ReinstatementIn,
    RenamingIn,
    RenamingProposalIn,
    SuspensionIn,
    WithdrawalIn,
)
from services.registry.visibility import sees_state
from shared.access import ANYONE, SECRETARIAT_ONLY, CallerView
from shared.http.etag import set_etag
from shared.http.params import Day, Instant
from shared.http.reads import caught_up
from shared.http.writes import Store, Write, Written

router = APIRouter()

T = TypeVar("T")

STATE_CODE = r"^[A-Z]{3}$"
StateCodePath = Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])]


async def _moment(
    request: Request,
    effective: Annotated[
        Day | None,
        Query(description="The date whose facts are in force (today when absent).",
              examples=["2022-10-12"]),
    ] = None,
    as_of: Annotated[
        Instant | None,
        Query(description="Read the registry as it was recorded at this instant (with its "
              "time zone; now when absent).", examples=["2022-10-01T00:00:00Z"]),
    ] = None,
) -> Moment:
    now = datetime.now(UTC)
    return Moment(effective=effective or now.date(), as_of=as_of or now)


At = Annotated[Moment, Depends(_moment)]


async def _read_models(request: Request) -> AsyncIterator[AsyncConnection]:
    await caught_up(request)  # read what was written before this request, when it is quick
    async with request.app.state.engine.connect() as connection:
        yield connection


ReadModels = Annotated[AsyncConnection, Depends(_read_models)]
"""A connection to the registry's read models (`services.registry.queries` reads them), once
they show what was written before the request (`caught_up`): whatever endpoint takes it."""


async def _found(
    found: list[T], missing: NotFoundError, *, store: Store, response: Response, stream_id: str
) -> T:
    """The one representation a single-stream read found, with the stream's version as its
    ETag; `missing` (404) when it found none."""
    if not found:
        raise missing
    set_etag(response, await store.stream_version(stream_id))
    return found[0]


# ------------------------------------------------------------------------------ member states


@router.get("/member-states", tags=["member states"])
@ANYONE
async def list_member_states(
    at: At,
    read: ReadModels,
    viewer: CallerView,
    status: Annotated[
        MembershipStatus | None,
        Query(description="Only the states of this status on the effective date.",
              examples=["applicant"]),
    ] = None,
) -> MemberStatesOut:
    """Every state the registry knows on the effective date (applicants, members, suspended
    and withdrawn members), and in `unknown` those whose membership then it does not know. A
    pending application is shown to member states, the applicant and the Secretariat only."""
    views = await queries.member_states(read, at)
    views = [v for v in views if sees_state(viewer, v.code, v.status)]
    if status is not None:
        views = [v for v in views if v.status == status]
    return MemberStatesOut.at(
        at, count=len(views), member_states=[MemberStateOut.of(v) for v in views],
        unknown=[v.code for v in await queries.membership_unknown(read, at)],
    )


@router.get("/members", tags=["member states"])
@ANYONE
async def list_members(at: At, read: ReadModels) -> MemberStatesOut:
    """The member states on the effective date: the 27 the note verbale SOC/OI/1280 addresses
    from 7 October 2022, 28 from Kuwait's admission on 12 October 2022. Before 7 October 2022
    the 27 whose joining day no one has entered are `unknown`, not counted."""
    views = [v for v in await queries.member_states(read, at) if v.status == "member"]
    return MemberStatesOut.at(
        at, count=len(views), member_states=[MemberStateOut.of(v) for v in views],
        unknown=[v.code for v in await queries.membership_unknown(read, at)],
    )


class StateCodeConvertor(Convertor[str]):
    """``{code:state_code}``: three capital letters and nothing else, so that
    ``/member-states/known-members`` (and ``founding-members``) is not a state's path: a GET
    there is a 405 that says POST, not a 422 for a code ``known-members``."""

    regex = "[A-Z]{3}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("state_code", StateCodeConvertor())


@router.get("/member-states/{code:state_code}", tags=["member states"])
@ANYONE
async def get_member_state(
    response: Response,
    store: Store,
    at: At,
    read: ReadModels,
    viewer: CallerView,
    code: StateCodePath,
) -> MemberStateDetailOut:
    """One state's membership on the effective date, with its facts; ETag = stream version.
    A pending application answers 404 to the public, as a state the registry does not know. A
    state known as a member from a later day, its joining day unknown, answers with `status`
    None and that day (`member_on`): its membership then is unknown."""
    views = await queries.member_states(read, at, state=code)
    views = [v for v in views if sees_state(viewer, code, v.status)]
    view = await _found(
        views or await queries.membership_unknown(read, at, state=code),
        NotFoundError(f"The state {code} (effective {at.effective}, as of {at.as_of})",
                      state=code),
        store=store, response=response, stream_id=commands.MEMBER_STATES.of(code),
    )
    return MemberStateDetailOut.of(view)


@router.post("/member-states/known-members", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def register_known_members(body: KnownMembersIn, store: Store) -> KnownMembersOut:
    """Register states that were members before the log began, as the sources show them: each
    a member on `member_on`, and since `member_since` when a source gives its joining day (on
    or before `member_on`: else 422 `joined-after-member-on`); all of them, or none. Without
    `member_since` a state's membership before `member_on` is unknown, and reads say so."""
    recorded = await commands.register_known_members(
        store=store,
        members=[
            commands.KnownMember(m.state, dict(m.names), m.member_on, m.member_since)
            for m in body.members
        ],
    )
    return KnownMembersOut(registered=[Written.of(r) for r in recorded])


@router.post(
    "/member-states/founding-members", status_code=201, tags=["member states"], deprecated=True
)
@SECRETARIAT_ONLY
async def register_founding_members(body: KnownMembersIn, store: Store) -> KnownMembersOut:
    """The former path of `POST /member-states/known-members`, with the same body and answer.
    Deprecated: it registers members the sources show, not founding members of CICA (which
    states founded it is a fact no source of the registry gives)."""
    return await register_known_members(body, store)


@router.post("/member-states/{code}/application", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def apply_for_membership(code: StateCodePath, body: ApplicationIn, write: Write) -> Written:
    """Record a state's application for membership, by the note that circulated it."""
    return await write(
        commands.apply_for_membership, state=code, names=dict(body.names),
        applied_on=body.applied_on, note=body.application_note,
    )


@router.post("/member-states/{code}/recommendation", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def recommend_admission(code: StateCodePath, body: RecommendationIn, write: Write) -> Written:
    """Record the SOC's recommendation of an applicant's admission (paragraph 11.3 of the
    Rules of Procedure). Refused (409, nothing recorded) for a state that never applied
    (`no-membership-application`) or a decision that is not the SOC's recommendation
    (`outside-competence`)."""
    return await write(commands.recommend_admission, state=code, decision=body.decision)


@router.post("/member-states/{code}/admission", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def admit_member(code: StateCodePath, body: AdmissionIn, write: Write) -> Written:
    """Record an applicant's admission by the Summit's decision. Refused (409, nothing
    recorded) for a state that never applied (`no-membership-application`), an admission the
    SOC has not recommended (`admission-not-recommended`), or a decision that is not the
    Summit's adoption (`outside-competence`)."""
    return await write(commands.admit_member, state=code, decision=body.decision)


@router.post("/member-states/{code}/suspension", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def suspend_membership(code: StateCodePath, body: SuspensionIn, write: Write) -> Written:
    """Suspend a member from a date: not counted among the members while suspended."""
    return await write(
        commands.suspend_membership, state=code, effective_on=body.effective_on,
        reason=body.reason, decision=body.decision,
    )


@router.post("/member-states/{code}/reinstatement", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def reinstate_membership(
    code: StateCodePath, body: ReinstatementIn, write: Write
) -> Written:
    """A suspended member is a member again from a date."""
    return await write(
        commands.reinstate_membership, state=code, effective_on=body.effective_on,
        decision=body.decision,
    )


@router.post("/member-states/{code}/withdrawal", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def withdraw_membership(code: StateCodePath, body: WithdrawalIn, write: Write) -> Written:
    """A member left the organisation on a date."""
    return await write(
        commands.withdraw_membership, state=code, effective_on=body.effective_on, note=body.note
    )


# ------------------------------------------------------------------------------ observers, partners


@router.post("/observers", status_code=201, tags=["observers and partners"])
@SECRETARIAT_ONLY
async def register_observer(body: ObserverIn, write: Write) -> Written:
    """Register an observer state or organisation."""
    return await write(
        commands.register_observer, kind=body.kind, key=body.key, names=dict(body.names),
        effective_on=body.effective_on,
    )


@router.get("/observers", tags=["observers and partners"])
@ANYONE
async def list_observers(at: At, read: ReadModels) -> ObserversOut:
    """Observer states and organisations on the effective date."""
    return ObserversOut.at(at, observers=await queries.observer_list(read, at))


@router.post("/partners", status_code=201, tags=["observers and partners"])
@SECRETARIAT_ONLY
async def sign_partner_agreement(body: PartnerIn, write: Write) -> Written:
    """Record a memorandum of understanding with a partner organisation."""
    return await write(
        commands.sign_partner_agreement, key=body.key, names=dict(body.names),
        agreement=body.agreement, signed_on=body.signed_on,
    )


@router.get("/partners", tags=["observers and partners"])
@ANYONE
async def list_partners(at: At, read: ReadModels) -> PartnersOut:
    """Partner organisations' memoranda of understanding signed by the effective date (the
    IOM, ECO, SCO, UNODC and others named in PP4 of SUM/2022/DRAFT/1/Rev.8)."""
    return PartnersOut.at(at, partners=await queries.partner_list(read, at))


# ------------------------------------------------------------------------------ chairmanships


@router.post("/chairmanships", status_code=201, tags=["chairmanships"])
@SECRETARIAT_ONLY
async def open_chairmanship(body: ChairmanshipIn, write: Write) -> Written:
    """A chairmanship period whose chair is still to be decided."""
    return await write(
        commands.open_chairmanship, period=body.period, effective_on=body.effective_on
    )


@router.post("/chairmanships/{period}/chair", status_code=201, tags=["chairmanships"])
@SECRETARIAT_ONLY
async def assign_chairmanship(
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2022-2024"])],
    body: ChairIn,
    write: Write,
) -> Written:
    """The chair of a period (a Summit's adoption recorded by the meetings service fills it
    by itself)."""
    return await write(
        commands.assign_chairmanship, period=period, state=body.chair,
        effective_on=body.effective_on, decision=body.decision,
    )


@router.get("/chairmanships", tags=["chairmanships"])
@ANYONE
async def list_chairmanships(at: At, read: ReadModels) -> ChairmanshipsOut:
    """Every chairmanship period with its chair on the effective date (None: still open, like
    the draft conclusions' "____ in 2024-2026")."""
    return ChairmanshipsOut.at(at, chairmanships=await queries.chairmanship_list(read, at))


@router.get("/chairmanships/{period}", tags=["chairmanships"])
@ANYONE
async def get_chairmanship(
    response: Response,
    store: Store,
    at: At,
    read: ReadModels,
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2024-2026"])],
) -> ChairmanshipOut:
    """One chairmanship period on the effective date; ETag = the period's stream version."""
    found = await _found(
        await queries.chairmanship_list(read, at, period=period),
        NotFoundError(f"The chairmanship {period}", period=period),
        store=store, response=response, stream_id=commands.CHAIRMANSHIPS.of(period),
    )
    return ChairmanshipOut(**found)


# ------------------------------------------------------------------------------ coordinators


@router.post("/priority-areas", status_code=201, tags=["coordinators"])
@SECRETARIAT_ONLY
async def establish_priority_area(body: PriorityAreaIn, write: Write) -> Written:
    """A priority area of one of the five dimensions of cooperation."""
    return await write(
        commands.establish_priority_area, area=body.area, dimension=body.dimension,
        names=dict(body.names), effective_on=body.effective_on,
    )


@router.post("/priority-areas/{area}/coordinators", status_code=201, tags=["coordinators"])
@SECRETARIAT_ONLY
async def appoint_coordinator(
    area: Annotated[str, Path(pattern=AREA_PATTERN, examples=["trade-and-investment"])],
    body: CoordinatorIn,
    write: Write,
) -> Written:
    """A coordinator or co-coordinator of the area, for a term."""
    return await write(
        commands.appoint_coordinator, area=area, state=body.state, role=body.role,
        effective_on=body.effective_on, term_ends_on=body.term_ends_on, decision=body.decision,
    )


@router.get("/coordinators", tags=["coordinators"])
@ANYONE
async def list_coordinators(at: At, read: ReadModels) -> CoordinatorsOut:
    """Every priority area, by dimension, with its coordinators in office on the date."""
    return CoordinatorsOut.at(at, priority_areas=await queries.coordinator_list(read, at))


# ------------------------------------------------------------------------------ bodies


@router.post("/bodies", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def establish_body(body: BodyIn, write: Write) -> Written:
    """A body or title of the organisation (or the organisation itself: code CICA)."""
    return await write(
        commands.establish_body, code=body.code, names=dict(body.names),
        effective_on=body.effective_on,
    )


@router.post("/bodies/{code}/renamings", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def rename_body(
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["SUMMIT"])],
    body: RenamingIn,
    write: Write,
) -> Written:
    """The body's new names from their effective date on (reads before it keep the old)."""
    return await write(
        commands.rename_body, code=code, names=dict(body.names), effective_on=body.effective_on,
        decision=body.decision, proposal_id=body.proposal_id,
    )


@router.post("/bodies/{code}/renaming-proposals", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def propose_renaming(
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["CICA"])],
    body: RenamingProposalIn,
    write: Write,
) -> Written:
    """A proposed renaming: it changes no name until a renaming decides it."""
    return await write(
        commands.propose_renaming, code=code, proposal_id=body.proposal_id,
        names=dict(body.names), proposed_by=list(body.proposed_by),
        proposed_on=body.proposed_on,
    )


@router.get("/bodies", tags=["bodies"])
@ANYONE
async def list_bodies(at: At, read: ReadModels) -> BodiesOut:
    """Every body and title of the organisation with its names on the effective date."""
    return BodiesOut.at(at, bodies=await queries.body_list(read, at))


@router.get("/bodies/{code}", tags=["bodies"])
@ANYONE
async def get_body(
    response: Response,
    store: Store,
    at: At,
    read: ReadModels,
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["SUMMIT"])],
) -> BodyOut:
    """A body's names on the effective date, their history and proposed renamings."""
    found = await _found(
        await queries.body_list(read, at, body=code),
        NotFoundError(f"The body {code} (effective {at.effective})", body=code),
        store=store, response=response, stream_id=commands.BODIES.of(code),
    )
    return BodyOut(**found)
