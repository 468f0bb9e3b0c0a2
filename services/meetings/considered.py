"""What an agenda item considers: documents by their symbols as circulated, following the
documents service while the agenda is not adopted. A revision takes its earlier revision's
place (``ConsideredDocumentRevised``); an addendum or a corrigendum is considered with its
parent, after it (``ConsideredDocumentSupplemented``). An adopted agenda is the record of what
the meeting considered: neither rewrites it (it changes only by a decision of the meeting).

Pure: the items in, the items or the events out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from services.meetings.events import (
    AgendaItem,
    ConsideredDocumentRevised,
    ConsideredDocumentSupplemented,
    DocumentRef,
)

if TYPE_CHECKING:
    from services.meetings.domain import Meeting

T = TypeVar("T")

_REVISION = re.compile(
    r"^(?P<head>.+?)/Rev\.(?P<n>[1-9][0-9]*)(?P<tail>(?:/(?:Add|Corr)\.[1-9][0-9]*)*)$"
)


def base_symbol(symbol: str) -> tuple[str, int]:
    """``SUM/2022/DRAFT/1/Rev.8`` → (``SUM/2022/DRAFT/1``, 8); an original is revision 0. An
    addendum or a corrigendum is a document of its own: ``SUM/2022/DRAFT/1/Rev.2/Add.1`` is
    revision 2 of ``SUM/2022/DRAFT/1/Add.1``."""
    match = _REVISION.match(symbol)
    return (match["head"] + match["tail"], int(match["n"])) if match else (symbol, 0)


def _entries(items: Iterable[AgendaItem]) -> Iterable[tuple[str, tuple[DocumentRef, ...]]]:
    """Each item and sub-item (``3``, ``3(c)``) with the documents it considers."""
    for item in items:
        yield item.number, item.considers
        for sub in item.sub_items:
            yield f"{item.number}({sub.letter})", sub.considers


def _on_item(
    items: tuple[AgendaItem, ...],
    ref: str,
    change: Callable[[tuple[DocumentRef, ...]], tuple[DocumentRef, ...]],
) -> tuple[AgendaItem, ...]:
    """`items` with `change` applied to what the item or sub-item `ref` considers."""
    number, _, letter = ref.partition("(")
    out = []
    for item in items:
        if item.number == number and not letter:
            item = item.model_copy(update={"considers": change(item.considers)})
        elif item.number == number:
            subs = tuple(
                s.model_copy(update={"considers": change(s.considers)}) if s.letter == letter[0]
                else s
                for s in item.sub_items
            )
            item = item.model_copy(update={"sub_items": subs})
        out.append(item)
    return tuple(out)


def replace_document(
    items: tuple[AgendaItem, ...], ref: str, current: DocumentRef
) -> tuple[AgendaItem, ...]:
    """The item `ref` considers `current` in place of its earlier revision."""
    base = base_symbol(current.symbol)[0]
    return _on_item(
        items, ref,
        lambda considers: tuple(current if base_symbol(d.symbol)[0] == base else d
                                for d in considers),
    )


def with_supplement(
    considers: Sequence[T], added: T, parent: str, symbol_of: Callable[[T], str]
) -> list[T]:
    """`considers` with `added` after the document `parent` (a base symbol) and the addenda and
    corrigenda of it listed already; as it was if it lists `added` (at any revision)."""
    bases = [base_symbol(symbol_of(d))[0] for d in considers]
    added_base = base_symbol(symbol_of(added))[0]
    if added_base in bases:
        return list(considers)
    at = max(
        (i for i, b in enumerate(bases) if b == parent or b.startswith(f"{parent}/")),
        default=len(considers) - 1,
    )
    return [*considers[: at + 1], added, *considers[at + 1 :]]


def add_supplement(
    items: tuple[AgendaItem, ...], ref: str, parent: DocumentRef, added: DocumentRef
) -> tuple[AgendaItem, ...]:
    """The item `ref` considers `added` too, after `parent`."""
    base = base_symbol(parent.symbol)[0]
    return _on_item(
        items, ref,
        lambda considers: tuple(with_supplement(considers, added, base, lambda d: d.symbol)),
    )


def follow_document_revision(
    state: Meeting, *, symbol: str, dated: date | None
) -> list[ConsideredDocumentRevised]:
    """The documents service revised a draft: each item considering an earlier revision of it
    now considers `symbol`, dated as the revision is, while the agenda is not adopted. An
    adopted agenda is the record of what the meeting considered: a later revision does not
    rewrite it (it changes only by a decision of the meeting)."""
    if state.adopted is not None:
        return []
    base, revision = base_symbol(symbol)
    new = []
    for ref, considers in _entries(state.items):
        for doc in considers:
            doc_base, doc_revision = base_symbol(doc.symbol)
            if doc_base == base and doc_revision < revision:
                current = DocumentRef(symbol=symbol, dated=dated, note=doc.note)
                new.append(ConsideredDocumentRevised(item=ref, previous=doc, current=current))
    return new


def follow_supplement(
    state: Meeting, *, symbol: str, parent: str, dated: date | None
) -> list[ConsideredDocumentSupplemented]:
    """The documents service issued the addendum or corrigendum `symbol` to the document
    `parent` (a base symbol): each item considering the parent (at any revision) considers it
    too, dated as it is, while the agenda is not adopted. The item considers both: the
    addendum adds to the text the meeting considers, the corrigendum corrects it, and neither
    replaces it. An adopted agenda stays as the meeting adopted it."""
    if state.adopted is not None:
        return []
    kind = "corrigendum" if re.search(r"/Corr\.[1-9][0-9]*$", symbol) else "addendum"
    added = DocumentRef(symbol=symbol, dated=dated)
    new = []
    for ref, considers in _entries(state.items):
        bases = {base_symbol(d.symbol)[0] for d in considers}
        considered = next((d for d in considers if base_symbol(d.symbol)[0] == parent), None)
        if considered is not None and base_symbol(symbol)[0] not in bases:
            new.append(ConsideredDocumentSupplemented(
                item=ref, parent=considered, added=added, kind=kind,  # type: ignore[arg-type]
            ))
    return new
