"""The documents service over HTTP: parse, authorise, call a command or a query, shape the
answer. A document is addressed by its symbol, slashes and all: ``/documents/SUM/2022/DRAFT/1``
is the document, ``/documents/SUM/2022/DRAFT/1/Rev.3`` its third revision.

Who reads: a document's current distribution decides who may read it, its past included
(``?as_of=`` and ``?revision=`` show the status and distribution it had then); a document the
caller may not see answers 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from services.documents import commands, domain
from services.documents.commands import load
from services.documents.domain import (
    Document,
    DocumentNotFoundError,
    Revision,
    RevisionNotFoundError,
    fold_until_revision,
    language_versions,
    numbered,
    translation_needs,
)
from services.documents.events import (
    AmendmentAction,
    DocumentText,
    DocumentType,
    LanguageTag,
    ParagraphId,
    Part,
    Status,
)
from services.documents.projections import amendments as amendments_table
from services.documents.projections import documents as documents_table
from services.documents.reading import (
    akoma_ntoso,
    choose_language,
    compare,
    parse_accept_language,
    plain_text,
)
from services.documents.seed import (
    CONCLUSIONS_PARAGRAPH_5,
    CONCLUSIONS_TITLE,
    astana_rev8_russian,
    astana_rev8_text,
)
from services.documents.symbols import Symbol, SymbolError, parse_series, parse_symbol
from shared.access import (
    ANYONE,
    MEMBER_STATES_ONLY,
    SECRETARIAT_ONLY,
    Caller,
    CallerView,
    Distribution,
    Role,
    StateCode,
    Viewer,
    act_for,
    allow,
)
from shared.eventstore import PostgresEventStore
from shared.http.etag import expected_version_from_if_match, set_etag
from shared.http.problems import ProblemError

# ------------------------------------------------------------------------ dependencies


def event_store(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(event_store)]
IfMatch = Annotated[
    str | None,
    Header(description='The ETag of the document as you read it, e.g. "9". Required.'),
]
AcceptLanguage = Annotated[
    str | None,
    Header(
        description="The languages you read, most wanted first (BCP 47, e.g. `ru, en;q=0.5`). "
        "When the revision has none of them, the answer is in the document's own language and "
        "says so (`language_fallback: true`)."
    ),
]


class InvalidSymbolError(ProblemError):
    status = 422
    title = "Invalid document symbol"
    type_ = "/problems/invalid-symbol"

    def __init__(self, error: SymbolError) -> None:
        super().__init__(str(error), symbol=error.symbol, reason=error.reason)


class PreconditionRequiredError(ProblemError):
    status = 428
    title = "Precondition Required"
    type_ = "/problems/precondition-required"


class InvalidQueryError(ProblemError):
    status = 422
    title = "Invalid query"
    type_ = "/problems/invalid-query"


def symbol_of(text: str) -> Symbol:
    try:
        return parse_symbol(text)
    except SymbolError as error:
        raise InvalidSymbolError(error) from None


def _require_version(if_match: str | None) -> int | None:
    if if_match is None:
        raise PreconditionRequiredError(
            'A revision must say which version it revises: send If-Match with the ETag you '
            'read (e.g. If-Match: "9").'
        )
    return expected_version_from_if_match(if_match)


RevisionQuery = Annotated[
    int | None, Query(ge=0, description="Read the document as it stood at this revision.")
]
AsOfQuery = Annotated[
    datetime | None,
    Query(description="Read the document as it stood at this instant (with a time zone)."),
]
LangQuery = Annotated[
    LanguageTag | None, Query(description="A language tag; wins over Accept-Language.")
]



# ------------------------------------------------------------------------------ models


class ItemOut(BaseModel):
    id: str
    number: str
    text: str


class ParagraphOut(BaseModel):
    id: str = Field(description="Stable across revisions, whatever the paragraph's number.")
    number: str = Field(description="PP1.., OP1.., or 1.. as the paragraph stands here.")
    part: Part
    text: str
    items: list[ItemOut] = []
    sponsors: list[str] = []


class OpenPointOut(BaseModel):
    paragraph_id: str
    number: str
    item_id: str | None
    context: str


class StatusHistoryOut(BaseModel):
    status: Status
    revision: int
    body: str | None
    decision_id: UUID | None
    decided_on: str | None
    outcome: str | None
    recorded_at: datetime | None


class DocumentOut(BaseModel):
    symbol: str = Field(description="The symbol of the revision shown.")
    document: str = Field(description="The document's base symbol (no suffix).")
    document_type: DocumentType
    revision: int
    latest_revision: int
    status: Status
    recommended_by: str | None
    distribution: Distribution
    language: str
    language_fallback: bool
    requested_languages: list[str]
    languages: list[str] = Field(description="The languages this revision is in.")
    title: str
    opening: str
    operative_heading: str
    paragraphs: list[ParagraphOut]
    open_points: list[OpenPointOut]
    basis: str
    incorporates: list[UUID]
    revised_at: datetime | None
    as_of: datetime | None
    status_history: list[StatusHistoryOut]


class DocumentSummary(BaseModel):
    symbol: str
    document: str
    document_type: str
    title: str
    revision: int
    languages: list[str]
    status: Status
    recommended_by: str | None
    open_points: int
    distribution: Distribution
    created_at: datetime
    updated_at: datetime


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    total: int


class RevisionSummary(BaseModel):
    revision: int
    symbol: str
    recorded_at: datetime | None
    basis: str
    incorporates: list[UUID]
    languages: list[str]
    held: bool = Field(True, description="False: from before the system, its text not held.")
    dated: date | None = Field(None, description="The date it bears, if imported.")


class SymbolOut(BaseModel):
    symbol: str
    document: str
    series: str
    body: str
    session: str
    kind: str
    number: int
    revision: int | None
    addendum: int | None
    corrigendum: int | None


class CreateDraftIn(BaseModel):
    series: str = Field(description="body/session/kind: the service gives the next number.")
    document_type: DocumentType
    language: LanguageTag = Field("en", description="The language the draft is written in.")
    text: DocumentText
    distribution: Distribution = MEMBER_STATES_ONLY
    symbol: str | None = Field(
        None,
        description="Only to import a document that existed before the system: its symbol at "
        "the revision it enters at (`SUM/2022/DRAFT/1/Rev.8`), in `series`. The earlier "
        "revisions are recorded as not held (reading one answers 410); 409 if it is taken.",
    )
    dated: date | None = Field(
        None, description="With `symbol`: the date the imported document bears (2022-10-07)."
    )


class ReviseIn(BaseModel):
    text: DocumentText
    incorporates: list[UUID] = []
    basis: str = ""


class TranslationIn(BaseModel):
    revision: int = Field(ge=0)
    language: LanguageTag
    title: str
    opening: str = ""
    operative_heading: str = ""
    paragraphs: dict[ParagraphId, str]
    items: dict[ParagraphId, str] = {}


class LanguageVersionOut(BaseModel):
    language: str
    revision: int
    stale: bool


class TranslationNeedOut(BaseModel):
    language: str
    translated_revision: int | None
    paragraphs: list[str]


class TranslationsOut(BaseModel):
    document: str
    latest_revision: int
    versions: list[LanguageVersionOut]
    needs_translating: list[TranslationNeedOut]


class AmendmentIn(BaseModel):
    state: StateCode = Field(description="The member state proposing: your own.")
    revision: int = Field(ge=0)
    paragraph_id: ParagraphId
    action: AmendmentAction
    text: str = ""
    language: LanguageTag | None = None
    new_paragraph_id: ParagraphId | None = None


class WithdrawalIn(BaseModel):
    state: StateCode = Field(description="The state that proposed the amendment: your own.")


class DeclineIn(BaseModel):
    reason: str = ""


class AmendmentOut(BaseModel):
    amendment_id: UUID
    document: str
    revision: int
    paragraph_id: str
    action: AmendmentAction
    state: str
    language: str
    text: str
    new_paragraph_id: str | None
    status: str
    proposed_at: datetime | None = None


class StatusIn(BaseModel):
    status: Status
    body: str | None = Field(None, pattern="^(SWG|SOC|MC|SUMMIT)$")
    note: str = ""


class DistributionIn(BaseModel):
    distribution: Distribution
    reason: str = ""


# ---------------------------------------------------------------------------- examples

ASTANA = "SUM/2022/DRAFT/1"
CREATE_EXAMPLES = {
    "astana_statement": {
        "summary": "The draft Astana Statement on CICA Transformation (SUM/2022/DRAFT/1)",
        "value": {
            "series": "SUM/2022/DRAFT",
            "document_type": "statement",
            "language": "en",
            "text": astana_rev8_text(),
            "distribution": {"kind": "member_states_only"},
        },
    },
    "imported_at_rev8": {
        "summary": "Import SUM/2022/DRAFT/1 as it existed before the system: at Rev.8, "
        "Rev.0-7 recorded as not held",
        "value": {
            "series": "SUM/2022/DRAFT",
            "symbol": "SUM/2022/DRAFT/1/Rev.8",
            "dated": "2022-10-07",
            "document_type": "statement",
            "language": "en",
            "text": astana_rev8_text(),
            "distribution": {"kind": "member_states_only"},
        },
    },
    "conclusions_with_a_blank": {
        "summary": "Draft conclusions of the Sixth Summit, a blank still open (SUM/2022/DRAFT/5)",
        "value": {
            "series": "SUM/2022/DRAFT",
            "document_type": "conclusions",
            "text": {
                "title": CONCLUSIONS_TITLE,
                "paragraphs": [
                    {"id": "c-kuwait-chairs", "part": "body",
                     "text": {"en": CONCLUSIONS_PARAGRAPH_5}},
                ],
            },
        },
    },
}
REVISE_EXAMPLES = {
    "rev8": {
        "summary": "Rev.8 of SUM/2022/DRAFT/1, as circulated on 7 October 2022",
        "value": {"text": astana_rev8_text(), "basis": "for the SOC meeting of 10-11 October 2022"},
    }
}
TRANSLATION_EXAMPLES = {
    "russian": {"summary": "The Russian version of Rev.8", "value": astana_rev8_russian()}
}
AMENDMENT_EXAMPLES = {
    "replace": {
        "summary": "Kazakhstan proposes new words for OP6 of Rev.8",
        "value": {
            "state": "KAZ",
            "revision": 8,
            "paragraph_id": "op-road-map",
            "action": "replace",
            "text": "The Member States will determine the details of the transformation "
            "process and request the Chairmanship to make proposals in 2023 on a road map.",
        },
    },
    "insert_after": {
        "summary": "A new preambular paragraph after PP11",
        "value": {
            "state": "KAZ", "revision": 8, "paragraph_id": "pp-founder",
            "action": "insert_after", "text": "Welcoming Kuwait as a new CICA Member State;",
        },
    },
}



def _read_example() -> dict[str, Any]:
    text = astana_rev8_text()
    pp1 = text["paragraphs"][0]
    op5 = next(p for p in text["paragraphs"] if p["id"] == "op-first-step")
    return {
        "symbol": "SUM/2022/DRAFT/1/Rev.8",
        "document": ASTANA,
        "document_type": "statement",
        "revision": 8,
        "latest_revision": 8,
        "status": "draft",
        "recommended_by": None,
        "distribution": {"kind": "member_states_only", "states": []},
        "language": "en",
        "language_fallback": False,
        "requested_languages": ["en"],
        "languages": ["en", "ru"],
        "title": text["title"]["en"],
        "opening": text["opening"]["en"],
        "operative_heading": text["operative_heading"]["en"],
        "paragraphs": [
            {"id": pp1["id"], "number": "PP1", "part": "preamble", "text": pp1["text"]["en"],
             "items": [], "sponsors": []},
            {"id": op5["id"], "number": "OP5", "part": "operative", "text": op5["text"]["en"],
             "items": [{"id": i["id"], "number": f"({n})", "text": i["text"]["en"]}
                       for n, i in enumerate(op5["items"], start=1)],
             "sponsors": []},
        ],
        "open_points": [],
        "basis": "for the SOC meeting of 10-11 October 2022",
        "incorporates": [],
        "revised_at": "2022-10-07T09:00:00Z",
        "as_of": None,
        "status_history": [],
    }


READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "SUM/2022/DRAFT/1/Rev.8 (two of its eighteen paragraphs shown)",
        "content": {"application/json": {"example": _read_example()}},
    }
}
COMPARE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Rev.7 -> Rev.8 of SUM/2022/DRAFT/1 (in part)",
        "content": {"application/json": {"example": {
            "language": "en", "from_revision": 7, "to_revision": 8,
            "from_symbol": "SUM/2022/DRAFT/1/Rev.7", "to_symbol": "SUM/2022/DRAFT/1/Rev.8",
            "title_changes": [], "added": [], "removed": [], "moved": [], "renumbered": [],
            "changed": [{"id": "op-launch", "from_number": "OP1", "to_number": "OP1",
                         "words": [{"op": "insert", "before": "",
                                    "after": "structured, inclusive and transparent"}]}],
            "language_fallback": False,
        }}},
    }
}

# ------------------------------------------------------------------------------ shaping


def _paragraphs(text: DocumentText, language: str) -> list[ParagraphOut]:
    return [
        ParagraphOut(
            id=paragraph.id,
            number=number,
            part=paragraph.part,
            text=paragraph.text.get(language, ""),
            items=[
                ItemOut(id=item.id, number=f"({index})", text=item.text.get(language, ""))
                for index, item in enumerate(paragraph.items, start=1)
            ],
            sponsors=list(paragraph.sponsors),
        )
        for number, paragraph in numbered(text)
    ]


def _document_out(
    document: Document,
    revision: Revision,
    *,
    requested: list[str],
    as_of: datetime | None,
) -> DocumentOut:
    choice = choose_language(revision.languages, requested, document.language)
    language = choice.language
    text = revision.text
    return DocumentOut(
        symbol=revision.symbol,
        document=document.stream_id,
        document_type=document.document_type,
        revision=revision.number,
        latest_revision=document.latest.number,
        status=document.status,
        recommended_by=document.recommended_by,
        distribution=document.distribution,
        language=language,
        language_fallback=choice.fallback,
        requested_languages=list(choice.requested),
        languages=revision.languages,
        title=text.title.get(language, ""),
        opening=text.opening.get(language, ""),
        operative_heading=text.operative_heading.get(language, ""),
        paragraphs=_paragraphs(text, language),
        open_points=[
            OpenPointOut(
                paragraph_id=p.paragraph_id, number=p.number, item_id=p.item_id, context=p.context
            )
            for p in domain.open_points(text, language)
        ],
        basis=revision.basis,
        incorporates=list(revision.incorporates),
        revised_at=revision.recorded_at,
        as_of=as_of,
        status_history=[
            StatusHistoryOut(
                status=e.status,
                revision=e.revision,
                body=e.body,
                decision_id=e.decision_id,
                decided_on=e.decided_on,
                outcome=e.outcome,
                recorded_at=e.recorded_at,
            )
            for e in document.status_history
        ],
    )


def _requested(lang: str | None, accept_language: str | None) -> list[str]:
    return [lang] if lang else parse_accept_language(accept_language)


async def _visible(store: PostgresEventStore, viewer: Viewer, symbol: Symbol) -> commands.Loaded:
    stream_id = str(symbol.base)
    loaded = await load(store, stream_id)
    viewer.require(loaded.document.distribution, DocumentNotFoundError(stream_id))
    return loaded


async def _document_at(
    store: PostgresEventStore, viewer: Viewer, symbol_text: str, as_of: datetime | None
) -> Document:
    """The document now, or as it stood at `as_of` (readable by who may read it now)."""
    symbol = symbol_of(symbol_text)
    loaded = await _visible(store, viewer, symbol)
    if as_of is None:
        return loaded.document
    if as_of.tzinfo is None:
        raise InvalidQueryError("as_of needs a time zone, e.g. 2022-10-07T12:00:00Z.")
    document = Document.fold([(e, at) for e, at in loaded.events if at <= as_of])
    if document is None:
        raise DocumentNotFoundError(str(symbol.base))
    return document


async def _as_it_stood(
    store: PostgresEventStore,
    viewer: Viewer,
    symbol_text: str,
    revision: int | None,
    as_of: datetime | None,
) -> tuple[commands.Loaded, Document, Revision]:
    """The document as it stood (at `as_of`, or while `revision` was its newest) and the
    revision to show; the caller's right to read it is judged on its distribution now."""
    symbol = symbol_of(symbol_text)
    if symbol.rev is not None and revision is not None and symbol.rev != revision:
        raise InvalidQueryError(f"{symbol} is revision {symbol.rev}, yet ?revision={revision}.")
    wanted = revision if revision is not None else symbol.rev
    loaded = await _visible(store, viewer, symbol)
    stream_id = str(symbol.base)
    if as_of is not None:
        if as_of.tzinfo is None:
            raise InvalidQueryError("as_of needs a time zone, e.g. 2022-10-07T12:00:00Z.")
        events = [(e, at) for e, at in loaded.events if at <= as_of]
        document = Document.fold(events)
        if document is None:
            raise DocumentNotFoundError(stream_id)
    elif wanted is not None:
        if wanted > loaded.document.latest.number:
            raise RevisionNotFoundError(stream_id, wanted)
        document = fold_until_revision(loaded.events, wanted)
        assert document is not None
    else:
        document = loaded.document
    shown = document.revision(wanted) if wanted is not None else document.latest
    return loaded, document, shown


