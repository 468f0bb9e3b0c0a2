"""What the documents routes share: the errors of HTTP itself (a malformed symbol), how a
symbol stands in a path, the parameters of a read, and reading the document a caller may see,
now or as it stood.

Who reads: a document's current distribution decides who may read it, its past included
(``?as_of=`` and ``?revision=`` show the status and distribution it had then); a document the
caller may not see answers 404, like one that does not exist.

A symbol is declared in the OpenAPI document with its grammar (`SYMBOL_PATTERN`, `SERIES_PATTERN`)
and parsed by the route (`symbol_of`, `series_of`), which accepts exactly what the pattern does:
a symbol that does not follow it is a 422 ``/problems/invalid-symbol`` that says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from starlette.convertors import Convertor, register_url_convertor

from services.documents.commands import Changed
from services.documents.domain import (
    Document,
    DocumentNotFoundError,
    Revision,
    RevisionContradictsSymbolError,
)
from services.documents.events import LanguageTag
from services.documents.queries import Loaded, load
from services.documents.reading import parse_accept_language
from services.documents.symbols import (
    SERIES_PATTERN,
    SYMBOL_PATTERN,
    Series,
    Symbol,
    SymbolError,
    parse_series,
    parse_symbol,
)
from shared.access import Viewer
from shared.eventstore import PostgresEventStore
from shared.http.params import BIGINT_MAX, Instant
from shared.http.problems import PROBLEM_JSON, ProblemError
from shared.http.reads import caught_up
from shared.http.writes import Store, Writer

T = TypeVar("T")

# -------------------------------------------------------------------------- errors of HTTP


class InvalidSymbolError(
    ProblemError, status=422, title="Invalid document symbol", type_="/problems/invalid-symbol"
):

    def __init__(self, error: SymbolError) -> None:
        super().__init__(str(error), symbol=error.symbol, reason=error.reason)


def _parsed(parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except SymbolError as error:
        raise InvalidSymbolError(error) from None


def symbol_of(text: str) -> Symbol:
    """The symbol in a path or a body; 422 with the reason if malformed."""
    return _parsed(parse_symbol, text)


def series_of(text: str) -> Series:
    """The series (body/session/kind) in a body or a query; 422 with the reason if malformed."""
    return _parsed(parse_series, text)


def stream_of(text: str) -> str:
    """The stream of the document a symbol names (its base symbol, without /Rev.N)."""
    return str(symbol_of(text).base)


def revision_named(symbol: Symbol, revision: int | None) -> int | None:
    """The revision a request names, by `revision` or by the symbol's /Rev.N (None: neither):
    422 ``revision-contradicts-symbol`` when it names two."""
    if symbol.rev is not None and revision is not None and symbol.rev != revision:
        raise RevisionContradictsSymbolError(str(symbol), symbol.rev, revision)
    return revision if revision is not None else symbol.rev


# ------------------------------------------------------------------------ symbols in paths


class DocumentSymbolConvertor(Convertor[str]):
    """``{symbol:document_symbol}``: the rest of the path, as ``{symbol:path}`` takes it, unless
    its last part is a lower-case word (underscores and all). A symbol never ends in one (its
    last part is a number or a /Rev.N, /Add.N, /Corr.N suffix), and the routes of a document's
    parts do (``/revisions``, ``/status``, ``/amendments/{id}/withdrawal``,
    ``/companions/explanatory_note``): so the route of the document itself leaves those paths
    to them, and a method they do not take is a 405 that says which they do, not a 422 for a
    symbol ``SUM/2022/DRAFT/1/status``."""

    regex = r"(?!.*/[a-z][a-z_]*$).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("document_symbol", DocumentSymbolConvertor())

# ---------------------------------------------------------------------------- parameters

NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A JSON Schema pattern (matched anywhere in a text): a character that is not white space as
Python reads it (`str.isspace`), so that a text of white space only does not match."""
SymbolPath = Annotated[
    str,
    Path(
        description="A document symbol, slashes and all: `SUM/2022/DRAFT/1`, "
        "`SUM/2022/DRAFT/1/Rev.8` for its eighth revision, `SUM/2022/DRAFT/5/Add.1` for an "
        "addendum. One that does not follow the grammar is a 422 `/problems/invalid-symbol` "
        "with the reason.",
        examples=["SUM/2022/DRAFT/1/Rev.8"],
        json_schema_extra={"pattern": SYMBOL_PATTERN},
    ),
]
SeriesQuery = Annotated[
    str | None,
    Query(
        description="Only the documents of this series (body/session/kind).",
        examples=["SUM/2022/DRAFT"],
        json_schema_extra={"pattern": SERIES_PATTERN},
    ),
]
IfMatch = Annotated[
    str,
    Header(description='The ETag of the document as you read it, e.g. "9" (428 without it).'),
]
"""A required If-Match (the route's parameter is named ``if_match``: the same header as the
optional one of `Write`)."""
AcceptLanguage = Annotated[
    str | None,
    Header(
        description="The languages you read, most wanted first (BCP 47, e.g. `ru, en;q=0.5`). "
        "When the revision has none of them, the answer is in the document's own language and "
        "says so (`language_fallback: true`)."
    ),
]
RevisionQuery = Annotated[
    int | None,
    Query(ge=0, le=BIGINT_MAX, description="Read the document as it stood at this revision."),
]
AsOfQuery = Annotated[
    Instant | None,
    Query(
        description="Read the document as it stood at this instant (RFC 3339, with its offset).",
        examples=["2022-10-07T12:00:00Z"],
    ),
]
LangQuery = Annotated[
    LanguageTag | None, Query(description="A language tag; wins over Accept-Language.")
]


