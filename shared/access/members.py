"""The admitted member states, as each service that filters by distribution knows them.

Every service database has the kit table ``admitted_member_states`` (state code, admitted
at). A ``member_state`` token reads what is distributed to member states only while its
state is in it, admitted at or before the moment of reading: a state admitted later (Kuwait,
by the Summit's decision) sees member-states-only documents from its admission on.

Two ways in:

- `register_founding_members`: the states that were members before the log began, written
  directly (a deployment's set-up);
- `record_admission`: one admission, from the registry's ``MemberAdmitted`` event, called by
  a reaction in the reaction's own transaction (so the admission and the reaction's tracking
  row commit together). Recording the same admission again changes nothing::

      @reactions.on("registry", "MemberAdmitted")
      async def when_member_admitted_count_it_among_readers(ctx, event):
          await record_admission(
              ctx.connection,
              state=event.data["state"],
              admitted_at=admitted_at_of(event),  # the date the decision took effect
              event_id=event.event_id,
          )
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import CheckConstraint, Column, DateTime, Table, Text, func, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert

from shared.access.principals import STATE_CODE_PATTERN, is_state_code
from shared.eventstore.schema import metadata

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

admitted_member_states = Table(
    "admitted_member_states",
    metadata,
    Column("state", Text, primary_key=True),
    Column("admitted_at", DateTime(timezone=True), nullable=False),
    # The registry's MemberAdmitted event this came from; None for a founding member.
    Column("event_id", PG_UUID(as_uuid=True)),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"state ~ '{STATE_CODE_PATTERN}'", name="state_code"),
)


def _checked(state: str, admitted_at: datetime) -> None:
    if not is_state_code(state):
        raise ValueError(f"not an ISO 3166 alpha-3 code: {state!r}")
    if admitted_at.tzinfo is None:
        raise ValueError("admitted_at must carry its time zone")


async def record_admission(
    connection: AsyncConnection,
    *,
    state: str,
    admitted_at: datetime,
    event_id: UUID | None = None,
) -> None:
    """Record that `state` is a member from `admitted_at` on, in the caller's transaction.

    Idempotent: an admission already recorded is kept, with the earlier of the two dates (a
    redelivered or replayed ``MemberAdmitted`` changes nothing)."""
    _checked(state, admitted_at)
    table = admitted_member_states
    statement = insert(table).values(state=state, admitted_at=admitted_at, event_id=event_id)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.state],
        set_={
            "admitted_at": func.least(table.c.admitted_at, statement.excluded.admitted_at),
            "event_id": func.coalesce(table.c.event_id, statement.excluded.event_id),
        },
    )
    await connection.execute(statement)


async def register_founding_members(
    engine: AsyncEngine, states: Iterable[str], *, admitted_at: datetime
) -> None:
    """Record the founding members (members since `admitted_at`), all in one transaction."""
    states = list(states)
    for state in states:
        _checked(state, admitted_at)
    async with engine.begin() as connection:
        for state in states:
            await record_admission(connection, state=state, admitted_at=admitted_at)


async def member_since(connection: AsyncConnection, state: str) -> datetime | None:
    """When `state` was admitted, or None if it is not (yet) recorded as a member."""
    table = admitted_member_states
    result = await connection.execute(
        select(table.c.admitted_at).where(table.c.state == state)
    )
    since = result.scalar_one_or_none()
    return None if since is None else _aware(since)


async def admitted_members(
    connection: AsyncConnection, *, at: datetime | None = None
) -> Mapping[str, datetime]:
    """Every admitted member state and its admission; with `at`, those admitted by then."""
    table = admitted_member_states
    statement = select(table.c.state, table.c.admitted_at).order_by(table.c.state)
    if at is not None:
        statement = statement.where(table.c.admitted_at <= at)
    result = await connection.execute(statement)
    return {row.state: _aware(row.admitted_at) for row in result}


def _aware(admitted_at: datetime) -> datetime:
    """`admitted_at` as read back, with its time zone. asyncpg writes the first instant of the
    year 1 (UTC) as ``-infinity`` and reads ``-infinity`` back as a naive `datetime.min`: a
    member since then (a founding list dated 0001-01-01) would otherwise break every
    comparison with an aware instant, and every read of a member state with it."""
    return admitted_at if admitted_at.tzinfo is not None else admitted_at.replace(tzinfo=UTC)
