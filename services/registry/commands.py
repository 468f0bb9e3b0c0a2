"""The registry's use cases: one async function each, load the stream → decide → append.

Each runs in one transaction: the stream is read on the connection that appends, so a decision
is taken on what the append will follow; a concurrent writer makes the append fail with a
version conflict (409, or 412 when the client sent If-Match), and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry import domain
from services.registry.events import (
    CoordinatorRole,
    DecisionRef,
    Dimension,
    NoteRef,
    ObserverKind,
)
from shared.access import record_admission
from shared.eventstore import (
    ConcurrencyError,
    DomainEvent,
    NewEvent,
    PostgresEventStore,
)
from shared.eventstore.schema import events as events_table

MEMBER_STATE = "member_state"
OBSERVER = "observer"
PARTNER = "partner"
CHAIRMANSHIP = "chairmanship"
PRIORITY_AREA = "priority_area"
BODY = "body"


def state_stream(code: str) -> str:
    return f"state-{code}"


def observer_stream(key: str) -> str:
    return f"observer-{key}"


def partner_stream(key: str) -> str:
    return f"partner-{key}"


def chairmanship_stream(period: str) -> str:
    return f"chairmanship-{period}"


def area_stream(area: str) -> str:
    return f"area-{area}"


def body_stream(code: str) -> str:
    return f"body-{code}"


def admitted_at(day: date) -> datetime:
    """The instant a membership effective on `day` begins: its first moment, UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the stream, its version now (the ETag), and the events."""

    stream_id: str
    version: int
    events: list[DomainEvent]


async def load_in(
    connection: AsyncConnection, store: PostgresEventStore, stream_id: str
) -> tuple[list[DomainEvent], int]:
    """A stream's events, decoded, and its version, read on `connection` (so that a reaction
    sees what its own transaction has appended)."""
    query = (
        select(events_table.c.event_type, events_table.c.schema_version, events_table.c.data,
               events_table.c.version)
        .where(events_table.c.stream_id == stream_id)
        .order_by(events_table.c.version)
    )
    rows = (await connection.execute(query)).all()
    decoded = [store.event_types.decode(r.event_type, r.schema_version, r.data) for r in rows]
    return decoded, (rows[-1].version if rows else 0)


async def _decide_and_append(
    connection: AsyncConnection,
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Callable[[list[DomainEvent]], Sequence[DomainEvent]],
    *,
    expected: int | None,
    metadata: dict[str, Any] | None = None,
    event_ids: Callable[[int], UUID] | None = None,
) -> Recorded:
    history, version = await load_in(connection, store, stream_id)
    if expected is not None and expected != version:
        raise ConcurrencyError(stream_id, expected, version)
    new = list(decide(history))
    if not new:
        return Recorded(stream_id, version, [])
    to_append: list[DomainEvent | NewEvent] = (
        [NewEvent(e, event_id=event_ids(i)) for i, e in enumerate(new)] if event_ids else list(new)
    )
    result = await store.append_in(
        connection, stream_id, to_append, stream_type=stream_type, expected_version=version,
        metadata=metadata,
    )
    return Recorded(stream_id, result.version, new)


async def _in_transaction(
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Callable[[list[DomainEvent]], Sequence[DomainEvent]],
    *,
    expected: int | None,
) -> Recorded:
    async with store.engine.begin() as connection:
        return await _decide_and_append(
            connection, store, stream_id, stream_type, decide, expected=expected
        )


# ------------------------------------------------------------------------------ member states


@dataclass(frozen=True)
class FoundingMember:
    state: str
    names: dict[str, str]
    member_since: date


async def register_founding_members(
    *, store: PostgresEventStore, members: Sequence[FoundingMember]
) -> list[Recorded]:
    """Register every one of `members`, or none: one transaction. Each counts among the
    admitted member states (shared.access) from its `member_since`."""
    seen: set[str] = set()
    recorded = []
    async with store.engine.begin() as connection:
        for member in members:
            if member.state in seen:
                raise domain.InvalidFactError(f"{member.state} appears twice in the request.")
            seen.add(member.state)

            def decide(history: list[DomainEvent], m: FoundingMember = member) -> list[DomainEvent]:
                state = domain.member_state(m.state, history)
                return [domain.register_founding_member(
                    state, names=m.names, member_since=m.member_since
                )]

            recorded.append(await _decide_and_append(
                connection, store, state_stream(member.state), MEMBER_STATE, decide,
                expected=None,
            ))
            await record_admission(
                connection, state=member.state, admitted_at=admitted_at(member.member_since)
            )
    return recorded


async def apply_for_membership(
    *,
    store: PostgresEventStore,
    state: str,
    names: dict[str, str],
    applied_on: date,
    note: NoteRef,
    expected: int | None = None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        current = domain.member_state(state, history)
        return [domain.apply_for_membership(current, names=names, applied_on=applied_on, note=note)]

    return await _in_transaction(
        store, state_stream(state), MEMBER_STATE, decide, expected=expected
    )


def _decision_event_ids(cause: UUID | None) -> Callable[[int], UUID] | None:
    """Event ids derived from the causing event, so that a reaction run twice on one event
    gives the very same ids (and the store records them once)."""
    if cause is None:
        return None
    return lambda index: uuid5(cause, f"registry-{index}")


async def recommend_admission(
    connection: AsyncConnection,
    store: PostgresEventStore,
    *,
    state: str,
    decision: DecisionRef,
    cause: UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return domain.recommend_admission(domain.member_state(state, history), decision)

    return await _decide_and_append(
        connection, store, state_stream(state), MEMBER_STATE, decide, expected=None,
        metadata=metadata, event_ids=_decision_event_ids(cause),
    )


async def admit_member(
    connection: AsyncConnection,
    store: PostgresEventStore,
    *,
    state: str,
    decision: DecisionRef,
    expected: int | None = None,
    cause: UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> Recorded:
    """Record the state's admission by `decision`, in the caller's transaction, and count it
    among the admitted member states (shared.access) from the decision's date."""

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return domain.admit(domain.member_state(state, history), decision)

    recorded = await _decide_and_append(
        connection, store, state_stream(state), MEMBER_STATE, decide, expected=expected,
        metadata=metadata, event_ids=_decision_event_ids(cause),
    )
    if recorded.events:
        await record_admission(
            connection, state=state, admitted_at=admitted_at(decision.decided_on),
            event_id=_decision_event_ids(cause)(0) if cause else None,
        )
    return recorded


