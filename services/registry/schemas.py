"""The registry's request and answer models (their examples: `services.registry.examples`).

A write answers the kit's `shared.http.writes.Written`; a read answers the facts in force on
the `effective` date as recorded by `as_of` (`TimeOut`).

A request's JSON schema says all that its parsing checks: a date is text (`Day`), names are
keyed by ISO 639-1 codes and hold the English name, a decision and a note are those the
events record (`DecisionIn` and `NoteIn` parse into the events' `DecisionRef` and `NoteRef`).
What a schema cannot say (a period that ends before it starts, a fact that comes before the
state's last change) the rules of `services.registry.domain` refuse, naming the rule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID, uuid4

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.registry import examples
from services.registry.domain import (
    AREA_PATTERN,
    KEY_PATTERN,
    PERIOD_PATTERN,
    InvalidFactError,
    check_observer_key,
)
from services.registry.events import (
    CoordinatorRole,
    DecisionRef,
    Dimension,
    Names,
    NoteRef,
    ObserverKind,
)
from services.registry.queries import Moment, StateView
from shared.access import StateCode
from shared.http.params import Day
from shared.http.writes import Written


def _request(example: examples.Example, **schema: Any) -> ConfigDict:
    """A request body's configuration: no unknown fields, its example, and what else its JSON
    schema says (`schema`)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example], **schema})


def _answer(example: examples.Example) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


# ------------------------------------------------------------------------------ what requests name

NamesIn = Annotated[
    Names, Field(json_schema_extra={"required": ["en"], "additionalProperties": False})
]
"""`Names` as a request gives them, its JSON schema saying what `Names` checks: a name per
ISO 639-1 code and no other key, the English one (``en``) among them."""

SESSION_PATTERN = r"^[A-Z]{2,6}/[0-9A-Za-z/-]{1,40}$"
"""A session's symbol: its body's series, then the session (``SUM/2022``, ``SOC/2022-III``)."""


class DecisionIn(BaseModel):
    """The decision a fact rests on: which body decided what, at which session (parsed into
    the events' `DecisionRef`)."""

    model_config = ConfigDict(extra="forbid")

    decision_id: UUID
    body: str = Field(pattern=KEY_PATTERN, description="the registry's code of the body",
                      examples=["SUMMIT"])
    session: str = Field(pattern=SESSION_PATTERN, examples=["SUM/2022"])
    decided_on: Day
    outcome: str = Field(pattern=r"^[a-z][a-z_]{0,59}$", examples=["adopted"],
                         description="as the meetings service records it: adopted, approved, "
                         "recommended_for_adoption, deferred...")

    def ref(self) -> DecisionRef:
        return DecisionRef(
            decision_id=self.decision_id, body=self.body, session=self.session,
            decided_on=self.decided_on, outcome=self.outcome,
        )


class NoteIn(BaseModel):
    """A note verbale: its number and date (parsed into the events' `NoteRef`)."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=100, examples=["SOC/OI/88"])
    dated: Day = Field(examples=["2022-02-03"])

    def ref(self) -> NoteRef:
        return NoteRef(number=self.number, dated=self.dated)


Decision = Annotated[DecisionIn, AfterValidator(DecisionIn.ref)]
"""A request's decision, a `DecisionRef` once parsed."""
Note = Annotated[NoteIn, AfterValidator(NoteIn.ref)]
"""A request's note verbale, a `NoteRef` once parsed."""


class TimeOut(BaseModel):
    effective: date
    as_of: datetime

    @classmethod
    def at(cls, moment: Moment, **values: Any) -> Self:
        """The answer of a read at `moment`."""
        return cls(effective=moment.effective, as_of=moment.as_of, **values)


# ------------------------------------------------------------------------------ member states


