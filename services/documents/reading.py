"""Reading a revision: the language it is read in, two revisions compared, and its renditions
(plain text, Akoma Ntoso XML). Pure functions of the folded document: the same revision gives
the same bytes every time it is asked for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from services.documents.domain import Amendment, Document, LanguageStatus, Revision, numbered
from services.documents.events import DocumentText, Part

# ----------------------------------------------------------------------------- languages


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    requested: tuple[str, ...]
    fallback: bool
    """True when none of the requested languages exists for the revision: the answer is in the
    document's own language (the one it was drafted in)."""


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 left out)."""
    if not header:
        return []
    weighted = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0]
        if not tag:
            continue
        quality = 1.0
        for piece in pieces[1:]:
            if piece.startswith("q="):
                try:
                    quality = float(piece[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(
    available: list[str], requested: list[str], fallback: str
) -> LanguageChoice:
    """The first requested tag the revision has (``ru-RU`` matches ``ru``; ``*`` any), else
    the document's own language."""
    lowered = {a.lower(): a for a in available}
    for tag in requested:
        if tag == "*":
            return LanguageChoice(fallback, tuple(requested), False)
        candidate = tag.lower()
        while candidate:
            if candidate in lowered:
                return LanguageChoice(lowered[candidate], tuple(requested), False)
            candidate = candidate.rpartition("-")[0]
        for language in sorted(lowered):  # "kk" asked, "kk-Cyrl" held
            if language.startswith(tag.lower() + "-"):
                return LanguageChoice(lowered[language], tuple(requested), False)
    return LanguageChoice(fallback, tuple(requested), bool(requested))


# ------------------------------------------------------------------------------ comparing

_WORDS = re.compile(r"\S+")


def word_changes(before: str, after: str) -> list[dict[str, str]]:
    """Which words changed between two texts of a paragraph, as difflib's opcodes over words:
    ``{"op": "replace", "before": "...", "after": "..."}`` (equal runs left out)."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changes.append(
            {"op": op, "before": " ".join(old[i1:i2]), "after": " ".join(new[j1:j2])}
        )
    return changes


def _flat(text: DocumentText, language: str) -> dict[str, tuple[str, str]]:
    """Each paragraph's number and its whole text (sub-items included) in `language`."""
    flat = {}
    for number, paragraph in numbered(text):
        parts = [paragraph.text.get(language, "")]
        for index, item in enumerate(paragraph.items, start=1):
            parts.append(f"({index}) {item.text.get(language, '')}")
        flat[paragraph.id] = (number, "\n".join(parts))
    return flat


def _incorporated(
    amendment: Amendment, old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]
) -> dict[str, object]:
    """An amendment taken in, and its paragraph: where it stands in the later revision (the
    paragraph it replaced, the one it inserted; none for a deletion) and where it stood."""
    pid = amendment.result_paragraph_id
    target = amendment.paragraph_id if pid is None else pid
    number, text = new.get(target, (None, ""))
    return {
        "amendment_id": str(amendment.id),
        "state": amendment.state,
        "action": amendment.action.value,
        "proposed_on_revision": amendment.revision,
        "incorporated_in": amendment.incorporated_in,
        "paragraph_id": target,
        "number": number if pid is not None else None,
        "text": text if pid is not None else "",
        "from_number": old[target][0] if target in old else None,
    }


def compare(
    before: Revision,
    after: Revision,
    language: str,
    *,
    incorporated: Sequence[Amendment] = (),
) -> dict[str, object]:
    """Paragraphs added, removed, moved (relative order changed) and changed (with the words
    that changed), from `before` to `after`, matched by their stable ids; and each amendment
    taken in on the way (`incorporated`), with its paragraph."""
    old, new = _flat(before.text, language), _flat(after.text, language)
    old_order = [pid for pid in old if pid in new]
    new_order = [pid for pid in new if pid in old]
    matcher = difflib.SequenceMatcher(a=old_order, b=new_order, autojunk=False)
    in_place = {old_order[b.a + k] for b in matcher.get_matching_blocks() for k in range(b.size)}
    title_before = before.text.title.get(language, "")
    title_after = after.text.title.get(language, "")
    return {
        "language": language,
        "unofficial": any(
            r.language_status(language) is LanguageStatus.UNOFFICIAL for r in (before, after)
        ),
        "from_revision": before.number,
        "to_revision": after.number,
        "from_symbol": before.symbol,
        "to_symbol": after.symbol,
        "title_changes": word_changes(title_before, title_after),
        "added": [{"id": pid, "number": new[pid][0], "text": new[pid][1]}
                  for pid in new if pid not in old],
        "removed": [{"id": pid, "number": old[pid][0], "text": old[pid][1]}
                    for pid in old if pid not in new],
        "moved": [{"id": pid, "from_number": old[pid][0], "to_number": new[pid][0]}
                  for pid in new_order if pid not in in_place],
        "changed": [
            {
                "id": pid,
                "from_number": old[pid][0],
                "to_number": new[pid][0],
                "words": word_changes(old[pid][1], new[pid][1]),
            }
            for pid in new_order
            if old[pid][1] != new[pid][1]
        ],
        "renumbered": [
            {"id": pid, "from_number": old[pid][0], "to_number": new[pid][0]}
            for pid in new_order
            if old[pid][0] != new[pid][0]
        ],
        "incorporated": [_incorporated(a, old, new) for a in incorporated],
    }


