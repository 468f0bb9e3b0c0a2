"""`GET /live`: the service's events as they are appended, over Server-Sent Events, so that a
web or mobile client shows a new revision or an adopted agenda without polling.

Each SSE event is one event of the log::

    id: 42                      the log position (gapless): what `Last-Event-ID` resumes from
    event: DraftRevised         the event type
    data: {"specversion": "1.0", ...}   the event as a CloudEvent (shared/envelope.py)

- Where it starts: after the `Last-Event-ID` header (what a browser's EventSource sends when it
  reconnects), else after `?after=<position>` (for clients that cannot set headers), else at
  the head of the log when the client connects ("from now on").
- What a caller sees: exactly what `GET /events` would show it, through the same
  `StreamDistributions` hook (`visible_records`): a member state never sees the events of a
  document restricted to other states, the public only those of general documents; the
  Secretariat, auditors and services see everything. Where the hook reads a projection (the
  documents service reads its `documents` table), the stream first lets the projections reach
  the batch it filters, so that a new document's events are judged by its distribution and
  not dropped for want of it. `?types=DraftRevised,AgendaAdopted` narrows it further.
- Waking: the process's `LogNotifier` (PostgreSQL LISTEN/NOTIFY) wakes every stream when a
  commit appends; a stream reads the log only then (and, should a notification be lost, at
  the latest every `FALLBACK_POLL_SECONDS`). Idle streams send a comment line every
  `live_heartbeat_seconds` so that proxies keep them open.
- Bounds: at most `live_max_subscribers` streams per process; one more gets 503
  problem+json with ``Retry-After``.
- Shutdown: under uvicorn, sse-starlette notices the server stopping and ends every stream
  (its shutdown event lets ours finish the batch in hand and close cleanly) before uvicorn
  waits for open connections, so open streams never hold the server up; when the app's
  lifespan ends (any other server, or tests), `LiveStreams.close` ends them too.

The access rule admits everyone: the distribution filter decides what each caller sees. A
token is checked when the stream opens; a stream outlives its token's expiry (reconnecting
needs a fresh one), and a member state's admission is looked up again with each batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
import structlog
from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.exc import SQLAlchemyError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from shared.access import ANYONE, CallerView, Role, Viewer, load_viewer, visible_records
from shared.envelope import to_cloudevent
from shared.eventstore import PostgresEventStore
from shared.eventstore.schema import BIGINT_MAX
from shared.http.problems import ProblemError

log = structlog.get_logger(__name__)

router = APIRouter(tags=["live"])

BATCH_SIZE = 200
FALLBACK_POLL_SECONDS = 15.0
"""How long a stream waits for a notification before it reads the log anyway."""
PROJECTION_WAIT_SECONDS = 5.0
"""How long a filtered stream waits for the projections its distribution hook reads."""
SHUTDOWN_GRACE_SECONDS = 2.0
CONCURRENT_READS = 4
"""How many streams read the database at once: a commit wakes every stream, and they must not
take the whole connection pool from the requests."""
RETRY_AFTER_SECONDS = 5


class LiveStreams:
    """The streams a process serves: a bounded count, and the switch that ends them all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.closing = asyncio.Event()
        self.reads = asyncio.Semaphore(CONCURRENT_READS)

    def enter(self) -> None:
        if self.closing.is_set():
            raise LiveUnavailableError("The service is shutting down.")
        if self.open >= self.limit:
            raise LiveUnavailableError(
                f"This service already serves {self.limit} live streams; try again shortly.",
                limit=self.limit,
            )
        self.open += 1

    def leave(self) -> None:
        self.open -= 1

    def close(self) -> None:
        """End every stream (they finish the batch in hand) and refuse new ones."""
        self.closing.set()


class LiveUnavailableError(
    ProblemError, status=503, title="Live streams unavailable", type_="/problems/live-unavailable"
):

    def __init__(self, detail: str, **members: Any) -> None:
        super().__init__(detail, **members)
        self.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


class UnknownEventTypeError(
    ProblemError, status=422, title="Unknown event type", type_="/problems/unknown-event-type"
): ...


