"""Note verbale No. SOC/OI/1280 as the templates write it from `services.notifications.seed` is
the seed's note, word for word, in English, Russian and Kazakh: every paragraph of the seed's
note is in the rendered text, and the rendered text holds nothing else. Compared with the seed
file itself; no database.

The seed is markdown converted from the circulated pages. Compared, both sides are normalised
alike: white space runs are one space (the addressee block's line breaks too), and the markup
is dropped (``**bold**``, list ``-`` marks). A block ends at a blank line and before a list
item; one that the page's layout cut (the Russian opening, broken around the number: a block
that starts in lower case after one that ends with no stop) is joined to the block before it.
The note's heading is not its text: the letterhead (the ``##`` lines) and the number
(``№SOC/OI/1280``), which the register gives when the note is issued. A block is English in
Latin script, Kazakh when it has a letter of the Kazakh alphabet that Russian lacks, Russian
otherwise. The note ends where the annotated
agenda's heading begins.

What is compared is the set of blocks, not their order: the seed's conversion puts the
enclosure line ("Enclosure: as stated, on 10 p.") between the opening and its list, where the
page's layout left it; the templates put it after the paragraphs, before the closing.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from services.notifications import templates
from services.notifications.domain import enclosed_pages
from services.notifications.events import Enclosure
from services.notifications.seed import CONTENT_1280, ISSUE_1280, NOTE_1280

REPOSITORY = Path(__file__).resolve().parents[2]
SEED = REPOSITORY / "seed"
"""The project's seed documents, in the repository (``seed/``, a copy of its sources)."""
NOTE_MARK = f"**№{NOTE_1280}**"
"""How the seed file that holds the note is known (its number, as the note prints it)."""
AGENDA_HEADING = "CONFERENCE ON INTERACTION AND CONFIDENCE BUILDING MEASURES IN ASIA"
"""The heading of the annotated agenda, which follows the note in the seed file."""
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def normalised(text: str) -> str:
    text = re.sub(r"^\s*-\s+", "", text)
    return " ".join(text.replace("**", "").split())


def language(block: str) -> str:
    if not re.search(r"[А-Яа-яЁё]", block):
        return "en"
    return "kk" if KAZAKH_LETTERS & set(block) else "ru"


def seed_note() -> dict[str, list[str]]:
    """The seed's note as normalised blocks, per language. No seed, no test: its absence
    fails, it does not skip."""
    assert SEED.is_dir(), f"the seed documents are not at {SEED}"
    holding = [p for p in sorted(SEED.glob("*.txt")) if NOTE_MARK in p.read_text("utf-8")]
    assert len(holding) == 1, f"one seed file in {SEED} holds {NOTE_MARK!r}, not {holding}"
    lines = holding[0].read_text("utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip("# ") == AGENDA_HEADING)
    raws: list[list[str]] = [[]]
    for line in lines[:end]:
        heading = line.lstrip().startswith("#") or line.strip() == NOTE_MARK
        if not line.strip() or heading or re.match(r"\s*-\s", line):
            raws.append([])
        if line.strip() and not heading:
            raws[-1].append(line)
    blocks: list[str] = []
    for raw in filter(None, raws):
        block = normalised("\n".join(raw))
        if blocks and block[:1].islower() and not blocks[-1].endswith((".", ":", ";")):
            blocks[-1] += " " + block  # cut by the layout (the Russian opening, by the number)
        else:
            blocks.append(block)
    by_language: dict[str, list[str]] = {"en": [], "ru": [], "kk": []}
    for block in blocks:
        by_language[language(block)].append(block)
    return by_language


def rendered_note() -> dict[str, list[str]]:
    """SOC/OI/1280 as the templates write it from the seed's data (the request the demo
    sends), as normalised blocks per language: its paragraphs, and each item of its list."""
    texts = templates.render(
        templates.NoteContent.model_validate(CONTENT_1280),
        place=ISSUE_1280["place"],
        dated=date.fromisoformat(ISSUE_1280["dated"]),
        pages=enclosed_pages(
            [Enclosure.model_validate(e) for e in ISSUE_1280["enclosures"]], ISSUE_1280["pages"]
        ),
        addressed_to_all_members="recipients" not in ISSUE_1280,
    )
    blocks: dict[str, list[str]] = {}
    for lang, text in texts.items():
        parts = [p for paragraph in text.split("\n\n") for p in re.split(r"\n(?=- )", paragraph)]
        blocks[lang] = [normalised(p) for p in parts]
    return blocks


def test_the_seed_holds_the_note_in_three_languages():
    """The parse finds what the seed shows: in each language the opening, two items, the
    paragraph on the agenda, the enclosure line, the closing, the dateline and the addressees."""
    note = seed_note()
    assert {lang: len(blocks) for lang, blocks in note.items()} == {"en": 8, "ru": 8, "kk": 8}
    assert note["ru"][0].startswith("Секретариат Совещания по взаимодействию и мерам доверия")
    assert note["kk"][3].endswith("Түсіндірме жазба;"), "the Kazakh list ends with ';'"


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_soc_oi_1280_is_the_seeds_note_word_for_word(lang):
    seed, rendered = seed_note()[lang], rendered_note()[lang]
    missing = [block for block in seed if block not in rendered]
    added = [block for block in rendered if block not in seed]
    assert missing == [], f"the rendered note lacks these paragraphs of the seed's: {missing}"
    assert added == [], f"the rendered note holds what the seed's does not: {added}"
    assert Counter(seed) == Counter(rendered)


def test_the_enclosures_are_the_notes_items_with_its_pages_in_all():
    """The enclosures are the two documents the note's list names, their titles as it names
    them; the note gives 10 pages in all and no page count of each."""
    enclosures = [Enclosure.model_validate(e) for e in ISSUE_1280["enclosures"]]
    assert [e.symbol for e in enclosures] == ["SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/5"]
    assert all(e.pages is None for e in enclosures)
    assert ISSUE_1280["pages"] == 10
    assert "subject" not in ISSUE_1280, "the seed's note has no subject line"
    for lang, items in CONTENT_1280["items"].items():
        titles = [e.title[lang] for e in enclosures]
        assert [item.rstrip(".;") for item in items] == titles
