"""The registry's HTTP API: parse, authorise, call a command or a query, shape the answer.

Writes are the Secretariat's; reads of the registry are public. Every read takes
``?effective=<date>`` (the facts in force on that date; today by default) and
``?as_of=<instant>`` (the registry as it was recorded at that instant; now by default). A
single stream's representation carries its version as ``ETag``; writes honour ``If-Match``.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.registry import commands, queries
from services.registry.domain import AREA_PATTERN, KEY_PATTERN, PERIOD_PATTERN, NotFoundError
from services.registry.events import (
    CoordinatorRole,
    DecisionRef,
    Dimension,
    Names,
    NoteRef,
    ObserverKind,
)
from services.registry.queries import Moment
from services.registry.seed import KUWAIT, KUWAIT_APPLICATION_NOTE, MEMBER_STATES_2022
from services.registry.visibility import sees_state
from shared.access import ANYONE, SECRETARIAT_ONLY, CallerView, StateCode
from shared.eventstore import PostgresEventStore
from shared.http.etag import ExpectedVersion, set_etag
from shared.projections import ProjectionRunner

router = APIRouter()

STATE_CODE = r"^[A-Z]{3}$"
KUWAIT_DECISION = {
    "decision_id": "6f1d3c0e-2b8a-4c57-9a43-0d6f7e1b2a91",
    "body": "SUMMIT",
    "session": "SUM/2022",
    "decided_on": "2022-10-12",
    "outcome": "adopted",
}


def _store(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(_store)]


async def _moment(
    request: Request,
    effective: Annotated[
        date | None,
        Query(description="The date whose facts are in force (today when absent).",
              examples=["2022-10-12"]),
    ] = None,
    as_of: Annotated[
        AwareDatetime | None,
        Query(description="Read the registry as it was recorded at this instant (with its "
              "time zone; now when absent).", examples=["2022-10-01T00:00:00Z"]),
    ] = None,
) -> Moment:
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:  # read what was written before this request, when it is quick
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=2.0)
    now = datetime.now(UTC)
    return Moment(effective=effective or now.date(), as_of=as_of or now)


At = Annotated[Moment, Depends(_moment)]


class Written(BaseModel):
    """What a write recorded: the stream, its version now (also the ETag), the events."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"stream_id": "state-KWT", "version": 1, "recorded": ["MembershipApplied"]}
    ]})

    stream_id: str = Field(examples=["state-KWT"])
    version: int = Field(examples=[2])
    recorded: list[str] = Field(examples=[["MembershipApplied"]])


def _written(response: Response, recorded: commands.Recorded) -> Written:
    set_etag(response, recorded.version)
    return Written(
        stream_id=recorded.stream_id,
        version=recorded.version,
        recorded=[e.event_type for e in recorded.events],
    )


class TimeOut(BaseModel):
    effective: date
    as_of: datetime


# ------------------------------------------------------------------------------ member states


class FoundingMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: StateCode = Field(description="ISO 3166 alpha-3", examples=["KAZ"])
    names: Names = Field(examples=[MEMBER_STATES_2022["KAZ"]])
    member_since: date = Field(examples=["1999-09-14"])


class FoundingMembersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "members": [
                        {"state": code, "names": names, "member_since": "1999-09-14"}
                        for code, names in list(MEMBER_STATES_2022.items())[:3]
                    ]
                }
            ]
        },
    )

    members: list[FoundingMemberIn] = Field(min_length=1, max_length=300)


class FoundingMembersOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"registered": [
        {"stream_id": "state-KAZ", "version": 1, "recorded": ["FoundingMemberRegistered"]}
    ]}]})

    registered: list[Written]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"names": KUWAIT, "applied_on": "2022-02-03",
                 "application_note": KUWAIT_APPLICATION_NOTE}
            ]
        },
    )

    names: Names
    applied_on: date
    application_note: NoteRef


