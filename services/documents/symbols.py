"""The organisation's document symbols: parse, format, and the series a number is allocated in.

    SUM/2022/DRAFT/1/Rev.8        body / session / kind / number / revision
    SOC/2021/DRAFT/3/Rev.6
    SOC/2022-III/Agenda/2         a session may carry a Roman part (the SOC's third of 2022)
    SUM/2022/DRAFT/5/Add.1/Corr.2 suffixes, in this order: /Rev.N, /Add.N, /Corr.N

A series is (body, session, kind): ``SUM/2022/DRAFT``; the service gives each new document the
next number in its series. The revision suffix follows from the revision number (revision 0,
the original text, has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_BODY_TEXT = "[A-Z]{2,10}"
_SESSION_TEXT = "[12][0-9]{3}(?:-[IVX]{1,5})?"
_KIND_TEXT = "[A-Za-z]{2,20}"
_NUMBER_TEXT = "[1-9][0-9]{0,5}"
_SUFFIX_NUMBER_TEXT = "[1-9][0-9]{0,3}"
_SUFFIX_ORDER = ("Rev", "Add", "Corr")

_BODY = re.compile(_BODY_TEXT)
_SESSION = re.compile(_SESSION_TEXT)
_KIND = re.compile(_KIND_TEXT)
_NUMBER = re.compile(_NUMBER_TEXT)
_SUFFIX = re.compile(rf"(?P<name>Rev|Add|Corr)\.(?P<n>{_SUFFIX_NUMBER_TEXT})")

_SERIES_TEXT = f"{_BODY_TEXT}/{_SESSION_TEXT}/{_KIND_TEXT}"
_REVISION_TEXT = rf"{_SERIES_TEXT}/{_NUMBER_TEXT}(?:/Rev\.{_SUFFIX_NUMBER_TEXT})?"

SERIES_PATTERN = f"^{_SERIES_TEXT}$"
"""What `parse_series` accepts, as a JSON Schema (ECMA 262) regular expression:
``SUM/2022/DRAFT``."""
SYMBOL_PATTERN = (
    rf"^{_REVISION_TEXT}(?:/Add\.{_SUFFIX_NUMBER_TEXT})?(?:/Corr\.{_SUFFIX_NUMBER_TEXT})?$"
)
"""What `parse_symbol` accepts, as a JSON Schema (ECMA 262) regular expression (ASCII classes
only, so Python, ECMA and Rust engines read it alike): ``SUM/2022/DRAFT/1/Rev.8``,
``SUM/2022/DRAFT/5/Add.1/Corr.2``. tests/documents/test_symbols.py holds the two to each other."""
REVISION_SYMBOL_PATTERN = f"^{_REVISION_TEXT}$"
"""The symbols of a document at one of its revisions, no /Add.N nor /Corr.N (an addendum or a
corrigendum is issued to its document, never imported under its own symbol)."""


class SymbolError(ValueError):
    """A symbol that does not follow the grammar; the message says why."""

    def __init__(self, symbol: str, reason: str) -> None:
        super().__init__(f"{symbol!r} is not a document symbol: {reason}")
        self.symbol = symbol
        self.reason = reason


@dataclass(frozen=True, order=True)
class Series:
    body: str
    session: str
    kind: str

    def __str__(self) -> str:
        return f"{self.body}/{self.session}/{self.kind}"

    def symbol(self, number: int) -> Symbol:
        return Symbol(self.body, self.session, self.kind, number)


@dataclass(frozen=True, order=True)
class Symbol:
    body: str
    session: str
    kind: str
    number: int
    rev: int | None = None
    add: int | None = None
    corr: int | None = None

    @property
    def series(self) -> Series:
        return Series(self.body, self.session, self.kind)

    @property
    def year(self) -> int:
        return int(self.session[:4])

    @property
    def base(self) -> Symbol:
        """The document itself, without its revision suffix: the stream it lives in. An
        addendum or a corrigendum (/Add.N, /Corr.N) is a document of its own, so it keeps
        those suffixes."""
        return replace(self, rev=None)

    @property
    def parent(self) -> Symbol | None:
        """The document an addendum or a corrigendum is issued to, by its base symbol:
        ``SUM/2022/DRAFT/1`` for ``SUM/2022/DRAFT/1/Add.1`` and ``SUM/2022/DRAFT/1/Corr.1``,
        ``SUM/2022/DRAFT/5/Add.1`` for ``SUM/2022/DRAFT/5/Add.1/Corr.2``. None for a document
        that is neither."""
        if self.corr is not None:
            return replace(self, rev=None, corr=None)
        if self.add is not None:
            return replace(self, rev=None, add=None)
        return None

    def with_revision(self, revision: int) -> Symbol:
        """This document's symbol at `revision` (0: the original, no /Rev suffix)."""
        return replace(self, rev=revision or None)

    def __str__(self) -> str:
        text = f"{self.body}/{self.session}/{self.kind}/{self.number}"
        for name, value in zip(_SUFFIX_ORDER, (self.rev, self.add, self.corr), strict=True):
            if value is not None:
                text += f"/{name}.{value}"
        return text


