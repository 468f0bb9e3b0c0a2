"""The registry's rules: each aggregate folds its stream's events into state, and each decision
is a pure function from that state to new events, or an error that says why not. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.registry.events import (
    AdmissionRecommended,
    BodyEstablished,
    BodyRenamed,
    ChairmanshipAssigned,
    ChairmanshipPeriodOpened,
    CoordinatorAppointed,
    CoordinatorRole,
    DecisionRef,
    Dimension,
    FoundingMemberRegistered,
    MemberAdmitted,
    MembershipApplied,
    MembershipReinstated,
    MembershipSuspended,
    MemberWithdrew,
    NoteRef,
    ObserverKind,
    ObserverRegistered,
    PartnerAgreementSigned,
    PriorityAreaEstablished,
    RenamingProposed,
)
from shared.competence import OutsideCompetenceError, Power, check_competence
from shared.domain import AwaitingError, InvalidError, RefusedError
from shared.domain import NotFoundError as UnknownError
from shared.eventstore import DomainEvent

KEY_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
_KEY = re.compile(KEY_PATTERN)
PERIOD_PATTERN = r"^[0-9]{4}-[0-9]{4}$"
AREA_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"


# ------------------------------------------------------------------------------ errors


class RegistryError(RefusedError, title="Refused by the registry's rules", rule="registry-refused"):
    """A decision the registry's rules refuse; nothing is recorded. A refusal of another kind
    than the kit's `RefusedError` (409) is that kind too: `NotFoundError` (404),
    `InvalidFactError` (422)."""


class NeverAppliedError(
    RegistryError,
    AwaitingError,
    title="No membership application",
    rule="no-membership-application",
):
    """Refused as a command; a decision that follows the meetings service waits for the
    application (an `AwaitingError`)."""

    def __init__(self, state: str, what: str) -> None:
        super().__init__(
            f"{state} has never applied for membership (no MembershipApplied is recorded), so "
            f"{what} cannot be recorded; record its application first.",
            state=state,
        )


class NotRecommendedError(
    RegistryError,
    AwaitingError,
    title="Admission not recommended",
    rule="admission-not-recommended",
):
    """The Summit adopts an admission the SOC has recommended (paragraph 11.3 of the Rules of
    Procedure, cited by the draft annotated agenda SOC/2022-III/Agenda/2 of 7 October 2022,
    item 2)."""

    def __init__(self, state: str) -> None:
        super().__init__(
            f"The SOC has not recommended the admission of {state} (no AdmissionRecommended is "
            "recorded): the Summit adopts an admission the SOC recommended.",
            state=state,
        )


def by_competence(
    decision: DecisionRef | None, subject: dict[str, str], power: Power, what: str
) -> None:
    """A fact resting on a decision rests on one that does what the fact says, taken by a body
    whose competence it is (`shared.competence`); a fact recorded with no decision is the
    Secretariat's record and is not checked here."""
    if decision is None:
        return
    if check_competence(decision.body, subject, decision.outcome) is not power:
        raise OutsideCompetenceError(
            f"{what} rests on a decision that does it ({power}); the {decision.body}'s "
            f"{decision.outcome!r} does not.",
            body=decision.body,
            outcome=decision.outcome,
        )


class AlreadyMemberError(RegistryError, title="Already a member", rule="already-a-member"):
    def __init__(self, state: MemberState) -> None:
        super().__init__(f"{state.code} is a member state already ({state.joined}).",
                         state=state.code)


class AlreadyRegisteredError(RegistryError, title="Already registered", rule="already-registered"):
    def __init__(self, what: str, **members: object) -> None:
        super().__init__(f"{what} is registered already; nothing was changed.", **members)


class NotFoundError(RegistryError, UnknownError, title="Not Found", rule="not-found"):
    def __init__(self, what: str, **members: object) -> None:
        super().__init__(f"{what} is not in the registry.", **members)


class NoPriorityAreaError(NotFoundError, AwaitingError):
    """The priority area is not established: 404 to a command; a decision appointing its
    coordinator waits for it."""


class InvalidFactError(RegistryError, InvalidError, title="Invalid fact", rule="invalid-fact"): ...


