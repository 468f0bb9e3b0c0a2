"""The diplomatic formulas of a note verbale, per language (English, Russian, Kazakh), as the
Secretariat writes them (see the seed's note No. SOC/OI/1280 of 7 October 2022):

    The Secretariat of the Conference on Interaction and Confidence Building Measures in Asia
    (CICA) presents its compliments to the CICA Member States and, on behalf of the CICA
    Chairmanship, has the honour to <what it does>:
    - <item>;
    <further paragraphs>
    Enclosure: as stated, on 10 p.
    The Secretariat avails itself of this opportunity to renew to the CICA Member States the
    assurances of its highest consideration.
    Astana, 7 October 2022
    MEMBER STATES
    OF THE CONFERENCE ON INTERACTION AND
    CONFIDENCE BUILDING MEASURES IN ASIA

Word for word as the seed's note has it in each language (tests/notifications/test_seed_note.py
renders SOC/OI/1280 and compares it with the seed paragraph by paragraph). The letterhead and
the number (``№SOC/OI/1280``) are the note's heading, not its text: the number is the
register's, given when the note is issued. A note issued from structured data (`NoteContent`)
gets its text from `render`; a note may also carry its full text per language, and then no
template is used. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.domain import InvalidRequestError
from services.notifications.events import Texts

LANGUAGES = ("en", "ru", "kk")
"""The languages the templates know."""


@dataclass(frozen=True)
class Formulas:
    secretariat: str
    """Who writes: the Secretariat, in the nominative."""
    all_members: str
    """The addressee when a note goes to every member state (in the case the formula needs)."""
    named_members: str
    """The addressee when a note goes to states named one by one."""
    opening: str
    """{secretariat} {addressee} {on_behalf} {body} {end}."""
    on_behalf: str
    """How "on behalf of X" enters the opening, X given by the note (empty when absent); in
    Kazakh, inside the body before its verb (`_with_on_behalf`)."""
    enclosure: str
    all_members_block: str
    """The addressee block under the dateline of a note to every member state."""
    closing: str
    months: tuple[str, ...]
    dateline: str
    """{place} and {day} {month} {year}."""


FORMULAS: dict[str, Formulas] = {
    "en": Formulas(
        secretariat="The Secretariat of the Conference on Interaction and Confidence Building "
        "Measures in Asia (CICA)",
        all_members="the CICA Member States",
        named_members="the Member States concerned",
        opening="{secretariat} presents its compliments to {addressee} and{on_behalf} has the "
        "honour to {body}{end}",
        on_behalf=", on behalf of {who},",
        enclosure="Enclosure: as stated, on {pages} p.",
        closing="The Secretariat avails itself of this opportunity to renew to {addressee} the "
        "assurances of its highest consideration.",
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        dateline="{place}, {day} {month} {year}",
        all_members_block="MEMBER STATES\nOF THE CONFERENCE ON INTERACTION AND\n"
        "CONFIDENCE BUILDING MEASURES IN ASIA",
    ),
    "ru": Formulas(
        secretariat="Секретариат Совещания по взаимодействию и мерам доверия в Азии (СВМДА)",
        all_members="государствам-членам СВМДА",
        named_members="заинтересованным государствам-членам СВМДА",
        opening="{secretariat} свидетельствует свое уважение {addressee} и{on_behalf} имеет "
        "честь {body}{end}",
        on_behalf=", от имени {who},",
        enclosure="Приложение: упомянутое, на {pages} л.",
        closing="Секретариат пользуется случаем, чтобы возобновить {addressee} уверения в своем "
        "самом высоком уважении.",
        months=(
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ),
        dateline="город {place}, {day} {month} {year} г.",
        all_members_block="ГОСУДАРСТВА-ЧЛЕНЫ СОВЕЩАНИЯ ПО ВЗАИМОДЕЙСТВИЮ И МЕРАМ ДОВЕРИЯ В "
        "АЗИИ",
    ),
    "kk": Formulas(
        secretariat="Азиядағы өзара іс-қимыл және сенім шаралары кеңесінің (Азия Кеңесінің) "
        "Хатшылығы",
        all_members="Азия Кеңесінің мүше мемлекеттеріне",
        named_members="Азия Кеңесінің мүдделі мүше мемлекеттеріне",
        opening="{secretariat} {addressee} өзінің зор ілтипатын білдіріп, {body} өзіне мәртебе "
        "санайды{end}",
        on_behalf="{who} атынан",
        enclosure="Қосымша: аталған, {pages} п.",
        closing="Хатшылық осы мүмкіндікті пайдалана отырып, {addressee} өзінің зор ілтипатын "
        "тағы да растайды.",
        months=(
            "қаңтар",
            "ақпан",
            "наурыз",
            "сәуір",
            "мамыр",
            "маусым",
            "шілде",
            "тамыз",
            "қыркүйек",
            "қазан",
            "қараша",
            "желтоқсан",
        ),
        dateline="{place} қаласы, {year} жылғы {day} {month}",
        all_members_block="АЗИЯДАҒЫ ӨЗАРА ІС-ҚИМЫЛ ЖӘНЕ СЕНІМ ШАРАЛАРЫ КЕҢЕСІНІҢ МҮШЕ "
        "МЕМЛЕКЕТТЕРІ",
    ),
}

PLACES: dict[str, Texts] = {
    "Astana": {"en": "Astana", "ru": "Астана", "kk": "Астана"},
    "Almaty": {"en": "Almaty", "ru": "Алматы", "kk": "Алматы"},
}
"""Where the Secretariat writes from, per language (another place is written as given)."""


class NoteContent(BaseModel):
    """What a note says, without its formulas: the templates add them, per language."""

    model_config = ConfigDict(extra="forbid")

    body: Texts = Field(
        min_length=1,
        description="what the Secretariat has the honour to do, per language, from the verb "
        "on (no final punctuation): the templates put it inside the formula of courtesy; in "
        "the languages the templates know",
        json_schema_extra={"propertyNames": {"enum": list(LANGUAGES)}},
    )
    on_behalf_of: Texts = Field(
        default_factory=dict,
        description="on whose behalf, in the case the formula needs "
        "(ru: genitive; kk: genitive, before «атынан»)",
    )
    items: dict[str, list[str]] = Field(
        default_factory=dict, description="a list after the opening (the documents forwarded)"
    )
    paragraphs: dict[str, list[str]] = Field(
        default_factory=dict, description="further paragraphs, before the enclosure line"
    )
    addressee: Texts = Field(
        default_factory=dict,
        description="whom the note addresses, in the case the formulas need (ru and kk: "
        "dative); the member states by default",
    )


class UnknownLanguageError(InvalidRequestError, ValueError):
    """A note to write in a language the templates do not know (422)."""

    def __init__(self, languages: list[str]) -> None:
        super().__init__(
            f"no note verbale template in {', '.join(languages)}; the templates are in "
            f"{', '.join(LANGUAGES)} (send the full text for other languages)",
            languages=languages,
        )
        self.languages = languages


def dateline(language: str, place: str, day: date) -> str:
    """``Astana, 7 October 2022``; ``город Астана, 7 октября 2022 г.``;
    ``Астана қаласы, 2022 жылғы 7 қазан``."""
    formulas = FORMULAS[language]
    return formulas.dateline.format(
        place=PLACES.get(place, {}).get(language, place),
        day=day.day,
        month=formulas.months[day.month - 1],
        year=day.year,
    )


def enclosure_line(language: str, pages: int | None) -> str | None:
    """``Enclosure: as stated, on 10 p.``: the pages enclosed in all (none: no line)."""
    return FORMULAS[language].enclosure.format(pages=pages) if pages else None


def _with_on_behalf(language: str, body: str, who: str | None) -> tuple[str, str]:
    """The body and the opening's `on_behalf` part. In Kazakh the phrase ("Азия Кеңесі
    Төрағалығының атынан") stands inside the body, before its verb, its last word (the seed:
    "... құжаттар жобаларын Азия Кеңесі Төрағалығының атынан жолдауды өзіне мәртебе
    санайды"); in English and Russian it is a clause of the opening."""
    if not who:
        return body, ""
    phrase = FORMULAS[language].on_behalf.format(who=who)
    if language == "kk":
        head, _, verb = body.rpartition(" ")
        return (f"{head} {phrase} {verb}" if head else f"{phrase} {verb}"), ""
    return body, phrase


