"""The composition root every service shares: `create_service_app` builds a FastAPI app whose
lifespan opens the database engine, the event store and the NATS connection, and closes and
drains them on shutdown. Nothing connects at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from shared.access import StreamDistributions, install_access
from shared.access.tokens import ServiceCredentials, TokenVerifier
from shared.checkpoints import checkpointing
from shared.checkpoints import router as checkpoints_router
from shared.collector import settle as settle_collector
from shared.consumers import FeedClient, JetStreamConsumer, Reactions
from shared.eventstore import EventTypes, PostgresEventStore, create_engine
from shared.eventstore.follow import LogNotifier
from shared.http import install_http_conventions
from shared.http.idempotency import forget_idempotency_keys_periodically
from shared.http.openapi import operation_id
from shared.introspection import router as introspection_router
from shared.live import LiveStreams
from shared.live import router as live_router
from shared.logging import configure_logging
from shared.messaging import NatsConnection
from shared.metrics import install_metrics
from shared.metrics import router as metrics_router
from shared.ops import router as ops_router
from shared.parking import router as parking_router
from shared.projections import Projection, ProjectionRunner, check_projections
from shared.relay import JetStreamRelay
from shared.settings import ServiceSettings

# What a browser on an allowed origin may do (CORS): the methods the services' routes use,
# the request headers of the API's conventions (`Last-Event-ID`: an EventSource resuming), and
# the answer's headers a script may read besides the safelisted ones.
CORS_METHODS = ("GET", "POST", "DELETE")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "CICA-Source",
    "Accept-Language",
    "Last-Event-ID",
    "X-Request-ID",
)
CORS_EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "Content-Language",
    "X-Request-ID",
    "WWW-Authenticate",
)
CORS_MAX_AGE_SECONDS = 600


def create_service_app(
    settings: ServiceSettings,
    *,
    event_types: EventTypes,
    routers: Sequence[APIRouter] = (),
    reactions: Reactions | None = None,
    projections: Sequence[Projection] = (),
    description: str = "",
    stream_distributions: StreamDistributions | None = None,
    asyncapi: Path | None = None,
) -> FastAPI:
    """The service's app. `asyncapi`: its AsyncAPI document, as `cica asyncapi` writes it
    beside the service's modules (served at ``GET /asyncapi.json``; see `shared.introspection`)."""
    service = settings.service_name
    reactions = reactions or Reactions(service)
    projections = tuple(projections)
    check_projections(projections, event_types)
    # Read now, so that a broken key configuration stops the service before it starts.
    verifier = TokenVerifier.from_settings(settings.tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service=service, level=settings.log_level)
        # An identity provider's keys (none: nothing to fetch); one that does not answer does
        # not stop the start: its keys are fetched again when a token needs them.
        await verifier.fetch_keys()
        engine = create_engine(settings.dsn)
        store = PostgresEventStore(
            engine, event_types, max_batch_events=settings.group_commit_max_events
        )
        nats = NatsConnection(
            settings.nats_servers,
            name=f"cica-{service}",
            stream_replicas=settings.nats_stream_replicas,
        )
        await nats.start()
        app.state.settings = settings
        app.state.engine = engine
        app.state.store = store
        app.state.nats = nats
        app.state.reactions = reactions
        notifier = LogNotifier(engine)
        notifier.start()
        app.state.notifier = notifier
        app.state.live = LiveStreams(
            settings.live_max_subscribers,
            public_limit=settings.live_max_public_subscribers,
            per_caller=settings.live_max_streams_per_caller,
        )
        app.state.projections = projections
        runner = ProjectionRunner(store, projections, notifier=notifier)
        app.state.projection_runner = runner
        runner.start()
        relay = JetStreamRelay(service=service, store=store, nats=nats, notifier=notifier)
        app.state.relay = relay
        if settings.relay_enabled:
            relay.start()
        credentials = ServiceCredentials(
            service, settings.tokens, token=settings.service_token
        )
        feed = FeedClient(settings.feed_urls, headers=credentials.headers)
        consumers = [
            JetStreamConsumer(
                service=service,
                producer=producer,
                reactions=reactions,
                store=store,
                nats=nats,
                feed=feed,
                max_attempts=settings.consumer_max_attempts,
                retry_base_delay=settings.consumer_retry_base_delay,
            )
            for producer in reactions.producers()
        ]
        app.state.consumers = consumers
        if settings.consumers_enabled:
            for consumer in consumers:
                consumer.start()
        forgetting = asyncio.create_task(
            forget_idempotency_keys_periodically(
                engine,
                older_than=timedelta(hours=settings.idempotency_retention_hours),
                every=timedelta(hours=1),
            ),
            name=f"{service}-forget-idempotency-keys",
        )
        try:
            # The log's signed checkpoints, periodic and on demand (shared/checkpoints.py).
            async with checkpointing(app, settings, engine, nats):
                # What start-up made frozen, and the young generation's threshold raised
                # (`shared.collector`), once a process, as `cica rebuild` does.
                settle_collector()
                yield
        finally:
            # Live streams end first: under uvicorn they are gone already (sse-starlette ends
            # them when the server stops); under any other server this ends them.
            app.state.live.close()
            forgetting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forgetting
            for consumer in consumers:
                await consumer.close()
            await feed.close()
            await relay.close()
            await runner.stop()
            await notifier.close()
            await nats.close()
            await store.close()
            await engine.dispose()
            await verifier.close()

    app = FastAPI(
        title=f"CICA {service}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    # Known before the lifespan runs, so that `cica rebuild` and `cica audit replay` fold
    # exactly the read models the running service keeps (shared/system/services.py).
    app.state.projections = projections
    app.state.asyncapi_file = asyncapi
    install_http_conventions(app, max_body_bytes=settings.max_body_bytes, https=settings.https)
    # Before any route: every route is guarded by its declared access rule (shared/access).
    # After the conventions, whose gate judges tokens: an identity provider's keys are fetched
    # outside it.
    install_access(app, verifier, stream_distributions=stream_distributions)
    # CORS, only for the origins configured (CICA_CORS_ORIGINS; none: no CORS headers at all,
    # and a preflight gets 405 as any OPTIONS does). Outside every convention: a preflight is
    # answered before the access gate or the body limit could refuse it (it carries no token
    # and no body), and every answer to an allowed origin, 401, 404, 413 and 500 problems
    # included, carries the CORS headers a browser needs to let the page read it. Bearer
    # tokens are no ambient credential: no cookies, so no `allow_credentials`.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_REQUEST_HEADERS),
            expose_headers=list(CORS_EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=CORS_MAX_AGE_SECONDS,
        )
    # Outermost middleware: counts every request with the status its client gets.
    install_metrics(app, public=settings.metrics_public)
    app.include_router(ops_router)
    app.include_router(checkpoints_router)
    app.include_router(parking_router)
    app.include_router(introspection_router)
    app.include_router(live_router)
    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    return app
