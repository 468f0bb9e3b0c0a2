"""Distribution, as a value: to whom a document (or a stream's events) is distributed.

- ``general``: everyone, the public included;
- ``member_states_only``: the Secretariat, auditors, services, and every admitted member state;
- ``restricted``: the Secretariat, auditors, services, and the states it names.

Pure (pydantic only), so that events and domain modules can carry a distribution; the rule
that applies it to a caller, in memory, in SQL and on the feeds, is `shared.access.distribution`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from shared.access.principals import StateCode


class DistributionKind(StrEnum):
    GENERAL = "general"
    MEMBER_STATES_ONLY = "member_states_only"
    RESTRICTED = "restricted"


class Distribution(BaseModel):
    """A document's (or a stream's) distribution, as events and projections carry it::

        {"kind": "restricted", "states": ["KAZ", "KWT"]}
    """

    # The rule below, in the schema too: a restricted distribution names its states, the
    # others none.
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "restricted"}}},
            "then": {"required": ["states"], "properties": {"states": {"minItems": 1}}},
            "else": {"properties": {"states": {"maxItems": 0}}},
        },
    )

    kind: DistributionKind
    states: tuple[StateCode, ...] = ()

    @field_validator("states")
    @classmethod
    def _sorted_once_each(cls, states: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(states)))

    @model_validator(mode="after")
    def _states_only_when_restricted(self) -> Self:
        if self.kind is DistributionKind.RESTRICTED and not self.states:
            raise ValueError("a restricted distribution names at least one state")
        if self.kind is not DistributionKind.RESTRICTED and self.states:
            raise ValueError(f"a {self.kind.value} distribution names no states")
        return self

    @classmethod
    def general(cls) -> Distribution:
        return cls(kind=DistributionKind.GENERAL)

    @classmethod
    def member_states_only(cls) -> Distribution:
        return cls(kind=DistributionKind.MEMBER_STATES_ONLY)

    @classmethod
    def restricted(cls, *states: str) -> Distribution:
        return cls(kind=DistributionKind.RESTRICTED, states=tuple(states))

    def as_row(self) -> dict[str, Any]:
        """The values of the `distribution_columns` of a projection row."""
        return {"distribution": self.kind.value, "distribution_states": list(self.states)}

    @classmethod
    def of_row(cls, kind: str, states: Sequence[str] | None) -> Distribution:
        return cls(kind=DistributionKind(kind), states=tuple(states or ()))


GENERAL = Distribution.general()
MEMBER_STATES_ONLY = Distribution.member_states_only()


class MembershipChange(StrEnum):
    """What the registry records of a state's membership, with the day it takes effect."""

    FOUNDING = "founding"
    """A member from before the registry's log began (`FoundingMemberRegistered`)."""
    ADMITTED = "admitted"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"

    @property
    def makes_a_member(self) -> bool:
        """Whether the state is a member from the change's day on (until a later change)."""
        return self in (MembershipChange.FOUNDING, MembershipChange.ADMITTED,
                        MembershipChange.REINSTATED)  # fmt: skip


@dataclass(frozen=True)
class Period:
    """A stretch of membership: from `since` (included) to `until` (excluded; None: open)."""

    since: date
    until: date | None = None

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(frozen=True)
class Membership:
    """Each state's periods of membership, folded from the registry's changes: a member from
    its founding or admission, not while suspended (from the suspension's day to the
    reinstatement's), not from its withdrawal on. A state recorded as a member twice (a
    founding list and an admission) is a member from the earlier day."""

    periods: Mapping[str, tuple[Period, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, changes: Iterable[tuple[str, MembershipChange, date]]) -> Membership:
        """From (state, change, effective day) facts in the order recorded; changes on the
        same day apply in that order."""
        by_state: dict[str, list[tuple[date, int, MembershipChange]]] = {}
        for order, (state, change, day) in enumerate(changes):
            by_state.setdefault(state, []).append((day, order, change))
        periods: dict[str, tuple[Period, ...]] = {}
        for state, facts in by_state.items():
            found: list[Period] = []
            since: date | None = None
            for day, _order, change in sorted(facts):
                if change.makes_a_member and since is None:
                    since = day
                elif not change.makes_a_member and since is not None:
                    if day > since:
                        found.append(Period(since, day))
                    since = None
            if since is not None:
                found.append(Period(since))
            periods[state] = tuple(found)
        return cls(periods)

    def is_member(self, state: str, day: date) -> bool:
        return any(period.covers(day) for period in self.periods.get(state, ()))

    def on(self, day: date) -> list[str]:
        """The member states on `day`, sorted."""
        return sorted(state for state in self.periods if self.is_member(state, day))

    def since(self, state: str) -> date | None:
        """The first day `state` was a member (None: never)."""
        periods = self.periods.get(state, ())
        return periods[0].since if periods else None

    def ever(self) -> list[str]:
        """Every state that was a member at some time, sorted."""
        return sorted(state for state, periods in self.periods.items() if periods)


def members_since(admissions: Iterable[tuple[str, date]]) -> dict[str, date]:
    """Each member state and the day it became a member, from (state, day) facts in any order:
    a state recorded twice (a founding list and an admission, say) is a member from the
    earlier day."""
    known: dict[str, date] = {}
    for state, day in admissions:
        known[state] = min(known.get(state, day), day)
    return known


def members_on(known: Mapping[str, date] | Membership, day: date) -> list[str]:
    """The member states on `day`, sorted, of a `Membership` (or a `members_since` result:
    admissions only)."""
    if isinstance(known, Membership):
        return known.on(day)
    return sorted(state for state, since in known.items() if since <= day)