class KnownMemberIn(BaseModel):
    """A state a source shows a member on a day, and the day it joined when a source gives it
    (entered by whoever knows it, with that source: the registry makes up no date)."""

    model_config = ConfigDict(extra="forbid")

    state: StateCode = Field(description="ISO 3166 alpha-3", examples=["KAZ"])
    names: NamesIn = Field(examples=[examples.KAZAKHSTAN])
    member_on: Day = Field(
        description="a day a source shows the state a member (the note verbale SOC/OI/1280 of "
        "7 October 2022 is addressed to the CICA Member States): a member from then on",
        examples=["2022-10-07"],
    )
    member_since: Day | None = Field(
        None,
        description="the day it joined, when a source gives it (on or before `member_on`, "
        "else 422 `joined-after-member-on`); absent: unknown, and reads effective before "
        "`member_on` list the state as `unknown`, not as a member nor as a non-member",
        examples=[None],
    )


class KnownMembersIn(BaseModel):
    model_config = _request(examples.KNOWN_MEMBERS)

    members: list[KnownMemberIn] = Field(min_length=1, max_length=300)


class KnownMembersOut(BaseModel):
    model_config = _answer(examples.KNOWN_MEMBERS_REGISTERED)

    registered: list[Written]


class ApplicationIn(BaseModel):
    model_config = _request(examples.APPLICATION)

    names: NamesIn
    applied_on: Day
    application_note: Note


class AdmissionIn(BaseModel):
    """An admission decided outside the meetings service's record (the Summit's adoption);
    decisions the meetings service records are followed by the registry by itself."""

    model_config = _request(examples.ADMISSION)

    decision: Decision


class RecommendationIn(BaseModel):
    """The SOC's recommendation of an applicant's admission, decided outside the meetings
    service's record; those it records are followed by the registry by itself."""

    model_config = _request(examples.RECOMMENDATION)

    decision: Decision


class MemberStateOut(BaseModel):
    model_config = _answer(examples.MEMBER_STATE)

    code: str
    names: dict[str, str]
    status: str | None = Field(
        description="applicant, member, suspended or withdrawn, on the effective date; None "
        "when the registry does not know it then (a member from `member_on` on, its joining "
        "day unknown)"
    )
    since: date | None = Field(
        description="the date the status took effect; None for a member whose joining day no "
        "source gives (see `member_on`)"
    )
    member_on: date | None = Field(
        None,
        description="for a state registered as a member from a source (not admitted through "
        "the registry): the day the source shows it a member",
    )
    applied_on: date | None = None
    application_note: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    admission: dict[str, Any] | None = None

    @classmethod
    def of(cls, view: StateView) -> Self:
        return cls.model_validate(view, from_attributes=True)


class MemberStateDetailOut(MemberStateOut):
    model_config = _answer(examples.MEMBER_STATE_DETAIL)

    facts: list[dict[str, Any]] = Field(
        description="every fact in force on the effective date, as recorded by `as_of`"
    )


class MemberStatesOut(TimeOut):
    model_config = _answer(examples.MEMBER_STATES)

    count: int = Field(examples=[28])
    member_states: list[MemberStateOut]
    unknown: list[str] = Field(
        default_factory=list,
        description="the states whose membership on the effective date is unknown: the "
        "registry knows them as members from a later day (their `member_on`) and holds no "
        "sourced day of joining. Not counted in `count`, nor listed in `member_states`.",
        examples=[["AFG", "AZE"]],
    )


class SuspensionIn(BaseModel):
    model_config = _request(examples.SUSPENSION)

    effective_on: Day
    reason: str = Field(min_length=1, max_length=1000)
    decision: Decision | None = None


class ReinstatementIn(BaseModel):
    model_config = _request(examples.REINSTATEMENT)

    effective_on: Day
    decision: Decision | None = None


class WithdrawalIn(BaseModel):
    model_config = _request(examples.WITHDRAWAL)

    effective_on: Day
    note: Note | None = None


# ------------------------------------------------------------------------------ observers, partners


class ObserverIn(BaseModel):
    # An observer state is known by its alpha-3 code (`domain.check_observer_key`): said in the
    # schema, checked as the body is parsed (and by the rule, when it is recorded).
    model_config = _request(examples.OBSERVER, anyOf=[
        {"properties": {"kind": {"const": ObserverKind.ORGANISATION.value}}},
        {"properties": {"kind": {"const": ObserverKind.STATE.value},
                        "key": {"pattern": "^[A-Z]{3}$"}}},
    ])

    kind: ObserverKind
    key: str = Field(pattern=KEY_PATTERN, description="an alpha-3 code for a state")
    names: NamesIn
    effective_on: Day

    @model_validator(mode="after")
    def _a_state_by_its_code(self) -> Self:
        try:
            check_observer_key(self.kind, self.key)
        except InvalidFactError as refused:
            raise ValueError(refused.detail) from None
        return self


