"""The symbol grammar: parsed, formatted back the same, and refused with a reason."""

from __future__ import annotations

import pytest

from services.documents.symbols import (
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
