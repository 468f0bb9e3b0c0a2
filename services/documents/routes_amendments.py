"""A document's amendments over HTTP: proposed by a member state (to the revision in force),
withdrawn by it, declined by the Secretariat, and those still open (or, read from the log, those
in any state: settled by a revision, closed by the adoption...)."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from services.documents import commands, queries
from services.documents.deps import (
    AsOfQuery,
    ReadModels,
    SymbolPath,
    document_at,
    stream_of,
    symbol_of,
    visible,
)
from services.documents.domain import AmendmentStatus
from services.documents.examples import AMENDMENT_EXAMPLES
from services.documents.schemas import AmendmentIn, AmendmentOut, DeclineIn, WithdrawalIn
from shared.access import ANYONE, SECRETARIAT_ONLY, Caller, CallerView, Role, act_for, allow
from shared.http.writes import Store

router = APIRouter(tags=["documents"])


def _answer(changed: commands.Changed, amendment_id: UUID) -> AmendmentOut:
    return AmendmentOut.of(changed.document, changed.document.amendments[amendment_id])


@router.post(
    "/documents/{symbol:path}/amendments/{amendment_id}/withdrawal",
    status_code=201,
    response_model=AmendmentOut,
)
@allow(Role.MEMBER_STATE, Role.SECRETARIAT)
async def withdraw_amendment(
    symbol: SymbolPath,
    amendment_id: UUID,
    body: WithdrawalIn,
    store: Store,
    caller: Caller,
    viewer: CallerView,
) -> AmendmentOut:
    """Withdraw an amendment: only the state that proposed it (403 for any other)."""
    state = act_for(caller, body.state)
    loaded = await visible(store, viewer, symbol_of(symbol))
    changed = await commands.withdraw_amendment(
        store=store, stream_id=loaded.document.stream_id, amendment_id=amendment_id, state=state
    )
    return _answer(changed, amendment_id)


@router.post(
    "/documents/{symbol:path}/amendments/{amendment_id}/decline",
    status_code=201,
    response_model=AmendmentOut,
)
@SECRETARIAT_ONLY
async def decline_amendment(
    symbol: SymbolPath, amendment_id: UUID, body: DeclineIn, store: Store
) -> AmendmentOut:
    """The Secretariat declines an open amendment."""
    changed = await commands.decline_amendment(
        store=store,
        stream_id=stream_of(symbol),
        amendment_id=amendment_id,
        reason=body.reason,
    )
    return _answer(changed, amendment_id)


@router.post(
    "/documents/{symbol:path}/amendments", status_code=201, response_model=AmendmentOut
)
@allow(Role.MEMBER_STATE, Role.SECRETARIAT)
async def propose_amendment(
    symbol: SymbolPath,
    body: Annotated[AmendmentIn, Body(openapi_examples=AMENDMENT_EXAMPLES)],
    store: Store,
    caller: Caller,
    viewer: CallerView,
) -> AmendmentOut:
    """A member state proposes to replace, delete, or insert after a paragraph of a revision
    (the Secretariat may record one a state sent it)."""
    state = act_for(caller, body.state)
    loaded = await visible(store, viewer, symbol_of(symbol))
    amendment_id = uuid.uuid4()
    changed = await commands.propose_amendment(
        store=store,
        stream_id=loaded.document.stream_id,
        amendment_id=amendment_id,
        **(dict(body) | {"state": state}),
    )
    return _answer(changed, amendment_id)


@router.get("/documents/{symbol:path}/amendments", response_model=list[AmendmentOut])
@ANYONE
async def list_open_amendments(
    symbol: SymbolPath,
    store: ReadModels,
    viewer: CallerView,
    as_of: AsOfQuery = None,
    status: Annotated[
        AmendmentStatus | None,
        Query(description="Those in this state (read from the log), not the open ones.",
              examples=["superseded"]),
    ] = None,
) -> list[AmendmentOut]:
    """The document's open amendments (a read model: it follows the log within moments);
    with `?as_of=`, those open at that instant, and with `?status=`, those in that state
    (incorporated, declined, superseded, closed by the adoption...), read from the log. A
    document the caller may not read answers 404, like one that does not exist (never an empty
    list that would tell it exists)."""
    stream_id = stream_of(symbol)
    if as_of is None and status is None:
        await visible(store, viewer, symbol_of(symbol))
    if as_of is not None or status is not None:
        document = await document_at(store, viewer, symbol, as_of)
        wanted = status or AmendmentStatus.OPEN
        return [AmendmentOut.of(document, a) for a in document.amendments.values()
                if a.status is wanted]
    rows = await queries.open_amendment_rows(store, viewer, stream_id)
    return [AmendmentOut.of_row(row) for row in rows]