class AdmissionIn(BaseModel):
    """An admission decided outside the meetings service's record (the Summit's adoption);
    decisions the meetings service records are followed by the registry by itself."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"decision": KUWAIT_DECISION}]}
    )

    decision: DecisionRef


class MemberStateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "KWT",
                    "names": KUWAIT,
                    "status": "member",
                    "since": "2022-10-12",
                    "founding_member": False,
                    "applied_on": "2022-02-03",
                    "application_note": KUWAIT_APPLICATION_NOTE,
                    "recommendation": {**KUWAIT_DECISION, "body": "SOC",
                                       "session": "SOC/2022-III", "decided_on": "2022-10-11",
                                       "outcome": "recommended_for_adoption"},
                    "admission": {"admitted_on": "2022-10-12", **KUWAIT_DECISION},
                }
            ]
        }
    )

    code: str
    names: dict[str, str]
    status: str | None = Field(
        description="applicant, member, suspended or withdrawn, on the effective date"
    )
    since: date | None = Field(description="the date the status took effect")
    founding_member: bool
    applied_on: date | None = None
    application_note: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    admission: dict[str, Any] | None = None


class MemberStateDetailOut(MemberStateOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "KWT", "names": KUWAIT, "status": "applicant", "since": "2022-02-03",
        "founding_member": False, "applied_on": "2022-02-03",
        "application_note": KUWAIT_APPLICATION_NOTE,
        "facts": [{"fact": "applied", "effective_on": "2022-02-03",
                   "recorded_at": "2022-02-04T06:12:00Z", "decision": None,
                   "note": KUWAIT_APPLICATION_NOTE}],
    }]})

    facts: list[dict[str, Any]] = Field(
        description="every fact in force on the effective date, as recorded by `as_of`"
    )


class MemberStatesOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z", "count": 28,
        "member_states": [
            {"code": "KAZ", "names": MEMBER_STATES_2022["KAZ"], "status": "member",
             "since": "1999-09-14", "founding_member": True},
            {"code": "KWT", "names": KUWAIT, "status": "member", "since": "2022-10-12",
             "founding_member": False, "applied_on": "2022-02-03",
             "application_note": KUWAIT_APPLICATION_NOTE,
             "admission": {"admitted_on": "2022-10-12", **KUWAIT_DECISION}},
        ],
    }]})

    count: int = Field(examples=[28])
    member_states: list[MemberStateOut]


def _state_out(view: queries.StateView, cls: type[MemberStateOut] = MemberStateOut) -> Any:
    values: dict[str, Any] = {
        "code": view.code,
        "names": view.names,
        "status": view.status,
        "since": view.since,
        "founding_member": view.founding_member,
        "applied_on": view.applied_on,
        "application_note": view.application_note,
        "recommendation": view.recommendation,
        "admission": view.admission,
    }
    if cls is MemberStateDetailOut:
        values["facts"] = view.facts
    return cls(**values)


@router.get("/member-states", tags=["member states"])
@ANYONE
async def list_member_states(
    request: Request,
    at: At,
    viewer: CallerView,
    status: Annotated[
        str | None,
        Query(pattern="^(applicant|member|suspended|withdrawn)$", examples=["applicant"]),
    ] = None,
) -> MemberStatesOut:
    """Every state the registry knows on the effective date (applicants, members, suspended
    and withdrawn members). A pending application is shown to member states, the applicant
    and the Secretariat only."""
    async with request.app.state.engine.connect() as connection:
        views = await queries.member_states(connection, at)
    views = [v for v in views if sees_state(viewer, v.code, v.status)]
    if status is not None:
        views = [v for v in views if v.status == status]
    return MemberStatesOut(
        effective=at.effective, as_of=at.as_of, count=len(views),
        member_states=[_state_out(v) for v in views],
    )


@router.get("/members", tags=["member states"])
@ANYONE
async def list_members(request: Request, at: At) -> MemberStatesOut:
    """The member states on the effective date: 27 before 12 October 2022, 28 from then."""
    async with request.app.state.engine.connect() as connection:
        views = [v for v in await queries.member_states(connection, at) if v.status == "member"]
    return MemberStatesOut(
        effective=at.effective, as_of=at.as_of, count=len(views),
        member_states=[_state_out(v) for v in views],
    )


@router.get("/member-states/{code}", tags=["member states"])
@ANYONE
async def get_member_state(
    request: Request,
    response: Response,
    store: Store,
    at: At,
    viewer: CallerView,
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
) -> MemberStateDetailOut:
    """One state's membership on the effective date, with its facts; ETag = stream version.
    A pending application answers 404 to the public, as a state the registry does not know."""
    async with request.app.state.engine.connect() as connection:
        views = await queries.member_states(connection, at, state=code)
    if not views or not sees_state(viewer, code, views[0].status):
        raise NotFoundError(f"The state {code} (effective {at.effective}, as of {at.as_of})",
                            state=code)
    set_etag(response, await store.stream_version(commands.state_stream(code)))
    return _state_out(views[0], MemberStateDetailOut)


@router.post("/member-states/founding-members", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def register_founding_members(
    body: FoundingMembersIn, store: Store
) -> FoundingMembersOut:
    """Register the states that were members before the log began: all of them, or none."""
    recorded = await commands.register_founding_members(
        store=store,
        members=[
            commands.FoundingMember(m.state, dict(m.names), m.member_since) for m in body.members
        ],
    )
    return FoundingMembersOut(
        registered=[
            Written(stream_id=r.stream_id, version=r.version,
                    recorded=[e.event_type for e in r.events])
            for r in recorded
        ]
    )


@router.post("/member-states/{code}/application", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def apply_for_membership(
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
    body: ApplicationIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Record a state's application for membership, by the note that circulated it."""
    recorded = await commands.apply_for_membership(
        store=store, state=code, names=dict(body.names), applied_on=body.applied_on,
        note=body.application_note, expected=expected,
    )
    return _written(response, recorded)