# ----------------------------------------------------------------------------- renditions


def _date_of(revision: Revision) -> str:
    day = revision.day
    return day.isoformat() if day is not None else ""


UNOFFICIAL = {
    "en": "Unofficial translation",
    "ru": "Неофициальный перевод",
    "kk": "Ресми емес аударма",
}
"""What every rendition of an unofficial translation says, before its title, in the
translation's own language (in English for a language not listed here): its reader is told in
words they read that it is not the official text."""


def unofficial_marker(language: str) -> str:
    """The line that marks an unofficial translation into `language`."""
    return UNOFFICIAL.get(language.split("-")[0].lower(), UNOFFICIAL["en"])


def _unofficial(revision: Revision, language: str) -> bool:
    return revision.language_status(language) is LanguageStatus.UNOFFICIAL


def plain_text(document: Document, revision: Revision, language: str) -> str:
    """The revision in `language` as plain text, lines ending in LF (an unofficial translation
    says so under the heading, in its own language: "Неофициальный перевод")."""
    text = revision.text
    lines = [
        f"{revision.symbol}    {_date_of(revision)}".rstrip(),
        f"Distr.: {document.distribution.kind.value.replace('_', ' ')}",
        *([revision.originator] if revision.originator else []),
        *([unofficial_marker(language)] if _unofficial(revision, language) else []),
        "",
        text.title.get(language, ""),
        "",
    ]
    if text.opening:
        lines += [text.opening.get(language, ""), ""]
    heading_done = False
    for number, paragraph in numbered(text):
        if paragraph.part is Part.OPERATIVE and text.operative_heading and not heading_done:
            lines += [text.operative_heading.get(language, ""), ""]
            heading_done = True
        lines.append(f"{number}. {paragraph.text.get(language, '')}")
        for index, item in enumerate(paragraph.items, start=1):
            lines.append(f"    ({index}) {item.text.get(language, '')}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


AKN_NAMESPACE = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
_ISO_639_2 = {"en": "eng", "ru": "rus", "kk": "kaz", "zh": "zho", "ar": "ara", "fr": "fra"}


def _akn_language(language: str) -> str:
    primary = language.split("-")[0]
    return _ISO_639_2.get(primary, primary)


def _p(value: str) -> str:
    return f"<p>{escape(value)}</p>"


def akoma_ntoso(document: Document, revision: Revision, language: str) -> str:
    """The revision in `language` as Akoma Ntoso 3.0 XML: FRBR work, expression and
    manifestation identifiers built from the symbol, the language and the revision; the
    preamble's recitals and the operative part's paragraphs, each with an ``eId`` from its
    place and a ``wId`` from its stable id."""
    text = revision.text
    base = document.stream_id.replace("/", "-")
    year = document.symbol.year
    doc_name = document.document_type.value
    work = f"/akn/int/{doc_name}/cica/{year}/{base}"
    expression = f"{work}/{_akn_language(language)}@rev{revision.number}"
    manifestation = f"{expression}/!main.xml"
    day = _date_of(revision) or f"{year}-01-01"
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append(f'<akomaNtoso xmlns="{AKN_NAMESPACE}">')
    out.append(f"  <doc name={quoteattr(doc_name)}>")
    out.append("    <meta>")
    out.append('      <identification source="#cica">')
    out.append("        <FRBRWork>")
    out.append(f"          <FRBRthis value={quoteattr(work + '/!main')}/>")
    out.append(f"          <FRBRuri value={quoteattr(work)}/>")
    out.append(f'          <FRBRdate date="{day}" name="revision"/>')
    out.append('          <FRBRauthor href="#cica"/>')
    out.append('          <FRBRcountry value="int"/>')
    out.append(f"          <FRBRnumber value={quoteattr(document.stream_id)}/>")
    out.append("        </FRBRWork>")
    out.append("        <FRBRExpression>")
    out.append(f"          <FRBRthis value={quoteattr(expression + '/!main')}/>")
    out.append(f"          <FRBRuri value={quoteattr(expression)}/>")
    out.append(f'          <FRBRdate date="{day}" name="revision"/>')
    out.append('          <FRBRauthor href="#cica"/>')
    out.append(f'          <FRBRlanguage language="{_akn_language(language)}"/>')
    out.append(f"          <FRBRversionNumber value=\"{revision.number}\"/>")
    out.append("        </FRBRExpression>")
    out.append("        <FRBRManifestation>")
    out.append(f"          <FRBRthis value={quoteattr(manifestation)}/>")
    out.append(f"          <FRBRuri value={quoteattr(manifestation)}/>")
    out.append(f'          <FRBRdate date="{day}" name="generation"/>')
    out.append('          <FRBRauthor href="#cica"/>')
    out.append("        </FRBRManifestation>")
    out.append("      </identification>")
    out.append("      <references source=\"#cica\">")
    out.append(
        '        <TLCOrganization eId="cica" href="/ontology/organization/cica" '
        'showAs="Conference on Interaction and Confidence Building Measures in Asia"/>'
    )
    out.append("      </references>")
    out.append("    </meta>")
    out.append("    <preface>")
    out.append(f"      <p><docNumber>{escape(revision.symbol)}</docNumber></p>")
    if revision.originator:
        out.append(f"      <p><docProponent>{escape(revision.originator)}</docProponent></p>")
    if _unofficial(revision, language):
        out.append(f"      <p><docStatus>{unofficial_marker(language)}</docStatus></p>")
    out.append(f"      <p><docTitle>{escape(text.title.get(language, ''))}</docTitle></p>")
    out.append("    </preface>")
    paragraphs = numbered(text)
    recitals = [(n, p) for n, p in paragraphs if p.part is Part.PREAMBLE]
    if text.opening or recitals:
        out.append("    <preamble>")
        if text.opening:
            out.append('      <formula name="enactingFormula">')
            out.append(f"        {_p(text.opening.get(language, ''))}")
            out.append("      </formula>")
        if recitals:
            out.append("      <recitals>")
            for index, (number, paragraph) in enumerate(recitals, start=1):
                out.append(
                    f'        <recital eId="recital_{index}" wId={quoteattr(paragraph.id)}>'
                )
                out.append(f"          <num>{number}.</num>")
                out.append(f"          {_p(paragraph.text.get(language, ''))}")
                out.append("        </recital>")
            out.append("      </recitals>")
        out.append("    </preamble>")
    out.append("    <mainBody>")
    if text.operative_heading:
        out.append(f"      <intro>{_p(text.operative_heading.get(language, ''))}</intro>")
    index = 0
    for number, paragraph in paragraphs:
        if paragraph.part is Part.PREAMBLE:
            continue
        index += 1
        eid = f"para_{index}"
        out.append(f'      <paragraph eId="{eid}" wId={quoteattr(paragraph.id)}>')
        out.append(f"        <num>{number}.</num>")
        if paragraph.items:
            out.append(f"        <list eId=\"{eid}__list_1\">")
            out.append(f"          <intro>{_p(paragraph.text.get(language, ''))}</intro>")
            for position, item in enumerate(paragraph.items, start=1):
                out.append(
                    f'          <point eId="{eid}__list_1__point_{position}" '
                    f"wId={quoteattr(item.id)}>"
                )
                out.append(f"            <num>({position})</num>")
                out.append(f"            <content>{_p(item.text.get(language, ''))}</content>")
                out.append("          </point>")
            out.append("        </list>")
        else:
            out.append(f"        <content>{_p(paragraph.text.get(language, ''))}</content>")
        out.append("      </paragraph>")
    out.append("    </mainBody>")
    out.append("  </doc>")
    out.append("</akomaNtoso>")
    return "\n".join(out) + "\n"
