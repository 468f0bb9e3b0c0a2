"""The composition root every service shares: `create_service_app` builds a FastAPI app whose
lifespan opens the database engine, the event store and the NATS connection, and closes and
drains them on shutdown. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from shared.eventstore import EventTypes, PostgresEventStore, create_engine
from shared.http import install_http_conventions
from shared.logging import configure_logging
from shared.messaging import NatsConnection
from shared.ops import router as ops_router
from shared.settings import ServiceSettings


def create_service_app(
    settings: ServiceSettings,
    *,
    event_types: EventTypes,
    routers: Sequence[APIRouter] = (),
    description: str = "",
) -> FastAPI:
    service = settings.service_name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service=service, level=settings.log_level)
        engine = create_engine(settings.dsn)
        store = PostgresEventStore(
            engine, event_types, max_batch_events=settings.group_commit_max_events
        )
        nats = NatsConnection(settings.nats_servers, name=f"cica-{service}")
        await nats.start()
        app.state.settings = settings
        app.state.engine = engine
        app.state.store = store
        app.state.nats = nats
        try:
            yield
        finally:
            await nats.close()
            await store.close()
            await engine.dispose()

    app = FastAPI(
        title=f"CICA {service}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_http_conventions(app)
    app.include_router(ops_router)
    for router in routers:
        app.include_router(router)
    return app