class ObserverOut(BaseModel):
    key: str
    kind: str
    names: dict[str, str]
    effective_on: date
    recorded_at: datetime


class ObserversOut(TimeOut):
    model_config = _answer(examples.OBSERVERS)

    observers: list[ObserverOut]


class PartnerIn(BaseModel):
    model_config = _request(examples.PARTNER)

    key: str = Field(pattern=KEY_PATTERN)
    names: NamesIn
    agreement: str = Field(min_length=1, max_length=300)
    signed_on: Day


class PartnerOut(BaseModel):
    key: str
    names: dict[str, str]
    agreement: str
    signed_on: date
    recorded_at: datetime


class PartnersOut(TimeOut):
    model_config = _answer(examples.PARTNERS)

    partners: list[PartnerOut]


# ------------------------------------------------------------------------------ chairmanships


class ChairmanshipIn(BaseModel):
    model_config = _request(examples.CHAIRMANSHIP_OPENED)

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2024-2026"])
    effective_on: Day


class ChairIn(BaseModel):
    model_config = _request(examples.CHAIR)

    chair: StateCode
    effective_on: Day
    decision: Decision | None = None


class ChairmanshipOut(BaseModel):
    model_config = _answer(examples.CHAIRMANSHIP)

    period: str = Field(examples=["2022-2024"])
    starts: int
    ends: int
    chair: str | None = Field(description="None while the chair is still to be decided",
                              examples=["KAZ"])
    decided_on: date | None
    decision: dict[str, Any] | None


class ChairmanshipsOut(TimeOut):
    model_config = _answer(examples.CHAIRMANSHIPS)

    chairmanships: list[ChairmanshipOut]


# ------------------------------------------------------------------------------ coordinators


class PriorityAreaIn(BaseModel):
    model_config = _request(examples.PRIORITY_AREA)

    area: str = Field(pattern=AREA_PATTERN)
    dimension: Dimension
    names: NamesIn
    effective_on: Day


class CoordinatorIn(BaseModel):
    model_config = _request(examples.COORDINATOR)

    state: StateCode
    role: CoordinatorRole
    effective_on: Day
    term_ends_on: Day | None = Field(None, description="after `effective_on`; open-ended "
                                     "when absent")
    decision: Decision | None = None


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
    model_config = _answer(examples.COORDINATORS)

    priority_areas: list[PriorityAreaOut]


# ------------------------------------------------------------------------------ bodies


class BodyIn(BaseModel):
    model_config = _request(examples.BODY_ESTABLISHED)

    code: str = Field(pattern=KEY_PATTERN)
    names: NamesIn
    effective_on: Day


class RenamingIn(BaseModel):
    model_config = _request(examples.RENAMING)

    names: NamesIn
    effective_on: Day
    decision: Decision | None = None
    proposal_id: UUID | None = Field(None, description="the proposal this renaming decides")


class RenamingProposalIn(BaseModel):
    model_config = _request(examples.RENAMING_PROPOSAL)

    proposal_id: UUID = Field(default_factory=uuid4)
    names: NamesIn
    proposed_by: list[StateCode] = Field(min_length=1, max_length=300)
    proposed_on: Day


class ProposalOut(BaseModel):
    proposal_id: str
    names: dict[str, str]
    proposed_by: list[str]
    proposed_on: date
    status: str = Field(description="proposed, or decided (by a BodyRenamed naming it)")


class BodyOut(BaseModel):
    model_config = _answer(examples.BODY)

    code: str = Field(examples=["SUMMIT"])
    names: dict[str, str]
    since: date | None
    history: list[dict[str, Any]]
    proposals: list[ProposalOut]


class BodiesOut(TimeOut):
    model_config = _answer(examples.BODIES)

    bodies: list[BodyOut]
