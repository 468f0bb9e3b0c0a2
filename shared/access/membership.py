"""A service's own record of the member states, as it learns them: the states registered as
members before its log began (a deployment's set-up), and each admission the registry
announces (its ``MemberAdmitted`` is the cause). The services that follow membership (meetings
for participants, notifications for recipients) record these two events in their own logs and
fold them the same way, here.

Pure (pydantic only): events and domain modules use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from shared.access.model import members_since
from shared.access.principals import StateCode
from shared.eventstore.types import DomainEvent


class MemberStatesRegistered(DomainEvent):
    """States that were members before this log began (a deployment's set-up)."""

    states: tuple[StateCode, ...]
    member_since: date


class MemberStateAdmitted(DomainEvent):
    """The registry admitted `state` from `admitted_on` (its ``MemberAdmitted`` is the cause)."""

    state: StateCode
    admitted_on: date


def members(events: Iterable[DomainEvent]) -> dict[str, date]:
    """Every member state the service knows, and the day it became a member (the earlier day
    when a state is recorded twice); `shared.access.model.members_on` gives those of a day."""
    return members_since(_memberships(events))


def _memberships(events: Iterable[DomainEvent]) -> Iterator[tuple[str, date]]:
    for event in events:
        if isinstance(event, MemberStatesRegistered):
            for code in event.states:
                yield code, event.member_since
        elif isinstance(event, MemberStateAdmitted):
            yield event.state, event.admitted_on


def register_members(
    known: dict[str, date], *, states: Sequence[str], member_since: date
) -> list[MemberStatesRegistered]:
    """The states not known yet, registered as members since `member_since`."""
    new = tuple(sorted(set(states) - set(known)))
    return [MemberStatesRegistered(states=new, member_since=member_since)] if new else []


def admit(known: dict[str, date], *, state: str, admitted_on: date) -> list[MemberStateAdmitted]:
    """The state's admission, unless it is known as a member from that day or earlier."""
    if state in known and known[state] <= admitted_on:
        return []
    return [MemberStateAdmitted(state=state, admitted_on=admitted_on)]
