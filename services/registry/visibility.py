"""What of the registry the public sees. The registry's record is public (General
distribution), but for a pending membership application: the application note circulates to the
member states only (the seed's annotated agenda, "Distr: Member States only", names Kuwait's
application), so until the state is admitted its stream is for the member states, the applicant
itself, and those who see everything. Once admitted (or registered as a founding member), its
whole stream is public, the application included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.commands import MEMBER_STATE
from shared.access import GENERAL, MEMBER_STATES_ONLY, Distribution, Viewer
from shared.eventstore import RecordedEvent
from shared.eventstore.schema import events

MADE_PUBLIC_BY = ("FoundingMemberRegistered", "MemberAdmitted")


def sees_state(viewer: Viewer, code: str, status: str | None) -> bool:
    """Whether the caller may see a state that has `status` at the moment read."""
    if status != "applicant":
        return True
    return viewer.sees(MEMBER_STATES_ONLY) or viewer.principal.state == code


async def stream_distributions(
    engine: AsyncEngine, records: Sequence[RecordedEvent]
) -> Mapping[str, Distribution]:
    """The feed's rule (`create_service_app(stream_distributions=...)`): every stream is General
    but a member state's stream that holds no admission yet, which is for member states only."""
    state_streams = sorted({r.stream_id for r in records if r.stream_type == MEMBER_STATE})
    public: set[str] = set()
    if state_streams:
        query = (
            select(events.c.stream_id)
            .where(events.c.stream_id.in_(state_streams),
                   events.c.event_type.in_(MADE_PUBLIC_BY))
            .distinct()
        )
        async with engine.connect() as connection:
            public = set((await connection.execute(query)).scalars())
    return {
        r.stream_id: (
            GENERAL if r.stream_type != MEMBER_STATE or r.stream_id in public
            else MEMBER_STATES_ONLY
        )
        for r in records
    }
