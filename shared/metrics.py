"""`GET /metrics`: the service in Prometheus text format, from a registry of its own app (not
prometheus-client's global one, so several apps in one process do not collide).

What it counts as it happens:

- ``cica_http_requests_total{route,method,status}``: requests by route template (``/documents
  /{symbol}``, never the concrete path; ``<unmatched>`` for paths no route serves) and method
  (the standard ones by name, any other token a client sends as ``other``): whatever clients
  send, the label sets stay bounded;
- ``cica_http_request_duration_seconds{route,method}``: latency histogram (event streams,
  which last as long as the client stays, are counted but not timed);
- ``cica_delivery_failures_total``: webhook deliveries that failed. The notifications service
  counts them: ``request.app.state.metrics.delivery_failures.inc()`` (or, outside a request,
  ``app.state.metrics.delivery_failures.inc()``).

What it reads when scraped (from the app's state and its database, so nothing drifts):

- ``cica_events_appended_total``: events in the service's log (positions are gapless, so the
  head position is the count);
- ``cica_relay_published_position``, ``cica_relay_lag_events`` (head minus what the relay has
  published: the larger of the recorded progress and this replica's in-flight confirms),
  ``cica_relay_leader`` (1 where this replica's relay holds the lock);
- ``cica_consumer_applied_position{producer}``, ``cica_consumer_known_head_position{producer}``,
  ``cica_consumer_lag_events{producer}``: what this service has applied of each producer's log
  against the highest position it has heard of (a message or the producer's feed): the lag as
  far as the consumer knows;
- ``cica_parked_messages{producer}``: events parked and not yet resolved;
- ``cica_projection_position{projection}``, ``cica_projection_lag_events{projection}``,
  ``cica_projection_failing{projection}``: each read model against the head of the log;
- ``cica_live_streams`` and ``cica_live_streams_limit``: open `GET /live` streams;
- ``cica_metrics_database_up``: 0 when the database did not answer the scrape (the values read
  from it are then left out).

Who may read it: the Secretariat, auditors and services; everyone when the service's setting
``metrics_public`` (``CICA_<SERVICE>_METRICS_PUBLIC=true``) says so, for a cluster whose
scraper carries no token. Keep it closed where the service faces the public internet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.access import AccessRule, Role
from shared.envelope import stream_name
from shared.eventstore.schema import parked_messages, relay_progress, tracking

log = structlog.get_logger(__name__)

router = APIRouter(tags=["operations"])

UNMATCHED = "<unmatched>"
OTHER_METHOD = "other"
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class _Snapshot:
    """What the scrape read from the app's state and database."""

    database_up: bool = True
    head: int | None = None
    relay_published: int | None = None
    relay_leader: bool = False
    consumers: dict[str, tuple[int, int]] = field(default_factory=dict)  # applied, known head
    parked: dict[str, int] = field(default_factory=dict)
    projections: dict[str, tuple[int, bool]] = field(default_factory=dict)  # position, failing
    live_open: int = 0
    live_limit: int = 0


class ServiceMetrics:
    """One app's metrics: the counters its code increments, and the scrape-time collector."""

    def __init__(self, *, public: bool = False) -> None:
        self.public = public
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "cica_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_request_duration = Histogram(
            "cica_http_request_duration_seconds",
            "Time to answer an HTTP request (event streams are not timed).",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "cica_delivery_failures",
            "Webhook deliveries that failed (counted by the notifications service).",
            registry=self.registry,
        )
        self._snapshot = _Snapshot()
        self._scraping = asyncio.Lock()
        self.registry.register(_StateCollector(self))

    def observe_request(
        self, *, route: str, method: str, status: int, seconds: float | None
    ) -> None:
        self.http_requests.labels(route, method, str(status)).inc()
        if seconds is not None:
            self.http_request_duration.labels(route, method).observe(seconds)

    async def scrape(self, app: FastAPI) -> bytes:
        """Read what the collector reports from the app, then render the whole registry."""
        async with self._scraping:
            self._snapshot = await _read_state(app)
            return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        s = self._metrics._snapshot
        up = GaugeMetricFamily(
            "cica_metrics_database_up", "1 when the database answered this scrape."
        )
        up.add_metric([], 1 if s.database_up else 0)
        yield up
        live = GaugeMetricFamily("cica_live_streams", "Open GET /live streams.")
        live.add_metric([], s.live_open)
        yield live
        live_limit = GaugeMetricFamily(
            "cica_live_streams_limit", "How many GET /live streams this process serves at most."
        )
        live_limit.add_metric([], s.live_limit)
        yield live_limit
        if s.head is None:
            return
        appended = CounterMetricFamily(
            "cica_events_appended", "Events appended to the service's log (its head position)."
        )
        appended.add_metric([], s.head)
        yield appended
        yield from _relay_metrics(s)
        yield from _consumer_metrics(s)
        yield from _projection_metrics(s)


def _relay_metrics(s: _Snapshot) -> Iterator[Metric]:
    assert s.head is not None
    published = s.relay_published or 0
    position = GaugeMetricFamily(
        "cica_relay_published_position", "The last log position the relay has published."
    )
    position.add_metric([], published)
    yield position
    lag = GaugeMetricFamily(
        "cica_relay_lag_events", "Events appended but not yet published to JetStream."
    )
    lag.add_metric([], max(0, s.head - published))
    yield lag
    leader = GaugeMetricFamily(
        "cica_relay_leader", "1 where this replica's relay publishes (holds the lock)."
    )
    leader.add_metric([], 1 if s.relay_leader else 0)
    yield leader


