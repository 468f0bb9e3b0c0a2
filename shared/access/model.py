"""Distribution, as a value: to whom a document (or a stream's events) is distributed.

- ``general``: everyone, the public included;
- ``member_states_only``: the Secretariat, auditors, services, and every admitted member state;
- ``restricted``: the Secretariat, auditors, services, and the states it names.

Pure (pydantic only), so that events and domain modules can carry a distribution; the rule
that applies it to a caller, in memory, in SQL and on the feeds, is `shared.access.distribution`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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

    model_config = ConfigDict(frozen=True)

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


def members_since(admissions: Iterable[tuple[str, date]]) -> dict[str, date]:
    """Each member state and the day it became a member, from (state, day) facts in any order:
    a state recorded twice (a founding list and an admission, say) is a member from the
    earlier day."""
    known: dict[str, date] = {}
    for state, day in admissions:
        known[state] = min(known.get(state, day), day)
    return known


def members_on(known: Mapping[str, date], day: date) -> list[str]:
    """The member states on `day`, sorted, of a `members_since` result."""
    return sorted(state for state, since in known.items() if since <= day)