@router.post("/member-states/{code}/admission", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def admit_member(
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
    body: AdmissionIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Record an applicant's admission by the Summit's decision. A state that never applied is
    refused (409), and nothing is recorded."""
    recorded = await commands.admit_member_by_request(
        store=store, state=code, decision=body.decision, expected=expected
    )
    return _written(response, recorded)


class SuspensionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"effective_on": "2023-01-01",
                                         "reason": "decision of the Ministerial Council"}]},
    )

    effective_on: date
    reason: str = Field(min_length=1, max_length=1000)
    decision: DecisionRef | None = None


class ReinstatementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"effective_on": "2024-01-01"}]}
    )

    effective_on: date
    decision: DecisionRef | None = None


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"effective_on": "2024-01-01",
                                         "note": {"number": "SOC/OI/1300",
                                                  "dated": "2023-10-01"}}]},
    )

    effective_on: date
    note: NoteRef | None = None


@router.post("/member-states/{code}/suspension", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def suspend_membership(
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
    body: SuspensionIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """Suspend a member from a date: not counted among the members while suspended."""
    recorded = await commands.suspend_membership(
        store=store, state=code, effective_on=body.effective_on, reason=body.reason,
        decision=body.decision, expected=expected,
    )
    return _written(response, recorded)


@router.post("/member-states/{code}/reinstatement", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def reinstate_membership(
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
    body: ReinstatementIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """A suspended member is a member again from a date."""
    recorded = await commands.reinstate_membership(
        store=store, state=code, effective_on=body.effective_on, decision=body.decision,
        expected=expected,
    )
    return _written(response, recorded)


@router.post("/member-states/{code}/withdrawal", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def withdraw_membership(
    code: Annotated[str, Path(pattern=STATE_CODE, examples=["KWT"])],
    body: WithdrawalIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """A member left the organisation on a date."""
    recorded = await commands.withdraw_membership(
        store=store, state=code, effective_on=body.effective_on, note=body.note,
        expected=expected,
    )
    return _written(response, recorded)


# ------------------------------------------------------------------------------ observers, partners


class ObserverIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "organisation", "key": "UN",
                                         "names": {"en": "United Nations"},
                                         "effective_on": "2002-06-04"}]},
    )

    kind: ObserverKind
    key: str = Field(pattern=KEY_PATTERN, description="an alpha-3 code for a state")
    names: Names
    effective_on: date


class ObserverOut(BaseModel):
    key: str
    kind: str
    names: dict[str, str]
    effective_on: date
    recorded_at: datetime


class ObserversOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z",
        "observers": [{"key": "UN", "kind": "organisation", "names": {"en": "United Nations"},
                       "effective_on": "2002-06-04", "recorded_at": "2022-10-01T09:00:00Z"}],
    }]})

    observers: list[ObserverOut]


@router.post("/observers", status_code=201, tags=["observers and partners"])
@SECRETARIAT_ONLY
async def register_observer(body: ObserverIn, store: Store, response: Response) -> Written:
    """Register an observer state or organisation."""
    recorded = await commands.register_observer(
        store=store, kind=body.kind, key=body.key, names=dict(body.names),
        effective_on=body.effective_on,
    )
    return _written(response, recorded)


@router.get("/observers", tags=["observers and partners"])
@ANYONE
async def list_observers(request: Request, at: At) -> ObserversOut:
    """Observer states and organisations on the effective date."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.observer_list(connection, at)
    return ObserversOut(effective=at.effective, as_of=at.as_of,
                        observers=[ObserverOut(**row) for row in rows])


class PartnerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "key": "IOM", "names": {"en": "International Organization for Migration"},
            "agreement": "Memorandum of Understanding", "signed_on": "2021-06-01",
        }]},
    )

    key: str = Field(pattern=KEY_PATTERN)
    names: Names
    agreement: str = Field(min_length=1, max_length=300)
    signed_on: date