class JoinedAfterKnownMemberError(
    InvalidFactError, title="Joined after it is known a member", rule="joined-after-member-on"
):
    """A state's date of joining (`member_since`) cannot come after a date a source shows it a
    member (`member_on`): one of the two sources is misread."""

    def __init__(self, state: str, member_since: date, member_on: date) -> None:
        super().__init__(
            f"{state} is given as joining on {member_since}, after {member_on}, when a source "
            "shows it a member already: member_since is on or before member_on.",
            state=state, member_since=member_since.isoformat(), member_on=member_on.isoformat(),
        )


# ------------------------------------------------------------------------------ member states


class MembershipStatus(StrEnum):
    APPLICANT = "applicant"
    MEMBER = "member"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class NotAMemberError(RegistryError, title="Not a member", rule="not-a-member"):
    def __init__(self, state: str, status: MembershipStatus | None, what: str) -> None:
        super().__init__(
            f"{state} is {status.value if status else 'not in the registry'}, so {what} "
            "cannot be recorded.",
            state=state,
        )


@dataclass
class MemberState:
    code: str
    names: dict[str, str] = field(default_factory=dict)
    status: MembershipStatus | None = None
    applied_on: date | None = None
    recommendation: DecisionRef | None = None
    member_since: date | None = None
    """The day it joined; None for a member whose joining date no source gives (see
    `member_on`) and for a state not a member."""
    member_on: date | None = None
    """A day a source shows it a member, for a state registered as a member (not admitted
    through the registry): its membership is known from then on, and before then only from
    `member_since`, when known."""
    admitted_by: DecisionRef | None = None
    changed_on: date | None = None

    @property
    def exists(self) -> bool:
        return self.status is not None

    @property
    def member_from(self) -> date | None:
        """The first day the registry holds it a member: its joining day, or failing that the
        day a source shows it a member."""
        return self.member_since or self.member_on

    @property
    def joined(self) -> str:
        if self.member_since is not None:
            return f"since {self.member_since}"
        return f"a member on {self.member_on}, joining date unknown"


def member_state(code: str, events: Iterable[DomainEvent]) -> MemberState:
    state = MemberState(code)
    for event in events:
        if isinstance(event, FoundingMemberRegistered):
            state.names = dict(event.names)
            state.status = MembershipStatus.MEMBER
            state.member_since = event.member_since
            state.member_on = event.member_on
        elif isinstance(event, MembershipApplied):
            state.names = dict(event.names)
            state.status = MembershipStatus.APPLICANT
            state.applied_on = event.applied_on
            state.recommendation = None
        elif isinstance(event, AdmissionRecommended):
            state.recommendation = event.decision
        elif isinstance(event, MemberAdmitted):
            state.status = MembershipStatus.MEMBER
            state.member_since = event.admitted_on
            state.admitted_by = event.decision
        elif isinstance(event, MembershipSuspended):
            state.status = MembershipStatus.SUSPENDED
            state.changed_on = event.effective_on
        elif isinstance(event, MembershipReinstated):
            state.status = MembershipStatus.MEMBER
            state.changed_on = event.effective_on
        elif isinstance(event, MemberWithdrew):
            state.status = MembershipStatus.WITHDRAWN
            state.changed_on = event.effective_on
    return state


def register_known_member(
    state: MemberState, *, names: dict[str, str], member_on: date, member_since: date | None
) -> FoundingMemberRegistered:
    """A state a source shows a member on `member_on`, registered by the Secretariat: it
    joined on `member_since` when a source gives that day, else on a day nobody has entered
    (the registry does not make one up)."""
    if state.exists:
        raise AlreadyRegisteredError(f"{state.code} ({state.status})", state=state.code)
    if member_since is not None and member_since > member_on:
        raise JoinedAfterKnownMemberError(state.code, member_since, member_on)
    return FoundingMemberRegistered(
        state=state.code, names=names, member_on=member_on, member_since=member_since
    )


def apply_for_membership(
    state: MemberState, *, names: dict[str, str], applied_on: date, note: NoteRef
) -> MembershipApplied:
    if state.status in (MembershipStatus.MEMBER, MembershipStatus.SUSPENDED):
        raise AlreadyMemberError(state)
    if state.status is MembershipStatus.APPLICANT:
        raise AlreadyRegisteredError(
            f"{state.code}'s application of {state.applied_on}", state=state.code
        )
    if note.dated > applied_on:
        raise InvalidFactError(
            f"The application note {note.number} is dated {note.dated}, after the application "
            f"date {applied_on}."
        )
    return MembershipApplied(
        state=state.code, names=names, applied_on=applied_on, application_note=note
    )


