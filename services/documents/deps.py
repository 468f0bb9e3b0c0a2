"""What the documents routes share: the errors of HTTP itself (a malformed symbol, a missing
If-Match, a query that contradicts itself), the parameters of a read, and reading the document a
caller may see, now or as it stood.

Who reads: a document's current distribution decides who may read it, its past included
(``?as_of=`` and ``?revision=`` show the status and distribution it had then); a document the
caller may not see answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query

from services.documents.commands import Changed
from services.documents.domain import Document, DocumentNotFoundError, Revision
from services.documents.events import LanguageTag
from services.documents.queries import Loaded, load
from services.documents.reading import parse_accept_language
from services.documents.symbols import Series, Symbol, SymbolError, parse_series, parse_symbol
from shared.access import Viewer
from shared.eventstore import PostgresEventStore
from shared.http.params import BIGINT_MAX, Instant
from shared.http.problems import ProblemError
from shared.http.writes import Writer

T = TypeVar("T")

# -------------------------------------------------------------------------- errors of HTTP


class InvalidSymbolError(
    ProblemError, status=422, title="Invalid document symbol", type_="/problems/invalid-symbol"
):

    def __init__(self, error: SymbolError) -> None:
        super().__init__(str(error), symbol=error.symbol, reason=error.reason)


class PreconditionRequiredError(
    ProblemError, status=428, title="Precondition Required", type_="/problems/precondition-required"
): ...


class InvalidQueryError(
    ProblemError, status=422, title="Invalid query", type_="/problems/invalid-query"
): ...


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


def zoned(as_of: datetime) -> datetime:
    """An instant to read at, which must say its time zone."""
    if as_of.tzinfo is None:
        raise InvalidQueryError("as_of needs a time zone, e.g. 2022-10-07T12:00:00Z.")
    return as_of


def require_if_match(if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequiredError(
            'A revision must say which version it revises: send If-Match with the ETag you '
            'read (e.g. If-Match: "9").'
        )


# ---------------------------------------------------------------------------- parameters

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
RevisionQuery = Annotated[
    int | None,
    Query(ge=0, le=BIGINT_MAX, description="Read the document as it stood at this revision."),
]
AsOfQuery = Annotated[
    Instant | None,
    Query(description="Read the document as it stood at this instant (with a time zone)."),
]
LangQuery = Annotated[
    LanguageTag | None, Query(description="A language tag; wins over Accept-Language.")
]


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


def reading(
    revision: RevisionQuery = None,
    as_of: AsOfQuery = None,
    lang: LangQuery = None,
    accept_language: AcceptLanguage = None,
) -> Reading:
    return Reading(revision, as_of, lang, accept_language)


Read = Annotated[Reading, Depends(reading)]


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
    return loaded.document if as_of is None else loaded.as_of(zoned(as_of))


async def as_it_stood(
    store: PostgresEventStore, viewer: Viewer, symbol_text: str, read: Reading
) -> tuple[Loaded, Document, Revision]:
    """The document as it stood (at `as_of`, or while `revision` was its newest) and the
    revision to show; the caller's right to read it is judged on its distribution now."""
    symbol = symbol_of(symbol_text)
    revision = read.revision
    if symbol.rev is not None and revision is not None and symbol.rev != revision:
        raise InvalidQueryError(f"{symbol} is revision {symbol.rev}, yet ?revision={revision}.")
    wanted = revision if revision is not None else symbol.rev
    loaded = await visible(store, viewer, symbol)
    if read.as_of is not None:
        document = loaded.as_of(zoned(read.as_of))
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
