"""Circulation: the Secretariat sends a revision of a document, in its language versions, to the
addressees its distribution names, on a date (and usually under a note verbale, such as
No. SOC/OI/1280 of 7 October 2022, which forwarded Rev.8 of SUM/2022/DRAFT/1).

What is circulated is a revision that exists and is held, on a day not before the date it
bears and not in the future; its language versions are the original and the official versions
it has (an unofficial translation is for information, not a language version of the text). A
revision is circulated once a day in each language version: the same revision again on the
same date is refused, unless language versions have come since, and then the circulation
carries those only."""

from __future__ import annotations

from datetime import date

from services.documents.domain.errors import AlreadyCirculatedError, CirculatedBeforeItsDateError
from services.documents.domain.state import Document, LanguageStatus, Revision
from services.documents.domain.texts import check_dated
from services.documents.events import DocumentCirculated


def circulated_languages(document: Document, revision: Revision) -> list[str]:
    """The language versions of `revision` a circulation sends: the original first, then its
    official versions."""
    official = [
        language
        for language in revision.languages
        if revision.language_status(language) is LanguageStatus.OFFICIAL
    ]
    return [document.language, *official]


def circulate(
    document: Document,
    *,
    dated: date,
    today: date,
    revision: int | None = None,
    note: str | None = None,
) -> DocumentCirculated:
    """The circulation of `revision` (the latest if None) on `dated`, under `note` if one
    circulated it, to the addressees the document's distribution names now."""
    number = document.latest.number if revision is None else revision
    circulated = document.revision(number)
    check_dated(dated, today)
    revision_dated = circulated.day
    if revision_dated is not None and dated < revision_dated:
        raise CirculatedBeforeItsDateError(circulated.symbol, dated, revision_dated)
    earlier = [c for c in document.circulations if c.revision == number and c.dated == dated]
    already = {language for c in earlier for language in c.languages}
    languages = [
        language
        for language in circulated_languages(document, circulated)
        if language not in already
    ]
    if not languages:
        raise AlreadyCirculatedError(
            circulated.symbol,
            dated,
            sorted(already),
            [c.note for c in earlier if c.note is not None],
        )
    return DocumentCirculated(
        document=document.stream_id,
        revision=number,
        symbol=circulated.symbol,
        languages=tuple(languages),
        dated=dated,
        addressees=document.distribution,
        note=note,
    )
