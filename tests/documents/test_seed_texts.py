"""The texts the service holds from the seed are the seed's, word for word: Rev.8 of the draft
Astana Statement (SUM/2022/DRAFT/1/Rev.8), the draft conclusions of the Sixth Summit
(SUM/2022/DRAFT/5) with the blank of paragraph 5, and the Explanatory Note enclosed with them,
each compared with the seed file itself, part by part: nothing lost, nothing added, nothing
changed. A paragraph that names a state ("The People's Republic of China and other Member
States ...") has that state as its sponsor, and no other paragraph has any. No database: the
seed file and `services.documents.seed` only.

The seed is markdown converted from the circulated pages. Compared, both sides are normalised
alike: white space runs are one space; the markup is dropped (``*italics*``, ``**bold**``,
``<sup>th</sup>``, heading ``#`` and list ``-`` marks) and the escape ``\\_`` is ``_`` (so the
blank of paragraph 5, ``\\_\\_\\_\\_\\_\\_`` in the seed, is ``______``, six underscores). A
block ends at a blank line and before a heading or a list item; one cut by a page break (a
block that starts in lower case) is joined to the block before it. A
paragraph's label (PP1., OP5., (1), 12.) is where it stands, not part of its text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from services.documents.seed import (
    CONCLUSIONS_PARAGRAPHS,
    EXPLANATORY_NOTE,
    astana_rev8_russian,
    astana_rev8_text,
    conclusions_text,
    explanatory_note,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SEEDS = (REPOSITORY / "seed",)
"""Where the project's seed documents are: the repository's ``seed/``, a copy of its sources
(one place, so that every machine compares with the same file)."""
REV8_MARK = "SUM/2022/DRAFT/1/Rev.8 7 October 2022"
"""How the seed file that holds Rev.8 (and the draft conclusions) is known."""

LABEL = re.compile(r"^(?:(PP\d+|OP\d+|\d+)\.|\((\d+)\))\s+")
"""A paragraph's label as the seed writes it: PP1. OP5. 12. (1)"""


def normalised(text: str) -> str:
    """A block of the seed (or a text of the service) without its markup, white space runs
    made one space."""
    text = re.sub(r"^\s*#+\s*", "", text)
    text = re.sub(r"^\s*-\s+", "", text)
    text = re.sub(r"<sup>(.*?)</sup>", r"\1", text)
    text = text.replace("**", "").replace("*", "").replace("\\_", "_")
    return " ".join(text.split())


@cache
def seed_blocks() -> list[str]:
    """The seed file that holds Rev.8 as normalised blocks, those cut by a page break joined.
    No seed, no test: its absence fails, it does not skip."""
    seed = next((place for place in SEEDS if place.is_dir()), None)
    assert seed is not None, f"the seed documents are in none of {[str(p) for p in SEEDS]}"
    holding = [p for p in sorted(seed.glob("*.txt")) if REV8_MARK in p.read_text("utf-8")]
    assert len(holding) == 1, f"one seed file in {seed} holds {REV8_MARK!r}, not {holding}"
    raws: list[list[str]] = [[]]
    for line in holding[0].read_text("utf-8").splitlines():
        if not line.strip() or re.match(r"\s*(?:-\s|#)", line):
            raws.append([])
        raws[-1].append(line)
    blocks: list[str] = []
    for raw in raws:
        block = normalised("\n".join(raw))
        if not block:
            continue
        if blocks and block[0].islower():
            blocks[-1] = f"{blocks[-1]} {block}"
        else:
            blocks.append(block)
    return blocks


def section(blocks: list[str], title: str, end: str | None) -> list[str]:
    """The blocks from the one that is `title` to the one that is `end` (the file's end if
    None), `end` left out."""
    start = blocks.index(title)
    stop = blocks.index(end, start) if end is not None else len(blocks)
    return blocks[start:stop]


