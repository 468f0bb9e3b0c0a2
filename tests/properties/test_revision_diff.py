"""Comparing two revisions (services/documents/reading.py `compare`), by properties.

Paragraphs are matched by their stable ids, never by their numbers: a revision compared with
itself shows nothing; what the comparison says, applied to the first revision's paragraphs,
lays out the second (which paragraphs, in which order, under which numbers); a paragraph that
only changed its number is renumbered, not changed; a paragraph shows as changed exactly when
its text differs, and its word changes account for every word that differs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.documents.domain import Revision, numbered
from services.documents.events import DocumentText, Paragraph, Part, SubItem
from services.documents.reading import compare, word_changes

EN = "en"
PART_ORDER = {Part.PREAMBLE: 0, Part.OPERATIVE: 1, Part.BODY: 2}
PREFIX = {"PP": Part.PREAMBLE, "OP": Part.OPERATIVE}

# A small vocabulary, so that texts share words and the word diff has work to do.
words = st.sampled_from(
    [
        "Recognizing",
        "the",
        "role",
        "of",
        "CICA",
        "in",
        "Asia",
        "dialogue",
        "____",
        "2024-2026",
        "We",
        "reaffirm",
        "commitment",
        "to",
        "confidence",
        "building",
        "measures",
        "Member",
        "States",
        "and",
        "Кувейт",
        "ынтымақтастық",
    ]
)
texts = st.lists(words, max_size=12).map(" ".join)
ids = st.integers(0, 999).map(lambda n: f"p{n}")


@st.composite
def paragraphs(draw: st.DrawFn, pid: str) -> Paragraph:
    items = draw(st.lists(texts, max_size=2))
    return Paragraph(
        id=pid,
        part=draw(st.sampled_from(list(Part))),
        text={EN: draw(texts)},
        items=tuple(SubItem(id=f"{pid}-i{k}", text={EN: t}) for k, t in enumerate(items)),
    )


def in_part_order(items: list[Paragraph]) -> list[Paragraph]:
    return sorted(items, key=lambda p: PART_ORDER[p.part])  # stable: order within a part kept


def revision(number: int, title: str, items: list[Paragraph]) -> Revision:
    return Revision(
        number=number,
        symbol=f"SUM/2022/DRAFT/1/Rev.{number}" if number else "SUM/2022/DRAFT/1",
        text=DocumentText(title={EN: title}, paragraphs=tuple(items)),
        recorded_at=None,
    )


@st.composite
def documents(draw: st.DrawFn, *, ordered: bool = True) -> list[Paragraph]:
    chosen = draw(st.lists(ids, unique=True, max_size=12))
    items = [draw(paragraphs(pid)) for pid in chosen]
    return in_part_order(items) if ordered else items


@st.composite
def revised(draw: st.DrawFn, before: list[Paragraph]) -> list[Paragraph]:
    """A later revision of `before`: some paragraphs deleted, some reworded (their own text or
    a sub-item's), some moved, new ones inserted (under ids never used before)."""
    kept = [p for p in before if not draw(st.booleans()) or len(before) < 2]
    result = []
    for p in kept:
        if draw(st.integers(0, 3)) == 0:
            p = p.model_copy(update={"text": {EN: draw(texts)}})
        if p.items and draw(st.integers(0, 5)) == 0:
            first = p.items[0].model_copy(update={"text": {EN: draw(texts)}})
            p = p.model_copy(update={"items": (first, *p.items[1:])})
        result.append(p)
    used = {p.id for p in before}
    fresh = draw(st.lists(ids.filter(lambda i: i not in used), unique=True, max_size=4))
    for pid in fresh:
        result.insert(draw(st.integers(0, len(result))), draw(paragraphs(pid)))
    if draw(st.booleans()):
        result = draw(st.permutations(result))
    return in_part_order(result)


pairs = documents().flatmap(lambda a: st.tuples(st.just(a), revised(a)))


def flat(p: Paragraph) -> str:
    return "\n".join(
        [p.text.get(EN, "")]
        + [f"({k}) {i.text.get(EN, '')}" for k, i in enumerate(p.items, start=1)]
    )


def layout(items: list[Paragraph]) -> list[tuple[str, str]]:
    """Each paragraph's id and its number, in the order they stand."""
    text = DocumentText(title={}, paragraphs=tuple(items))
    return [(p.id, number) for number, p in numbered(text)]


def sort_key(number: str) -> tuple[int, int]:
    """Where a paragraph numbered `number` stands in a revision whose parts come in order."""
    for prefix, part in PREFIX.items():
        if number.startswith(prefix):
            return PART_ORDER[part], int(number[len(prefix) :])
    return PART_ORDER[Part.BODY], int(number)


# --------------------------------------------------------------------------- the properties


@given(documents(ordered=False), texts)
def test_a_revision_compared_with_itself_shows_nothing(items, title):
    a = revision(3, title, items)
    diff = compare(a, a, EN)
    assert diff["title_changes"] == []
    for key in ("added", "removed", "moved", "changed", "renumbered"):
        assert diff[key] == [], key
    assert (diff["from_symbol"], diff["to_symbol"]) == (a.symbol, a.symbol)


@given(pairs)
def test_the_comparison_applied_to_the_first_revision_lays_out_the_second(pair):
    before, after = pair
    diff = compare(revision(1, "t", before), revision(2, "t", after), EN)
    old = dict(layout(before))
    removed = {r["id"] for r in diff["removed"]}
    renumbered = {r["id"]: r["to_number"] for r in diff["renumbered"]}
    # Every paragraph of the second revision: a kept one under its old or its new number, or
    # an added one under the number the comparison gives it.
    placed = [
        (renumbered.get(pid, number), pid) for pid, number in old.items() if pid not in removed
    ]
    placed += [(a["number"], a["id"]) for a in diff["added"]]
    rebuilt = [(pid, number) for number, pid in sorted(placed, key=lambda x: sort_key(x[0]))]
    assert rebuilt == layout(after)
    # and what the comparison says of each paragraph's text is what the paragraphs hold
    assert all(a["text"] == flat(p) for a in diff["added"] for p in after if p.id == a["id"])
    assert all(r["text"] == flat(p) for r in diff["removed"] for p in before if p.id == r["id"])


@given(pairs)
def test_a_paragraph_is_changed_exactly_when_its_text_differs(pair):
    before, after = pair
    diff = compare(revision(1, "t", before), revision(2, "t", after), EN)
    old = {p.id: flat(p) for p in before}
    new = {p.id: flat(p) for p in after}
    changed = {c["id"]: c for c in diff["changed"]}
    assert set(changed) == {pid for pid in new if pid in old and old[pid] != new[pid]}
    assert [c["id"] for c in diff["changed"]] == [p.id for p in after if p.id in changed]
    for pid, change in changed.items():
        assert change["words"] == word_changes(old[pid], new[pid])


@given(texts, texts)
def test_word_changes_account_for_every_word_that_differs(before, after):
    changes = word_changes(before, after)
    old, new = before.split(), after.split()
    assert (changes == []) == (old == new)
    removed = sum(len(c["before"].split()) for c in changes)
    inserted = sum(len(c["after"].split()) for c in changes)
    # the words left alone are the same number on both sides
    assert len(old) - removed == len(new) - inserted >= 0
    for change in changes:
        assert change["op"] in {"replace", "delete", "insert"}
        assert bool(change["before"]) == (change["op"] != "insert")
        assert bool(change["after"]) == (change["op"] != "delete")


@given(documents(), st.data())
def test_inserting_a_paragraph_renumbers_those_after_it_and_changes_nothing_else(items, data):
    new = data.draw(paragraphs("inserted"))
    position = data.draw(st.integers(0, len(items)))
    after = in_part_order([*items[:position], new, *items[position:]])
    diff = compare(revision(7, "t", items), revision(8, "t", after), EN)
    assert [a["id"] for a in diff["added"]] == ["inserted"]
    assert diff["removed"] == diff["changed"] == diff["moved"] == []
    old, new_numbers = dict(layout(items)), dict(layout(after))
    assert {r["id"] for r in diff["renumbered"]} == {
        pid for pid in old if old[pid] != new_numbers[pid]
    }
    same_part_after = [p.id for p in after if p.part == new.part]
    followers = same_part_after[same_part_after.index("inserted") + 1 :]
    assert {r["id"] for r in diff["renumbered"]} == set(followers)


@given(documents(ordered=False), st.data())
def test_reordering_paragraphs_moves_them_and_changes_no_text(items, data):
    shuffled = data.draw(st.permutations(items))
    diff = compare(revision(1, "t", items), revision(2, "t", shuffled), EN)
    assert diff["added"] == diff["removed"] == diff["changed"] == []
    moved = {m["id"] for m in diff["moved"]}
    assert (moved == set()) == ([p.id for p in items] == [p.id for p in shuffled])
    # what stayed in place keeps its relative order on both sides
    stayed_before = [p.id for p in items if p.id not in moved]
    stayed_after = [p.id for p in shuffled if p.id not in moved]
    assert stayed_before == stayed_after


@given(pairs)
def test_comparing_backwards_swaps_added_and_removed(pair):
    before, after = pair
    forward = compare(revision(1, "t", before), revision(2, "t", after), EN)
    backward = compare(revision(2, "t", after), revision(1, "t", before), EN)
    assert {a["id"] for a in forward["added"]} == {r["id"] for r in backward["removed"]}
    assert {r["id"] for r in forward["removed"]} == {a["id"] for a in backward["added"]}
    assert {c["id"] for c in forward["changed"]} == {c["id"] for c in backward["changed"]}
    assert {(r["id"], r["from_number"], r["to_number"]) for r in forward["renumbered"]} == {
        (r["id"], r["to_number"], r["from_number"]) for r in backward["renumbered"]
    }


@given(texts, texts)
def test_the_title_shows_as_changed_exactly_when_its_words_differ(title_a, title_b):
    diff = compare(revision(1, title_a, []), revision(2, title_b, []), EN)
    assert (diff["title_changes"] == []) == (title_a.split() == title_b.split())
