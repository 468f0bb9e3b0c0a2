"""A document's companion texts over HTTP: a text that accompanies one of its revisions with
no symbol of its own (the Explanatory Note enclosed with SUM/2022/DRAFT/5), recorded by the
Secretariat and read by whoever may read the document, on its own or with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from services.documents import commands
from services.documents.deps import (
    NOT_HELD,
    AcceptLanguage,
    AsOfQuery,
    LangQuery,
    SymbolPath,
    document_at,
    requested,
    stream_of,
    written,
)
from services.documents.domain import CompanionNotFoundError
from services.documents.events import CompanionKind
from services.documents.examples import COMPANION_EXAMPLES
from services.documents.schemas_companions import CompanionIn, CompanionOut
from shared.access import ANYONE, SECRETARIAT_ONLY, CallerView
from shared.http.writes import Store, Write

router = APIRouter(tags=["documents"])


@router.post(
    "/documents/{symbol:path}/companions",
    status_code=201,
    response_model=CompanionOut,
    responses=NOT_HELD,
)
@SECRETARIAT_ONLY
async def record_companion(
    symbol: SymbolPath,
    body: Annotated[CompanionIn, Body(openapi_examples=COMPANION_EXAMPLES)],
    write: Write,
) -> CompanionOut:
    """Record a text that accompanies a revision (`revision`, else the latest) with no symbol
    of its own: its kind, title, paragraphs, date, and the note verbale that enclosed it. 404
    if there is no such document or revision (410 if not held); 422 if dated before the
    revision it accompanies; 409 if the document has another text of that kind (the same text
    again records nothing)."""
    document = await written(
        write, commands.record_companion, stream_id=stream_of(symbol), **dict(body)
    )
    write.response.headers["Location"] = (
        f"/documents/{document.stream_id}/companions/{body.kind.value}"
    )
    return CompanionOut.of(document, document.companions[body.kind])


@router.get("/documents/{symbol:path}/companions", response_model=list[CompanionOut])
@ANYONE
async def list_companions(
    symbol: SymbolPath,
    store: Store,
    viewer: CallerView,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> list[CompanionOut]:
    """The texts that accompany the document (as of `as_of`, if given), for those who may
    read the document."""
    document = await document_at(store, viewer, symbol, as_of)
    return CompanionOut.all_of(document, requested(lang, accept_language))


@router.get("/documents/{symbol:path}/companions/{kind}", response_model=CompanionOut)
@ANYONE
async def read_companion(
    symbol: SymbolPath,
    kind: CompanionKind,
    store: Store,
    viewer: CallerView,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> CompanionOut:
    """One text that accompanies the document, by its kind, for those who may read the
    document (404 if it has none of that kind)."""
    document = await document_at(store, viewer, symbol, as_of)
    companion = document.companions.get(kind)
    if companion is None:
        raise CompanionNotFoundError(document.stream_id, kind.value)
    return CompanionOut.of(document, companion, requested(lang, accept_language))