def render(
    content: NoteContent,
    *,
    place: str,
    dated: date,
    pages: int | None,
    addressed_to_all_members: bool,
) -> Texts:
    """The whole text of a note, in each language of `content.body`: the opening, its list,
    the further paragraphs, the enclosure line (`pages` in all), the closing, the dateline and,
    for a note to every member state with the default addressee, the addressee block."""
    unknown = sorted(set(content.body) - set(LANGUAGES))
    if unknown:
        raise UnknownLanguageError(unknown)
    texts: Texts = {}
    for language in (lang for lang in LANGUAGES if lang in content.body):
        formulas = FORMULAS[language]
        addressee = content.addressee.get(language) or (
            formulas.all_members if addressed_to_all_members else formulas.named_members
        )
        items = content.items.get(language, [])
        body, on_behalf = _with_on_behalf(
            language,
            content.body[language].strip().rstrip(".:;"),
            content.on_behalf_of.get(language),
        )
        opening = formulas.opening.format(
            secretariat=formulas.secretariat,
            addressee=addressee,
            on_behalf=on_behalf,
            body=body,
            end=":" if items else ".",
        )
        parts = [opening]
        if items:
            parts.append("\n".join(f"- {item}" for item in items))
        parts += content.paragraphs.get(language, [])
        enclosure = enclosure_line(language, pages)
        if enclosure:
            parts.append(enclosure)
        parts.append(formulas.closing.format(addressee=addressee))
        parts.append(dateline(language, place, dated))
        if addressed_to_all_members and not content.addressee.get(language):
            parts.append(formulas.all_members_block)
        texts[language] = "\n\n".join(parts)
    return texts
