"""The routes every service has: liveness, readiness, and the auditors' feed of its log.

Who reads what: /healthz and /readyz are public. The feed (/events) is whole for the
Secretariat, auditors and services; member states and the public read it only where the
service declares its streams' distribution (`create_service_app(stream_distributions=...)`),
and then only the events of streams they may see. /events/verify is for the log readers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from shared.access import ANYONE, FEED_READERS, LOG_READERS, CallerView, visible_records
from shared.eventstore import RecordedEvent
from shared.eventstore.schema import BIGINT_MAX
from shared.http.writes import Store

router = APIRouter(tags=["operations"])

FEED_MAX_LIMIT = 1000


class Health(BaseModel):
    status: str
    service: str


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, bool]


class EventOut(BaseModel):
    """One row of the log, exactly as stored and hashed (see `shared/eventstore/hashing.py`)."""

    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str = Field(description="UTC, microseconds: YYYY-MM-DDTHH:MM:SS.ffffffZ")
    prev_hash: str = Field(description="hex")
    hash: str = Field(description="hex")

    @classmethod
    def of(cls, record: RecordedEvent) -> EventOut:
        return cls(**record.as_feed_item())


class EventsPage(BaseModel):
    events: list[EventOut]
    next_after: int = Field(description="pass as `after` to read on")
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
    them: such a page may hold fewer than `limit` events (none, even) while more follow, so
    read on from `next_after` until it reaches `head`."""
    head = await store.head_position()
    records = await store.read_all(after=after, limit=limit)
    visible = await visible_records(
        viewer,
        records,
        engine=store.engine,
        stream_distributions=request.app.state.stream_distributions,
    )
    return EventsPage(
        events=[EventOut.of(r) for r in visible],
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
