"""The registry's read models. Each keeps facts with both kinds of time: the date a fact takes
effect (`effective_on`) and the instant the log recorded it (`recorded_at`, from the log row),
so that a read answers "effective on D, as the registry stood at T" with one query
(`services.registry.queries`). Facts are never updated in place: a later fact supersedes an
earlier one for reads effective after it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, Table, Text, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.events import (
    AdmissionRecommended,
    BodyEstablished,
    BodyRenamed,
    ChairmanshipAssigned,
    ChairmanshipPeriodOpened,
    CoordinatorAppointed,
    DecisionRef,
    FoundingMemberRegistered,
    MemberAdmitted,
    MembershipApplied,
    MembershipReinstated,
    MembershipSuspended,
    MemberWithdrew,
    ObserverRegistered,
    PartnerAgreementSigned,
    PriorityAreaEstablished,
    RenamingProposed,
)
from shared.eventstore import RecordedEvent
from shared.projections import Projection, projection_metadata

tables = projection_metadata()


def _decision(decision: DecisionRef | None) -> dict[str, Any] | None:
    return None if decision is None else decision.model_dump(mode="json")


# ------------------------------------------------------------------------------ member states

membership_facts = Table(
    "registry_membership_facts",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("state", Text, nullable=False, index=True),
    # registered_member (joined on effective_on), known_member (a member on effective_on, its
    # joining day unknown), applied, recommended, admitted, suspended, reinstated, withdrew
    Column("fact", Text, nullable=False),
    Column("status", Text),  # the status from `effective_on` on; None: the status is unchanged
    Column("names", JSONB),
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("decision", JSONB),
    Column("note", JSONB),
)

member_states = Projection(
    "registry_member_states",
    version=2,  # 2: registered members with an unknown joining day (known_member)
    tables=[membership_facts],
    description="Every membership fact of every state: applications, recommendations, "
    "admissions, members registered from a source (with or without their joining day); each "
    "with its effective date and recorded time.",
)


async def _row(
    connection: AsyncConnection, table: Table, record: RecordedEvent, **values: Any
) -> None:
    """Insert the row `record`'s event gives `table`: with the instant it was recorded, and
    its log position where the table keys its rows by it."""
    if "position" in table.c:
        values["position"] = record.position
    await connection.execute(insert(table).values(recorded_at=record.recorded_at, **values))


async def _fact(connection: AsyncConnection, record: RecordedEvent, **values: Any) -> None:
    await _row(connection, membership_facts, record, **values)


@member_states.on(FoundingMemberRegistered)
async def when_known_member_registered(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    """A member from its joining day when a source gives it (``registered_member``); else a
    member from the day a source shows it one, and unknown before (``known_member``, which
    `services.registry.queries` reads as such)."""
    joined = event.member_since
    await _fact(connection, record, state=event.state,
                fact="known_member" if joined is None else "registered_member",
                status="member", names=event.names, effective_on=joined or event.member_on,
                note={"member_on": event.member_on.isoformat(),
                      "member_since": joined.isoformat() if joined else None})


@member_states.on(MembershipApplied)
async def when_membership_applied(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="applied", status="applicant",
                names=event.names, effective_on=event.applied_on,
                note=event.application_note.model_dump(mode="json"))


@member_states.on(AdmissionRecommended)
async def when_admission_recommended(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="recommended", status=None,
                effective_on=event.recommended_on, decision=_decision(event.decision))


@member_states.on(MemberAdmitted)
async def when_member_admitted(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="admitted", status="member",
                names=event.names, effective_on=event.admitted_on,
                decision=_decision(event.decision))


@member_states.on(MembershipSuspended)
async def when_membership_suspended(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="suspended", status="suspended",
                effective_on=event.effective_on, decision=_decision(event.decision),
                note={"reason": event.reason})


@member_states.on(MembershipReinstated)
async def when_membership_reinstated(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="reinstated", status="member",
                effective_on=event.effective_on, decision=_decision(event.decision))


@member_states.on(MemberWithdrew)
async def when_member_withdrew(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _fact(connection, record, state=event.state, fact="withdrew", status="withdrawn",
                effective_on=event.effective_on,
                note=event.note.model_dump(mode="json") if event.note else None)


# ------------------------------------------------------------------------------ observers, partners

observers = Table(
    "registry_observers",
    tables,
    Column("key", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("names", JSONB, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

partner_agreements = Table(
    "registry_partner_agreements",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("key", Text, nullable=False, index=True),
    Column("names", JSONB, nullable=False),
    Column("agreement", Text, nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

partners = Projection(
    "registry_partners",
    version=1,
    tables=[observers, partner_agreements],
    description="Observer states and organisations; partners' memoranda of understanding.",
)


@partners.on(ObserverRegistered)
async def when_observer_registered(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, observers, record, key=event.key, kind=event.kind.value,
               names=event.names, effective_on=event.effective_on)


@partners.on(PartnerAgreementSigned)
async def when_partner_agreement_signed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, partner_agreements, record, key=event.key, names=event.names,
               agreement=event.agreement, signed_on=event.signed_on)


# ------------------------------------------------------------------------------ chairmanships

chairmanship_facts = Table(
    "registry_chairmanship_facts",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("period", Text, nullable=False, index=True),
    Column("starts", Integer, nullable=False),
    Column("ends", Integer, nullable=False),
    Column("chair", Text),  # None: the chair is still to be decided
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("decision", JSONB),
)

chairmanships = Projection(
    "registry_chairmanships",
    version=1,
    tables=[chairmanship_facts],
    description="Chairmanship periods, open or with their chair, over time.",
)


async def _chairmanship_fact(
    connection: AsyncConnection,
    record: RecordedEvent,
    event: ChairmanshipPeriodOpened | ChairmanshipAssigned,
    **values: Any,
) -> None:
    starts, ends = (int(year) for year in event.period.split("-"))
    await _row(connection, chairmanship_facts, record, period=event.period, starts=starts,
               ends=ends, effective_on=event.effective_on, **values)


@chairmanships.on(ChairmanshipPeriodOpened)
async def when_chairmanship_opened(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _chairmanship_fact(connection, record, event, chair=None)


@chairmanships.on(ChairmanshipAssigned)
async def when_chairmanship_assigned(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _chairmanship_fact(connection, record, event, chair=event.chair,
                             decision=_decision(event.decision))


# ------------------------------------------------------------------------------ coordinators

priority_areas = Table(
    "registry_priority_areas",
    tables,
    Column("area", Text, primary_key=True),
    Column("dimension", Text, nullable=False),
    Column("names", JSONB, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

coordinator_appointments = Table(
    "registry_coordinator_appointments",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("area", Text, nullable=False, index=True),
    Column("state", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("term_ends_on", Date),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("decision", JSONB),
)

coordinators = Projection(
    "registry_coordinators",
    version=1,
    tables=[priority_areas, coordinator_appointments],
    description="Priority areas of the five dimensions and their (co-)coordinators' terms.",
)


@coordinators.on(PriorityAreaEstablished)
async def when_priority_area_established(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, priority_areas, record, area=event.area,
               dimension=event.dimension.value, names=event.names,
               effective_on=event.effective_on)


@coordinators.on(CoordinatorAppointed)
async def when_coordinator_appointed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, coordinator_appointments, record, area=event.area,
               state=event.state, role=event.role.value, effective_on=event.effective_on,
               term_ends_on=event.term_ends_on, decision=_decision(event.decision))


# ------------------------------------------------------------------------------ bodies

body_names = Table(
    "registry_body_names",
    tables,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False, index=True),
    Column("fact", Text, nullable=False),  # established, renamed
    Column("names", JSONB, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("decision", JSONB),
    Column("proposal_id", Text),
)

renaming_proposals = Table(
    "registry_renaming_proposals",
    tables,
    Column("proposal_id", Text, primary_key=True),
    Column("body", Text, nullable=False),
    Column("names", JSONB, nullable=False),
    Column("proposed_by", JSONB, nullable=False),
    Column("proposed_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

bodies = Projection(
    "registry_bodies",
    version=1,
    tables=[body_names, renaming_proposals],
    description="Bodies and titles of the organisation, their names over time, and renamings "
    "proposed (decided when a BodyRenamed names the proposal).",
)


@bodies.on(BodyEstablished)
async def when_body_established(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, body_names, record, body=event.body, fact="established",
               names=event.names, effective_on=event.effective_on)


@bodies.on(BodyRenamed)
async def when_body_renamed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _row(connection, body_names, record, body=event.body, fact="renamed",
               names=event.names, effective_on=event.effective_on,
               decision=_decision(event.decision),
               proposal_id=str(event.proposal_id) if event.proposal_id else None)


@bodies.on(RenamingProposed)
async def when_renaming_proposed(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    statement = pg_insert(renaming_proposals).values(
        proposal_id=str(event.proposal_id), body=event.body, names=event.names,
        proposed_by=list(event.proposed_by), proposed_on=event.proposed_on,
        recorded_at=record.recorded_at,
    )
    await connection.execute(statement.on_conflict_do_nothing())


projections = [member_states, partners, chairmanships, coordinators, bodies]
