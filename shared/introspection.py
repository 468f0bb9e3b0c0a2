"""Routes that describe a service: its read models (`GET /projections`, which auditors compare
with a replay) and its event catalogue (`GET /asyncapi.json`). They show digests and schemas,
never the rows or the events themselves.

`GET /projections` hashes every row of every read model, so it is for the Secretariat, auditors
and services only (`LOG_READERS`). Its digests are computed afresh on each call, never kept:
an auditor compares them with a replay to find a read model edited in the database behind the
log's back, and such an edit moves no checkpoint, so a digest kept by checkpoint would hide it.
Its `error` says why a projection is failing without the statement or its parameters: the
service's log has those.

`GET /asyncapi.json` is public: the schemas of the events, not the events.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy.exc
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.access import ANYONE, LOG_READERS
from shared.asyncapi import ServiceCatalogue, service_document
from shared.projections import Projection, ProjectionRunner, projection_state

router = APIRouter(tags=["catalogue"])

ERROR_LENGTH = 300
"""At most this many characters of a failing projection's error are shown."""


class ProjectionOut(BaseModel):
    name: str
    version: int = Field(description="the version the stored rows were built under")
    declared_version: int = Field(description="the version this process declares")
    position: int = Field(description="the last position of the log applied")
    digest: str = Field(description="sha256 (hex) of the rows in primary-key order, RFC 8785")
    updated_at: datetime | None
    error: str | None = Field(
        None,
        description="why it is not advancing, when it is failing: the error's type, and its "
        "message unless it comes from the database (never a statement or its parameters)",
    )


class ProjectionsOut(BaseModel):
    head: int = Field(description="the last position of the log when this was read")
    projections: list[ProjectionOut]


def shown_error(error: str | None) -> str | None:
    """A projection's error as `GET /projections` shows it: its type, and the first line of
    its message, unless it comes from the database driver or SQLAlchemy, whose messages carry
    the statement, its parameters, or values of rows (then a generic message instead)."""
    if error is None:
        return None
    kind, separator, message = error.partition(": ")
    if not separator or " " in kind:  # no "Type: message" form: a message of the kit's own
        kind, message = "", error
    from_database = (
        isinstance(getattr(sqlalchemy.exc, kind, None), type)
        or "[SQL:" in message
        or "[parameters:" in message
        or "asyncpg" in message
    )
    if from_database:
        return (
            f"{kind or 'DatabaseError'}: a statement of the projection failed in the database "
            "(the service's log has the details)"
        )
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    shown = f"{kind}: {first_line}" if kind else first_line
    return shown[:ERROR_LENGTH]


@router.get("/projections")
@LOG_READERS
async def list_projections(request: Request) -> ProjectionsOut:
    """Each read model's version, position and digest (for the Secretariat, auditors and
    services). A replay of the log from position 0 up to `position` gives the same digest."""
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
                error=shown_error(errors.get(projection.name)),
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