# ------------------------------------------------------------------------------ routes

symbols_router = APIRouter(tags=["symbols"])
router = APIRouter(tags=["documents"])


@symbols_router.get("/symbols/{symbol:path}", response_model=SymbolOut)
@ANYONE
async def read_symbol(symbol: str) -> SymbolOut:
    """A symbol taken apart (``SOC/2022-III/Agenda/2``); 422 with the reason if malformed."""
    parsed = symbol_of(symbol)
    return SymbolOut(
        symbol=str(parsed),
        document=str(parsed.base),
        series=str(parsed.series),
        body=parsed.body,
        session=parsed.session,
        kind=parsed.kind,
        number=parsed.number,
        revision=parsed.rev,
        addendum=parsed.add,
        corrigendum=parsed.corr,
    )


@router.post("/documents", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def create_draft(
    body: Annotated[CreateDraftIn, Body(openapi_examples=CREATE_EXAMPLES)],
    store: Store,
    response: Response,
) -> DocumentOut:
    """Create a draft: the service gives it the next number of its series. With `symbol`,
    import a document from before the system under its own symbol and revision."""
    try:
        series = parse_series(body.series)
    except SymbolError as error:
        raise InvalidSymbolError(error) from None
    if body.symbol is None:
        if body.dated is not None:
            raise InvalidQueryError("`dated` is the date of an imported document: send `symbol`.")
        document, version = await commands.create_draft(
            store,
            series=series,
            document_type=body.document_type,
            language=body.language,
            text=body.text,
            distribution=body.distribution,
        )
    else:
        imported = symbol_of(body.symbol)
        if imported.series != series or imported.add is not None or imported.corr is not None:
            raise InvalidQueryError(
                f"{imported} is not a document of the series {series} at a revision."
            )
        document, version = await commands.import_draft(
            store,
            symbol=imported,
            document_type=body.document_type,
            language=body.language,
            text=body.text,
            distribution=body.distribution,
            dated=body.dated,
        )
    set_etag(response, version)
    response.headers["Location"] = f"/documents/{document.stream_id}"
    return _document_out(document, document.latest, requested=[], as_of=None)


@router.get("/documents", response_model=DocumentList)
@ANYONE
async def list_documents(
    request: Request,
    viewer: CallerView,
    status: Status | None = None,
    series: str | None = None,
    document_type: DocumentType | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    as_of: AsOfQuery = None,
) -> DocumentList:
    """The documents the caller may read (their distribution applied in the query); with
    `?as_of=`, the documents as they stood then (folded from the log), among those the caller
    may read now."""
    t = documents_table
    condition = viewer.where(t.c.distribution, t.c.distribution_states)
    if as_of is not None:
        return await _list_as_of(
            request, condition, as_of, status=status, series=series,
            document_type=document_type, q=q, limit=limit, offset=offset,
        )
    query = select(t).where(condition)
    if status is not None:
        query = query.where(t.c.status == status.value)
    if series is not None:
        try:
            query = query.where(t.c.series == str(parse_series(series)))
        except SymbolError as error:
            raise InvalidSymbolError(error) from None
    if document_type is not None:
        query = query.where(t.c.document_type == document_type.value)
    if q:
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(t.c.title.ilike(f"%{pattern}%", escape="\\"))
    count = select(func.count()).select_from(query.subquery())
    async with request.app.state.engine.connect() as connection:
        total = (await connection.execute(count)).scalar_one()
        rows = (
            await connection.execute(
                query.order_by(t.c.series, t.c.number).limit(limit).offset(offset)
            )
        ).all()
    return DocumentList(
        total=total,
        documents=[
            DocumentSummary(
                symbol=row.symbol,
                document=row.stream_id,
                document_type=row.document_type,
                title=row.title,
                revision=row.revision,
                languages=list(row.revision_languages),
                status=Status(row.status),
                recommended_by=row.status_body if row.status == Status.RECOMMENDED else None,
                open_points=row.open_points,
                distribution=Distribution.of_row(row.distribution, row.distribution_states),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ],
    )


def _summary_of(document: Document) -> DocumentSummary:
    latest = document.latest
    return DocumentSummary(
        symbol=latest.symbol,
        document=document.stream_id,
        document_type=document.document_type.value,
        title=latest.text.title.get(document.language, ""),
        revision=latest.number,
        languages=latest.languages,
        status=document.status,
        recommended_by=document.recommended_by if document.status is Status.RECOMMENDED else None,
        open_points=len(domain.open_points(latest.text, document.language)),
        distribution=document.distribution,
        created_at=document.created_at,  # type: ignore[arg-type]
        updated_at=document.updated_at,  # type: ignore[arg-type]
    )


async def _list_as_of(
    request: Request,
    condition: Any,
    as_of: datetime,
    *,
    status: Status | None,
    series: str | None,
    document_type: DocumentType | None,
    q: str | None,
    limit: int,
    offset: int,
) -> DocumentList:
    if as_of.tzinfo is None:
        raise InvalidQueryError("as_of needs a time zone, e.g. 2022-10-07T12:00:00Z.")
    wanted_series = None
    if series is not None:
        try:
            wanted_series = parse_series(series)
        except SymbolError as error:
            raise InvalidSymbolError(error) from None
    t = documents_table
    async with request.app.state.engine.connect() as connection:
        visible = list(
            (await connection.execute(select(t.c.stream_id).where(condition))).scalars()
        )
    store: PostgresEventStore = request.app.state.store
    found: list[Document] = []
    for stream_id in visible:
        records = await store.read_stream_as_of(stream_id, as_of)
        document = Document.fold([(store.decode(r), r.recorded_at) for r in records])
        if document is None:
            continue
        if status is not None and document.status is not status:
            continue
        if wanted_series is not None and document.symbol.series != wanted_series:
            continue
        if document_type is not None and document.document_type is not document_type:
            continue
        title = document.latest.text.title.get(document.language, "")
        if q and q.lower() not in title.lower():
            continue
        found.append(document)
    found.sort(key=lambda d: (str(d.symbol.series), d.symbol.number))
    return DocumentList(
        total=len(found), documents=[_summary_of(d) for d in found[offset : offset + limit]]
    )


class PendingTranslation(BaseModel):
    document: str
    symbol: str
    revision: int
    languages: list[str] = Field(description="The languages the latest revision is in.")
    missing: list[str] = Field(description="Official languages it still needs.")


@router.get("/translations/needed", response_model=list[PendingTranslation])
@ANYONE
async def translations_needed(
    request: Request, viewer: CallerView, status: Status | None = Status.DRAFT
) -> list[PendingTranslation]:
    """Across the documents the caller may read: each whose latest revision lacks one of the
    official languages (English, Russian, Kazakh). Per document, `GET
    /documents/{symbol}/translations` says which paragraphs changed since each version."""
    t = documents_table
    query = select(t).where(viewer.where(t.c.distribution, t.c.distribution_states))
    if status is not None:
        query = query.where(t.c.status == status.value)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query.order_by(t.c.series, t.c.number))).all()
    pending = []
    for row in rows:
        missing = sorted(set(domain.OFFICIAL_LANGUAGES) - set(row.revision_languages))
        if missing:
            pending.append(
                PendingTranslation(
                    document=row.stream_id,
                    symbol=row.symbol,
                    revision=row.revision,
                    languages=list(row.revision_languages),
                    missing=missing,
                )
            )
    return pending


