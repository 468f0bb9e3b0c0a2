"""A document's language versions over HTTP: which it has, which it needs, and adding one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from services.documents import commands, queries
from services.documents.deps import (
    AsOfQuery,
    ReadModels,
    SymbolPath,
    document_at,
    stream_of,
    written,
)
from services.documents.events import Status
from services.documents.examples import TRANSLATION_EXAMPLES
from services.documents.schemas_translations import (
    PendingTranslation,
    TranslationIn,
    TranslationsOut,
)
from shared.access import ANYONE, SECRETARIAT_ONLY, CallerView
from shared.http.writes import Store, Write

router = APIRouter(tags=["documents"])


@router.get("/translations/needed", response_model=list[PendingTranslation])
@ANYONE
async def translations_needed(
    store: ReadModels, viewer: CallerView, status: Status | None = Status.DRAFT
) -> list[PendingTranslation]:
    """Across the documents the caller may read: each whose latest revision lacks one of the
    official languages (English, Russian, Kazakh). Per document, `GET
    /documents/{symbol}/translations` says which paragraphs changed since each version."""
    rows = await queries.translation_rows(store, viewer, status=status)
    return [pending for row in rows if (pending := PendingTranslation.of_row(row)).missing]


@router.get("/documents/{symbol:path}/translations", response_model=TranslationsOut)
@ANYONE
async def list_translations(
    symbol: SymbolPath, store: Store, viewer: CallerView, as_of: AsOfQuery = None
) -> TranslationsOut:
    """Each language version with the revision it translates (stale when older than the
    latest), and what needs translating for the latest revision (as of `as_of`, if given)."""
    return TranslationsOut.of(await document_at(store, viewer, symbol, as_of))


@router.post(
    "/documents/{symbol:path}/translations", status_code=201, response_model=TranslationsOut
)
@SECRETARIAT_ONLY
async def add_translation(
    symbol: SymbolPath,
    body: Annotated[TranslationIn, Body(openapi_examples=TRANSLATION_EXAMPLES)],
    write: Write,
) -> TranslationsOut:
    """A language version of one revision: every paragraph and sub-item of it."""
    document = await written(
        write, commands.add_translation, stream_id=stream_of(symbol), **dict(body)
    )
    return TranslationsOut.of(document)