def labelled(blocks: list[str], *, heading_before: str | None = None) -> dict[str, str]:
    """A text's parts as the seed writes them: its title, the words before the first
    paragraph (`opening`), each paragraph by its label (a sub-item under its paragraph's:
    ``OP5 (1)``), and `heading`, the line before `heading_before`'s paragraph."""
    parts = {"title": blocks[0]}
    paragraph = None
    for block in blocks[1:]:
        found = LABEL.match(block)
        if found is None:
            key = "opening" if paragraph is None else "heading"
            assert key not in parts, f"an unlabelled block where none is expected: {block!r}"
            parts[key] = block
            continue
        label, item = found.groups()
        if label is not None:
            paragraph = label
            key = label
        else:
            key = f"{paragraph} ({item})"
        parts[key] = block[found.end():]
    if heading_before is not None:
        assert "heading" in parts, "the operative heading is in the seed"
    return parts


@cache
def in_the_seed() -> dict[str, dict[str, str]]:
    blocks = seed_blocks()
    conference = "CONFERENCE ON INTERACTION AND CONFIDENCE BUILDING MEASURES IN ASIA"
    note_title = "Explanatory Note on the Draft Conclusions of the Sixth CICA Summit"
    return {
        "Rev.8": labelled(
            section(blocks, "DRAFT ASTANA STATEMENT ON CICA TRANSFORMATION", conference),
            heading_before="OP1",
        ),
        "SUM/2022/DRAFT/5": labelled(
            section(blocks, "DRAFT CONCLUSIONS OF THE SIXTH CICA SUMMIT", note_title)
        ),
        "Explanatory Note": labelled(section(blocks, note_title, None)),
    }


def in_the_service() -> dict[str, dict[str, str]]:
    """The same parts of the texts `services.documents.seed` gives, numbered as they stand."""

    def parts(text: dict, prefix: dict[str, str]) -> dict[str, str]:
        found = {"title": text["title"]["en"]}
        if text.get("opening"):
            found["opening"] = text["opening"]["en"]
        counters: dict[str, int] = {}
        for paragraph in text["paragraphs"]:
            if paragraph["part"] == "operative" and "operative" not in counters:
                found["heading"] = text["operative_heading"]["en"]
            counters[paragraph["part"]] = counters.get(paragraph["part"], 0) + 1
            label = f"{prefix[paragraph['part']]}{counters[paragraph['part']]}"
            found[label] = paragraph["text"]["en"]
            for index, item in enumerate(paragraph.get("items", []), start=1):
                found[f"{label} ({index})"] = item["text"]["en"]
        return {key: normalised(value) for key, value in found.items()}

    note = {
        "title": EXPLANATORY_NOTE["title"],
        "paragraphs": [{"part": "body", "text": {"en": text}}
                       for text in EXPLANATORY_NOTE["paragraphs"]],
    }
    plain = {"body": ""}
    return {
        "Rev.8": parts(astana_rev8_text(), {"preamble": "PP", "operative": "OP"}),
        "SUM/2022/DRAFT/5": parts(conclusions_text(), plain),
        "Explanatory Note": parts(note, plain),
    }




def test_the_seed_is_read_part_by_part():
    """The parser finds what the seed shows: a test that reads nothing compares nothing."""
    rev8, conclusions, note = (in_the_seed()[k] for k in ("Rev.8", "SUM/2022/DRAFT/5",
                                                         "Explanatory Note"))
    assert list(rev8) == ["title", "opening", *(f"PP{n}" for n in range(1, 12)), "heading",
                          *(f"OP{n}" for n in range(1, 5)), "OP5", "OP5 (1)", "OP5 (2)",
                          "OP5 (3)", "OP6", "OP7"]
    assert list(conclusions) == ["title", "opening", *(str(n) for n in range(1, 16))]
    assert list(note) == ["title", "1", "2", "3", "4"]
    assert rev8["PP9"].endswith("while taking into account specific features and "
                                "characteristics in various parts of our region;")
    assert "of the 30th anniversary Summit" in note["1"]


