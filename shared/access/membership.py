"""A service's own record of the member states, as the registry announces them: each state's
founding membership, admission, suspension, reinstatement and withdrawal, with the day it
takes effect (the registry's event is the cause of the service's `MembershipNoted`). The
services that follow membership (meetings for participants and objections, notifications for
recipients) record these events in their own logs and fold them the same way, here, into a
`Membership` (each state's periods of membership).

Logs written before the registry's events were followed hold `MemberStatesRegistered` (a
set-up call of the service's own) and `MemberStateAdmitted`: they fold as a founding
membership and an admission.

Pure (pydantic only): events and domain modules use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from shared.access.model import Membership, MembershipChange
from shared.access.principals import StateCode
from shared.eventstore.types import DomainEvent


class MemberStatesRegistered(DomainEvent):
    """States that were members before this log began (a deployment's set-up, before the
    services followed the registry's founding members)."""

    states: tuple[StateCode, ...]
    member_since: date


class MemberStateAdmitted(DomainEvent):
    """The registry admitted `state` from `admitted_on` (its ``MemberAdmitted`` is the cause)."""

    state: StateCode
    admitted_on: date


class MembershipNoted(DomainEvent):
    """A change of `state`'s membership the registry recorded, taking effect on
    `effective_on` (the registry's event is the cause)."""

    state: StateCode
    change: MembershipChange
    effective_on: date


REGISTRY_MEMBERSHIP_EVENTS: Mapping[str, tuple[MembershipChange, str]] = {
    "FoundingMemberRegistered": (MembershipChange.FOUNDING, "member_since"),
    "MemberAdmitted": (MembershipChange.ADMITTED, "admitted_on"),
    "MembershipSuspended": (MembershipChange.SUSPENDED, "effective_on"),
    "MembershipReinstated": (MembershipChange.REINSTATED, "effective_on"),
    "MemberWithdrew": (MembershipChange.WITHDRAWN, "effective_on"),
}
"""The registry's events that change a state's membership: the change each records and the
field of its data that holds the day it takes effect (the registry's published contract)."""


def change_of(event_type: str, data: Mapping[str, Any]) -> tuple[str, MembershipChange, date]:
    """(state, change, effective day) of one of the registry's `REGISTRY_MEMBERSHIP_EVENTS`.

    A `FoundingMemberRegistered` v2 gives `member_on` (a day a source shows the state a member)
    and `member_since` only when a source gives its joining day: the state is a member from
    `member_since` when given, else from `member_on` (v1 held `member_since` alone)."""
    change, day_field = REGISTRY_MEMBERSHIP_EVENTS[event_type]
    day = data.get(day_field) or data.get("member_on")
    return str(data["state"]), change, date.fromisoformat(str(day))


def members(events: Iterable[DomainEvent]) -> Membership:
    """The membership the service knows, folded from its log."""
    return Membership.of(_changes(events))


def _changes(events: Iterable[DomainEvent]) -> Iterator[tuple[str, MembershipChange, date]]:
    for event in events:
        if isinstance(event, MembershipNoted):
            yield event.state, event.change, event.effective_on
        elif isinstance(event, MemberStatesRegistered):
            for code in event.states:
                yield code, MembershipChange.FOUNDING, event.member_since
        elif isinstance(event, MemberStateAdmitted):
            yield event.state, MembershipChange.ADMITTED, event.admitted_on


def noted(events: Iterable[DomainEvent]) -> set[tuple[str, MembershipChange, date]]:
    """Every change already recorded in the log."""
    return set(_changes(events))


def note_change(
    events: Sequence[DomainEvent], *, state: str, change: MembershipChange, effective_on: date
) -> list[MembershipNoted]:
    """The change, unless the log holds it already (a redelivered or replayed registry event
    records nothing new)."""
    if (state, change, effective_on) in noted(events):
        return []
    return [MembershipNoted(state=state, change=change, effective_on=effective_on)]