def recommend_admission(state: MemberState, decision: DecisionRef) -> list[DomainEvent]:
    """The SOC's recommendation; recording the same decision again records nothing."""
    by_competence(decision, _application(state), Power.RECOMMEND, "A recommendation")
    if state.status is None:
        raise NeverAppliedError(state.code, "a recommendation of its admission")
    if state.status in (MembershipStatus.MEMBER, MembershipStatus.SUSPENDED):
        raise AlreadyMemberError(state)
    if state.status is not MembershipStatus.APPLICANT:
        raise NotAMemberError(state.code, state.status, "a recommendation (no application)")
    recommended = state.recommendation
    if recommended is not None and recommended.decision_id == decision.decision_id:
        return []
    return [
        AdmissionRecommended(
            state=state.code, recommended_on=decision.decided_on, decision=decision
        )
    ]


def admit(state: MemberState, decision: DecisionRef) -> list[DomainEvent]:
    """The Summit's adoption of the state's application: a member from the decision's date.
    The same decision again records nothing; a state that never applied, or whose admission
    the SOC has not recommended, is refused (a reaction waits for them)."""
    by_competence(decision, _application(state), Power.ADMIT, "An admission")
    if state.admitted_by is not None and state.admitted_by.decision_id == decision.decision_id:
        return []
    if state.status in (MembershipStatus.MEMBER, MembershipStatus.SUSPENDED):
        raise AlreadyMemberError(state)
    if state.status is None:
        raise NeverAppliedError(state.code, "its admission")
    if state.status is not MembershipStatus.APPLICANT:
        raise NotAMemberError(state.code, state.status, "an admission (it is not an applicant)")
    if state.applied_on is not None and decision.decided_on < state.applied_on:
        raise InvalidFactError(
            f"{state.code} applied on {state.applied_on}; it cannot be admitted before, on "
            f"{decision.decided_on}.",
            state=state.code,
        )
    if state.recommendation is None:
        raise NotRecommendedError(state.code)
    if decision.decided_on < state.recommendation.decided_on:
        raise InvalidFactError(
            f"The SOC recommended the admission of {state.code} on "
            f"{state.recommendation.decided_on}; the Summit cannot adopt it before, on "
            f"{decision.decided_on}.",
            state=state.code,
        )
    return [
        MemberAdmitted(
            state=state.code,
            names=state.names,
            admitted_on=decision.decided_on,
            decision=decision,
        )
    ]


def _application(state: MemberState) -> dict[str, str]:
    return {"kind": "membership_application", "state": state.code}


def _not_before(state: MemberState, on: date, what: str) -> None:
    last = max((d for d in (state.member_from, state.changed_on) if d is not None), default=None)
    if last is not None and on < last:
        raise InvalidFactError(
            f"{state.code}'s {what} on {on} would come before its last change, on {last}."
        )


def suspend(
    state: MemberState, *, effective_on: date, reason: str, decision: DecisionRef | None
) -> MembershipSuspended:
    if state.status is not MembershipStatus.MEMBER:
        raise NotAMemberError(state.code, state.status, "a suspension")
    _not_before(state, effective_on, "suspension")
    return MembershipSuspended(
        state=state.code, effective_on=effective_on, reason=reason, decision=decision
    )


def reinstate(
    state: MemberState, *, effective_on: date, decision: DecisionRef | None
) -> MembershipReinstated:
    if state.status is not MembershipStatus.SUSPENDED:
        raise NotAMemberError(state.code, state.status, "a reinstatement (it is not suspended)")
    _not_before(state, effective_on, "reinstatement")
    return MembershipReinstated(state=state.code, effective_on=effective_on, decision=decision)


def withdraw(state: MemberState, *, effective_on: date, note: NoteRef | None) -> MemberWithdrew:
    if state.status not in (MembershipStatus.MEMBER, MembershipStatus.SUSPENDED):
        raise NotAMemberError(state.code, state.status, "a withdrawal")
    _not_before(state, effective_on, "withdrawal")
    return MemberWithdrew(state=state.code, effective_on=effective_on, note=note)


# ------------------------------------------------------------------------------ observers, partners


