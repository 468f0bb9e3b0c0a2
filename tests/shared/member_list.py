"""A small read model for the projection tests: member states applying, renamed and admitted,
with a tally of the events applied (which counts any event applied twice)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Column, Date, Integer, Table, Text, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.eventstore import (
    ANY_VERSION,
    NO_STREAM,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    RecordedEvent,
)
from shared.projections import Projection, projection_metadata

event_types = EventTypes()


@event_types.register("StateApplied")
class StateApplied(DomainEvent):
    code: str
    name: str


@event_types.register("StateAdmitted")
class StateAdmitted(DomainEvent):
    admitted_on: str


@event_types.register("StateRenamed")
class StateRenamed(DomainEvent):
    name: str


@event_types.register("Unrelated")
class Unrelated(DomainEvent):
    note: str


tables = projection_metadata()
states = Table(
    "test_states",
    tables,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("admitted_on", Date),
    Column("renames", Integer, nullable=False),
    Column("last_position", Integer, nullable=False),
)
tallies = Table(
    "test_tallies",
    tables,
    Column("event_type", Text, primary_key=True),
    Column("applied", Integer, nullable=False),
)


@dataclass
class Switches:
    """Lets a test break and mend a handler, as a deployment would."""

    fail_on_code: str | None = None
    upper_names: bool = False
    pause_at: int | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


def member_list(version: int = 1, switches: Switches | None = None) -> Projection:
    switches = switches or Switches()
    projection = Projection("test_member_list", version=version, tables=[states, tallies])

    async def tally(connection: AsyncConnection, record: RecordedEvent) -> None:
        if record.position == switches.pause_at:
            switches.entered.set()
            await switches.release.wait()
        statement = pg_insert(tallies).values(event_type=record.event_type, applied=1)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[tallies.c.event_type], set_={"applied": tallies.c.applied + 1}
            )
        )

    @projection.on(StateApplied)
    async def when_state_applied(connection, record, event) -> None:
        name = event.name.upper() if switches.upper_names else event.name
        await connection.execute(
            insert(states).values(
                code=event.code, name=name, renames=0, last_position=record.position
            )
        )
        await tally(connection, record)
        if event.code == switches.fail_on_code:
            raise RuntimeError(f"cannot project {event.code}")

    @projection.on(StateAdmitted)
    async def when_state_admitted(connection, record, event) -> None:
        await connection.execute(
            update(states)
            .where(states.c.code == record.stream_id)
            .values(
                admitted_on=date.fromisoformat(event.admitted_on), last_position=record.position
            )
        )
        await tally(connection, record)

    @projection.on(StateRenamed)
    async def when_state_renamed(connection, record, event) -> None:
        name = event.name.upper() if switches.upper_names else event.name
        await connection.execute(
            update(states)
            .where(states.c.code == record.stream_id)
            .values(name=name, renames=states.c.renames + 1, last_position=record.position)
        )
        await tally(connection, record)

    return projection


def member_list_batched(version: int = 1) -> Projection:
    """The same read model as `member_list`, written by one batch handler: it folds a batch in
    memory and writes it with a statement per table (and one update per state applied in an
    earlier batch). It must give the very same rows."""
    projection = Projection("test_member_list", version=version, tables=[states, tallies])

    @projection.on_batch(StateApplied, StateAdmitted, StateRenamed)
    async def fold(
        connection: AsyncConnection, items: Sequence[tuple[RecordedEvent, DomainEvent]]
    ) -> None:
        new: dict[str, dict[str, Any]] = {}  # states applied in this batch
        changed: dict[str, dict[str, Any]] = {}  # states applied before it
        counts: Counter[str] = Counter()
        for record, event in items:
            counts[record.event_type] += 1
            if isinstance(event, StateApplied):
                new[event.code] = {
                    "code": event.code,
                    "name": event.name,
                    "admitted_on": None,
                    "renames": 0,
                    "last_position": record.position,
                }
                continue
            row = new.get(record.stream_id) or changed.setdefault(record.stream_id, {"renames": 0})
            if isinstance(event, StateRenamed):
                row["name"] = event.name
                row["renames"] += 1
            elif isinstance(event, StateAdmitted):
                row["admitted_on"] = date.fromisoformat(event.admitted_on)
            row["last_position"] = record.position
        if new:
            await connection.execute(insert(states), list(new.values()))
        for state, row in changed.items():
            values = {key: value for key, value in row.items() if key != "renames"}
            await connection.execute(
                update(states)
                .where(states.c.code == state)
                .values(**values, renames=states.c.renames + row["renames"])
            )
        statement = pg_insert(tallies)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[tallies.c.event_type],
                set_={"applied": tallies.c.applied + statement.excluded.applied},
            ),
            [{"event_type": name, "applied": n} for name, n in sorted(counts.items())],
        )

    return projection


def code() -> str:
    return f"S{uuid.uuid4().hex[:10]}"


async def state_history(store: PostgresEventStore, code: str, renames: int) -> None:
    """One member state's stream: applied, renamed `renames` times, admitted."""
    await store.append(
        code,
        [StateApplied(code=code, name=f"State {code}")],
        stream_type="state",
        expected_version=NO_STREAM,
    )
    for n in range(renames):
        await store.append(
            code,
            [StateRenamed(name=f"State {code} ({n})")],
            stream_type="state",
            expected_version=ANY_VERSION,
        )
        await asyncio.sleep(0)
    await store.append(
        code,
        [StateAdmitted(admitted_on="2024-10-13"), Unrelated(note="noise")],
        stream_type="state",
        expected_version=ANY_VERSION,
    )


async def rows(engine: AsyncEngine, table: Table) -> list[tuple]:
    async with engine.connect() as connection:
        query = select(table).order_by(*table.primary_key.columns)
        return [tuple(row) for row in await connection.execute(query)]
