"""The routes every service has: liveness, readiness, and the auditors' feed of its log.

Who reads what: /healthz and /readyz are public. The feed (/events) is whole for the
Secretariat, auditors and services; member states and the public read it only where the
service declares its streams' distribution (`create_service_app(stream_distributions=...)`),
and then only the events of streams they may see, judged from state at least as new as the
events (`judged_up_to`), with the metadata that could name a person reduced (`shown_to`).
/events/verify is for the log readers.

The same rules serve `GET /live` (shared/live.py).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from shared.access import (
    ANYONE,
    FEED_READERS,
    LOG_READERS,
    CallerView,
    Role,
    StreamDistributions,
    Viewer,
    visible_records,
)
from shared.eventstore import RecordedEvent
from shared.eventstore.schema import BIGINT_MAX
from shared.http.writes import Store

router = APIRouter(tags=["operations"])

FEED_MAX_LIMIT = 1000
FEED_PROJECTION_WAIT_SECONDS = 2.0
"""How long a page of the feed for a member state or the public waits for the projections its
distribution hook reads to reach the page's last position (after which the page stops where
they are)."""


class Health(BaseModel):
    status: str
    service: str


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, bool]


class EventOut(BaseModel):
    """One row of the log, as stored and hashed (see `shared/eventstore/hashing.py`): exactly
    so for the Secretariat, auditors and services. The metadata a member state or the public
    receives may be redacted (an `actor` that names a person is reduced to its role), so such
    a reader cannot recompute the hash from it: auditors verify the chain, on the full record
    (``GET /events/verify``, or ``GET /events`` with an auditor's token)."""

    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any] = Field(
        description="actor, correlation_id, causation_id, and `source` (where the facts come "
        "from: the write's CICA-Source, see shared/http/provenance.py). For a member state or "
        "the public, `actor` is reduced to the role (`secretariat`, `member_state`) unless it "
        "names no person (`service:<name>`) or is the reader's own state's: the hash is then "
        "verified by auditors on the full record."
    )
    recorded_at: str = Field(description="UTC, microseconds: YYYY-MM-DDTHH:MM:SS.ffffffZ")
    prev_hash: str = Field(description="hex")
    hash: str = Field(description="hex")

    @classmethod
    def of(cls, record: RecordedEvent) -> EventOut:
        return cls(**record.as_feed_item())


class EventsPage(BaseModel):
    events: list[EventOut]
    next_after: int = Field(
        description="pass as `after` to read on (for a member state or the public, a page "
        "stops where the service's read models have not caught up yet: read on from here)"
    )
    head: int = Field(description="the last position in the log when this page was read")


class ChainOut(BaseModel):
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    reason: str | None = None
    verified_at: datetime


@router.get("/healthz")
@ANYONE
async def healthz(request: Request) -> Health:
    """Alive: the process answers. Says nothing of its database or NATS (see /readyz)."""
    return Health(status="ok", service=request.app.state.settings.service_name)


@router.get("/readyz", responses={503: {"model": Readiness}})
@ANYONE
async def readyz(request: Request, response: Response) -> Readiness:
    """Ready: the service's database and NATS both answer."""
    state = request.app.state
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = True
    except Exception:  # any failure to reach the database means "not ready", reported as such
        database = False
    nats = await state.nats.ping()
    ready = database and nats
    if not ready:
        response.status_code = 503
    return Readiness(
        status="ready" if ready else "not ready",
        service=state.settings.service_name,
        checks={"database": database, "nats": nats},
    )