async def admit_member_by_request(
    *, store: PostgresEventStore, state: str, decision: DecisionRef, expected: int | None
) -> Recorded:
    async with store.engine.begin() as connection:
        recorded = await admit_member(
            connection, store, state=state, decision=decision, expected=expected
        )
    return recorded


async def suspend_membership(
    *, store: PostgresEventStore, state: str, effective_on: date, reason: str,
    decision: DecisionRef | None, expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.suspend(domain.member_state(state, history), effective_on=effective_on,
                               reason=reason, decision=decision)]

    return await _in_transaction(
        store, state_stream(state), MEMBER_STATE, decide, expected=expected
    )


async def reinstate_membership(
    *, store: PostgresEventStore, state: str, effective_on: date,
    decision: DecisionRef | None, expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.reinstate(domain.member_state(state, history), effective_on=effective_on,
                                 decision=decision)]

    return await _in_transaction(
        store, state_stream(state), MEMBER_STATE, decide, expected=expected
    )


async def withdraw_membership(
    *, store: PostgresEventStore, state: str, effective_on: date, note: NoteRef | None,
    expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.withdraw(domain.member_state(state, history), effective_on=effective_on,
                                note=note)]

    return await _in_transaction(
        store, state_stream(state), MEMBER_STATE, decide, expected=expected
    )


# ------------------------------------------------------------------------------ observers, partners


async def register_observer(
    *,
    store: PostgresEventStore,
    kind: ObserverKind,
    key: str,
    names: dict[str, str],
    effective_on: date,
) -> Recorded:
    domain.check_key(key, "An observer's key")

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.register_observer(
            history, kind=kind, key=key, names=names, effective_on=effective_on
        )]

    return await _in_transaction(store, observer_stream(key), OBSERVER, decide, expected=None)


