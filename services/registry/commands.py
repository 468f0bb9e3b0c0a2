"""The registry's use cases, on the kit's one command path (`shared.commands`): read the
stream → decide → append.

Each use case is a `Command`: the stream it writes, the stream's type, and a pure decision over
the stream's history (the aggregate's fold, then a rule of `domain`). A route runs it in a
transaction of its own (`run_command`: a stale If-Match appends nothing, 412; with no If-Match,
a write that got in first makes it decided again on the newer state); a reaction runs it in the
reaction's transaction (`ReactionContext.decide_and_append`). A write that also counts a member
state among the admitted ones (`shared.access`) does so in the transaction that records it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry import domain
from services.registry.events import (
    CoordinatorRole,
    DecisionRef,
    Dimension,
    FoundingMemberRegistered,
    MemberAdmitted,
    MembershipReinstated,
    MembershipSuspended,
    MemberWithdrew,
    NoteRef,
    ObserverKind,
)
from shared.access import record_admission, record_membership_change
from shared.access.membership import REGISTRY_MEMBERSHIP_EVENTS
from shared.commands import (
    Decide,
    Decision,
    EventIds,
    Recorded,
    decide_and_append,
    in_transaction,
    run_command,
)
from shared.eventstore import DomainEvent, PostgresEventStore

S = TypeVar("S")


class Command(NamedTuple):
    """A use case on one stream: the stream, its type, and the decision over its history
    (``*command`` gives `run_command` and `decide_and_append` their three arguments)."""

    stream_id: str
    stream_type: str
    decide: Decide


@dataclass(frozen=True)
class Streams(Generic[S]):
    """One kind of the registry's streams: its type, the stream of each key
    (``<prefix>-<key>``), and the fold of a stream's events into what a rule decides on."""

    stream_type: str
    prefix: str
    fold: Callable[[str, list[DomainEvent]], S]

    def of(self, key: str) -> str:
        return f"{self.prefix}-{key}"

    def command(self, key: str, rule: Callable[..., Decision], /, **facts: Any) -> Command:
        """`rule` applied to the state of `key`'s stream (and to `facts`)."""
        return Command(
            self.of(key),
            self.stream_type,
            lambda history: rule(self.fold(key, history.events), **facts),
        )

    async def run(
        self,
        store: PostgresEventStore,
        key: str,
        rule: Callable[..., Decision],
        /,
        *,
        expected: int | None,
        **facts: Any,
    ) -> Recorded:
        """`command` in a transaction of its own (`shared.commands.run_command`)."""
        return await run_command(store, *self.command(key, rule, **facts), expected=expected)


def _events(key: str, events: list[DomainEvent]) -> list[DomainEvent]:
    return events


MEMBER_STATES = Streams("member_state", "state", domain.member_state)
OBSERVERS = Streams("observer", "observer", _events)
PARTNERS = Streams("partner", "partner", _events)
CHAIRMANSHIPS = Streams("chairmanship", "chairmanship", domain.chairmanship)
PRIORITY_AREAS = Streams("priority_area", "area", domain.priority_area)
BODIES = Streams("body", "body", domain.body)