NOT_HELD: dict[int | str, dict[str, Any]] = {
    410: {
        "description": "The revision asked for is from before the system, which does not hold "
        "its text (`/problems/revision-not-held`).",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
"""The answer of a route that reads (or circulates) a revision an imported document had before
it entered the system."""


def requested(lang: str | None, accept_language: str | None) -> list[str]:
    """The languages asked for: `?lang=`, else Accept-Language's, most wanted first."""
    return [lang] if lang else parse_accept_language(accept_language)


@dataclass(frozen=True)
class Reading:
    """How a revision is asked for: which one (`?revision=`, `?as_of=`) and in which
    languages (`?lang=`, Accept-Language)."""

    revision: int | None
    as_of: datetime | None
    lang: str | None
    accept_language: str | None

    @property
    def requested(self) -> list[str]:
        return requested(self.lang, self.accept_language)


async def reading(
    revision: RevisionQuery = None,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Reading:
    return Reading(revision, as_of, lang, accept_language)


Read = Annotated[Reading, Depends(reading)]


async def read_models(request: Request, store: Store) -> PostgresEventStore:
    """The store, once the read models (the list of documents, the open amendments) show what
    was written before this request, when that is quick (`caught_up`): for the endpoints that
    answer from them rather than from the log. Without it, a list read just after a write
    could leave the write out (a document derestricted a moment before, not yet listed)."""
    await caught_up(request)
    return store


ReadModels = Annotated[PostgresEventStore, Depends(read_models)]


# ------------------------------------------------------------------------------- reading


async def visible(store: PostgresEventStore, viewer: Viewer, symbol: Symbol) -> Loaded:
    """The document `symbol` names, if the caller may read it now (404 otherwise)."""
    stream_id = str(symbol.base)
    loaded = await load(store, stream_id)
    viewer.require(loaded.document.distribution, DocumentNotFoundError(stream_id))
    return loaded


async def document_at(
    store: PostgresEventStore, viewer: Viewer, symbol_text: str, as_of: datetime | None
) -> Document:
    """The document now, or as it stood at `as_of` (readable by who may read it now)."""
    loaded = await visible(store, viewer, symbol_of(symbol_text))
    return loaded.document if as_of is None else loaded.as_of(as_of)


async def as_it_stood(
    store: PostgresEventStore, viewer: Viewer, symbol_text: str, read: Reading
) -> tuple[Loaded, Document, Revision]:
    """The document as it stood (at `as_of`, or while `revision` was its newest) and the
    revision to show; the caller's right to read it is judged on its distribution now."""
    symbol = symbol_of(symbol_text)
    wanted = revision_named(symbol, read.revision)
    loaded = await visible(store, viewer, symbol)
    if read.as_of is not None:
        document = loaded.as_of(read.as_of)
    elif wanted is not None:
        document = loaded.while_latest(wanted)
    else:
        document = loaded.document
    shown = document.revision(wanted) if wanted is not None else document.latest
    return loaded, document, shown


# -------------------------------------------------------------------------------- writing


async def written(
    write: Writer, command: Callable[..., Awaitable[Changed]], /, **arguments: Any
) -> Document:
    """Run a command through `write` (its store, the If-Match version), set the ETag of what
    it recorded, and give the document after it."""
    changed = await command(store=write.store, expected=write.expected, **arguments)
    write.etag(changed.version)
    return changed.document