async def sign_partner_agreement(
    *,
    store: PostgresEventStore,
    key: str,
    names: dict[str, str],
    agreement: str,
    signed_on: date,
) -> Recorded:
    domain.check_key(key, "A partner's key")

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.sign_partner_agreement(
            history, key=key, names=names, agreement=agreement, signed_on=signed_on
        )]

    return await _in_transaction(store, partner_stream(key), PARTNER, decide, expected=None)


# ------------------------------------------------------------------------------ chairmanships


async def open_chairmanship(
    *, store: PostgresEventStore, period: str, effective_on: date
) -> Recorded:
    domain.check_period(period)

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        current = domain.chairmanship(period, history)
        return [domain.open_chairmanship(current, effective_on=effective_on)]

    return await _in_transaction(
        store, chairmanship_stream(period), CHAIRMANSHIP, decide, expected=None
    )


async def assign_chairmanship(
    connection: AsyncConnection,
    store: PostgresEventStore,
    *,
    period: str,
    state: str,
    effective_on: date,
    decision: DecisionRef | None,
    expected: int | None = None,
    cause: UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> Recorded:
    domain.check_period(period)

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        current = domain.chairmanship(period, history)
        return domain.assign_chairmanship(
            current, state=state, effective_on=effective_on, decision=decision
        )

    return await _decide_and_append(
        connection, store, chairmanship_stream(period), CHAIRMANSHIP, decide,
        expected=expected, metadata=metadata, event_ids=_decision_event_ids(cause),
    )


async def assign_chairmanship_by_request(
    *, store: PostgresEventStore, period: str, state: str, effective_on: date,
    decision: DecisionRef | None, expected: int | None,
) -> Recorded:
    async with store.engine.begin() as connection:
        return await assign_chairmanship(
            connection, store, period=period, state=state, effective_on=effective_on,
            decision=decision, expected=expected,
        )


# ------------------------------------------------------------------------------ coordinators


async def establish_priority_area(
    *,
    store: PostgresEventStore,
    area: str,
    dimension: Dimension,
    names: dict[str, str],
    effective_on: date,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        current = domain.priority_area(area, history)
        return [domain.establish_priority_area(
            current, dimension=dimension, names=names, effective_on=effective_on
        )]

    return await _in_transaction(store, area_stream(area), PRIORITY_AREA, decide, expected=None)


async def appoint_coordinator(
    *,
    store: PostgresEventStore,
    area: str,
    state: str,
    role: CoordinatorRole,
    effective_on: date,
    term_ends_on: date | None,
    decision: DecisionRef | None,
    expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        current = domain.priority_area(area, history)
        return [domain.appoint_coordinator(
            current, state=state, role=role, effective_on=effective_on,
            term_ends_on=term_ends_on, decision=decision,
        )]

    return await _in_transaction(
        store, area_stream(area), PRIORITY_AREA, decide, expected=expected
    )


# ------------------------------------------------------------------------------ bodies


async def establish_body(
    *, store: PostgresEventStore, code: str, names: dict[str, str], effective_on: date
) -> Recorded:
    domain.check_key(code, "A body's code")

    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.establish_body(
            domain.body(code, history), names=names, effective_on=effective_on
        )]

    return await _in_transaction(store, body_stream(code), BODY, decide, expected=None)


async def propose_renaming(
    *,
    store: PostgresEventStore,
    code: str,
    proposal_id: UUID,
    names: dict[str, str],
    proposed_by: list[str],
    proposed_on: date,
    expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.propose_renaming(
            domain.body(code, history), proposal_id=proposal_id, names=names,
            proposed_by=proposed_by, proposed_on=proposed_on,
        )]

    return await _in_transaction(store, body_stream(code), BODY, decide, expected=expected)


async def rename_body(
    *,
    store: PostgresEventStore,
    code: str,
    names: dict[str, str],
    effective_on: date,
    decision: DecisionRef | None,
    proposal_id: UUID | None,
    expected: int | None,
) -> Recorded:
    def decide(history: list[DomainEvent]) -> list[DomainEvent]:
        return [domain.rename_body(
            domain.body(code, history), names=names, effective_on=effective_on,
            decision=decision, proposal_id=proposal_id,
        )]

    return await _in_transaction(store, body_stream(code), BODY, decide, expected=expected)
