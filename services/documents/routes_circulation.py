"""What is issued to a document, and how it goes out, over HTTP: an addendum or a corrigendum
issued to it (numbered by the service: ``SUM/2022/DRAFT/1/Add.1``, ``.../Corr.1``), and the
circulation of one of its revisions by the Secretariat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from services.documents import commands
from services.documents.deps import (
    NOT_HELD,
    SymbolPath,
    revision_named,
    stream_of,
    symbol_of,
    written,
)
from services.documents.events import SupplementKind
from services.documents.examples import CIRCULATION_EXAMPLES, SUPPLEMENT_EXAMPLES
from services.documents.schemas import DocumentOut
from services.documents.schemas_circulation import CirculationIn, SupplementIn
from shared.access import SECRETARIAT_ONLY
from shared.http.etag import set_etag
from shared.http.writes import Store, Write

router = APIRouter(tags=["documents"])


async def _issue(
    symbol: str, kind: SupplementKind, body: SupplementIn, store: Store, response: Response
) -> DocumentOut:
    changed = await commands.issue_supplement(
        store=store, parent=symbol_of(symbol), kind=kind, **dict(body)
    )
    set_etag(response, changed.version)
    response.headers["Location"] = f"/documents/{changed.document.stream_id}"
    return DocumentOut.of(changed.document)


@router.post("/documents/{symbol:path}/addenda", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def issue_addendum(
    symbol: SymbolPath,
    body: Annotated[SupplementIn, Body(openapi_examples=SUPPLEMENT_EXAMPLES)],
    store: Store,
    response: Response,
) -> DocumentOut:
    """An addendum to the document: a document of its own with the next number
    (``SUM/2022/DRAFT/5/Add.1``), naming its parent, distributed as the parent unless it says.
    404 if the service holds no such document; 422 for an addendum to an addendum or a
    corrigendum."""
    return await _issue(symbol, SupplementKind.ADDENDUM, body, store, response)


@router.post("/documents/{symbol:path}/corrigenda", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def issue_corrigendum(
    symbol: SymbolPath,
    body: Annotated[SupplementIn, Body(openapi_examples=SUPPLEMENT_EXAMPLES)],
    store: Store,
    response: Response,
) -> DocumentOut:
    """A corrigendum to the document or to one of its addenda: a document of its own with the
    next number (``SUM/2022/DRAFT/1/Corr.1``, ``SUM/2022/DRAFT/5/Add.1/Corr.1``), naming its
    parent. 404 if the service holds no such document; 422 for a corrigendum to a
    corrigendum."""
    return await _issue(symbol, SupplementKind.CORRIGENDUM, body, store, response)


@router.post(
    "/documents/{symbol:path}/circulation",
    status_code=201,
    response_model=DocumentOut,
    responses=NOT_HELD,
)
@SECRETARIAT_ONLY
async def circulate(
    symbol: SymbolPath,
    body: Annotated[CirculationIn, Body(openapi_examples=CIRCULATION_EXAMPLES)],
    write: Write,
) -> DocumentOut:
    """Record that the Secretariat circulated a revision (`revision`, or the path's `/Rev.N`;
    else the latest) on `dated`, under note `note` if one: its original and official
    language versions, to the addressees its distribution names. 404 for a revision that does
    not exist (410 if not held); 422 if dated before the revision or in the future; 409 if it
    was circulated that day already in every language version it has."""
    revision = revision_named(symbol_of(symbol), body.revision)
    document = await written(
        write, commands.circulate, stream_id=stream_of(symbol),
        **(dict(body) | {"revision": revision}),
    )
    return DocumentOut.of(document)
