"""`/admin/parked`: events whose handler kept failing or that the service's rules refused, kept
with their reason, and retried by hand once the cause is fixed; those waiting for a
prerequisite are also tried again by the consumer itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from shared.access import SECRETARIAT_ONLY, Role, allow
from shared.consumers import ParkedNotFoundError, Reactions, StillFailingError, retry_parked
from shared.eventstore import PostgresEventStore
from shared.eventstore.schema import BIGINT_MAX, parked_messages
from shared.http.problems import ProblemError

router = APIRouter(prefix="/admin/parked", tags=["operations"])


class ParkedOut(BaseModel):
    id: int
    producer: str
    position: int
    event_id: UUID
    event_type: str
    error: str
    """The reason: ``<rule>: <detail>`` when the service's rules refused it, else the fault."""
    rule: str | None
    """The rule that refused it (the problem type a command would get), None for a fault."""
    waiting: bool
    """Waiting for a prerequisite not recorded yet: tried again every few seconds and applied
    once it is there (a retry by hand does the same at once)."""
    attempts: int
    parked_at: datetime
    resolved_at: datetime | None
    envelope: dict[str, Any]


class ParkedList(BaseModel):
    parked: list[ParkedOut]


class ParkedMessageNotFoundError(
    ProblemError,
    status=404,
    title="Parked message not found",
    type_="/problems/parked-message-not-found",
): ...


class HandlerStillFailingError(
    ProblemError, status=409, title="Handler still failing", type_="/problems/handler-still-failing"
): ...


async def _store(request: Request) -> PostgresEventStore:
    return request.app.state.store


async def _reactions(request: Request) -> Reactions:
    return request.app.state.reactions


Store = Annotated[PostgresEventStore, Depends(_store)]
ServiceReactions = Annotated[Reactions, Depends(_reactions)]


@router.get("")
@allow(Role.SECRETARIAT, Role.AUDITOR)
async def list_parked(
    store: Store,
    include_resolved: Annotated[bool, Query(description="also those retried successfully")] = False,
) -> ParkedList:
    """Events this service could not handle, oldest first."""
    query = select(parked_messages).order_by(parked_messages.c.id)
    if not include_resolved:
        query = query.where(parked_messages.c.resolved_at.is_(None))
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return ParkedList(parked=[ParkedOut.model_validate(row._asdict()) for row in rows])


@router.post("/{parked_id}/retry")
@SECRETARIAT_ONLY
async def retry(
    parked_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)], store: Store, reactions: ServiceReactions
) -> ParkedOut:
    """Run the parked event's handler again. On success it is applied (once) and resolved;
    if it fails again the answer is 409 with the new error, and it stays parked."""
    try:
        await retry_parked(parked_id=parked_id, reactions=reactions, store=store)
    except ParkedNotFoundError:
        raise ParkedMessageNotFoundError(
            f"no unresolved parked message {parked_id}", parked_id=parked_id
        ) from None
    except StillFailingError as error:
        raise HandlerStillFailingError(str(error), parked_id=parked_id) from None
    async with store.engine.connect() as connection:
        row = (
            await connection.execute(
                select(parked_messages).where(parked_messages.c.id == parked_id)
            )
        ).one()
    return ParkedOut.model_validate(row._asdict())
