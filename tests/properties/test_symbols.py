"""The document symbol grammar (services/documents/symbols.py), by properties: every symbol the
grammar allows parses and formats back to itself; the base of a revision is the symbol without
its /Rev.N; and every text the grammar does not allow is refused with a `SymbolError`, never
taken for a symbol and never failing otherwise."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from services.documents.symbols import (
    Series,
    Symbol,
    SymbolError,
    next_number,
    parse_series,
    parse_symbol,
)

# ------------------------------------------------------------------ the grammar, generated

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTERS = UPPER + UPPER.lower()

bodies = st.text(UPPER, min_size=2, max_size=10)
years = st.integers(1000, 2999).map(str)
roman_parts = st.text("IVX", min_size=1, max_size=5)
sessions = st.one_of(years, st.builds(lambda y, p: f"{y}-{p}", years, roman_parts))
kinds = st.text(LETTERS, min_size=2, max_size=20)
numbers = st.integers(1, 999_999)
suffix_numbers = st.none() | st.integers(1, 9999)

series = st.builds(Series, bodies, sessions, kinds)
symbols = st.builds(
    Symbol,
    bodies,
    sessions,
    kinds,
    numbers,
    rev=suffix_numbers,
    add=suffix_numbers,
    corr=suffix_numbers,
)
SEED = [
    "SUM/2022/DRAFT/1/Rev.8",
    "SOC/2021/DRAFT/3/Rev.6",
    "SOC/2022-III/Agenda/2",
    "SUM/2022/DRAFT/5/Add.1/Corr.2",
    "SUM/2022/DRAFT/4",
]


@given(symbols)
@example(parse_symbol(SEED[0]))
def test_every_symbol_of_the_grammar_formats_and_parses_back_to_itself(symbol):
    text = str(symbol)
    assert parse_symbol(text) == symbol
    assert str(parse_symbol(text)) == text


@pytest.mark.parametrize("text", SEED)
def test_the_seeds_symbols_are_symbols(text):
    assert str(parse_symbol(text)) == text


@given(symbols, st.integers(0, 9999))
def test_a_revision_is_its_base_with_rev_n_and_revision_zero_is_the_base(symbol, revision):
    revised = symbol.with_revision(revision)
    base = symbol.base
    assert base.rev is None
    assert revised.base == base
    assert str(base) == re.sub(r"/Rev\.\d+", "", str(symbol))
    if revision == 0:
        assert revised == base
        assert "/Rev." not in str(revised)
    else:
        assert str(revised).startswith(f"{base.body}/{base.session}/{base.kind}/{base.number}")
        assert f"/Rev.{revision}" in str(revised)
        assert parse_symbol(str(revised)).rev == revision
    # an addendum or a corrigendum is a document of its own: its base keeps them
    assert (base.add, base.corr) == (symbol.add, symbol.corr)


@given(series)
def test_every_series_parses_back_to_itself_and_numbers_belong_to_it(value):
    assert parse_series(str(value)) == value
    assert value.symbol(7).series == value
    assert parse_symbol(str(value.symbol(7))).series == value


@given(series, st.lists(numbers, max_size=8), st.lists(symbols, max_size=8))
def test_the_next_number_is_one_past_the_highest_of_its_own_series(value, mine, others):
    taken = [str(value.symbol(n)) for n in mine] + [str(s) for s in others]
    taken += ["not a symbol", ""]
    expected = max([0, *mine, *(s.number for s in others if s.series == value)]) + 1
    assert next_number(value, taken) == expected


# --------------------------------------------------------- what is not a symbol, by mutation


def _mutations(text: str) -> st.SearchStrategy[str]:
    """Texts made from a valid symbol by one change that the grammar forbids."""
    parts = text.split("/")
    index = st.integers(0, len(parts) - 1)

    def replace_part(i: int, new: str) -> str:
        return "/".join([*parts[:i], new, *parts[i + 1 :]])

    bad_part = st.sampled_from(
        [
            "",
            " ",
            "0",
            "01",
            "x",
            "A",
            "Rev.0",
            "Rev.",
            "rev.1",
            "Add.01",
            "Corr.x",
            "2022-",
            "2022-IIIIII",
            "3000",
            "999",
            "ABCDEFGHIJK",
            "DRAFT1",
            "-1",
            "1.5",
            "Ré",
            "DRAFT/",
        ]
    )
    return st.one_of(
        st.just(" " + text),
        st.just(text + " "),
        st.just(text + "/"),
        st.just(text.replace("/", "//", 1)),
        st.just("/".join(parts[:3])),  # a series is not a symbol
        st.just("/".join(parts[:2])),
        st.just(text + "/Rev.1/Rev.2"),  # a suffix twice (or after a later one)
        st.just(text + "/Corr.1/Rev.1"),  # out of order
        st.just(text + "/Draft.1"),
        st.just(text.lower()) if text.lower() != text else st.just(text + "/x"),
        st.builds(replace_part, index, bad_part),
    )


@given(symbols.map(str).flatmap(lambda t: st.tuples(st.just(t), _mutations(t))))
def test_a_symbol_broken_by_one_mutation_is_refused_with_a_reason(pair):
    original, mutated = pair
    assume(mutated != original)
    try:
        parsed = parse_symbol(mutated)
    except SymbolError as error:
        assert error.symbol == mutated
        assert error.reason
        return
    # A mutation may by chance give another valid symbol (a body that is still 2-10 capitals);
    # then it must be a symbol of the grammar, formatted back exactly as written.
    assert str(parsed) == mutated, f"{mutated!r} was taken for {parsed}"


@given(st.text(max_size=60))
def test_any_text_is_either_a_symbol_that_formats_back_or_refused(text):
    try:
        parsed = parse_symbol(text)
    except SymbolError:
        return
    assert str(parsed) == text


@given(st.text(alphabet=LETTERS + "0123456789/.- ", max_size=40))
def test_any_text_is_either_a_series_or_refused_never_another_error(text):
    try:
        parsed = parse_series(text)
    except SymbolError:
        return
    assert str(parsed) == text.strip()
