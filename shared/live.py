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
  documents service reads its `documents` table), an event is never judged from a projection
  behind it (`shared.ops.judged_up_to`): the stream lets the projections reach the batch it
  filters (so that a new document's events are judged by its distribution and not dropped for
  want of it, and a document made restricted is not taken for general), and where they do not
  within `PROJECTION_WAIT_SECONDS` it sends the batch only up to where they are, and waits
  for the rest. As on the feed, the metadata's `actor` reaches a member state or the public
  reduced to its role where it would name a person (`shared.ops.shown_to`), so that only
  auditors, on the full record, verify the hashes. `?types=DraftRevised,AgendaAdopted`
  narrows it further.
- Waking: the process's `LogNotifier` (PostgreSQL LISTEN/NOTIFY) wakes every stream when a
  commit appends; a stream reads the log only then (and, should a notification be lost, at
  the latest every `FALLBACK_POLL_SECONDS`). Idle streams send a comment line every
  `live_heartbeat_seconds` so that proxies keep them open.
- Bounds, per process: at most `live_max_subscribers` streams in all, and one more gets 503
  problem+json with ``Retry-After``; of them, at most `live_max_public_subscribers` for callers
  with no token (and never the last slot: the public cannot take the slots the Secretariat
  needs), one more gets 503 too; and at most `live_max_streams_per_caller` for one caller (a
  token's subject, or for the public its client address), one more gets 429 with
  ``Retry-After``.
- Shutdown: under uvicorn, sse-starlette notices the server stopping and ends every stream
  (its shutdown event lets ours finish the batch in hand and close cleanly) before uvicorn
  waits for open connections, so open streams never hold the server up; when the app's
  lifespan ends (any other server, or tests), `LiveStreams.close` ends them too.

Who may open one: the readers of the service's log (`FEED_READERS`, as for ``GET /events``),
and the distribution filter decides what each of them sees; but where the public could never
see an event (the service declares no distribution of its streams, or declares only ones the
public does not see: `may_show_the_public`), the public is refused (401) rather than served an
empty stream. A token is checked when the stream opens, and the stream ends when the token
expires (at its ``exp``: reconnecting needs a fresh one); a member state's admission is looked
up again with each batch.

The token: the ``Authorization`` header, or, since a browser's ``EventSource`` cannot send
headers, the RFC 6750 §2.3 ``access_token`` query parameter (`LiveRule.query_token`; this route
only, never both at once: see `shared.access.rules`). The access log writes no query string, a
problem's ``instance`` is the path alone, and log lines redact anything shaped like a JWT, so
the token is neither logged nor echoed. A token in a URL may still reach a proxy's logs or a
browser's history: give a browser a short-lived token for its stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, ClassVar

import anyio
import structlog
from fastapi import APIRouter, FastAPI, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from shared.access import (
    CallerView,
    Role,
    Viewer,
    load_viewer,
    may_show_the_public,
    visible_records,
)
from shared.access.rules import FEED_READERS, QUERY_TOKEN, FeedRule
from shared.envelope import to_cloudevent
from shared.eventstore import PostgresEventStore
from shared.eventstore.postgres import DATABASE_AWAY
from shared.eventstore.schema import BIGINT_MAX
from shared.http.problems import ProblemError
from shared.ops import judged_up_to, shown_to

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
    """The streams a process serves: bounded counts (in all, the public's, each caller's), and
    the switch that ends them all."""

    def __init__(
        self, limit: int, *, public_limit: int | None = None, per_caller: int | None = None
    ) -> None:
        self.limit = limit
        # The public never holds every slot: at least one stays for callers with a token.
        wanted = limit if public_limit is None else public_limit
        self.public_limit = max(0, min(wanted, limit - 1))
        self.per_caller = limit if per_caller is None else per_caller
        self.open = 0
        self.public_open = 0
        self.by_caller: Counter[str] = Counter()
        self.closing = asyncio.Event()
        self.reads = asyncio.Semaphore(CONCURRENT_READS)

    def enter(self, caller: str = "", *, public: bool = False) -> Callable[[], None]:
        """Take a slot for a stream of `caller` (`public`: a caller with no token); the function
        that gives it back (once, however often it is called). Refused with
        `LiveUnavailableError` (503) when the service, or its share for the public, is full,
        and with `TooManyLiveStreamsError` (429) when this caller holds its share already."""
        if self.closing.is_set():
            raise LiveUnavailableError("The service is shutting down.")
        if self.open >= self.limit:
            raise LiveUnavailableError(
                f"This service already serves {self.limit} live streams; try again shortly.",
                limit=self.limit,
            )
        if public and self.public_open >= self.public_limit:
            raise LiveUnavailableError(
                f"This service already serves {self.public_limit} live streams to callers "
                "without a token; try again shortly, or with a token.",
                limit=self.public_limit,
            )
        if self.by_caller[caller] >= self.per_caller:
            raise TooManyLiveStreamsError(self.per_caller)
        self.open += 1
        self.public_open += public
        self.by_caller[caller] += 1
        left = False

        def leave() -> None:
            nonlocal left
            if left:
                return
            left = True
            self.open -= 1
            self.public_open -= public
            self.by_caller[caller] -= 1
            if self.by_caller[caller] <= 0:
                del self.by_caller[caller]

        return leave

    def close(self) -> None:
        """End every stream (they finish the batch in hand) and refuse new ones."""
        self.closing.set()


class LiveUnavailableError(
    ProblemError, status=503, title="Live streams unavailable", type_="/problems/live-unavailable"
):

    def __init__(self, detail: str, **members: Any) -> None:
        super().__init__(detail, **members)
        self.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


class TooManyLiveStreamsError(
    ProblemError,
    status=429,
    title="Too many live streams",
    type_="/problems/too-many-live-streams",
):

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This caller already follows {limit} live streams of this service; close one "
            "(one stream carries every event type) or try again shortly.",
            limit=limit,
        )
        self.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


