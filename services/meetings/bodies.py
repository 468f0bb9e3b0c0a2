"""The names of the Organization's bodies, as the registry holds them: the meetings service's own
record of the registry's ``BodyEstablished`` and ``BodyRenamed`` (the registry renames bodies
over time: OP5 of the Astana Statement, SUM/2022/DRAFT/1/Rev.8, makes the Meeting of Heads of
State or Government the Council of Heads of State or Government from 13 October 2022), so that
the service names a body as the registry does on any date, from its own log alone.

Stream: ``bodies`` (stream type ``bodies``), one ``BodyNamed`` per registry fact, in the order
the registry recorded them. Names have a valid time, the registry's ``effective_on``: the names
of a body on a day are those of the latest naming effective on or before that day (a renaming
effective later does not apply yet; of two effective the same day, the one recorded later);
before its first naming a body has no names, and is not listed.

A registry fact is recorded once: its event id is in the record (``registry_event_id``), and
recording it again decides nothing. A registry event that lacks a field of the contract, or
holds one that cannot be, is refused with `UnreadableRegistryFactError` (the consumer retries
it, then parks it with that error): nothing is recorded from it.

Pure: pydantic models and functions over events, no framework and no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from services.meetings.events import BodyCode, event_types
from shared.eventstore import DomainEvent

STREAM = "bodies"
STREAM_TYPE = "bodies"

BodyKey = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,39}$")]
"""A body's code as the registry keys it (``SOC``, ``SUMMIT``, ``EXECUTIVE_DIRECTOR``)."""
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Names = Annotated[dict[LanguageCode, Name], Field(min_length=1, max_length=20)]
"""A name per language (ISO 639-1), at least one, at most twenty."""
Fact = Literal["established", "renamed"]

ENGLISH = "en"
MEETING_BODIES = frozenset(get_args(BodyCode))
"""The bodies whose sessions the meetings service schedules (a meeting's `body`)."""


class RegistryDecision(BaseModel):
    """The decision a registry fact rests on, as the registry names it (a renaming by the
    Summit's adoption of the Astana Statement)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    decision_id: UUID
    body: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    session: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    decided_on: date
    outcome: Annotated[str, StringConstraints(min_length=1, max_length=60)]


@event_types.register("BodyNamed", version=1)
class BodyNamed(DomainEvent):
    """The registry named a body from `effective_on` (it established it, or renamed it), by its
    event `registry_event_id` (and `decision`, when the registry names one)."""

    body: BodyKey
    names: Names
    effective_on: date
    fact: Fact
    registry_event_id: UUID
    decision: RegistryDecision | None = None


# ------------------------------------------------------------------------------ the registry's


class UnreadableRegistryFactError(ValueError):
    """A registry event about a body lacks a field of its v1 contract, or holds one that cannot
    be (a name that is not text, a date that is not one): it is not recorded."""


class RegistryNaming(BaseModel):
    """What the meetings service reads of the registry's ``BodyEstablished`` and
    ``BodyRenamed`` (v1): fields it does not read are ignored, as the contract's fields grow."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    body: BodyKey
    names: Names
    effective_on: date
    decision: RegistryDecision | None = None


def read_registry_naming(event_type: str, data: Mapping[str, Any]) -> RegistryNaming:
    """The registry's fact in `data`, checked field by field; `UnreadableRegistryFactError`
    naming each field that is missing or malformed."""
    try:
        return RegistryNaming.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'data'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise UnreadableRegistryFactError(
            f"The registry's {event_type} cannot be read: {problems}."
        ) from None


# ------------------------------------------------------------------------------ the record


@dataclass(frozen=True)
class Naming:
    names: dict[str, str]
    effective_on: date
    fact: Fact
    registry_event_id: UUID
    decision: RegistryDecision | None


@dataclass
class Body:
    """A body's namings, in the order the registry recorded them."""

    code: str
    namings: list[Naming] = field(default_factory=list)

    def naming_on(self, day: date) -> Naming | None:
        """The naming in force on `day`: the latest effective on or before it (of two
        effective the same day, the one recorded later); None before the first."""
        in_force = [
            (n.effective_on, i) for i, n in enumerate(self.namings) if n.effective_on <= day
        ]
        return self.namings[max(in_force)[1]] if in_force else None


@dataclass
class Bodies:
    """Every body the registry has named to the meetings service, and the registry events
    recorded."""

    by_code: dict[str, Body] = field(default_factory=dict)
    recorded: set[UUID] = field(default_factory=set)


def bodies(events: Iterable[DomainEvent]) -> Bodies:
    state = Bodies()
    for event in events:
        if isinstance(event, BodyNamed):
            body = state.by_code.setdefault(event.body, Body(event.body))
            body.namings.append(
                Naming(
                    names=dict(event.names),
                    effective_on=event.effective_on,
                    fact=event.fact,
                    registry_event_id=event.registry_event_id,
                    decision=event.decision,
                )
            )
            state.recorded.add(event.registry_event_id)
    return state


def record_naming(
    state: Bodies, naming: RegistryNaming, *, fact: Fact, registry_event_id: UUID
) -> BodyNamed | None:
    """The registry's naming as the meetings service's event; None when that registry event is
    recorded already."""
    if registry_event_id in state.recorded:
        return None
    return BodyNamed(
        body=naming.body,
        names=naming.names,
        effective_on=naming.effective_on,
        fact=fact,
        registry_event_id=registry_event_id,
        decision=naming.decision,
    )


@dataclass(frozen=True)
class NamedBody:
    """A body as named on a day: its names then, and the day they took effect."""

    code: str
    names: dict[str, str]
    since: date

    @property
    def name(self) -> str | None:
        """Its English name, if the registry gives one."""
        return self.names.get(ENGLISH)


def names_on(state: Bodies, day: date) -> list[NamedBody]:
    """Every body named on or before `day`, with its names valid that day, by code."""
    named = []
    for code in sorted(state.by_code):
        naming = state.by_code[code].naming_on(day)
        if naming is not None:
            named.append(NamedBody(code, dict(sorted(naming.names.items())), naming.effective_on))
    return named
