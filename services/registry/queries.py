"""Reads of the registry's read models, at two kinds of time: `effective` (the date at which
facts are in force) and `as_of` (the instant the registry's record is read as it stood: facts
recorded after it are not seen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
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


@dataclass(frozen=True)
class Moment:
    effective: date
    as_of: datetime


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
    founding_member: bool = False
    facts: list[dict[str, Any]] = field(default_factory=list)


async def member_states(
    connection: AsyncConnection, moment: Moment, *, state: str | None = None
) -> list[StateView]:
    """Every state the registry knows at `moment`, with its status then."""
    f = membership_facts
    query = select(f).where(f.c.effective_on <= moment.effective, f.c.recorded_at <= moment.as_of)
    if state is not None:
        query = query.where(f.c.state == state)
    rows = (await connection.execute(query.order_by(f.c.state, f.c.effective_on, f.c.position)))
    views: dict[str, StateView] = {}
    for row in rows:
        view = views.setdefault(row.state, StateView(row.state))
        if row.names:
            view.names = dict(row.names)
        if row.status is not None:
            view.status = row.status
            view.since = row.effective_on
        if row.fact == "founding_member":
            view.founding_member = True
        elif row.fact == "applied":
            view.applied_on = row.effective_on
            view.application_note = row.note
        elif row.fact == "recommended":
            view.recommendation = row.decision
        elif row.fact == "admitted":
            view.admission = {"admitted_on": row.effective_on.isoformat(), **(row.decision or {})}
        view.facts.append(
            {
                "fact": row.fact,
                "effective_on": row.effective_on,
                "recorded_at": row.recorded_at,
                "decision": row.decision,
                "note": row.note,
            }
        )
    return list(views.values())


async def observer_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    o = observers
    query = (
        select(o)
        .where(o.c.effective_on <= moment.effective, o.c.recorded_at <= moment.as_of)
        .order_by(o.c.key)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def partner_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    p = partner_agreements
    query = (
        select(p)
        .where(p.c.signed_on <= moment.effective, p.c.recorded_at <= moment.as_of)
        .order_by(p.c.key, p.c.signed_on, p.c.position)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]


async def chairmanship_list(
    connection: AsyncConnection, moment: Moment, *, period: str | None = None
) -> list[dict[str, Any]]:
    c = chairmanship_facts
    query = select(c).where(c.c.effective_on <= moment.effective, c.c.recorded_at <= moment.as_of)
    if period is not None:
        query = query.where(c.c.period == period)
    rows = await connection.execute(query.order_by(c.c.starts, c.c.effective_on, c.c.position))
    periods: dict[str, dict[str, Any]] = {}
    for row in rows:
        periods[row.period] = {
            "period": row.period,
            "starts": row.starts,
            "ends": row.ends,
            "chair": row.chair,
            "decided_on": row.effective_on if row.chair else None,
            "decision": row.decision,
        }
    return list(periods.values())


async def coordinator_list(connection: AsyncConnection, moment: Moment) -> list[dict[str, Any]]:
    a, c = priority_areas, coordinator_appointments
    areas = await connection.execute(
        select(a)
        .where(a.c.effective_on <= moment.effective, a.c.recorded_at <= moment.as_of)
        .order_by(a.c.dimension, a.c.area)
    )
    out: dict[str, dict[str, Any]] = {
        row.area: {
            "area": row.area,
            "dimension": row.dimension,
            "names": row.names,
            "coordinators": [],
        }
        for row in areas
    }
    appointments = await connection.execute(
        select(c)
        .where(
            c.c.effective_on <= moment.effective,
            c.c.recorded_at <= moment.as_of,
            or_(c.c.term_ends_on.is_(None), c.c.term_ends_on > moment.effective),
        )
        .order_by(c.c.area, c.c.role, c.c.state)
    )
    for row in appointments:
        if row.area in out:
            out[row.area]["coordinators"].append(
                {
                    "state": row.state,
                    "role": row.role,
                    "effective_on": row.effective_on,
                    "term_ends_on": row.term_ends_on,
                    "decision": row.decision,
                }
            )
    return list(out.values())


async def body_list(
    connection: AsyncConnection, moment: Moment, *, body: str | None = None
) -> list[dict[str, Any]]:
    n, p = body_names, renaming_proposals
    query = select(n).where(n.c.effective_on <= moment.effective, n.c.recorded_at <= moment.as_of)
    if body is not None:
        query = query.where(n.c.body == body)
    rows = await connection.execute(query.order_by(n.c.body, n.c.effective_on, n.c.position))
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row.body, {"code": row.body, "names": {}, "since": None, "history": [],
                       "proposals": []}
        )
        entry["names"] = row.names
        entry["since"] = row.effective_on
        entry["history"].append(
            {"fact": row.fact, "names": row.names, "effective_on": row.effective_on,
             "decision": row.decision}
        )
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
            out[row.body]["proposals"].append(
                {
                    "proposal_id": row.proposal_id,
                    "names": row.names,
                    "proposed_by": row.proposed_by,
                    "proposed_on": row.proposed_on,
                    "status": "decided" if row.proposal_id in decided else "proposed",
                }
            )
    return list(out.values())