@router.post("/documents/{symbol:path}/revisions", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def revise_draft(
    symbol: str,
    body: Annotated[ReviseIn, Body(openapi_examples=REVISE_EXAMPLES)],
    store: Store,
    response: Response,
    if_match: IfMatch = None,
) -> DocumentOut:
    """A new revision: the whole text, the amendments it takes in, its basis. If-Match is
    required: a stale one appends nothing and gets 412; an adopted document gets 409."""
    parsed = symbol_of(symbol)
    expected = _require_version(if_match)
    document, version = await commands.revise_draft(
        store,
        stream_id=str(parsed.base),
        expected_version=expected,  # type: ignore[arg-type]
        text=body.text,
        incorporates=body.incorporates,
        basis=body.basis,
    )
    set_etag(response, version)
    response.headers["Location"] = f"/documents/{document.current_symbol}"
    return _document_out(document, document.latest, requested=[], as_of=None)


@router.get("/documents/{symbol:path}/revisions", response_model=list[RevisionSummary])
@ANYONE
async def list_revisions(
    symbol: str, store: Store, viewer: CallerView, as_of: AsOfQuery = None
) -> list[RevisionSummary]:
    """Every revision of the document (as of an instant, with `?as_of=`)."""
    document = await _document_at(store, viewer, symbol, as_of)
    return [
        RevisionSummary(
            revision=r.number,
            symbol=r.symbol,
            recorded_at=r.recorded_at,
            basis=r.basis,
            incorporates=list(r.incorporates),
            languages=r.languages,
            held=r.held,
            dated=r.dated,
        )
        for r in document.revisions
    ]


@router.get("/documents/{symbol:path}/compare", responses=COMPARE_RESPONSES)
@ANYONE
async def compare_revisions(
    symbol: str,
    store: Store,
    viewer: CallerView,
    from_revision: Annotated[int, Query(alias="from", ge=0)],
    to_revision: Annotated[int | None, Query(alias="to", ge=0)] = None,
    lang: LanguageTag | None = None,
    accept_language: AcceptLanguage = None,
    as_of: AsOfQuery = None,
) -> dict[str, Any]:
    """Two revisions compared: paragraphs added, removed, moved and changed (matched by their
    stable ids), and within a changed paragraph the words that changed. Without `to`, the
    latest revision (as of `as_of`, if given)."""
    document = await _document_at(store, viewer, symbol, as_of)
    before = document.revision(from_revision)
    after = document.revision(to_revision if to_revision is not None else document.latest.number)
    common = sorted(set(before.languages) & set(after.languages)) or [document.language]
    choice = choose_language(common, _requested(lang, accept_language), document.language)
    return compare(before, after, choice.language) | {"language_fallback": choice.fallback}


@router.get("/documents/{symbol:path}/translations", response_model=TranslationsOut)
@ANYONE
async def list_translations(
    symbol: str, store: Store, viewer: CallerView, as_of: AsOfQuery = None
) -> TranslationsOut:
    """Each language version with the revision it translates (stale when older than the
    latest), and what needs translating for the latest revision (as of `as_of`, if given)."""
    document = await _document_at(store, viewer, symbol, as_of)
    return TranslationsOut(
        document=document.stream_id,
        latest_revision=document.latest.number,
        versions=[LanguageVersionOut(**vars(v)) for v in language_versions(document)],
        needs_translating=[
            TranslationNeedOut(
                language=n.language,
                translated_revision=n.translated_revision,
                paragraphs=list(n.paragraphs),
            )
            for n in translation_needs(document)
        ],
    )


@router.post(
    "/documents/{symbol:path}/translations", status_code=201, response_model=TranslationsOut
)
@SECRETARIAT_ONLY
async def add_translation(
    symbol: str,
    body: Annotated[TranslationIn, Body(openapi_examples=TRANSLATION_EXAMPLES)],
    store: Store,
    response: Response,
    if_match: IfMatch = None,
) -> TranslationsOut:
    """A language version of one revision: every paragraph and sub-item of it."""
    parsed = symbol_of(symbol)
    document, version = await commands.add_translation(
        store,
        stream_id=str(parsed.base),
        revision=body.revision,
        language=body.language,
        title=body.title,
        opening=body.opening,
        operative_heading=body.operative_heading,
        paragraphs=body.paragraphs,
        items=body.items,
        expected_version=expected_version_from_if_match(if_match),
    )
    set_etag(response, version)
    return TranslationsOut(
        document=document.stream_id,
        latest_revision=document.latest.number,
        versions=[LanguageVersionOut(**vars(v)) for v in language_versions(document)],
        needs_translating=[
            TranslationNeedOut(
                language=n.language,
                translated_revision=n.translated_revision,
                paragraphs=list(n.paragraphs),
            )
            for n in translation_needs(document)
        ],
    )


def _amendment_out(document: Document, amendment: domain.Amendment) -> AmendmentOut:
    return AmendmentOut(
        amendment_id=amendment.id,
        document=document.stream_id,
        revision=amendment.revision,
        paragraph_id=amendment.paragraph_id,
        action=amendment.action,
        state=amendment.state,
        language=amendment.language,
        text=amendment.text,
        new_paragraph_id=amendment.new_paragraph_id,
        status=amendment.status,
    )


@router.post(
    "/documents/{symbol:path}/amendments/{amendment_id}/withdrawal",
    status_code=201,
    response_model=AmendmentOut,
)
@allow(Role.MEMBER_STATE, Role.SECRETARIAT)
async def withdraw_amendment(
    symbol: str,
    amendment_id: UUID,
    body: WithdrawalIn,
    store: Store,
    caller: Caller,
    viewer: CallerView,
) -> AmendmentOut:
    """Withdraw an amendment: only the state that proposed it (403 for any other)."""
    state = act_for(caller, body.state)
    parsed = symbol_of(symbol)
    await _visible(store, viewer, parsed)
    document, _ = await commands.withdraw_amendment(
        store, stream_id=str(parsed.base), amendment_id=amendment_id, state=state
    )
    return _amendment_out(document, document.amendments[amendment_id])


@router.post(
    "/documents/{symbol:path}/amendments/{amendment_id}/decline",
    status_code=201,
    response_model=AmendmentOut,
)
@SECRETARIAT_ONLY
async def decline_amendment(
    symbol: str, amendment_id: UUID, body: DeclineIn, store: Store
) -> AmendmentOut:
    """The Secretariat declines an open amendment."""
    parsed = symbol_of(symbol)
    document, _ = await commands.decline_amendment(
        store, stream_id=str(parsed.base), amendment_id=amendment_id, reason=body.reason
    )
    return _amendment_out(document, document.amendments[amendment_id])


@router.post(
    "/documents/{symbol:path}/amendments", status_code=201, response_model=AmendmentOut
)
@allow(Role.MEMBER_STATE, Role.SECRETARIAT)
async def propose_amendment(
    symbol: str,
    body: Annotated[AmendmentIn, Body(openapi_examples=AMENDMENT_EXAMPLES)],
    store: Store,
    caller: Caller,
    viewer: CallerView,
) -> AmendmentOut:
    """A member state proposes to replace, delete, or insert after a paragraph of a revision
    (the Secretariat may record one a state sent it)."""
    state = act_for(caller, body.state)
    parsed = symbol_of(symbol)
    await _visible(store, viewer, parsed)
    amendment_id = uuid.uuid4()
    document, _ = await commands.propose_amendment(
        store,
        stream_id=str(parsed.base),
        amendment_id=amendment_id,
        state=state,
        revision=body.revision,
        paragraph_id=body.paragraph_id,
        action=body.action,
        text=body.text,
        language=body.language,
        new_paragraph_id=body.new_paragraph_id,
    )
    return _amendment_out(document, document.amendments[amendment_id])


@router.get("/documents/{symbol:path}/amendments", response_model=list[AmendmentOut])
@ANYONE
async def list_open_amendments(
    symbol: str, request: Request, store: Store, viewer: CallerView, as_of: AsOfQuery = None
) -> list[AmendmentOut]:
    """The document's open amendments (a read model: it follows the log within moments);
    with `?as_of=`, those open at that instant, read from the log."""
    parsed = symbol_of(symbol)
    if as_of is not None:
        document = await _document_at(store, viewer, symbol, as_of)
        return [_amendment_out(document, a) for a in document.open_amendments()]
    t = amendments_table
    query = (
        select(t)
        .where(t.c.stream_id == str(parsed.base))
        .where(viewer.where(t.c.distribution, t.c.distribution_states))
        .order_by(t.c.proposed_at, t.c.amendment_id)
    )
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [
        AmendmentOut(
            amendment_id=UUID(row.amendment_id),
            document=row.stream_id,
            revision=row.revision,
            paragraph_id=row.paragraph_id,
            action=AmendmentAction(row.action),
            state=row.state,
            language=row.language,
            text=row.text,
            new_paragraph_id=row.new_paragraph_id,
            status="open",
            proposed_at=row.proposed_at,
        )
        for row in rows
    ]


@router.post("/documents/{symbol:path}/status", status_code=201, response_model=DocumentOut)
@SECRETARIAT_ONLY
async def change_status(
    symbol: str, body: StatusIn, store: Store, response: Response, if_match: IfMatch = None
) -> DocumentOut:
    """Record a status by hand (a decision taken outside the meetings service): recommended
    by a body, approved, adopted (then frozen), withdrawn, or back to draft."""
    parsed = symbol_of(symbol)
    document, version = await commands.change_status(
        store,
        stream_id=str(parsed.base),
        status=body.status,
        body=body.body,
        note=body.note,
        expected_version=expected_version_from_if_match(if_match),
    )
    set_etag(response, version)
    return _document_out(document, document.latest, requested=[], as_of=None)


@router.post(
    "/documents/{symbol:path}/distribution", status_code=201, response_model=DocumentOut
)
@SECRETARIAT_ONLY
async def change_distribution(
    symbol: str,
    body: DistributionIn,
    store: Store,
    response: Response,
    if_match: IfMatch = None,
) -> DocumentOut:
    """Change who reads the document from now on (derestrict it, say)."""
    parsed = symbol_of(symbol)
    document, version = await commands.change_distribution(
        store,
        stream_id=str(parsed.base),
        distribution=body.distribution,
        reason=body.reason,
        expected_version=expected_version_from_if_match(if_match),
    )
    set_etag(response, version)
    return _document_out(document, document.latest, requested=[], as_of=None)


@router.get(
    "/documents/{symbol:path}/text",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
@ANYONE
async def render_text(
    symbol: str,
    store: Store,
    viewer: CallerView,
    revision: RevisionQuery = None,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """A revision in one language as plain text: the same bytes every time."""
    _, document, shown = await _as_it_stood(store, viewer, symbol, revision, as_of)
    choice = choose_language(
        shown.languages, _requested(lang, accept_language), document.language
    )
    return Response(
        plain_text(document, shown, choice.language).encode(),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Language": choice.language, "Vary": "Accept-Language"},
    )


@router.get(
    "/documents/{symbol:path}/akn",
    response_class=Response,
    responses={200: {"content": {"application/akn+xml": {}}}},
)
@ANYONE
async def render_akoma_ntoso(
    symbol: str,
    store: Store,
    viewer: CallerView,
    revision: RevisionQuery = None,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """A revision in one language as Akoma Ntoso 3.0 XML: the same bytes every time."""
    _, document, shown = await _as_it_stood(store, viewer, symbol, revision, as_of)
    choice = choose_language(
        shown.languages, _requested(lang, accept_language), document.language
    )
    return Response(
        akoma_ntoso(document, shown, choice.language).encode(),
        media_type="application/akn+xml",
        headers={"Content-Language": choice.language, "Vary": "Accept-Language"},
    )


@router.get("/documents/{symbol:path}", response_model=DocumentOut, responses=READ_RESPONSES)
@ANYONE
async def read_document(
    symbol: str,
    store: Store,
    viewer: CallerView,
    response: Response,
    revision: RevisionQuery = None,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> DocumentOut:
    """A document, at its newest revision or as it stood (`?revision=`, `?as_of=`, or a
    `/Rev.N` symbol), in the language asked for (`?lang=`, else `Accept-Language`), with the
    fallback stated. The ETag is the document's current version (If-Match of a revision)."""
    loaded, document, shown = await _as_it_stood(store, viewer, symbol, revision, as_of)
    out = _document_out(
        document, shown, requested=_requested(lang, accept_language), as_of=as_of
    )
    set_etag(response, loaded.version)
    response.headers["Content-Language"] = out.language
    response.headers["Vary"] = "Accept-Language"
    return out


ROUTERS = (symbols_router, router)