class PartnerOut(BaseModel):
    key: str
    names: dict[str, str]
    agreement: str
    signed_on: date
    recorded_at: datetime


class PartnersOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z",
        "partners": [{"key": "IOM", "names": {"en": "International Organization for Migration"},
                      "agreement": "Memorandum of Understanding", "signed_on": "2021-06-01",
                      "recorded_at": "2022-10-01T09:00:00Z"}],
    }]})

    partners: list[PartnerOut]


@router.post("/partners", status_code=201, tags=["observers and partners"])
@SECRETARIAT_ONLY
async def sign_partner_agreement(body: PartnerIn, store: Store, response: Response) -> Written:
    """Record a memorandum of understanding with a partner organisation."""
    recorded = await commands.sign_partner_agreement(
        store=store, key=body.key, names=dict(body.names), agreement=body.agreement,
        signed_on=body.signed_on,
    )
    return _written(response, recorded)


@router.get("/partners", tags=["observers and partners"])
@ANYONE
async def list_partners(request: Request, at: At) -> PartnersOut:
    """Partner organisations' memoranda of understanding signed by the effective date (the
    IOM, ECO, SCO, UNODC and others named in PP4 of SUM/2022/DRAFT/1/Rev.8)."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.partner_list(connection, at)
    return PartnersOut(
        effective=at.effective, as_of=at.as_of,
        partners=[PartnerOut(**{k: row[k] for k in PartnerOut.model_fields}) for row in rows],
    )


# ------------------------------------------------------------------------------ chairmanships


class ChairmanshipIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period": "2024-2026", "effective_on": "2022-10-07"}]},
    )

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2024-2026"])
    effective_on: date


class ChairIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"chair": "KAZ", "effective_on": "2022-10-12"}]},
    )

    chair: StateCode
    effective_on: date
    decision: DecisionRef | None = None


class ChairmanshipOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "period": "2024-2026", "starts": 2024, "ends": 2026, "chair": None,
        "decided_on": None, "decision": None,
    }]})

    period: str = Field(examples=["2022-2024"])
    starts: int
    ends: int
    chair: str | None = Field(description="None while the chair is still to be decided",
                              examples=["KAZ"])
    decided_on: date | None
    decision: dict[str, Any] | None


class ChairmanshipsOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-11", "as_of": "2022-10-11T09:00:00Z",
        "chairmanships": [
            {"period": "2022-2024", "starts": 2022, "ends": 2024, "chair": "KAZ",
             "decided_on": "2022-01-01", "decision": None},
            {"period": "2024-2026", "starts": 2024, "ends": 2026, "chair": None,
             "decided_on": None, "decision": None},
        ],
    }]})

    chairmanships: list[ChairmanshipOut]


@router.post("/chairmanships", status_code=201, tags=["chairmanships"])
@SECRETARIAT_ONLY
async def open_chairmanship(body: ChairmanshipIn, store: Store, response: Response) -> Written:
    """A chairmanship period whose chair is still to be decided."""
    recorded = await commands.open_chairmanship(
        store=store, period=body.period, effective_on=body.effective_on
    )
    return _written(response, recorded)


@router.post("/chairmanships/{period}/chair", status_code=201, tags=["chairmanships"])
@SECRETARIAT_ONLY
async def assign_chairmanship(
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2022-2024"])],
    body: ChairIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """The chair of a period (a Summit's adoption recorded by the meetings service fills it
    by itself)."""
    recorded = await commands.assign_chairmanship_by_request(
        store=store, period=period, state=body.chair, effective_on=body.effective_on,
        decision=body.decision, expected=expected,
    )
    return _written(response, recorded)


@router.get("/chairmanships", tags=["chairmanships"])
@ANYONE
async def list_chairmanships(request: Request, at: At) -> ChairmanshipsOut:
    """Every chairmanship period with its chair on the effective date (None: still open, like
    the draft conclusions' "____ in 2024-2026")."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.chairmanship_list(connection, at)
    return ChairmanshipsOut(effective=at.effective, as_of=at.as_of,
                            chairmanships=[ChairmanshipOut(**row) for row in rows])


@router.get("/chairmanships/{period}", tags=["chairmanships"])
@ANYONE
async def get_chairmanship(
    request: Request,
    response: Response,
    store: Store,
    at: At,
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2024-2026"])],
) -> ChairmanshipOut:
    """One chairmanship period on the effective date; ETag = the period's stream version."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.chairmanship_list(connection, at, period=period)
    if not rows:
        raise NotFoundError(f"The chairmanship {period}", period=period)
    set_etag(response, await store.stream_version(commands.chairmanship_stream(period)))
    return ChairmanshipOut(**rows[0])


# ------------------------------------------------------------------------------ coordinators


class PriorityAreaIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "area": "trade-and-investment", "dimension": "economic",
            "names": {"en": "Trade and Investment"}, "effective_on": "2019-01-01",
        }]},
    )

    area: str = Field(pattern=AREA_PATTERN)
    dimension: Dimension
    names: Names
    effective_on: date


class CoordinatorIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "state": "KGZ", "role": "co_coordinator", "effective_on": "2022-10-11",
        }]},
    )

    state: StateCode
    role: CoordinatorRole
    effective_on: date
    term_ends_on: date | None = None
    decision: DecisionRef | None = None


class CoordinatorOut(BaseModel):
    state: str
    role: str
    effective_on: date
    term_ends_on: date | None
    decision: dict[str, Any] | None


class PriorityAreaOut(BaseModel):
    area: str
    dimension: str
    names: dict[str, str]
    coordinators: list[CoordinatorOut]


class CoordinatorsOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-11", "as_of": "2022-10-14T09:00:00Z",
        "priority_areas": [{
            "area": "trade-and-investment", "dimension": "economic",
            "names": {"en": "Trade and Investment"},
            "coordinators": [{"state": "KGZ", "role": "co_coordinator",
                              "effective_on": "2022-10-11", "term_ends_on": None,
                              "decision": None}],
        }],
    }]})

    priority_areas: list[PriorityAreaOut]


@router.post("/priority-areas", status_code=201, tags=["coordinators"])
@SECRETARIAT_ONLY
async def establish_priority_area(
    body: PriorityAreaIn, store: Store, response: Response
) -> Written:
    """A priority area of one of the five dimensions of cooperation."""
    recorded = await commands.establish_priority_area(
        store=store, area=body.area, dimension=body.dimension, names=dict(body.names),
        effective_on=body.effective_on,
    )
    return _written(response, recorded)


@router.post("/priority-areas/{area}/coordinators", status_code=201, tags=["coordinators"])
@SECRETARIAT_ONLY
async def appoint_coordinator(
    area: Annotated[str, Path(pattern=AREA_PATTERN, examples=["trade-and-investment"])],
    body: CoordinatorIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """A coordinator or co-coordinator of the area, for a term."""
    recorded = await commands.appoint_coordinator(
        store=store, area=area, state=body.state, role=body.role,
        effective_on=body.effective_on, term_ends_on=body.term_ends_on,
        decision=body.decision, expected=expected,
    )
    return _written(response, recorded)


@router.get("/coordinators", tags=["coordinators"])
@ANYONE
async def list_coordinators(request: Request, at: At) -> CoordinatorsOut:
    """Every priority area, by dimension, with its coordinators in office on the date."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.coordinator_list(connection, at)
    return CoordinatorsOut(effective=at.effective, as_of=at.as_of,
                           priority_areas=[PriorityAreaOut(**row) for row in rows])


# ------------------------------------------------------------------------------ bodies


class BodyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "code": "SUMMIT",
            "names": {"en": "Meeting of Heads of State or Government (Summit)"},
            "effective_on": "2002-06-04",
        }]},
    )

    code: str = Field(pattern=KEY_PATTERN)
    names: Names
    effective_on: date


class RenamingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "names": {"en": "Council of Heads of State or Government (Summit)"},
            "effective_on": "2022-10-13",
        }]},
    )

    names: Names
    effective_on: date
    decision: DecisionRef | None = None
    proposal_id: UUID | None = Field(None, description="the proposal this renaming decides")


class RenamingProposalIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "names": {"en": "Organization for Interaction and Cooperation in Asia (OICA)"},
            "proposed_by": ["KAZ"],
            "proposed_on": "2022-10-07",
        }]},
    )

    proposal_id: UUID = Field(default_factory=uuid4)
    names: Names
    proposed_by: list[StateCode] = Field(min_length=1)
    proposed_on: date


class ProposalOut(BaseModel):
    proposal_id: str
    names: dict[str, str]
    proposed_by: list[str]
    proposed_on: date
    status: str = Field(description="proposed, or decided (by a BodyRenamed naming it)")


class BodyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "SUMMIT",
        "names": {"en": "Council of Heads of State or Government (Summit)"},
        "since": "2022-10-13",
        "history": [
            {"fact": "established", "effective_on": "2002-06-04", "decision": None,
             "names": {"en": "Meeting of Heads of State or Government (Summit)"}},
            {"fact": "renamed", "effective_on": "2022-10-13", "decision": None,
             "names": {"en": "Council of Heads of State or Government (Summit)"}},
        ],
        "proposals": [],
    }]})

    code: str = Field(examples=["SUMMIT"])
    names: dict[str, str]
    since: date | None
    history: list[dict[str, Any]]
    proposals: list[ProposalOut]


