"""Distribution: who may read a document (or a stream's events), as one rule of the kit that
every read path applies: single reads, lists, searches, the ``/events`` feed, live streams and
webhooks.

- ``general``: everyone, the public included;
- ``member_states_only``: the Secretariat, auditors, services, and every admitted member state
  (admitted at or before the read: see `shared.access.members`);
- ``restricted``: the Secretariat, auditors, services, and the states it names, members or not
  (a state applying for membership may be sent the papers on its application).

A `Viewer` is a caller together with what the rule needs to know of it (whether its state is an
admitted member). Get one per request with the `CallerView` dependency, or with `load_viewer`
outside a request (a webhook delivery, a live stream's subscriber); then:

- a single read: ``viewer.require(doc.distribution, DocumentNotFoundError(symbol))`` raises the
  route's own 404 when the caller may not see it, so that a hidden document and a missing one
  look the same;
- a list held in memory: ``viewer.filter(items, lambda d: d.distribution)``;
- a list or search in SQL: ``select(...).where(viewer.where(t.c.distribution,
  t.c.distribution_states))`` on a projection with the `distribution_columns`, so that paging
  counts only what the caller sees;
- the feed and live streams: `visible_records`, with the service's `StreamDistributions` hook,
  which gives each stream's distribution and may narrow single events further (an event that
  names a document requires the document's distribution too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Column, ColumnElement, Text, and_, any_, false, literal, or_, true
from sqlalchemy.dialects.postgresql import ARRAY

from shared.access.members import is_member_at
from shared.access.model import Distribution, DistributionKind
from shared.access.principals import Principal, Role
from shared.domain import NotFoundError
from shared.eventstore import RecordedEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


def distribution_columns() -> tuple[Column[Any], Column[Any]]:
    """The two columns a projection table holds a distribution in, for `Viewer.where`:
    ``distribution`` (the kind) and ``distribution_states`` (the restricted list)."""
    return (
        Column("distribution", Text, nullable=False),
        Column("distribution_states", ARRAY(Text), nullable=False, server_default="{}"),
    )


class NotVisibleError(NotFoundError):
    """The generic 404 of something the caller may not see (or that does not exist: the
    caller cannot tell which). A route with its own not-found error passes that instead."""


@dataclass(frozen=True)
class Viewer:
    """A caller as the distribution rule sees it: its principal, and whether its state is an
    admitted member at the moment of reading."""

    principal: Principal
    is_member: bool = False

    def sees(self, distribution: Distribution) -> bool:
        if self.principal.sees_everything:
            return True
        if distribution.kind is DistributionKind.GENERAL:
            return True
        if self.principal.role is not Role.MEMBER_STATE:
            return False
        if distribution.kind is DistributionKind.MEMBER_STATES_ONLY:
            return self.is_member
        return self.principal.state in distribution.states

    def require(self, distribution: Distribution, not_found: Exception | None = None) -> None:
        """Raise `not_found` (the route's own 404; a generic one if None) unless the caller
        may see something of this distribution."""
        if not self.sees(distribution):
            raise not_found if not_found is not None else NotVisibleError()

    def filter(self, items: Iterable[T], distribution_of: Callable[[T], Distribution]) -> list[T]:
        return [item for item in items if self.sees(distribution_of(item))]

    def where(
        self, kind_column: ColumnElement[str], states_column: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        """The rule as a SQL condition on a projection's `distribution_columns`."""
        if self.principal.sees_everything:
            return true()
        general = kind_column == DistributionKind.GENERAL.value
        if self.principal.role is not Role.MEMBER_STATE:
            return general
        member_states = (
            kind_column == DistributionKind.MEMBER_STATES_ONLY.value
            if self.is_member
            else false()
        )
        named = and_(
            kind_column == DistributionKind.RESTRICTED.value,
            literal(self.principal.state) == any_(states_column),
        )
        return or_(general, member_states, named)


async def load_viewer(
    engine: AsyncEngine, principal: Principal, *, at: datetime | None = None
) -> Viewer:
    """The `Viewer` of `principal` at `at` (now if None): for a member state, whether its
    state is a member then (admitted, not suspended, not withdrawn), read from the service's
    ``membership_changes``."""
    if principal.role is not Role.MEMBER_STATE or principal.state is None:
        return Viewer(principal)
    async with engine.connect() as connection:
        member = await is_member_at(connection, principal.state, at or datetime.now(UTC))
    return Viewer(principal, is_member=member)


Required = Distribution | Collection[Distribution]
"""What a viewer must see to be shown something: one distribution, or several (each of them)."""

StreamDistributions = Callable[
    ["AsyncEngine", Sequence[RecordedEvent]], Awaitable[Mapping[str | int, Required]]
]
"""A service's declaration of the distribution of its streams: given the service's engine and
some recorded events, the distribution of each of their streams, by stream id (a str). A stream
it leaves out is seen only by those who see everything (Secretariat, auditors, services).

Under an event's position (an int), the mapping may also give what that one event requires
besides its stream's distribution (an event naming a restricted document requires the
document's distribution): the viewer must see the stream's and the event's. An event with no
such entry requires its stream's only.

A hook may say which distributions it ever gives its streams, as its ``declared`` attribute (a
frozenset): `every_stream` and `by_stream_type` do. Then `may_show_the_public` knows, before any
event is read, whether the public could ever see one (what an event requires besides only
narrows that). A hook that declares reads no projection (`shared.ops.reads_projections`): it
judges from the records, and at most from the service's log itself, never behind them."""

EventDistributions = Callable[
    ["AsyncEngine", Sequence[RecordedEvent]], Awaitable[Mapping[int, Required]]
]
"""What single events of some recorded events require besides their stream's distribution, by
position (see `StreamDistributions`); events left out require nothing more."""

_DECLARED = "declared"


def may_show_the_public(stream_distributions: StreamDistributions | None) -> bool:
    """Whether a caller with no token could ever see an event of a service whose streams'
    distribution `stream_distributions` declares: never without the hook; with a hook that
    declares the distributions it gives, when one of them is general; else (a hook that
    reads each stream's distribution, e.g. from a projection) possibly."""
    if stream_distributions is None:
        return False
    declared = getattr(stream_distributions, _DECLARED, None)
    if declared is None:
        return True
    public = Viewer(Principal.public())
    return any(public.sees(distribution) for distribution in declared)


def every_stream(
    distribution: Distribution, *, narrowed_by: EventDistributions | None = None
) -> StreamDistributions:
    """A `StreamDistributions` that gives every stream the same distribution (e.g. the
    registry's public record: `GENERAL`), and, with `narrowed_by`, requires of single events
    what it says besides (the meetings service: an agenda naming a restricted document is seen
    only by those who may see the document). It declares `distribution`: `narrowed_by` only
    narrows, and must read no projection (the records, or the service's log, only)."""

    async def distributions(
        engine: AsyncEngine, records: Sequence[RecordedEvent]
    ) -> Mapping[str | int, Required]:
        given: dict[str | int, Required] = {record.stream_id: distribution for record in records}
        if narrowed_by is not None and records:
            given.update(await narrowed_by(engine, records))
        return given

    setattr(distributions, _DECLARED, frozenset({distribution}))
    return distributions


def by_stream_type(distributions: Mapping[str, Distribution]) -> StreamDistributions:
    """A `StreamDistributions` by stream type; streams of other types stay unseen."""

    async def of_records(
        _engine: AsyncEngine, records: Sequence[RecordedEvent]
    ) -> Mapping[str | int, Required]:
        return {
            record.stream_id: distributions[record.stream_type]
            for record in records
            if record.stream_type in distributions
        }

    setattr(of_records, _DECLARED, frozenset(distributions.values()))
    return of_records


async def visible_records(
    viewer: Viewer,
    records: Sequence[RecordedEvent],
    *,
    engine: AsyncEngine,
    stream_distributions: StreamDistributions | None,
) -> list[RecordedEvent]:
    """The events of `records` the viewer may see: all of them for those who see everything;
    for the others, the events of streams whose declared distribution they may see, each one
    that requires more (under its position) only if they see that too (none at all when the
    service declares no `StreamDistributions`)."""
    if viewer.principal.sees_everything:
        return list(records)
    if stream_distributions is None or not records:
        return []
    distributions = await stream_distributions(engine, records)
    return [
        record
        for record in records
        if (stream := distributions.get(record.stream_id)) is not None
        and _sees_each(viewer, stream)
        and _sees_each(viewer, distributions.get(record.position, ()))
    ]


def _sees_each(viewer: Viewer, required: Required) -> bool:
    if isinstance(required, Distribution):
        return viewer.sees(required)
    return all(viewer.sees(distribution) for distribution in required)