def admitted_at(day: date) -> datetime:
    """The instant a membership effective on `day` begins: its first moment, UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


async def record_membership_changes(
    connection: AsyncConnection, recorded: Recorded, *, event_ids: EventIds | None = None
) -> None:
    """Record the membership changes `recorded` holds (shared.access): count the states it made
    members (registered as members, or admitted) among the admitted member states from the day
    they joined (for a registered member whose joining day is unknown, from the day a source
    shows it a member), and the suspensions, reinstatements and withdrawals from their
    effective days, in the transaction that recorded them; `event_ids` as they were appended,
    when derived. The other services record the same changes from these events
    (`record_membership_event`); the registry's own reads (a pending application, for member
    states only) follow them so."""
    before = recorded.version - len(recorded.events)
    for index, event in enumerate(recorded.events):
        event_id = event_ids(before, index) if event_ids is not None else None
        if isinstance(event, FoundingMemberRegistered):
            joined = event.member_since or event.member_on
        elif isinstance(event, MemberAdmitted):
            joined = event.admitted_on
        elif isinstance(event, MembershipSuspended | MembershipReinstated | MemberWithdrew):
            change, _ = REGISTRY_MEMBERSHIP_EVENTS[event.event_type]
            await record_membership_change(
                connection, state=event.state, change=change,
                effective_at=admitted_at(event.effective_on), event_id=event_id,
            )
            continue
        else:
            continue
        await record_admission(
            connection, state=event.state, admitted_at=admitted_at(joined), event_id=event_id
        )


# ------------------------------------------------------------------------------ member states


@dataclass(frozen=True)
class KnownMember:
    """A state a source shows a member on `member_on`; joined on `member_since` when a source
    gives the day, else None (unknown)."""

    state: str
    names: dict[str, str]
    member_on: date
    member_since: date | None = None


async def register_known_members(
    *, store: PostgresEventStore, members: Sequence[KnownMember]
) -> list[Recorded]:
    """Register every one of `members`, or none: one transaction. Each counts among the
    admitted member states (shared.access) from its `member_since`, or failing that its
    `member_on`."""
    seen: set[str] = set()
    recorded = []
    async with store.engine.begin() as connection:
        for member in members:
            if member.state in seen:
                raise domain.InvalidFactError(f"{member.state} appears twice in the request.")
            seen.add(member.state)
            command = MEMBER_STATES.command(
                member.state, domain.register_known_member, names=member.names,
                member_on=member.member_on, member_since=member.member_since,
            )
            registered = await decide_and_append(connection, store, *command)
            await record_membership_changes(connection, registered)
            recorded.append(registered)
    return recorded


async def apply_for_membership(
    *, store: PostgresEventStore, state: str, names: dict[str, str], applied_on: date,
    note: NoteRef, expected: int | None = None,
) -> Recorded:
    return await MEMBER_STATES.run(
        store, state, domain.apply_for_membership, expected=expected, names=names,
        applied_on=applied_on, note=note,
    )


def recommendation(state: str, decision: DecisionRef) -> Command:
    """The SOC's recommendation of the state's admission (the same decision again: nothing)."""
    return MEMBER_STATES.command(state, domain.recommend_admission, decision=decision)


async def recommend_admission(
    *, store: PostgresEventStore, state: str, decision: DecisionRef, expected: int | None = None
) -> Recorded:
    return await run_command(store, *recommendation(state, decision), expected=expected)


def admission(state: str, decision: DecisionRef) -> Command:
    """The Summit's admission of the state (the same decision again: nothing); record it with
    `record_membership_changes` in the same transaction."""
    return MEMBER_STATES.command(state, domain.admit, decision=decision)


async def admit_member(
    *, store: PostgresEventStore, state: str, decision: DecisionRef, expected: int | None = None
) -> Recorded:
    """Record the state's admission by `decision` and count it among the admitted member
    states (shared.access) from the decision's date, in one transaction."""
    return await _change_membership(store, *admission(state, decision), expected=expected)


async def _change_membership(
    store: PostgresEventStore, stream_id: str, stream_type: str, decide: Decide, *,
    expected: int | None,
) -> Recorded:
    """A command on a member state's stream, and the membership change it records
    (`record_membership_changes`), in one transaction (decided again on a newer state when
    another write got in first and the client stated no version)."""

    async def work(connection: AsyncConnection) -> Recorded:
        recorded = await decide_and_append(
            connection, store, stream_id, stream_type, decide, expected=expected
        )
        await record_membership_changes(connection, recorded)
        return recorded

    return await in_transaction(store, work, again=expected is None)


async def suspend_membership(
    *, store: PostgresEventStore, state: str, effective_on: date, reason: str,
    decision: DecisionRef | None = None, expected: int | None = None,
) -> Recorded:
    return await _change_membership(
        store, *MEMBER_STATES.command(
            state, domain.suspend, effective_on=effective_on, reason=reason, decision=decision
        ), expected=expected,
    )


async def reinstate_membership(
    *, store: PostgresEventStore, state: str, effective_on: date,
    decision: DecisionRef | None = None, expected: int | None = None,
) -> Recorded:
    return await _change_membership(
        store, *MEMBER_STATES.command(
            state, domain.reinstate, effective_on=effective_on, decision=decision
        ), expected=expected,
    )


async def withdraw_membership(
    *, store: PostgresEventStore, state: str, effective_on: date, note: NoteRef | None = None,
    expected: int | None = None,
) -> Recorded:
    return await _change_membership(
        store, *MEMBER_STATES.command(state, domain.withdraw, effective_on=effective_on, note=note),
        expected=expected,
    )