@router.get("/events")
@FEED_READERS
async def read_events(
    request: Request,
    store: Store,
    viewer: CallerView,
    after: Annotated[
        int, Query(ge=0, le=BIGINT_MAX, description="the last position already read")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=FEED_MAX_LIMIT)] = 100,
) -> EventsPage:
    """The service's log in position order, for auditors and lagging consumers.

    A member state or the public reads only the events of streams whose distribution lets
    them, judged from the service's read models once they have applied the page (a page ends
    early, where they are, if they do not within moments), with the `actor` of the metadata
    reduced to its role where it would name a person: such a page may hold fewer than `limit`
    events (none, even) while more follow, so read on from `next_after` until it reaches
    `head`."""
    state = request.app.state
    head = await store.head_position()
    records = await store.read_all(after=after, limit=limit)
    if records:
        reached = await judged_up_to(
            state, viewer, records[-1].position, within=FEED_PROJECTION_WAIT_SECONDS
        )
        records = [record for record in records if record.position <= reached]
    visible = await visible_records(
        viewer,
        records,
        engine=store.engine,
        stream_distributions=state.stream_distributions,
    )
    return EventsPage(
        events=[EventOut.of(shown_to(viewer, r)) for r in visible],
        next_after=records[-1].position if records else after,
        head=head,
    )


@router.get("/events/verify")
@LOG_READERS
async def verify_events(store: Store) -> ChainOut:
    """Recompute the hash chain over the whole log and name the first position that fails."""
    report = await store.verify_chain()
    return ChainOut(
        ok=report.ok,
        checked=report.checked,
        head_position=report.head_position,
        head_hash=report.head_hash.hex(),
        first_bad_position=report.first_bad_position,
        reason=report.reason,
        verified_at=datetime.now(UTC),
    )


# ------------------------------------------------- what a reader who does not see all is given


def reads_projections(stream_distributions: StreamDistributions | None) -> bool:
    """Whether the service's distribution hook may read its projections: not when there is no
    hook, nor when it declares the distributions it gives (`every_stream`, `by_stream_type`:
    they give them from the records, or from the service's own log, never a projection); a
    hook that reads each stream's distribution (the documents service reads its `documents`
    table) may."""
    return (
        stream_distributions is not None
        and getattr(stream_distributions, "declared", None) is None
    )


async def judged_up_to(state: Any, viewer: Viewer, last: int, *, within: float) -> int:
    """How far (at most `last`) the events can be shown to `viewer` now, each judged from state
    at least as new as the event: `last` for those who see everything and where the
    distribution hook reads no projection; else `last` once every projection has applied it,
    waiting up to `within` seconds, and if they have not by then, the position they have all
    reached (the events after it wait: judged from a projection behind them, a document made
    restricted since could still pass for general). `state`: the app's."""
    if viewer.principal.sees_everything or not reads_projections(state.stream_distributions):
        return last
    runner = getattr(state, "projection_runner", None)
    if runner is None:  # no projections run here: nothing the hook reads can lag behind
        return last
    try:
        await runner.wait_for(last, within=within)
    except TimeoutError:
        return min([last, *runner.positions().values()])
    return last


def actor_shown_to(viewer: Viewer, actor: Any) -> str | None:
    """The `actor` of an event's metadata as `viewer` may read it (None: left out). Whole for
    those who see everything, for a service (``service:meetings`` names no person) and for a
    member state's own (``member_state:KAZ:delegation-kaz-01`` to Kazakhstan); otherwise only
    its role (``secretariat:alice`` is ``secretariat``), and left out when it names no role."""
    principal = viewer.principal
    if principal.sees_everything:
        return actor
    if not isinstance(actor, str):
        return None
    role, _, rest = actor.partition(":")
    if role == Role.SERVICE.value:
        return actor
    if (
        role == Role.MEMBER_STATE.value
        and principal.role is Role.MEMBER_STATE
        and rest.partition(":")[0] == principal.state
    ):
        return actor
    return role if role in _ROLES else None


_ROLES = frozenset(role.value for role in Role)


def shown_to(viewer: Viewer, record: RecordedEvent) -> RecordedEvent:
    """`record` as `viewer` may receive it on the feed and live streams: whole for those who
    see everything; for the others, with the metadata's `actor` as `actor_shown_to` gives it
    (the record then no longer hashes to its `hash`: auditors verify the full one)."""
    if viewer.principal.sees_everything or "actor" not in record.metadata:
        return record
    metadata = dict(record.metadata)
    actor = actor_shown_to(viewer, metadata.pop("actor"))
    if actor is not None:
        metadata["actor"] = actor
    if metadata == record.metadata:
        return record
    return dataclasses.replace(record, metadata=metadata)