def method_label(method: str) -> str:
    """The method as a label value: a standard method by name, anything else as one value (a
    client may send any token as a method; each must not make a new series)."""
    return method if method in STANDARD_METHODS else OTHER_METHOD


def route_label(scope: Scope) -> str:
    """The template of the route that answered (never the concrete path), `UNMATCHED` when
    none did."""
    route = getattr(scope.get("route"), "path", None)
    return route if isinstance(route, str) and route else UNMATCHED


def _consumer_metrics(s: _Snapshot) -> Iterator[Metric]:
    applied = GaugeMetricFamily(
        "cica_consumer_applied_position",
        "The last position of the producer's log this service has handled.",
        labels=["producer"],
    )
    known = GaugeMetricFamily(
        "cica_consumer_known_head_position",
        "The highest position of the producer's log this replica has heard of.",
        labels=["producer"],
    )
    lag = GaugeMetricFamily(
        "cica_consumer_lag_events",
        "Events of the producer heard of but not yet handled.",
        labels=["producer"],
    )
    for producer, (done, head) in sorted(s.consumers.items()):
        applied.add_metric([producer], done)
        known.add_metric([producer], head)
        lag.add_metric([producer], max(0, head - done))
    parked = GaugeMetricFamily(
        "cica_parked_messages",
        "Events whose handler kept failing, parked and not yet resolved.",
        labels=["producer"],
    )
    for producer, count in sorted(s.parked.items()):
        parked.add_metric([producer], count)
    yield from (applied, known, lag, parked)


def _projection_metrics(s: _Snapshot) -> Iterator[Metric]:
    assert s.head is not None
    position = GaugeMetricFamily(
        "cica_projection_position",
        "The last log position the read model has applied.",
        labels=["projection"],
    )
    lag = GaugeMetricFamily(
        "cica_projection_lag_events",
        "Events of the log the read model has not applied yet.",
        labels=["projection"],
    )
    failing = GaugeMetricFamily(
        "cica_projection_failing",
        "1 while the read model's handler is failing (it is retried).",
        labels=["projection"],
    )
    for name, (at, is_failing) in sorted(s.projections.items()):
        position.add_metric([name], at)
        lag.add_metric([name], max(0, s.head - at))
        failing.add_metric([name], 1 if is_failing else 0)
    yield from (position, lag, failing)


async def _read_state(app: FastAPI) -> _Snapshot:
    state = app.state
    live = getattr(state, "live", None)
    snapshot = _Snapshot(
        live_open=live.open if live is not None else 0,
        live_limit=live.limit if live is not None else 0,
    )
    store = getattr(state, "store", None)
    if store is None:  # the lifespan has not started
        snapshot.database_up = False
        return snapshot
    relay = state.relay
    producers = {c.producer: c for c in state.consumers}
    try:
        async with store.engine.connect() as connection:
            head = await store.head_position()
            recorded = (
                await connection.execute(
                    select(relay_progress.c.position).where(
                        relay_progress.c.stream == stream_name(state.settings.service_name)
                    )
                )
            ).scalar()
            applied = dict(
                (
                    await connection.execute(
                        select(tracking.c.producer, func.max(tracking.c.position)).group_by(
                            tracking.c.producer
                        )
                    )
                ).all()
            )
            parked = dict(
                (
                    await connection.execute(
                        select(parked_messages.c.producer, func.count())
                        .where(parked_messages.c.resolved_at.is_(None))
                        .group_by(parked_messages.c.producer)
                    )
                ).all()
            )
    except (OSError, SQLAlchemyError) as error:
        log.warning("metrics.database_unavailable", error=repr(error))
        snapshot.database_up = False
        return snapshot
    snapshot.head = head
    in_flight = relay.published if relay.is_leader else 0
    snapshot.relay_published = max(int(recorded or 0), in_flight)
    snapshot.relay_leader = relay.is_leader
    for producer in sorted(set(producers) | set(applied) | set(parked)):
        done = int(applied.get(producer) or 0)
        consumer = producers.get(producer)
        heard = getattr(consumer, "known_head", 0) if consumer is not None else 0
        snapshot.consumers[producer] = (done, max(done, heard))
        snapshot.parked[producer] = int(parked.get(producer) or 0)
    runner = state.projection_runner
    errors = runner.errors()
    for name, position in runner.positions().items():
        snapshot.projections[name] = (position, name in errors)
    return snapshot


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by its route template (outermost, so that it sees
    the status the client gets, problems and 500s included)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        streaming = False
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                streaming = content_type.startswith("text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe_request(
                route=route_label(scope),
                method=method_label(scope["method"]),
                status=status,
                seconds=None if streaming else time.perf_counter() - started,
            )


class MetricsRule(AccessRule):
    """The Secretariat, auditors and services; the public too where `metrics_public` is set."""

    def roles_in(self, app: FastAPI) -> frozenset[Role]:
        metrics = getattr(app.state, "metrics", None)
        if metrics is not None and metrics.public:
            return self.roles | {Role.PUBLIC}
        return self.roles


METRICS_READERS = MetricsRule(frozenset({Role.SECRETARIAT, Role.AUDITOR, Role.SERVICE}))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
@METRICS_READERS
async def metrics(request: Request) -> Response:
    """The service's metrics in Prometheus text format (see `shared/metrics.py` for each)."""
    app: Any = request.app
    body = await app.state.metrics.scrape(app)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, *, public: bool = False) -> ServiceMetrics:
    """Give `app` its own metrics registry (`app.state.metrics`) and the middleware that
    counts its requests. Call it after every other middleware, so that it is the outermost."""
    metrics = ServiceMetrics(public=public)
    app.state.metrics = metrics
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)
    return metrics