class BodiesOut(TimeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective": "2022-10-13", "as_of": "2022-10-14T09:00:00Z",
        "bodies": [{"code": "EXECUTIVE_DIRECTOR", "names": {"en": "Secretary General"},
                    "since": "2022-10-13", "history": [], "proposals": []}],
    }]})

    bodies: list[BodyOut]


@router.post("/bodies", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def establish_body(body: BodyIn, store: Store, response: Response) -> Written:
    """A body or title of the organisation (or the organisation itself: code CICA)."""
    recorded = await commands.establish_body(
        store=store, code=body.code, names=dict(body.names), effective_on=body.effective_on
    )
    return _written(response, recorded)


@router.post("/bodies/{code}/renamings", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def rename_body(
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["SUMMIT"])],
    body: RenamingIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """The body's new names from their effective date on (reads before it keep the old)."""
    recorded = await commands.rename_body(
        store=store, code=code, names=dict(body.names), effective_on=body.effective_on,
        decision=body.decision, proposal_id=body.proposal_id, expected=expected,
    )
    return _written(response, recorded)


@router.post("/bodies/{code}/renaming-proposals", status_code=201, tags=["bodies"])
@SECRETARIAT_ONLY
async def propose_renaming(
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["CICA"])],
    body: RenamingProposalIn,
    store: Store,
    response: Response,
    expected: ExpectedVersion,
) -> Written:
    """A proposed renaming: it changes no name until a renaming decides it."""
    recorded = await commands.propose_renaming(
        store=store, code=code, proposal_id=body.proposal_id, names=dict(body.names),
        proposed_by=list(body.proposed_by), proposed_on=body.proposed_on, expected=expected,
    )
    return _written(response, recorded)


@router.get("/bodies", tags=["bodies"])
@ANYONE
async def list_bodies(request: Request, at: At) -> BodiesOut:
    """Every body and title of the organisation with its names on the effective date."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.body_list(connection, at)
    return BodiesOut(effective=at.effective, as_of=at.as_of,
                     bodies=[BodyOut(**row) for row in rows])


@router.get("/bodies/{code}", tags=["bodies"])
@ANYONE
async def get_body(
    request: Request,
    response: Response,
    store: Store,
    at: At,
    code: Annotated[str, Path(pattern=KEY_PATTERN, examples=["SUMMIT"])],
) -> BodyOut:
    """A body's names on the effective date, their history and proposed renamings."""
    async with request.app.state.engine.connect() as connection:
        rows = await queries.body_list(connection, at, body=code)
    if not rows:
        raise NotFoundError(f"The body {code} (effective {at.effective})", body=code)
    set_etag(response, await store.stream_version(commands.body_stream(code)))
    return BodyOut(**rows[0])
