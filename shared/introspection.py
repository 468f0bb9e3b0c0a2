"""Routes that describe a service to anyone: its read models (`GET /projections`, which auditors
compare with a replay) and its event catalogue (`GET /asyncapi.json`). Both are public: they
show digests and schemas, never the rows or the events themselves."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.access import ANYONE
from shared.asyncapi import ServiceCatalogue, service_document
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
        document = state.asyncapi = _document(state)
    return document


def _document(state: Any) -> dict[str, Any]:
    """The document the service ships (`create_service_app(asyncapi=...)`): who consumes its
    events and the schemas of those it consumes come from the other services' models, which
    its process does not hold, so `cica asyncapi` writes it from the whole system's (and
    checks it is current). An app with no such file describes what it knows: its own events
    and the subscriptions of its reactions."""
    path = state.asyncapi_file
    if path is not None:
        return json.loads(path.read_text(encoding="utf-8"))
    service = state.settings.service_name
    own = ServiceCatalogue(service, state.store.event_types, state.reactions.subscriptions())
    return service_document(service, [own])
