"""The documents service over HTTP: parse, authorise, call a command or a query, shape the
answer. A document is addressed by its symbol, slashes and all: ``/documents/SUM/2022/DRAFT/1``
is the document, ``/documents/SUM/2022/DRAFT/1/Rev.3`` its third revision.

The routes of a document, its text and its status are here; those of its language versions in
`routes_translations`, of its amendments in `routes_amendments`, of its addenda, corrigenda and
circulation in `routes_circulation`, of the texts that accompany it in `routes_companions`.
Models are in `schemas`, the examples in `examples`, the reads in `queries`, what the routes
share in `deps`. Who reads what: see `deps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from services.documents import commands, queries
from services.documents.deps import (
    NOT_HELD,
    AcceptLanguage,
    AsOfQuery,
    IfMatch,
    Read,
    Reading,
    ReadModels,
    SeriesQuery,
    SymbolPath,
    as_it_stood,
    document_at,
    requested,
    revision_named,
    series_of,
    stream_of,
    symbol_of,
    written,
)
from services.documents.domain import (
    Document,
    Revision,
    incorporated_between,
)
from services.documents.events import DocumentType, LanguageTag, Status
from services.documents.examples import (
    COMPARE_RESPONSES,
    CREATE_EXAMPLES,
    READ_RESPONSES,
    REVISE_EXAMPLES,
)
from services.documents.reading import akoma_ntoso, choose_language, compare, plain_text
from services.documents.routes_amendments import router as amendments_router
from services.documents.routes_circulation import router as circulation_router
from services.documents.routes_companions import router as companions_router
from services.documents.routes_translations import router as translations_router
from services.documents.schemas import (
    CreateDraftIn,
    DistributionIn,
    DocumentList,
    DocumentOut,
    DocumentSummary,
    ReviseIn,
    RevisionSummary,
    StatusIn,
    SymbolOut,
)
from services.documents.schemas_circulation import SupplementOut
from shared.access import ANYONE, SECRETARIAT_ONLY, CallerView, Viewer
from shared.eventstore import PostgresEventStore
from shared.http.etag import set_etag
from shared.http.params import BIGINT_MAX
from shared.http.writes import Store, Write

symbols_router = APIRouter(tags=["symbols"])
router = APIRouter(tags=["documents"])


@symbols_router.get("/symbols/{symbol:path}", response_model=SymbolOut)
@ANYONE
async def read_symbol(symbol: SymbolPath) -> SymbolOut:
    """A symbol taken apart (``SOC/2022-III/Agenda/2``); 422 with the reason if malformed."""
    return SymbolOut.of(symbol_of(symbol))


@router.post("/documents", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def create_draft(
    body: Annotated[CreateDraftIn, Body(openapi_examples=CREATE_EXAMPLES)],
    store: Store,
    response: Response,
) -> DocumentOut:
    """Create a draft, with its originator (and its date, today unless it says): the service
    gives it the next number of its series. With `symbol`, import a document from before the
    system under its own symbol and revision, with the date it bears."""
    series = series_of(body.series)
    draft = {
        "document_type": body.document_type,
        "language": body.language,
        "text": body.text,
        "distribution": body.distribution,
        "dated": body.dated,
        "originator": body.originator,
    }
    if body.symbol is None:
        changed = await commands.create_draft(store=store, series=series, **draft)
    else:
        changed = await commands.import_draft(
            store=store, symbol=symbol_of(body.symbol), series=series, **draft
        )
    set_etag(response, changed.version)
    response.headers["Location"] = f"/documents/{changed.document.stream_id}"
    return DocumentOut.of(changed.document)


@router.get("/documents", response_model=DocumentList)
@ANYONE
async def list_documents(
    store: ReadModels,
    viewer: CallerView,
    status: Status | None = None,
    series: SeriesQuery = None,
    document_type: DocumentType | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
    as_of: AsOfQuery = None,
) -> DocumentList:
    """The documents the caller may read (their distribution applied in the query); with
    `?as_of=`, the documents as they stood then (folded from the log), among those the caller
    may read now."""
    if as_of is not None:
        found = await queries.documents_as_of(
            store,
            viewer,
            as_of,
            status=status,
            series=series_of(series) if series is not None else None,
            document_type=document_type,
            q=q,
        )
        return DocumentList(
            total=len(found),
            documents=[DocumentSummary.of(d) for d in found[offset : offset + limit]],
        )
    total, rows = await queries.document_rows(
        store,
        viewer,
        status=status,
        series=series_of(series) if series is not None else None,
        document_type=document_type,
        q=q,
        limit=limit,
        offset=offset,
    )
    return DocumentList(total=total, documents=[DocumentSummary.of_row(row) for row in rows])


@router.post("/documents/{symbol:path}/revisions", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def revise_draft(
    symbol: SymbolPath,
    body: Annotated[ReviseIn, Body(openapi_examples=REVISE_EXAMPLES)],
    write: Write,
    if_match: IfMatch,  # required here (428 without it); `write` reads the version it names
) -> DocumentOut:
    """A new revision: the whole text, its date and originator, the open amendments it takes
    in and those it declines (every other open amendment ends as superseded), its basis.
    If-Match is required: a stale one appends nothing and gets 412; an adopted document gets
    409."""
    stream_id = stream_of(symbol)
    document = await written(write, commands.revise_draft, stream_id=stream_id, **dict(body))
    write.response.headers["Location"] = f"/documents/{document.current_symbol}"
    return DocumentOut.of(document)


@router.get("/documents/{symbol:path}/revisions", response_model=list[RevisionSummary])
@ANYONE
async def list_revisions(
    symbol: SymbolPath, store: Store, viewer: CallerView, as_of: AsOfQuery = None
) -> list[RevisionSummary]:
    """Every revision of the document (as of an instant, with `?as_of=`)."""
    document = await document_at(store, viewer, symbol, as_of)
    return [RevisionSummary.of(r) for r in document.revisions]


@router.get("/documents/{symbol:path}/compare", responses=COMPARE_RESPONSES | NOT_HELD)
@ANYONE
async def compare_revisions(
    symbol: SymbolPath,
    store: Store,
    viewer: CallerView,
    from_revision: Annotated[int, Query(alias="from", ge=0, le=BIGINT_MAX)],
    to_revision: Annotated[int | None, Query(alias="to", ge=0, le=BIGINT_MAX)] = None,
    lang: LanguageTag | None = None,
    accept_language: AcceptLanguage = None,
    as_of: AsOfQuery = None,
) -> dict[str, Any]:
    """Two revisions compared: paragraphs added, removed, moved and changed (matched by their
    stable ids), and within a changed paragraph the words that changed; each amendment taken in
    on the way, with its paragraph. Without `to`, the latest revision (as of `as_of`, if
    given)."""
    document = await document_at(store, viewer, symbol, as_of)
    before = document.revision(from_revision)
    after = document.revision(to_revision if to_revision is not None else document.latest.number)
    common = sorted(set(before.languages) & set(after.languages)) or [document.language]
    choice = choose_language(common, requested(lang, accept_language), document.language)
    incorporated = incorporated_between(document, before.number, after.number)
    return compare(before, after, choice.language, incorporated=incorporated) | {
        "language_fallback": choice.fallback
    }


@router.post("/documents/{symbol:path}/status", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def change_status(symbol: SymbolPath, body: StatusIn, write: Write) -> DocumentOut:
    """Record a status by hand (a decision taken outside the meetings service) on the revision
    decided (`revision`, or the path's `/Rev.N`; else the latest): recommended by a body,
    approved, adopted (then frozen: the latest revision only), withdrawn, or back to draft. A
    decision on a superseded revision stays with it."""
    named = symbol_of(symbol)
    revision = revision_named(named, body.revision)
    document = await written(
        write, commands.change_status, stream_id=str(named.base),
        **(dict(body) | {"revision": revision}),
    )
    return DocumentOut.of(document)


@router.post(
    "/documents/{symbol:path}/distribution", status_code=201, response_model=DocumentOut
)
@SECRETARIAT_ONLY
async def change_distribution(
    symbol: SymbolPath, body: DistributionIn, write: Write
) -> DocumentOut:
    """Change who reads the document from now on (derestrict it, say)."""
    document = await written(
        write, commands.change_distribution, stream_id=stream_of(symbol), **dict(body)
    )
    return DocumentOut.of(document)


async def _rendition(
    store: PostgresEventStore,
    viewer: Viewer,
    symbol: str,
    read: Reading,
    render: Callable[[Document, Revision, str], str],
    media_type: str,
) -> Response:
    """A revision in one language, rendered: the same bytes every time."""
    _, document, shown = await as_it_stood(store, viewer, symbol, read)
    choice = choose_language(shown.languages, read.requested, document.language)
    return Response(
        render(document, shown, choice.language).encode(),
        media_type=media_type,
        headers={"Content-Language": choice.language, "Vary": "Accept-Language"},
    )


@router.get(
    "/documents/{symbol:path}/text",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}} | NOT_HELD,
)
@ANYONE
async def render_text(symbol: SymbolPath, store: Store, viewer: CallerView, read: Read) -> Response:
    """A revision in one language as plain text: the same bytes every time."""
    return await _rendition(store, viewer, symbol, read, plain_text, "text/plain; charset=utf-8")


@router.get(
    "/documents/{symbol:path}/akn",
    response_class=Response,
    responses={200: {"content": {"application/akn+xml": {}}}} | NOT_HELD,
)
@ANYONE
async def render_akoma_ntoso(
    symbol: SymbolPath, store: Store, viewer: CallerView, read: Read
) -> Response:
    """A revision in one language as Akoma Ntoso 3.0 XML: the same bytes every time."""
    return await _rendition(store, viewer, symbol, read, akoma_ntoso, "application/akn+xml")


@router.get(
    "/documents/{symbol:document_symbol}",
    response_model=DocumentOut,
    responses=READ_RESPONSES | NOT_HELD,
)
@ANYONE
async def read_document(
    symbol: SymbolPath, store: ReadModels, viewer: CallerView, response: Response, read: Read
) -> DocumentOut:
    """A document, at its newest revision or as it stood (`?revision=`, `?as_of=`, or a
    `/Rev.N` symbol), in the language asked for (`?lang=`, else `Accept-Language`), with the
    fallback stated, with the addenda and corrigenda issued to it that the caller may read (or,
    for an addendum or a corrigendum, its parent). The ETag is the document's current version
    (If-Match of a revision)."""
    loaded, document, shown = await as_it_stood(store, viewer, symbol, read)
    rows = await queries.supplement_rows(
        store, viewer, document.stream_id, as_of=read.as_of
    )
    out = DocumentOut.of(
        document, shown, requested=read.requested, as_of=read.as_of,
        supplements=[SupplementOut.of_row(row) for row in rows],
    )
    set_etag(response, loaded.version)
    response.headers["Content-Language"] = out.language
    response.headers["Vary"] = "Accept-Language"
    return out


# The routes of a document's parts come before `read_document` (whose path leaves theirs to
# them: `DocumentSymbolConvertor`).
ROUTERS = (
    symbols_router, translations_router, amendments_router, circulation_router,
    companions_router, router,
)