def register_observer(
    existing: Iterable[DomainEvent],
    *,
    kind: ObserverKind,
    key: str,
    names: dict[str, str],
    effective_on: date,
) -> ObserverRegistered:
    check_key(key, "An observer's key")
    if any(isinstance(e, ObserverRegistered) for e in existing):
        raise AlreadyRegisteredError(f"The observer {key}", key=key)
    check_observer_key(kind, key)
    return ObserverRegistered(kind=kind, key=key, names=names, effective_on=effective_on)


def check_observer_key(kind: ObserverKind, key: str) -> None:
    """An observer state is known by its ISO 3166 alpha-3 code."""
    if kind is ObserverKind.STATE and not re.fullmatch(r"[A-Z]{3}", key):
        raise InvalidFactError(
            f"An observer state's key is its ISO 3166 alpha-3 code, not {key!r}."
        )


def sign_partner_agreement(
    existing: Iterable[DomainEvent],
    *,
    key: str,
    names: dict[str, str],
    agreement: str,
    signed_on: date,
) -> PartnerAgreementSigned:
    check_key(key, "A partner's key")
    for event in existing:
        if isinstance(event, PartnerAgreementSigned) and event.agreement == agreement:
            raise AlreadyRegisteredError(f"{key}'s agreement {agreement!r}", key=key)
    return PartnerAgreementSigned(key=key, names=names, agreement=agreement, signed_on=signed_on)


# ------------------------------------------------------------------------------ chairmanships


@dataclass
class Chairmanship:
    period: str
    opened: bool = False
    chair: str | None = None
    decided_on: date | None = None
    decision: DecisionRef | None = None


def check_period(period: str) -> tuple[int, int]:
    if not re.fullmatch(PERIOD_PATTERN, period):
        raise InvalidFactError(
            f"A chairmanship period is YYYY-YYYY, like 2024-2026, not {period!r}."
        )
    start, end = (int(part) for part in period.split("-"))
    if end <= start:
        raise InvalidFactError(f"The period {period} ends before it starts.")
    return start, end


def chairmanship(period: str, events: Iterable[DomainEvent]) -> Chairmanship:
    chair = Chairmanship(period)
    for event in events:
        if isinstance(event, ChairmanshipPeriodOpened):
            chair.opened = True
        elif isinstance(event, ChairmanshipAssigned):
            chair.opened = True
            chair.chair = event.chair
            chair.decided_on = event.effective_on
            chair.decision = event.decision
    return chair


def open_chairmanship(chair: Chairmanship, *, effective_on: date) -> ChairmanshipPeriodOpened:
    check_period(chair.period)
    if chair.opened:
        raise AlreadyRegisteredError(f"The chairmanship {chair.period}", period=chair.period)
    return ChairmanshipPeriodOpened(period=chair.period, effective_on=effective_on)


def assign_chairmanship(
    chair: Chairmanship, *, state: str, effective_on: date, decision: DecisionRef | None
) -> list[DomainEvent]:
    """The chair of the period; the same chair by the same decision again records nothing."""
    check_period(chair.period)
    by_competence(
        decision,
        {"kind": "chairmanship", "state": state, "period": chair.period},
        Power.DECIDE_CHAIRMANSHIP,
        "A chairmanship",
    )
    if chair.chair is not None:
        if chair.chair == state and (
            decision is None
            or chair.decision is None
            or chair.decision.decision_id == decision.decision_id
        ):
            return []
        raise AlreadyRegisteredError(
            f"The chair of {chair.period} ({chair.chair}, since {chair.decided_on})",
            period=chair.period,
        )
    return [
        ChairmanshipAssigned(
            period=chair.period, chair=state, effective_on=effective_on, decision=decision
        )
    ]


# ------------------------------------------------------------------------------ coordinators


@dataclass
class PriorityArea:
    area: str
    dimension: Dimension | None = None
    appointments: list[CoordinatorAppointed] = field(default_factory=list)


def priority_area(area: str, events: Iterable[DomainEvent]) -> PriorityArea:
    state = PriorityArea(area)
    for event in events:
        if isinstance(event, PriorityAreaEstablished):
            state.dimension = event.dimension
        elif isinstance(event, CoordinatorAppointed):
            state.appointments.append(event)
    return state