# ------------------------------------------------------------------------------ observers, partners


async def register_observer(
    *, store: PostgresEventStore, kind: ObserverKind, key: str, names: dict[str, str],
    effective_on: date, expected: int | None = None,
) -> Recorded:
    return await OBSERVERS.run(
        store, key, domain.register_observer, expected=expected, kind=kind, key=key,
        names=names, effective_on=effective_on,
    )


async def sign_partner_agreement(
    *, store: PostgresEventStore, key: str, names: dict[str, str], agreement: str,
    signed_on: date, expected: int | None = None,
) -> Recorded:
    return await PARTNERS.run(
        store, key, domain.sign_partner_agreement, expected=expected, key=key, names=names,
        agreement=agreement, signed_on=signed_on,
    )


# ------------------------------------------------------------------------------ chairmanships


async def open_chairmanship(
    *, store: PostgresEventStore, period: str, effective_on: date, expected: int | None = None
) -> Recorded:
    return await CHAIRMANSHIPS.run(
        store, period, domain.open_chairmanship, expected=expected, effective_on=effective_on
    )


def chair_assignment(
    period: str, *, state: str, effective_on: date, decision: DecisionRef | None
) -> Command:
    """The chair of the period (the same chair by the same decision again: nothing)."""
    return CHAIRMANSHIPS.command(
        period, domain.assign_chairmanship, state=state, effective_on=effective_on,
        decision=decision,
    )


async def assign_chairmanship(
    *, store: PostgresEventStore, period: str, state: str, effective_on: date,
    decision: DecisionRef | None = None, expected: int | None = None,
) -> Recorded:
    command = chair_assignment(period, state=state, effective_on=effective_on, decision=decision)
    return await run_command(store, *command, expected=expected)


# ------------------------------------------------------------------------------ coordinators


async def establish_priority_area(
    *, store: PostgresEventStore, area: str, dimension: Dimension, names: dict[str, str],
    effective_on: date, expected: int | None = None,
) -> Recorded:
    return await PRIORITY_AREAS.run(
        store, area, domain.establish_priority_area, expected=expected, dimension=dimension,
        names=names, effective_on=effective_on,
    )


def coordinator_appointment(
    area: str, *, state: str, role: CoordinatorRole, effective_on: date,
    term_ends_on: date | None = None, decision: DecisionRef | None = None,
) -> Command:
    """A coordinator or co-coordinator of the priority area (the same appointment by the same
    decision again: nothing)."""
    return PRIORITY_AREAS.command(
        area, domain.appoint_coordinator, state=state, role=role, effective_on=effective_on,
        term_ends_on=term_ends_on, decision=decision,
    )


async def appoint_coordinator(
    *, store: PostgresEventStore, area: str, state: str, role: CoordinatorRole,
    effective_on: date, term_ends_on: date | None = None, decision: DecisionRef | None = None,
    expected: int | None = None,
) -> Recorded:
    command = coordinator_appointment(
        area, state=state, role=role, effective_on=effective_on, term_ends_on=term_ends_on,
        decision=decision,
    )
    return await run_command(store, *command, expected=expected)


# ------------------------------------------------------------------------------ bodies


async def establish_body(
    *, store: PostgresEventStore, code: str, names: dict[str, str], effective_on: date,
    expected: int | None = None,
) -> Recorded:
    return await BODIES.run(
        store, code, domain.establish_body, expected=expected, names=names,
        effective_on=effective_on,
    )


async def propose_renaming(
    *, store: PostgresEventStore, code: str, proposal_id: UUID, names: dict[str, str],
    proposed_by: list[str], proposed_on: date, expected: int | None = None,
) -> Recorded:
    return await BODIES.run(
        store, code, domain.propose_renaming, expected=expected, proposal_id=proposal_id,
        names=names, proposed_by=proposed_by, proposed_on=proposed_on,
    )


async def rename_body(
    *, store: PostgresEventStore, code: str, names: dict[str, str], effective_on: date,
    decision: DecisionRef | None = None, proposal_id: UUID | None = None,
    expected: int | None = None,
) -> Recorded:
    return await BODIES.run(
        store, code, domain.rename_body, expected=expected, names=names,
        effective_on=effective_on, decision=decision, proposal_id=proposal_id,
    )
