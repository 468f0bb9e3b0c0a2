"""Routes that describe a service to anyone: its read models (`GET /projections`, which auditors
compare with a replay) and its event catalogue (`GET /asyncapi.json`). Both are public: they
show digests and schemas, never the rows or the events themselves."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.access import ANYONE
from shared.asyncapi import ServiceCatalogue, service_document
from shared.projections import Projection, ProjectionRunner, projection_state

router = APIRouter(tags=["catalogue"])

# The one place the kit names the services, and imports them by name, lazily. A service's
# AsyncAPI document says who consumes each of its events (the other services' reactions) and
# gives the schema of each event it consumes (its producer's model): neither is in its app, nor
# anywhere in its process but in the other services' modules, and the kit must not import the
# system layer that declares them (shared/system/services.py). Keep this list in step with it.
_SYSTEM_SERVICES = ("registry", "documents", "meetings", "notifications")


def _catalogue(service: str) -> ServiceCatalogue:
    """Another service's catalogue: its event types and its reactions' subscriptions."""
    events = importlib.import_module(f"services.{service}.events")
    reactions = importlib.import_module(f"services.{service}.reactions").reactions
    return ServiceCatalogue(service, events.event_types, reactions.subscriptions())


class ProjectionOut(BaseModel):
    name: str
    version: int = Field(description="the version the stored rows were built under")
    declared_version: int = Field(description="the version this process declares")
    position: int = Field(description="the last position of the log applied")
    digest: str = Field(description="sha256 (hex) of the rows in primary-key order, RFC 8785")
    updated_at: datetime | None
    error: str | None = Field(None, description="why it is not advancing, when it is failing")


class ProjectionsOut(BaseModel):
    head: int = Field(description="the last position of the log when this was read")
    projections: list[ProjectionOut]


@router.get("/projections")
@ANYONE
async def list_projections(request: Request) -> ProjectionsOut:
    """Each read model's version, position and digest. A replay of the log from position 0 up
    to `position` gives the same digest."""
    state = request.app.state
    projections: tuple[Projection, ...] = state.projections
    runner: ProjectionRunner | None = state.projection_runner
    errors = runner.errors() if runner is not None else {}
    head = await state.store.head_position()
    out = []
    for projection in projections:
        current = await projection_state(state.engine, projection)
        out.append(
            ProjectionOut(
                name=current.name,
                version=current.version,
                declared_version=current.declared_version,
                position=current.position,
                digest=current.digest,
                updated_at=current.updated_at,
                error=errors.get(projection.name),
            )
        )
    return ProjectionsOut(head=head, projections=out)


@router.get("/asyncapi.json")
@ANYONE
async def asyncapi(request: Request) -> dict[str, Any]:
    """This service's events as AsyncAPI 3.0: the channels it publishes on, with each event's
    schema and consumers, and the channels of other services it consumes."""
    state = request.app.state
    document = getattr(state, "asyncapi", None)
    if document is None:
        service = state.settings.service_name
        own = ServiceCatalogue(service, state.store.event_types, state.reactions.subscriptions())
        others = [_catalogue(s) for s in _SYSTEM_SERVICES if s != service]
        document = state.asyncapi = service_document(service, [own, *others])
    return document
