"""Reads of the registry's read models, at two kinds of time: `effective` (the date at which
facts are in force) and `as_of` (the instant the registry's record is read as it stood: facts
recorded after it are not seen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.projections import (
    body_names,
    chairmanship_facts,
    coordinator_appointments,
    membership_facts,
    observers,
    partner_agreements,
    priority_areas,
    renaming_proposals,
)


def _picked(row: Row[Any], *columns: str) -> dict[str, Any]:
    """`columns` of `row`, in that order."""
    return {column: row._mapping[column] for column in columns}


@dataclass(frozen=True)
class Moment:
    effective: date
    as_of: datetime

    def in_force(
        self, table: Table, *, effective_on: str = "effective_on", **equal: str | None
    ) -> Select[Any]:
        """The rows of `table` in force at this moment: taking effect by `effective` (column
        `effective_on`), recorded by `as_of`; and equal to the given values (None: any)."""
        query = select(table).where(
            table.c[effective_on] <= self.effective, table.c.recorded_at <= self.as_of
        )
        for column, value in equal.items():
            if value is not None:
                query = query.where(table.c[column] == value)
        return query


@dataclass
class StateView:
    code: str
    names: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    since: date | None = None
    applied_on: date | None = None
    application_note: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    admission: dict[str, Any] | None = None
    member_on: date | None = None
    """For a state registered as a member from a source: the day the source shows it one."""
    facts: list[dict[str, Any]] = field(default_factory=list)


async def member_states(
    connection: AsyncConnection, moment: Moment, *, state: str | None = None
) -> list[StateView]:
    """Every state the registry knows at `moment`, with its status then."""
    f = membership_facts
    query = moment.in_force(f, state=state).order_by(f.c.state, f.c.effective_on, f.c.position)
    rows = await connection.execute(query)
    views: dict[str, StateView] = {}
    for row in rows:
        view = views.setdefault(row.state, StateView(row.state))
        if row.names:
            view.names = dict(row.names)
        if row.status is not None:
            view.status = row.status
            view.since = row.effective_on
        if row.fact in ("registered_member", "known_member"):
            view.member_on = date.fromisoformat(row.note["member_on"])
            if row.fact == "known_member":
                view.since = None  # a member on `member_on`, since a day no source gives
        elif row.fact == "applied":
            view.applied_on = row.effective_on
            view.application_note = row.note
        elif row.fact == "recommended":
            view.recommendation = row.decision
        elif row.fact == "admitted":
            view.admission = {"admitted_on": row.effective_on.isoformat(), **(row.decision or {})}
        view.facts.append(_picked(row, "fact", "effective_on", "recorded_at", "decision", "note"))
    return list(views.values())


async def membership_unknown(
    connection: AsyncConnection, moment: Moment, *, state: str | None = None
) -> list[StateView]:
    """The states whose membership on `moment.effective` the registry does not know: members
    from a later day a source shows them ones (`member_on`), with no joining day entered. They
    are neither members nor non-members on that day, and `member_states` does not list them
    (no fact of theirs is in force yet)."""
    f = membership_facts
    query = (
        select(f)
        .where(f.c.fact == "known_member", f.c.effective_on > moment.effective,
               f.c.recorded_at <= moment.as_of)
        .order_by(f.c.state)
    )
    if state is not None:
        query = query.where(f.c.state == state)
    return [
        StateView(row.state, names=dict(row.names), member_on=row.effective_on)
        for row in await connection.execute(query)
    ]


async def observer_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    query = moment.in_force(observers).order_by(observers.c.key)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def partner_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    p = partner_agreements
    query = moment.in_force(p, effective_on="signed_on").order_by(
        p.c.key, p.c.signed_on, p.c.position
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def chairmanship_list(
    connection: AsyncConnection, moment: Moment, *, period: str | None = None
) -> list[dict[str, Any]]:
    c = chairmanship_facts
    query = moment.in_force(c, period=period).order_by(c.c.starts, c.c.effective_on, c.c.position)
    rows = await connection.execute(query)
    periods: dict[str, dict[str, Any]] = {}
    for row in rows:
        periods[row.period] = {
            **_picked(row, "period", "starts", "ends", "chair"),
            "decided_on": row.effective_on if row.chair else None,
            "decision": row.decision,
        }
    return list(periods.values())


async def coordinator_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    a, c = priority_areas, coordinator_appointments
    areas = await connection.execute(moment.in_force(a).order_by(a.c.dimension, a.c.area))
    out: dict[str, dict[str, Any]] = {
        row.area: {**_picked(row, "area", "dimension", "names"), "coordinators": []}
        for row in areas
    }
    appointments = await connection.execute(
        moment.in_force(c)
        .where(or_(c.c.term_ends_on.is_(None), c.c.term_ends_on > moment.effective))
        .order_by(c.c.area, c.c.role, c.c.state)
    )
    for row in appointments:
        if row.area in out:
            out[row.area]["coordinators"].append(
                _picked(row, "state", "role", "effective_on", "term_ends_on", "decision")
            )
    return list(out.values())


async def body_list(
    connection: AsyncConnection, moment: Moment, *, body: str | None = None
) -> list[dict[str, Any]]:
    n, p = body_names, renaming_proposals
    query = moment.in_force(n, body=body).order_by(n.c.body, n.c.effective_on, n.c.position)
    rows = await connection.execute(query)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row.body, {"code": row.body, "names": {}, "since": None, "history": [],
                       "proposals": []}
        )
        entry["names"] = row.names
        entry["since"] = row.effective_on
        entry["history"].append(_picked(row, "fact", "names", "effective_on", "decision"))
    decided = {
        row.proposal_id
        for row in await connection.execute(
            select(n.c.proposal_id).where(
                and_(n.c.proposal_id.is_not(None), n.c.recorded_at <= moment.as_of)
            )
        )
    }
    proposals = select(p).where(p.c.recorded_at <= moment.as_of).order_by(p.c.proposed_on)
    for row in await connection.execute(proposals):
        if row.body in out:
            out[row.body]["proposals"].append({
                **_picked(row, "proposal_id", "names", "proposed_by", "proposed_on"),
                "status": "decided" if row.proposal_id in decided else "proposed",
            })
    return list(out.values())
