"""The seed documents (the repository's ``seed/``, a copy of the project's sources) as text a
test can look things up in, and the check that what a log records is found there or says what
it is.

The seed is markdown converted from the circulated pages. Looked up, both sides are
normalised alike (`normalised`): the markup is dropped (``*italics*``, ``**bold**``,
``<sup>th</sup>``, heading ``#`` and list ``-`` marks), the escape ``\\_`` is ``_``, white space
runs are one space, and case is ignored (a title the agenda writes "the draft decision on ..."
is the document's "Draft decision on ...").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
SEED = REPOSITORY / "seed" / "000_abcfcf60cd2b43f2.txt"
SEED_SHA256 = "5aba31567bdd6014bcf01a839d2f78f510d2c5b5f3799f8c5308e7c9842f6758"
"""The seed file as the project received it: a copy that drifted fails every test using it."""

NUMBER_ON_THE_PAGE = "**№SOC/OI/1280**"
MIN_TEXT = 24
"""Strings shorter than this (codes, symbols, kinds, names) are facts, not texts: their source
is the event's, checked by status, not by looking them up."""
NOT_TEXT = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # ids
    r"|[0-9a-f]{32,}"  # hashes
    r"|\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+-]+Z?)?"  # dates and instants
    r"|https?://\S+"  # addresses
    r"|[a-z0-9_.:-]+"  # tokens: kinds, outcomes, actors
    r")$"
)


def normalised(text: str) -> str:
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    text = re.sub(r"(?m)^\s*-\s+", "", text)
    text = re.sub(r"<sup>(.*?)</sup>", r"\1", text)
    text = text.replace("**", "").replace("*", "").replace("\\_", "_")
    return " ".join(text.split()).casefold()


@cache
def seed_text() -> str:
    """The whole seed, normalised. Its absence, or a changed copy, fails: it never skips."""
    raw = SEED.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SEED_SHA256, f"{SEED} is not the seed received"
    # The Russian page of SOC/OI/1280 sets the note's number between the two halves of its
    # first sentence (a layout, not a text): without it, the sentence reads through.
    return normalised(raw.decode("utf-8").replace(NUMBER_ON_THE_PAGE, " "))


def in_seed(text: str) -> bool:
    return normalised(text) in seed_text()


def texts_of(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every string in `value` that is a text rather than a code."""
    if isinstance(value, str):
        for line in value.splitlines():  # a rendered text: its paragraphs, one a line
            if len(line.strip()) >= MIN_TEXT and not NOT_TEXT.match(line.strip()):
                yield path, line.strip()
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts_of(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from texts_of(item, f"{path}[{index}]")


def unsourced(events: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the provenance of a log's `events` (as its feed serves them): an
    event that is neither a reaction (its metadata names a cause), nor a service's record of
    its own act (a delivery attempted: its actor is ``service:<name>``), nor sourced (its
    metadata has a ``source``); and a text in an event of status ``record`` that the seed does
    not hold."""
    wrong = []
    for event in events:
        metadata = event.get("metadata") or {}
        where = f"{event['stream_id']}#{event['version']} {event['event_type']}"
        source = metadata.get("source")
        if source is None:
            own_act = str(metadata.get("actor", "")).startswith("service:")
            if "causation_id" not in metadata and not own_act:
                wrong.append(f"{where}: no source and no cause")
            continue
        if source.get("status") != "record":
            continue
        wrong += [
            f"{where}{path}: not in the seed (cited {source.get('cites')}): {text[:80]!r}"
            for path, text in texts_of(event.get("data", {}))
            if not in_seed(text)
        ]
    return wrong