class _LiveResponse(EventSourceResponse):
    """An SSE response that gives its subscriber slot back however it ends (the stream may
    be cancelled before its generator ever runs)."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _event_types(raw: str | None, store: PostgresEventStore) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    names = frozenset(name.strip() for name in raw.split(",") if name.strip())
    unknown = sorted(name for name in names if name not in store.event_types)
    if unknown:
        raise UnknownEventTypeError(
            f"This service records no events of type {', '.join(unknown)}.", unknown=unknown
        )
    return names


@router.get(
    "/live",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events: `id` the log position, `event` the event "
            "type, `data` the event as a CloudEvent (JSON).",
        },
        503: {
            "description": "Too many live streams open (or the service is stopping): retry "
            "after `Retry-After`.",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
)
@ANYONE
async def live(
    request: Request,
    viewer: CallerView,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=BIGINT_MAX,
            description="the last position already seen (if no Last-Event-ID)",
        ),
    ] = None,
    types: Annotated[
        str | None,
        Query(description="only these event types, comma-separated: DraftRevised,AgendaAdopted"),
    ] = None,
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=BIGINT_MAX,
            description="the id of the last event received: the stream resumes after it",
        ),
    ] = None,
) -> EventSourceResponse:
    """The service's events as they are appended (Server-Sent Events), filtered by what the
    caller may see, resumable with `Last-Event-ID`; from now on when neither it nor `after`
    is given. Idle streams carry a comment line every few seconds."""
    state = request.app.state
    store: PostgresEventStore = state.store
    wanted = _event_types(types, store)
    streams: LiveStreams = state.live
    start = last_event_id if last_event_id is not None else after
    if start is None:
        start = await store.head_position()
    streams.enter()
    shutdown = anyio.Event()
    events = _follow(
        request, viewer, after=start, wanted=wanted, streams=streams, shutdown=shutdown
    )
    return _LiveResponse(
        events,
        release=streams.leave,
        ping=state.settings.live_heartbeat_seconds,
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
        headers={"Cache-Control": "no-store"},
    )


async def _follow(
    request: Request,
    viewer: Viewer,
    *,
    after: int,
    wanted: frozenset[str] | None,
    streams: LiveStreams,
    shutdown: anyio.Event,
) -> AsyncIterator[ServerSentEvent]:
    state = request.app.state
    store: PostgresEventStore = state.store
    service: str = state.settings.service_name
    position = after
    log.info("live.opened", after=after, role=viewer.principal.role.value, open=streams.open)
    try:
        while not (streams.closing.is_set() or shutdown.is_set()):
            waiter = state.notifier.waiter()
            async with streams.reads:
                records = await store.read_all(after=position, limit=BATCH_SIZE)
            if not records:
                await _first_of(
                    (waiter.wait, streams.closing.wait, shutdown.wait), FALLBACK_POLL_SECONDS
                )
                continue
            position = records[-1].position
            if not viewer.principal.sees_everything:
                await _projections_at(state, position)
            async with streams.reads:
                viewer = await _current(viewer, store)
                visible = await visible_records(
                    viewer,
                    records,
                    engine=store.engine,
                    stream_distributions=state.stream_distributions,
                )
            for record in visible:
                if wanted is None or record.event_type in wanted:
                    yield ServerSentEvent(
                        data=json.dumps(to_cloudevent(record, service), separators=(",", ":")),
                        event=record.event_type,
                        id=str(record.position),
                    )
    except (OSError, SQLAlchemyError) as error:
        # The database is away: end the stream; the client reconnects with Last-Event-ID.
        log.warning("live.database_unavailable", error=repr(error), position=position)
    finally:
        log.info("live.closed", position=position)


async def _current(viewer: Viewer, store: PostgresEventStore) -> Viewer:
    """A member state's viewer as of now: it may have been admitted since the stream opened."""
    if viewer.principal.role is not Role.MEMBER_STATE:
        return viewer
    return await load_viewer(store.engine, viewer.principal)


async def _projections_at(state: Any, position: int) -> None:
    """The distribution hook may read projections: let them reach `position` first (at worst,
    after `PROJECTION_WAIT_SECONDS`, the events of a stream it does not know yet stay hidden,
    as in /events)."""
    if state.stream_distributions is None:
        return
    with contextlib.suppress(TimeoutError):
        await state.projection_runner.wait_for(position, within=PROJECTION_WAIT_SECONDS)


async def _first_of(waits: tuple[Callable[[], Awaitable[Any]], ...], at_most: float) -> None:
    """Return when the first of `waits` returns, or after `at_most` seconds."""
    tasks = [asyncio.ensure_future(wait()) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
