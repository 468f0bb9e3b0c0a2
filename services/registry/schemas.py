"""The registry's request and answer models (their examples: `services.registry.examples`).

A write answers the kit's `shared.http.writes.Written`; a read answers the facts in force on
the `effective` date as recorded by `as_of` (`TimeOut`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from services.registry import examples
from services.registry.domain import AREA_PATTERN, KEY_PATTERN, PERIOD_PATTERN
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
from shared.http.writes import Written


def _request(example: examples.Example) -> ConfigDict:
    """A request body's configuration: no unknown fields, and its example."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


def _answer(example: examples.Example) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class TimeOut(BaseModel):
    effective: date
    as_of: datetime

    @classmethod
    def at(cls, moment: Moment, **values: Any) -> Self:
        """The answer of a read at `moment`."""
        return cls(effective=moment.effective, as_of=moment.as_of, **values)


# ------------------------------------------------------------------------------ member states


class FoundingMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: StateCode = Field(description="ISO 3166 alpha-3", examples=["KAZ"])
    names: Names = Field(examples=[examples.KAZAKHSTAN])
    member_since: date = Field(examples=["1999-09-14"])


class FoundingMembersIn(BaseModel):
    model_config = _request(examples.FOUNDING_MEMBERS)

    members: list[FoundingMemberIn] = Field(min_length=1, max_length=300)


class FoundingMembersOut(BaseModel):
    model_config = _answer(examples.FOUNDING_MEMBERS_REGISTERED)

    registered: list[Written]


class ApplicationIn(BaseModel):
    model_config = _request(examples.APPLICATION)

    names: Names
    applied_on: date
    application_note: NoteRef


class AdmissionIn(BaseModel):
    """An admission decided outside the meetings service's record (the Summit's adoption);
    decisions the meetings service records are followed by the registry by itself."""

    model_config = _request(examples.ADMISSION)

    decision: DecisionRef


class RecommendationIn(BaseModel):
    """The SOC's recommendation of an applicant's admission, decided outside the meetings
    service's record; those it records are followed by the registry by itself."""

    model_config = _request(examples.RECOMMENDATION)

    decision: DecisionRef


class MemberStateOut(BaseModel):
    model_config = _answer(examples.MEMBER_STATE)

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


class SuspensionIn(BaseModel):
    model_config = _request(examples.SUSPENSION)

    effective_on: date
    reason: str = Field(min_length=1, max_length=1000)
    decision: DecisionRef | None = None


class ReinstatementIn(BaseModel):
    model_config = _request(examples.REINSTATEMENT)

    effective_on: date
    decision: DecisionRef | None = None


class WithdrawalIn(BaseModel):
    model_config = _request(examples.WITHDRAWAL)

    effective_on: date
    note: NoteRef | None = None


# ------------------------------------------------------------------------------ observers, partners


class ObserverIn(BaseModel):
    model_config = _request(examples.OBSERVER)

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
    model_config = _answer(examples.OBSERVERS)

    observers: list[ObserverOut]


class PartnerIn(BaseModel):
    model_config = _request(examples.PARTNER)

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
    model_config = _answer(examples.PARTNERS)

    partners: list[PartnerOut]


# ------------------------------------------------------------------------------ chairmanships


class ChairmanshipIn(BaseModel):
    model_config = _request(examples.CHAIRMANSHIP_OPENED)

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2024-2026"])
    effective_on: date


class ChairIn(BaseModel):
    model_config = _request(examples.CHAIR)

    chair: StateCode
    effective_on: date
    decision: DecisionRef | None = None


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
    names: Names
    effective_on: date


class CoordinatorIn(BaseModel):
    model_config = _request(examples.COORDINATOR)

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
    model_config = _answer(examples.COORDINATORS)

    priority_areas: list[PriorityAreaOut]


# ------------------------------------------------------------------------------ bodies


class BodyIn(BaseModel):
    model_config = _request(examples.BODY_ESTABLISHED)

    code: str = Field(pattern=KEY_PATTERN)
    names: Names
    effective_on: date


class RenamingIn(BaseModel):
    model_config = _request(examples.RENAMING)

    names: Names
    effective_on: date
    decision: DecisionRef | None = None
    proposal_id: UUID | None = Field(None, description="the proposal this renaming decides")


class RenamingProposalIn(BaseModel):
    model_config = _request(examples.RENAMING_PROPOSAL)

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
    model_config = _answer(examples.BODY)

    code: str = Field(examples=["SUMMIT"])
    names: dict[str, str]
    since: date | None
    history: list[dict[str, Any]]
    proposals: list[ProposalOut]


class BodiesOut(TimeOut):
    model_config = _answer(examples.BODIES)

    bodies: list[BodyOut]
