"""Language versions: a translation is another language than the document's own, of a revision
that exists, official (a version the Secretariat issues) or not (a translation for
information, which every read says is unofficial). Before adoption a language version may be
replaced, and the event says it replaces one; an adopted text never changes, and takes only
official versions in languages it does not have yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.documents.domain.errors import (
    AdoptedTextOfficialVersionsOnlyError,
    AdoptedTextUnchangedError,
    InvalidTranslationError,
    OfficialVersionRecordedError,
    TranslationInOriginalLanguageError,
)
from services.documents.domain.state import Document, LanguageStatus, Revision
from services.documents.events import DocumentText, TranslationAdded

OFFICIAL_LANGUAGES = ("en", "ru", "kk")
"""The languages the Secretariat circulates every document in."""


def _check_whole(text: DocumentText, revision: int, paragraphs: dict[str, str],
                 items: dict[str, str], opening: str, operative_heading: str) -> None:
    expected = {p.id for p in text.paragraphs}
    expected_items = {i.id for p in text.paragraphs for i in p.items}
    if set(paragraphs) != expected:
        missing = sorted(expected - set(paragraphs))
        extra = sorted(set(paragraphs) - expected)
        raise InvalidTranslationError(
            f"A language version translates every paragraph of revision {revision} and no "
            f"other: missing {missing}, unknown {extra}.",
            missing=missing,
            unknown=extra,
        )
    if set(items) != expected_items:
        raise InvalidTranslationError(
            f"A language version translates every sub-item of revision {revision}: expected "
            f"{sorted(expected_items)}, got {sorted(items)}."
        )
    if bool(text.opening) and not opening:
        raise InvalidTranslationError("The revision has an opening: translate it too.")
    if bool(text.operative_heading) and not operative_heading:
        raise InvalidTranslationError("The revision has an operative heading: translate it too.")


def _check_adopted(document: Document, target: Revision, language: str, official: bool) -> None:
    adopted = document.adopted
    if adopted is None:
        return
    if target is not adopted:
        raise AdoptedTextUnchangedError(
            f"{document.stream_id} is adopted as {adopted.symbol}: {target.symbol} takes no "
            "further language version.",
            symbol=target.symbol,
            language=language,
        )
    if target.language_status(language) is not None:
        raise AdoptedTextUnchangedError(
            f"{target.symbol} is adopted: its {language!r} text, recorded already, never "
            "changes.",
            symbol=target.symbol,
            language=language,
        )
    if not official:
        raise AdoptedTextOfficialVersionsOnlyError(target.symbol, language)


def add_translation(
    document: Document,
    *,
    revision: int,
    language: str,
    official: bool,
    title: str,
    opening: str = "",
    operative_heading: str = "",
    paragraphs: dict[str, str],
    items: dict[str, str] | None = None,
) -> TranslationAdded:
    """A language version of `revision`: every paragraph and sub-item of it, in a language
    other than the document's own."""
    target = document.revision(revision)
    if language.lower() == document.language.lower():
        raise TranslationInOriginalLanguageError(target.symbol, document.language)
    _check_adopted(document, target, language, official)
    held = target.language_status(language)
    if held is LanguageStatus.OFFICIAL and not official:
        raise OfficialVersionRecordedError(target.symbol, language)
    items = items or {}
    _check_whole(target.text, revision, paragraphs, items, opening, operative_heading)
    return TranslationAdded(
        revision=revision,
        language=language,
        official=official,
        replaces=held is not None,
        title=title,
        opening=opening if target.text.opening else "",
        operative_heading=operative_heading if target.text.operative_heading else "",
        paragraphs=paragraphs,
        items=items,
    )


# ------------------------------------------------------------------------- language versions


@dataclass(frozen=True)
class LanguageVersion:
    language: str
    revision: int
    """The newest revision that has a text in this language."""
    stale: bool
    """Older than the document's latest revision."""
    status: LanguageStatus = LanguageStatus.OFFICIAL
    """Original, official, or an unofficial translation (never to be taken for the official
    text)."""

    @property
    def official(self) -> bool:
        return self.status is not LanguageStatus.UNOFFICIAL


def language_versions(document: Document) -> list[LanguageVersion]:
    newest: dict[str, Revision] = {}
    for revision in document.revisions:
        for language in revision.text.title:
            newest[language] = revision
    latest = document.latest.number
    return [
        LanguageVersion(
            language,
            revision.number,
            revision.number < latest,
            revision.language_status(language) or LanguageStatus.OFFICIAL,
        )
        for language, revision in sorted(newest.items())
    ]


@dataclass(frozen=True)
class TranslationNeed:
    language: str
    translated_revision: int | None
    """The newest revision with an official version in this language (None: none has)."""
    paragraphs: tuple[str, ...]
    """The paragraphs (and sub-items) whose text is new or changed since that revision."""


def _source_texts(text: DocumentText, language: str) -> dict[str, str]:
    texts = {"title": text.title.get(language, "")}
    for paragraph in text.paragraphs:
        texts[paragraph.id] = paragraph.text.get(language, "")
        for item in paragraph.items:
            texts[item.id] = item.text.get(language, "")
    return texts


def translation_needs(
    document: Document, languages: Sequence[str] = OFFICIAL_LANGUAGES
) -> list[TranslationNeed]:
    """What needs translating for the latest revision: every official language (and any other
    the document has been in) that the latest revision lacks an official version in, with
    what changed since its newest official version (an unofficial translation fills no
    need)."""
    official: dict[str, int] = {}
    known: set[str] = set()
    for revision in document.revisions:
        for language in revision.text.title:
            known.add(language)
            if revision.language_status(language) is not LanguageStatus.UNOFFICIAL:
                official[language] = revision.number
    latest = document.latest
    source = _source_texts(latest.text, document.language)
    needs = []
    for language in sorted(set(languages) | known):
        translated = official.get(language)
        if translated == latest.number:
            continue
        if translated is None:
            changed = [pid for pid in source if pid != "title"]
        else:
            before = _source_texts(document.revision(translated).text, document.language)
            changed = [
                pid for pid, value in source.items() if pid != "title" and before.get(pid) != value
            ]
        needs.append(TranslationNeed(language, translated, tuple(changed)))
    return needs