@pytest.mark.parametrize("text", ["Rev.8", "SUM/2022/DRAFT/5", "Explanatory Note"])
def test_every_part_of_the_text_is_the_seeds_word_for_word(text: str):
    seed, service = in_the_seed()[text], in_the_service()[text]
    lost = sorted(set(seed) - set(service))
    added = sorted(set(service) - set(seed))
    assert (lost, added) == ([], []), f"{text}: lost {lost}, added {added}"
    changed = {key: (seed[key], service[key]) for key in seed if seed[key] != service[key]}
    assert changed == {}, f"{text}: not the seed's words"
    assert list(service) == list(seed), f"{text}: not in the seed's order"


def test_the_blank_of_paragraph_5_stays_open_as_the_seed_leaves_it():
    assert "Kazakhstan in 2022-2024 and ______ in 2024-2026" in in_the_service()[
        "SUM/2022/DRAFT/5"]["5"]


SPONSORS_NAMED = {
    "The Republic of Kazakhstan": "KAZ",
    "The People's Republic of China": "CHN",
    "Vietnam": "VNM",
    "The State of Palestine": "PSE",
    "The State of Israel": "ISR",
}
"""The states the draft conclusions name as speaking for a paragraph, as the seed words them."""
SPEAKS_FOR = re.compile(r"^(.+?) (?:and other Member States|expresses) ")


def test_a_paragraph_that_names_a_state_has_it_as_its_sponsor_and_no_other_has_any():
    seed = in_the_seed()["SUM/2022/DRAFT/5"]
    expected = {}
    for number in range(1, 16):
        found = SPEAKS_FOR.match(seed[str(number)])
        expected[str(number)] = (SPONSORS_NAMED[found.group(1)],) if found else ()
    held = {str(n): sponsors for n, (_, _, sponsors) in enumerate(CONCLUSIONS_PARAGRAPHS, 1)}
    assert held == expected
    assert {n for n, s in expected.items() if s} == {"6", "8", "10", "11", "12", "13", "14"}
    bodies = [conclusions_text(), astana_rev8_text()]
    posted = [p.get("sponsors", []) for body in bodies for p in body["paragraphs"]]
    assert sorted(code for sponsors in posted for code in sponsors) == sorted(
        code for sponsors in expected.values() for code in sponsors
    )


def test_the_explanatory_note_is_posted_as_the_seed_has_it_with_no_symbol():
    body = explanatory_note()
    assert "symbol" not in body
    assert (body["kind"], body["dated"], body["note"]) == (
        "explanatory_note", "2022-10-07", "SOC/OI/1280")
    seed = in_the_seed()["Explanatory Note"]
    assert [normalised(p["en"]) for p in body["paragraphs"]] == [seed[n] for n in "1234"]
    assert "Draft Conclusions of the Sixth CICA Summit and Explanatory Note." in seed_blocks(), (
        "note verbale SOC/OI/1280 encloses it with the draft conclusions"
    )


def test_the_russian_text_of_rev8_is_an_unofficial_translation_of_every_part():
    """The seed has no Russian text of Rev.8 but its title, in note verbale SOC/OI/1280: the
    rest is the project's own translation, never posted as an official version."""
    russian = astana_rev8_russian()
    english = astana_rev8_text()
    assert russian["official"] is False
    assert set(russian["paragraphs"]) == {p["id"] for p in english["paragraphs"]}
    assert set(russian["items"]) == {i["id"] for p in english["paragraphs"]
                                     for i in p.get("items", [])}
    assert all(text.strip() for text in [*russian["paragraphs"].values(),
                                         *russian["items"].values()])
    named = "Проект Астанинского заявления о трансформации СВМДА (Ревизия 8);"
    assert named in seed_blocks()
    assert russian["title"] == named.removesuffix(" (Ревизия 8);").upper()
