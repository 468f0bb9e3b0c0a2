"""The symbol grammar: parsed, formatted back the same, and refused with a reason; and the
patterns the OpenAPI document declares for it, which accept exactly what the parser does."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.documents.symbols import (
    REVISION_SYMBOL_PATTERN,
    SERIES_PATTERN,
    SYMBOL_PATTERN,
    Series,
    Symbol,
    SymbolError,
    next_number,
    parse_series,
    parse_symbol,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SUM/2022/DRAFT/1/Rev.8", Symbol("SUM", "2022", "DRAFT", 1, rev=8)),
        ("SOC/2021/DRAFT/3/Rev.6", Symbol("SOC", "2021", "DRAFT", 3, rev=6)),
        ("SOC/2022-III/Agenda/2", Symbol("SOC", "2022-III", "Agenda", 2)),
        ("SUM/2022/DRAFT/5", Symbol("SUM", "2022", "DRAFT", 5)),
        ("SUM/2022/DRAFT/5/Add.1", Symbol("SUM", "2022", "DRAFT", 5, add=1)),
        ("SUM/2022/DRAFT/5/Rev.2/Corr.1", Symbol("SUM", "2022", "DRAFT", 5, rev=2, corr=1)),
        ("SUM/2022/DRAFT/5/Rev.2/Add.1/Corr.3",
         Symbol("SUM", "2022", "DRAFT", 5, rev=2, add=1, corr=3)),
    ],
)
def test_a_symbol_parses_and_formats_back_the_same(text, expected):
    symbol = parse_symbol(text)
    assert symbol == expected
    assert str(symbol) == text


def test_the_revision_suffix_follows_from_the_revision_number():
    symbol = parse_symbol("SUM/2022/DRAFT/1/Rev.8")
    assert str(symbol.base) == "SUM/2022/DRAFT/1"
    assert str(symbol.with_revision(3)) == "SUM/2022/DRAFT/1/Rev.3"
    assert str(symbol.with_revision(0)) == "SUM/2022/DRAFT/1"
    assert symbol.series == Series("SUM", "2022", "DRAFT")
    assert symbol.year == 2022
    assert str(parse_symbol("SUM/2022/DRAFT/5/Rev.2/Add.1").base) == "SUM/2022/DRAFT/5/Add.1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("sum/2022/DRAFT/1", "the body 'sum'"),
        ("SUM/22/DRAFT/1", "the session '22'"),
        ("SUM/2022/DRAFT", "number in the series is missing"),
        ("SUM/2022/DRAFT/01", "without leading 0"),
        ("SUM/2022/DRAFT/1/Rev8", "'Rev8' is not a suffix"),
        ("SUM/2022/DRAFT/1/Rev.0", "'Rev.0' is not a suffix"),
        ("SUM/2022/DRAFT/1/Corr.1/Rev.2", "in the order"),
        ("SUM/2022/DRAFT/1/Rev.1/Rev.2", "appears twice"),
        ("SUM//DRAFT/1", "empty part"),
        ("SUM/2022/DR4FT/1", "the kind"),
    ],
)
def test_a_malformed_symbol_is_refused_with_its_reason(text, reason):
    with pytest.raises(SymbolError) as error:
        parse_symbol(text)
    assert reason in str(error.value)


def test_the_next_number_in_a_series_counts_only_that_series():
    series = parse_series("SUM/2022/DRAFT")
    taken = ["SUM/2022/DRAFT/1", "SUM/2022/DRAFT/4", "SOC/2022/DRAFT/9", "SUM/2021/DRAFT/7"]
    assert next_number(series, taken) == 5
    assert next_number(parse_series("SOC/2022-III/Agenda"), taken) == 1
    with pytest.raises(SymbolError):
        parse_series("SUM/2022/DRAFT/1")


# ------------------------------------------------------------- the patterns of the OpenAPI document

SEED_SYMBOLS = [
    "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/2/Rev.3", "SUM/2022/DRAFT/3/Rev.3",
    "SUM/2022/DRAFT/4", "SUM/2022/DRAFT/5", "SOC/2021/DRAFT/3/Rev.6", "SOC/2022-III/Agenda/1",
    "SOC/2022-III/Agenda/2", "SUM/2022/DRAFT/5/Add.1/Corr.2",
]  # fmt: skip
SEED_SERIES = ["SUM/2022/DRAFT", "SOC/2021/DRAFT", "SOC/2022-III/Agenda"]
NOT_SYMBOLS = [
    "", "0", " SUM/2022/DRAFT/1", "SUM/2022/DRAFT/1 ", "SUM/2022/DRAFT/1\n", "SUM/2022/DRAFT/1/",
    "SUM//DRAFT/1", "SUM/2022/DRAFT", "SUM/2022/DRAFT/01", "SUM/2022/DRAFT/1/Rev.0",
    "SUM/2022/DRAFT/1/Corr.1/Rev.2", "SUM/2022/DRAFT/1/Rev.1/Rev.2", "SUM/2022/DRAFT/1/status",
    "SUM/2022/DRAFT/1/Rev.12345", "SUM/2022/DRAFT/1234567", "sum/2022/DRAFT/1",
    "SUM/3022/DRAFT/1", "SUM/2022-IIIIII/DRAFT/1", "SUM/2022/DRÄFT/1", "SUM/2022/DRAFT/١",
]  # fmt: skip


def matches(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as JSON Schema reads it (ECMA 262: ``$`` is the end of
    the text, where Python's would also take a final newline). Each of the patterns is one
    ``^...$`` with no alternative at its top, so that is Python's full match of what they
    anchor."""
    assert pattern.startswith("^") and pattern.endswith("$"), pattern
    return re.fullmatch(pattern[1:-1], text) is not None


def accepted(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except SymbolError:
        return False
    return True


def test_the_seeds_symbols_and_series_match_their_patterns():
    assert all(matches(SYMBOL_PATTERN, text) for text in SEED_SYMBOLS)
    assert all(matches(SERIES_PATTERN, text) for text in SEED_SERIES)
    assert not any(matches(SYMBOL_PATTERN, text) for text in NOT_SYMBOLS)


@pytest.mark.parametrize("text", SEED_SYMBOLS + NOT_SYMBOLS + SEED_SERIES)
def test_the_symbol_pattern_accepts_exactly_the_symbols_the_parser_does(text):
    assert matches(SYMBOL_PATTERN, text) == accepted(parse_symbol, text)
    assert matches(SERIES_PATTERN, text) == accepted(parse_series, text)


SYMBOLISH = "SUMOCDRAFTgendaRevAddCor0123456789/.-IVX \n"
"""The letters a symbol is made of, and a few that break it."""


@given(
    st.one_of(
        st.from_regex(SYMBOL_PATTERN[1:-1], fullmatch=True),
        st.from_regex(SERIES_PATTERN[1:-1], fullmatch=True),
        st.text(SYMBOLISH, max_size=40),
        st.text(max_size=40),
    )
)
@example("SUM/2022/DRAFT/1/Rev.8/Add.1/Corr.2")
def test_any_text_matches_the_symbol_pattern_exactly_when_the_parser_takes_it(text):
    assert matches(SYMBOL_PATTERN, text) == accepted(parse_symbol, text), text
    assert matches(SERIES_PATTERN, text) == accepted(parse_series, text), text
    revision_level = accepted(parse_symbol, text) and parse_symbol(text).add is None
    assert matches(REVISION_SYMBOL_PATTERN, text) == (
        revision_level and parse_symbol(text).corr is None
    ), text