def _parse_parts(text: str, parts: list[str], what: str) -> tuple[str, str, str]:
    if len(parts) < 3:
        raise SymbolError(text, f"a {what} has at least body/session/kind, e.g. SUM/2022/DRAFT")
    body, session, kind = parts[:3]
    if not _BODY.fullmatch(body):
        raise SymbolError(text, f"the body {body!r} is 2 to 10 capital letters (SUM, SOC, SWG)")
    if not _SESSION.fullmatch(session):
        raise SymbolError(
            text, f"the session {session!r} is a year, optionally with a Roman part (2022-III)"
        )
    if not _KIND.fullmatch(kind):
        raise SymbolError(text, f"the kind {kind!r} is 2 to 20 letters (DRAFT, Agenda)")
    return body, session, kind


def parse_series(text: str) -> Series:
    """The series `text` names (``SUM/2022/DRAFT``, nothing around it: `SERIES_PATTERN`);
    `SymbolError` with the reason when it is malformed."""
    parts = text.split("/")
    body, session, kind = _parse_parts(text, parts, "series")
    if len(parts) != 3:
        raise SymbolError(text, "a series is exactly body/session/kind, e.g. SUM/2022/DRAFT")
    return Series(body, session, kind)


def parse_symbol(text: str) -> Symbol:
    """The symbol `text` names; `SymbolError` with the reason when it is malformed."""
    if not text or text != text.strip():
        raise SymbolError(text, "it is empty or has surrounding spaces")
    if "//" in text or text.endswith("/"):
        raise SymbolError(text, "it has an empty part between slashes")
    parts = text.split("/")
    body, session, kind = _parse_parts(text, parts, "symbol")
    if len(parts) < 4:
        raise SymbolError(text, "the number in the series is missing, e.g. SUM/2022/DRAFT/1")
    number = parts[3]
    if not _NUMBER.fullmatch(number):
        raise SymbolError(text, f"the number {number!r} is a positive integer without leading 0")
    suffixes: dict[str, int] = {}
    last = -1
    for part in parts[4:]:
        match = _SUFFIX.fullmatch(part)
        if match is None:
            raise SymbolError(
                text, f"{part!r} is not a suffix: /Rev.N, /Add.N or /Corr.N (N from 1)"
            )
        name = match.group("name")
        order = _SUFFIX_ORDER.index(name)
        if name in suffixes:
            raise SymbolError(text, f"/{name} appears twice")
        if order < last:
            raise SymbolError(text, "suffixes come in the order /Rev.N, /Add.N, /Corr.N")
        last = order
        suffixes[name] = int(match.group("n"))
    return Symbol(
        body,
        session,
        kind,
        int(number),
        rev=suffixes.get("Rev"),
        add=suffixes.get("Add"),
        corr=suffixes.get("Corr"),
    )


def next_supplement(parent: Symbol, suffix: str, taken: list[str]) -> Symbol:
    """The next addendum (`suffix` ``"Add"``) or corrigendum (``"Corr"``) of the document
    `parent` names, given the symbols (stream ids) already taken in its series: ``.../Add.1``
    first, then ``.../Add.2``. A corrigendum of an addendum is numbered among the addendum's
    (``.../Add.1/Corr.1``)."""
    base = parent.base
    field = {"Add": "add", "Corr": "corr"}[suffix]
    numbers = [0]
    for stream_id in taken:
        try:
            symbol = parse_symbol(stream_id)
        except SymbolError:
            continue
        value = getattr(symbol, field)
        if value is not None and symbol.parent == base:
            numbers.append(value)
    return replace(base, **{field: max(numbers) + 1})


def next_number(series: Series, taken: list[str]) -> int:
    """The next number in `series`, given the symbols (stream ids) already taken in it."""
    numbers = [0]
    for stream_id in taken:
        try:
            symbol = parse_symbol(stream_id)
        except SymbolError:
            continue
        if symbol.series == series:
            numbers.append(symbol.number)
    return max(numbers) + 1