def establish_priority_area(
    area: PriorityArea, *, dimension: Dimension, names: dict[str, str], effective_on: date
) -> PriorityAreaEstablished:
    if area.dimension is not None:
        raise AlreadyRegisteredError(f"The priority area {area.area}", area=area.area)
    return PriorityAreaEstablished(
        area=area.area, dimension=dimension, names=names, effective_on=effective_on
    )


def appoint_coordinator(
    area: PriorityArea,
    *,
    state: str,
    role: CoordinatorRole,
    effective_on: date,
    term_ends_on: date | None,
    decision: DecisionRef | None,
) -> list[CoordinatorAppointed]:
    """A coordinator or co-coordinator of the area from `effective_on`; the same appointment
    by the same decision again records nothing."""
    by_competence(
        decision,
        {"kind": "coordinator", "state": state, "area": area.area, "role": role},
        Power.APPOINT,
        "An appointment",
    )
    if area.dimension is None:
        raise NoPriorityAreaError(f"The priority area {area.area}", area=area.area)
    if term_ends_on is not None and term_ends_on <= effective_on:
        raise InvalidFactError(
            f"The term ends on {term_ends_on}, not after it begins ({effective_on})."
        )
    for held in area.appointments:
        if decision is not None and held.decision == decision and held.state == state:
            return []
        if held.state == state and (held.term_ends_on is None or held.term_ends_on > effective_on):
            raise AlreadyRegisteredError(
                f"{state} as {held.role} of {area.area} (from {held.effective_on})",
                area=area.area,
                state=state,
            )
    return [
        CoordinatorAppointed(
            area=area.area,
            state=state,
            role=role,
            effective_on=effective_on,
            term_ends_on=term_ends_on,
            decision=decision,
        )
    ]


# ------------------------------------------------------------------------------ bodies


@dataclass
class Body:
    code: str
    established_on: date | None = None
    names: dict[str, str] = field(default_factory=dict)
    renamed_on: date | None = None
    open_proposals: dict[UUID, RenamingProposed] = field(default_factory=dict)


def body(code: str, events: Iterable[DomainEvent]) -> Body:
    state = Body(code)
    for event in events:
        if isinstance(event, BodyEstablished):
            state.established_on = event.effective_on
            state.names = dict(event.names)
        elif isinstance(event, RenamingProposed):
            state.open_proposals[event.proposal_id] = event
        elif isinstance(event, BodyRenamed):
            state.names = dict(event.names)
            state.renamed_on = event.effective_on
            if event.proposal_id is not None:
                state.open_proposals.pop(event.proposal_id, None)
    return state


def establish_body(state: Body, *, names: dict[str, str], effective_on: date) -> BodyEstablished:
    check_key(state.code, "A body's code")
    if state.established_on is not None:
        raise AlreadyRegisteredError(f"The body {state.code}", body=state.code)
    return BodyEstablished(body=state.code, names=names, effective_on=effective_on)


def propose_renaming(
    state: Body,
    *,
    proposal_id: UUID,
    names: dict[str, str],
    proposed_by: list[str],
    proposed_on: date,
) -> RenamingProposed:
    if state.established_on is None:
        raise NotFoundError(f"The body {state.code}", body=state.code)
    return RenamingProposed(
        proposal_id=proposal_id,
        body=state.code,
        names=names,
        proposed_by=sorted(set(proposed_by)),
        proposed_on=proposed_on,
    )


def rename_body(
    state: Body,
    *,
    names: dict[str, str],
    effective_on: date,
    decision: DecisionRef | None,
    proposal_id: UUID | None,
) -> BodyRenamed:
    if state.established_on is None:
        raise NotFoundError(f"The body {state.code}", body=state.code)
    if effective_on < state.established_on:
        raise InvalidFactError(
            f"{state.code} exists from {state.established_on}; it cannot be renamed before, "
            f"on {effective_on}."
        )
    if proposal_id is not None and proposal_id not in state.open_proposals:
        raise NotFoundError(
            f"An open renaming proposal {proposal_id} of {state.code}", body=state.code
        )
    return BodyRenamed(
        body=state.code,
        names=names,
        effective_on=effective_on,
        decision=decision,
        proposal_id=proposal_id,
    )


def check_key(key: str, what: str) -> str:
    if not _KEY.fullmatch(key):
        raise InvalidFactError(
            f"{what} {key!r} is not a key of the registry: capitals, digits, '-' or '_', up to 40."
        )
    return key
