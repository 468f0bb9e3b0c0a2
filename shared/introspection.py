"""Routes that describe a service to anyone: its read models (`GET /projections`, which auditors
compare with a replay) and its event catalogue (`GET /asyncapi.json`). Both are public: they
show digests and schemas, never the rows or the events themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.access import ANYONE
from shared.asyncapi import ServiceCatalogue, load_catalogue, service_document
from shared.migrate import SERVICES
from shared.projections import Projection, ProjectionRunner, projection_state

router = APIRouter(tags=["catalogue"])


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
        others = [load_catalogue(s) for s in SERVICES if s != service]
        document = state.asyncapi = service_document(service, [own, *others])
    return document
