"""The registry service's event types, registered by name and schema version.

Every fact carries the date it takes effect (``effective_on``, or a name that says it:
``admitted_on``, ``applied_on``); the log records when it was recorded. Streams:

- ``state-<CODE>`` (stream type ``member_state``): a state's membership, from its application
  (or its registration as a member the sources show, `FoundingMemberRegistered`) on;
- ``organisation-<KEY>`` (``organisation``): an observer or partner organisation;
- ``chairmanship-<YYYY-YYYY>`` (``chairmanship``): a chairmanship period and its chair;
- ``area-<slug>`` (``priority_area``): a priority area of a dimension and its coordinators;
- ``body-<CODE>`` (``body``): a body (or title) of the organisation and its names over time.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.access import StateCode
from shared.eventstore import DomainEvent, EventTypes

event_types = EventTypes()

LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


def _with_english(names: dict[str, str]) -> dict[str, str]:
    if "en" not in names:
        raise ValueError("names need at least the English name (en)")
    return dict(sorted(names.items()))


Names = Annotated[
    dict[LanguageCode, Annotated[str, StringConstraints(min_length=1, max_length=300)]],
    AfterValidator(_with_english),
]
"""A name per language (ISO 639-1): at least English; Russian and Kazakh as the seed has them."""


class DecisionRef(BaseModel):
    """The decision a fact rests on: which body decided what, at which session."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: UUID
    body: str = Field(examples=["SUMMIT"])
    session: str = Field(examples=["SUM/2022"])
    decided_on: date
    outcome: str = Field(examples=["adopted"])


class NoteRef(BaseModel):
    """A note verbale: its number and date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(min_length=1, max_length=100, examples=["SOC/OI/88"])
    dated: date = Field(examples=["2022-02-03"])


class Dimension(StrEnum):
    """The five dimensions of cooperation of the CICA Catalogue of CBMs."""

    MILITARY_POLITICAL = "military_political"
    NEW_CHALLENGES_AND_THREATS = "new_challenges_and_threats"
    ECONOMIC = "economic"
    ENVIRONMENTAL = "environmental"
    HUMAN = "human"


class CoordinatorRole(StrEnum):
    COORDINATOR = "coordinator"
    CO_COORDINATOR = "co_coordinator"


class ObserverKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"


# ------------------------------------------------------------------------ member states


@event_types.register("FoundingMemberRegistered", version=2)
class FoundingMemberRegistered(DomainEvent):
    """A state that was a member before the registry's log began, registered by the
    Secretariat: a source shows it a member on `member_on`; it joined on `member_since` when a
    source gives that date, and on a date the registry does not know when None (it is then a
    member from `member_on` on, and its membership before is unknown, not denied).

    The type keeps its published name (the contract the other services follow); it does not
    say that the state is a founding member of CICA. v1 held `member_since` alone, a date of
    joining (`upcast_founding_member_v1`)."""

    state: StateCode
    names: Names
    member_on: date
    member_since: date | None = None


@event_types.upcaster("FoundingMemberRegistered", from_version=1)
def upcast_founding_member_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: a v1 member joined on its `member_since`, so it was a member on that day."""
    return {**data, "member_on": data["member_since"]}


@event_types.register("MembershipApplied")
class MembershipApplied(DomainEvent):
    """A state applied for membership, by the note that circulated its application."""

    state: StateCode
    names: Names
    applied_on: date
    application_note: NoteRef


@event_types.register("AdmissionRecommended")
class AdmissionRecommended(DomainEvent):
    """The SOC recommended the state's admission to the Summit (Rules of Procedure 11.3)."""

    state: StateCode
    recommended_on: date
    decision: DecisionRef


@event_types.register("MemberAdmitted")
class MemberAdmitted(DomainEvent):
    """The state is a member from `admitted_on`, by `decision` (the Summit's adoption)."""

    state: StateCode
    names: Names
    admitted_on: date
    decision: DecisionRef


@event_types.register("MembershipSuspended")
class MembershipSuspended(DomainEvent):
    """A member's participation is suspended from `effective_on` (it stays a state of the
    registry; it is not counted among the members while suspended)."""

    state: StateCode
    effective_on: date
    reason: str
    decision: DecisionRef | None = None


@event_types.register("MembershipReinstated")
class MembershipReinstated(DomainEvent):
    """A suspended member is a member again from `effective_on`."""

    state: StateCode
    effective_on: date
    decision: DecisionRef | None = None


@event_types.register("MemberWithdrew")
class MemberWithdrew(DomainEvent):
    """A member (or a suspended member) left the organisation on `effective_on`, by the note
    that notified it."""

    state: StateCode
    effective_on: date
    note: NoteRef | None = None


@event_types.register("ObserverRegistered")
class ObserverRegistered(DomainEvent):
    """A state or an organisation has observer status from `effective_on`."""

    kind: ObserverKind
    key: str
    names: Names
    effective_on: date


# ------------------------------------------------------------------------ partners


@event_types.register("PartnerAgreementSigned")
class PartnerAgreementSigned(DomainEvent):
    """A memorandum of understanding with a partner organisation."""

    key: str
    names: Names
    agreement: str
    signed_on: date


# ------------------------------------------------------------------------ chairmanships


@event_types.register("ChairmanshipPeriodOpened")
class ChairmanshipPeriodOpened(DomainEvent):
    """A chairmanship period whose chair is still to be decided (the seed's "____ in
    2024-2026")."""

    period: str
    effective_on: date


@event_types.register("ChairmanshipAssigned")
class ChairmanshipAssigned(DomainEvent):
    """`chair` chairs the period, decided on `effective_on` (by `decision`, when recorded)."""

    period: str
    chair: StateCode
    effective_on: date
    decision: DecisionRef | None = None


# ------------------------------------------------------------------------ coordinators


@event_types.register("PriorityAreaEstablished")
class PriorityAreaEstablished(DomainEvent):
    area: str
    dimension: Dimension
    names: Names
    effective_on: date


@event_types.register("CoordinatorAppointed")
class CoordinatorAppointed(DomainEvent):
    """`state` coordinates (or co-coordinates) the priority area from `effective_on` to
    `term_ends_on` (open-ended when None)."""

    area: str
    state: StateCode
    role: CoordinatorRole
    effective_on: date
    term_ends_on: date | None = None
    decision: DecisionRef | None = None


# ------------------------------------------------------------------------ bodies


@event_types.register("BodyEstablished")
class BodyEstablished(DomainEvent):
    """A body (or a title, or the organisation itself) and its names from `effective_on`."""

    body: str
    names: Names
    effective_on: date


@event_types.register("RenamingProposed")
class RenamingProposed(DomainEvent):
    """A renaming proposed and not decided: it changes no name."""

    proposal_id: UUID
    body: str
    names: Names
    proposed_by: list[StateCode]
    proposed_on: date


@event_types.register("BodyRenamed")
class BodyRenamed(DomainEvent):
    """The body is known by `names` from `effective_on` on (a proposal, when it decides one)."""

    body: str
    names: Names
    effective_on: date
    decision: DecisionRef | None = None
    proposal_id: UUID | None = None