class LiveRule(FeedRule):
    """The log's readers (`FEED_READERS`), but never the public where it could never see an
    event: it is refused (401) rather than served an empty stream. It also takes the token
    as the ``access_token`` query parameter (a browser's EventSource sends no header)."""

    query_token: ClassVar[bool] = True

    def roles_in(self, app: FastAPI) -> frozenset[Role]:
        roles = super().roles_in(app)
        if not may_show_the_public(getattr(app.state, "stream_distributions", None)):
            roles = roles - {Role.PUBLIC}
        return roles


LIVE_READERS = LiveRule(FEED_READERS.roles)


def caller_key(request: Request, viewer: Viewer) -> str:
    """Whose streams a request's counts against: a token's caller (the same for every token it
    is given), or, for the public, the client's address."""
    principal = viewer.principal
    if not principal.is_public:
        return principal.scope_key
    client = request.client
    return f"public@{client.host if client is not None else 'unknown'}"


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
        429: {
            "description": "This caller holds as many live streams as it may: retry after "
            "`Retry-After`, or close one.",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
        503: {
            "description": "Too many live streams open, or too many for callers without a "
            "token (or the service is stopping): retry after `Retry-After`.",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
)
@LIVE_READERS
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
    access_token: Annotated[
        str | None,
        Query(
            alias=QUERY_TOKEN,
            description="the bearer token, for clients that cannot send an Authorization "
            "header (a browser's EventSource; RFC 6750 §2.3): never with the header",
        ),
    ] = None,
) -> EventSourceResponse:
    """The service's events as they are appended (Server-Sent Events), filtered by what the
    caller may see, resumable with `Last-Event-ID`; from now on when neither it nor `after`
    is given. Idle streams carry a comment line every few seconds. Streams are bounded per
    process, for callers without a token, and per caller (503 or 429 with `Retry-After`);
    where the public could never see an event of this service, it is refused (401). The
    stream ends when the caller's token expires."""
    del access_token  # read, and verified, by the access rule (shared.access.rules)
    state = request.app.state
    store: PostgresEventStore = state.store
    wanted = _event_types(types, store)
    streams: LiveStreams = state.live
    start = last_event_id if last_event_id is not None else after
    if start is None:
        start = await store.head_position()
    release = streams.enter(caller_key(request, viewer), public=viewer.principal.is_public)
    shutdown = anyio.Event()
    events = _follow(
        request,
        viewer,
        after=start,
        wanted=wanted,
        streams=streams,
        shutdown=shutdown,
        expires_at=getattr(request.state, "token_expires_at", None),
    )
    return _LiveResponse(
        events,
        release=release,
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
    expires_at: float | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """The stream's events; it ends when the service stops, or at `expires_at` (the Unix time
    the caller's token expires; None: never)."""
    state = request.app.state
    store: PostgresEventStore = state.store
    service: str = state.settings.service_name
    position = after
    log.info("live.opened", after=after, role=viewer.principal.role.value, open=streams.open)
    try:
        while not (streams.closing.is_set() or shutdown.is_set()):
            left = FALLBACK_POLL_SECONDS if expires_at is None else expires_at - time.time()
            if left <= 0:
                log.info("live.token_expired", position=position)
                break
            waiter = state.notifier.waiter()
            async with streams.reads:
                records = await store.read_all(after=position, limit=BATCH_SIZE)
            if not records:
                await _first_of(
                    (waiter.wait, streams.closing.wait, shutdown.wait),
                    min(FALLBACK_POLL_SECONDS, left),
                )
                continue
            read_to = records[-1].position
            reached = await judged_up_to(state, viewer, read_to, within=PROJECTION_WAIT_SECONDS)
            if reached < read_to:  # the rest waits for the projections: read again from there
                log.info("live.projections_behind", position=read_to, reached=reached)
                records = [record for record in records if record.position <= reached]
                if not records:
                    continue
            position = records[-1].position
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
                    shown = to_cloudevent(shown_to(viewer, record), service)
                    yield ServerSentEvent(
                        data=json.dumps(shown, separators=(",", ":")),
                        event=record.event_type,
                        id=str(record.position),
                    )
    except DATABASE_AWAY as error:
        # The database is away: end the stream; the client reconnects with Last-Event-ID.
        log.warning("live.database_unavailable", error=repr(error), position=position)
    finally:
        log.info("live.closed", position=position)


async def _current(viewer: Viewer, store: PostgresEventStore) -> Viewer:
    """A member state's viewer as of now: it may have been admitted since the stream opened."""
    if viewer.principal.role is not Role.MEMBER_STATE:
        return viewer
    return await load_viewer(store.engine, viewer.principal)


async def _first_of(waits: tuple[Callable[[], Awaitable[Any]], ...], at_most: float) -> None:
    """Return when the first of `waits` returns, or after `at_most` seconds."""
    tasks = [asyncio.ensure_future(wait()) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
