"""The member states, as each service that filters by distribution knows them.

Every service database has the kit table ``membership_changes``: each change of a state's
membership the registry recorded (founding, admitted, suspended, reinstated, withdrawn), the
moment it takes effect, and the registry's event it came from. A ``member_state`` token reads
what is distributed to member states only while its state is a member at the moment of
reading: a state admitted later (Kuwait, by the Summit's decision) from its admission on; a
suspended state not from its suspension until its reinstatement; a withdrawn state not from
its withdrawal on.

A reaction to each of the registry's `REGISTRY_MEMBERSHIP_EVENTS` records the change in the
reaction's own transaction (so the change and the reaction's tracking row commit together).
Recording the same event again changes nothing::

    @reactions.on("registry", "MembershipSuspended")
    async def when_a_member_is_suspended_it_reads_as_the_public(ctx, event):
        await record_membership_event(ctx.connection, event)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert

from shared.access.membership import change_of
from shared.access.model import Membership, MembershipChange
from shared.access.principals import STATE_CODE_PATTERN, is_state_code
from shared.eventstore.schema import metadata

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from shared.envelope import ForeignEvent

membership_changes = Table(
    "membership_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("state", Text, nullable=False),
    Column("change", Text, nullable=False),
    Column("effective_at", DateTime(timezone=True), nullable=False),
    # The registry's event this came from; None for a founding member registered by set-up.
    Column("event_id", PG_UUID(as_uuid=True), unique=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"state ~ '{STATE_CODE_PATTERN}'", name="membership_state_code"),
    CheckConstraint(
        "change IN ('founding', 'admitted', 'suspended', 'reinstated', 'withdrawn')",
        name="membership_change_kind",
    ),
)


def _checked(state: str, effective_at: datetime) -> None:
    if not is_state_code(state):
        raise ValueError(f"not an ISO 3166 alpha-3 code: {state!r}")
    if effective_at.tzinfo is None:
        raise ValueError("effective_at must carry its time zone")


def start_of(day: date) -> datetime:
    """The first instant of `day` at UTC: when a change dated `day` takes effect."""
    return datetime.combine(day, time.min, UTC)


async def record_membership_change(
    connection: AsyncConnection,
    *,
    state: str,
    change: MembershipChange,
    effective_at: datetime,
    event_id: UUID | None = None,
) -> None:
    """Record one change of `state`'s membership, in the caller's transaction. Idempotent by
    `event_id` (the registry's event: a redelivery records nothing); without one, by the
    change itself."""
    _checked(state, effective_at)
    table = membership_changes
    if event_id is None:
        found = await connection.execute(
            select(table.c.id).where(
                table.c.state == state,
                table.c.change == change.value,
                table.c.effective_at == effective_at,
            )
        )
        if found.first() is not None:
            return
    statement = insert(table).values(
        state=state, change=change.value, effective_at=effective_at, event_id=event_id
    )
    await connection.execute(statement.on_conflict_do_nothing(index_elements=[table.c.event_id]))


async def record_membership_event(connection: AsyncConnection, event: ForeignEvent) -> None:
    """Record the change one of the registry's `REGISTRY_MEMBERSHIP_EVENTS` announces."""
    state, change, day = change_of(event.event_type, event.data)
    await record_membership_change(
        connection, state=state, change=change, effective_at=start_of(day), event_id=event.event_id
    )


async def record_admission(
    connection: AsyncConnection,
    *,
    state: str,
    admitted_at: datetime,
    event_id: UUID | None = None,
) -> None:
    """Record that `state` is a member from `admitted_at` on (an admission)."""
    await record_membership_change(
        connection,
        state=state,
        change=MembershipChange.ADMITTED,
        effective_at=admitted_at,
        event_id=event_id,
    )


async def register_founding_members(
    engine: AsyncEngine, states: Iterable[str], *, admitted_at: datetime
) -> None:
    """Record founding members (members since `admitted_at`), all in one transaction (a
    deployment's or a test's set-up; a running service follows the registry's events)."""
    states = list(states)
    for state in states:
        _checked(state, admitted_at)
    async with engine.begin() as connection:
        for state in states:
            await record_membership_change(
                connection, state=state, change=MembershipChange.FOUNDING, effective_at=admitted_at
            )


async def read_membership(connection: AsyncConnection) -> Membership:
    """Every state's periods of membership, as recorded (by day, at UTC)."""
    table = membership_changes
    result = await connection.execute(
        select(table.c.state, table.c.change, table.c.effective_at).order_by(table.c.id)
    )
    return Membership.of(
        (row.state, MembershipChange(row.change), _aware(row.effective_at).date())
        for row in result
    )


async def is_member_at(connection: AsyncConnection, state: str, moment: datetime) -> bool:
    """Whether `state` is a member at `moment`: the last change in effect by then makes it one
    (changes in effect at the same instant count in the order recorded)."""
    table = membership_changes
    result = await connection.execute(
        select(table.c.change)
        .where(table.c.state == state, table.c.effective_at <= moment)
        .order_by(table.c.effective_at.desc(), table.c.id.desc())
        .limit(1)
    )
    change = result.scalar_one_or_none()
    return change is not None and MembershipChange(change).makes_a_member


async def member_since(connection: AsyncConnection, state: str) -> datetime | None:
    """When `state` first became a member, or None if it never was (as recorded)."""
    known = await read_membership(connection)
    since = known.since(state)
    return None if since is None else start_of(since)


async def admitted_members(
    connection: AsyncConnection, *, at: datetime | None = None
) -> Mapping[str, datetime]:
    """The member states at `at` (now if None) and when each first became a member."""
    known = await read_membership(connection)
    day = (at or datetime.now(UTC)).astimezone(UTC).date()
    return {state: start_of(known.since(state) or day) for state in known.on(day)}


def _aware(moment: datetime) -> datetime:
    """`moment` as read back, with its time zone. asyncpg writes the first instant of the year
    1 (UTC) as ``-infinity`` and reads ``-infinity`` back as a naive `datetime.min`: a member
    since then (a founding list dated 0001-01-01) would otherwise break every comparison with
    an aware instant, and every read of a member state with it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
