"""Note verbale No. SOC/OI/1280 of 7 October 2022, from the seed (../shared/seed/): the
Secretariat forwards two drafts (10 pages in all) and the draft annotated agenda to the 27
member states for the SOC meeting of 10-11 October 2022, in English, Russian and Kazakh; and
the two notes the annotated agenda of that meeting (SOC/2022-III/Agenda/2) cites, SOC/OI/88 of
3 February 2022 and IO/1256 of 3 October 2022, with the register of 2022 that numbers all
three. The examples of the OpenAPI document, the demo's data and the data of the tests.

What the seed does not say is not here: the note has no subject line (none is invented for
it), and it gives its enclosures' pages in all only ("on 10 p."), not each one's."""

from __future__ import annotations

from typing import Any

OFFICE = "SOC/OI"
FIRST_NUMBER = 1280
NOTE_1280 = "SOC/OI/1280"

MEMBER_STATES_2022 = (
    "AFG",
    "ARE",
    "AZE",
    "BGD",
    "BHR",
    "CHN",
    "EGY",
    "IND",
    "IRN",
    "IRQ",
    "ISR",
    "JOR",
    "KAZ",
    "KGZ",
    "KHM",
    "KOR",
    "LKA",
    "MNG",
    "PAK",
    "PSE",
    "QAT",
    "RUS",
    "THA",
    "TJK",
    "TUR",
    "UZB",
    "VNM",
)
"""The 27 member states of October 2022, before Kuwait's admission."""

REGISTER_2022: dict[str, Any] = {
    "name": "2022",
    "prefixes": ["SOC/OI", "IO"],
    "year": 2022,
    "next_number": FIRST_NUMBER,
}
"""The register of the Secretariat's notes of 2022: one count shared by SOC/OI and IO (IO/1256
of 3 October and SOC/OI/1280 of 7 October, 24 numbers in four days), restarted each year
(SOC/OI/88 in February, 1280 in October), its next issued note SOC/OI/1280 (see
`services.notifications.domain.Register`)."""

AGENDA = "SOC/2022-III/Agenda/2"
"""The draft annotated agenda of the SOC meeting of 10-11 October 2022, which cites both notes."""
NOTE_88 = "SOC/OI/88"
NOTE_1256 = "IO/1256"

NOTES_ON_RECORD: list[dict[str, Any]] = [
    {
        "number": NOTE_88,
        "dated": "2022-02-03",
        "cited_in": {"symbol": AGENDA, "passage": "item 2"},
        "subject": {"en": "Application by Kuwait for CICA membership"},
    },
    {
        "number": NOTE_1256,
        "dated": "2022-10-03",
        "cited_in": {"symbol": AGENDA, "passage": "item 5(b)"},
        "subject": {
            "en": "Draft Memorandum of Understanding between the CICA Secretariat and the "
            "Eurasian Economic Commission"
        },
    },
]
"""The notes the annotated agenda cites, as it cites them: "Application by Kuwait for CICA
membership has been circulated via Secretariat Note Verbale No. SOC/OI/88 of 3 February 2022"
(item 2); "Draft Memorandum of Understanding between the CICA Secretariat and the Eurasian
Economic Commission (Secretariat's Note № IO/1256 of 3 October 2022)" (item 5(b))."""

CONTENT_1280: dict[str, Any] = {
    "body": {
        "en": "forward the following draft documents for consideration by the Senior Officials "
        "Committee (SOC) meeting on 10-11 October 2022 in Astana",
        "ru": "направить проекты следующих документов для рассмотрения на заседании Комитета "
        "старших должностных лиц (КСДЛ) 10-11 октября 2022 года в г. Астана",
        "kk": "2022 жылғы 10-11 қазанда Астана қаласында өтетін Аға лауазымды тұлғалар "
        "комитеті (АЛТК) отырысында қарастыру үшін келесі құжаттар жобаларын жолдауды",
    },
    "on_behalf_of": {
        "en": "the CICA Chairmanship",
        "ru": "Председательства СВМДА",
        "kk": "Азия Кеңесі Төрағалығының",
    },
    "items": {
        "en": [
            "Draft Astana Statement on CICA Transformation (Revision 8);",
            "Draft Conclusions of the Sixth CICA Summit and Explanatory Note.",
        ],
        "ru": [
            "Проект Астанинского заявления о трансформации СВМДА (Ревизия 8);",
            "Проект Заключений шестого Саммита СВМДА и Пояснительная записка.",
        ],
        "kk": [
            "Азия кеңесінің трансформациясы туралы Астана мәлімдемесінің жобасы (8-Ревизия);",
            # The seed's Kazakh list ends this item with ";" (the English and Russian with "."):
            # word for word.
            "Азия кеңесі алтыншы Саммиті қорытындыларының жобасы және Түсіндірме жазба;",
        ],
    },
    "paragraphs": {
        "en": [
            "The Secretariat has the honour to forward the draft annotated agenda of the SOC "
            "meeting on 10-11 October 2022."
        ],
        "ru": [
            "Секретариат имеет честь направить проект аннотированной повестки дня "
            "заседания КСДЛ 10-11 октября 2022 года."
        ],
        "kk": [
            "Хатшылық 2022 жылғы 10-11 қазанда Астана қаласында өтетін АЛТК отырысының "
            "түсіндірме күн тәртібі жобасын жолдауды өзіне мәртебе санайды."
        ],
    },
}

ENCLOSURES: list[dict[str, Any]] = [
    {
        "symbol": "SUM/2022/DRAFT/1/Rev.8",
        "title": {
            "en": "Draft Astana Statement on CICA Transformation (Revision 8)",
            "ru": "Проект Астанинского заявления о трансформации СВМДА (Ревизия 8)",
            "kk": "Азия кеңесінің трансформациясы туралы Астана мәлімдемесінің жобасы "
            "(8-Ревизия)",
        },
    },
    {
        "symbol": "SUM/2022/DRAFT/5",
        "title": {
            "en": "Draft Conclusions of the Sixth CICA Summit and Explanatory Note",
            "ru": "Проект Заключений шестого Саммита СВМДА и Пояснительная записка",
            "kk": "Азия кеңесі алтыншы Саммиті қорытындыларының жобасы және Түсіндірме жазба",
        },
    },
]
"""The note's two items, as its list names them: Rev.8 of the draft Astana Statement, and the
draft conclusions with their Explanatory Note, which has no symbol of its own (it is enclosed
under SUM/2022/DRAFT/5). No page count of each: the note gives only the total."""
PAGES_1280 = 10
"""The pages enclosed in all: "Enclosure: as stated, on 10 p."."""

ISSUE_1280: dict[str, Any] = {
    "office": OFFICE,
    "place": "Astana",
    "dated": "2022-10-07",
    "content": CONTENT_1280,
    "enclosures": ENCLOSURES,
    "pages": PAGES_1280,
}
"""The request that issues the seed's note to all member states, from structured data (no
subject: the note has none)."""

OPENING_1280_EN = (
    "The Secretariat of the Conference on Interaction and Confidence Building Measures in Asia "
    "(CICA) presents its compliments to the CICA Member States and, on behalf of the CICA "
    "Chairmanship, has the honour to forward the following draft documents for consideration "
    "by the Senior Officials Committee (SOC) meeting on 10-11 October 2022 in Astana:"
)
OPENING_1280_RU = (
    "Секретариат Совещания по взаимодействию и мерам доверия в Азии (СВМДА) свидетельствует "
    "свое уважение государствам-членам СВМДА и, от имени Председательства СВМДА, имеет честь "
    "направить проекты следующих документов для рассмотрения на заседании Комитета старших "
    "должностных лиц (КСДЛ) 10-11 октября 2022 года в г. Астана:"
)
CLOSING_1280 = {
    "en": "The Secretariat avails itself of this opportunity to renew to the CICA Member States "
    "the assurances of its highest consideration.",
    "ru": "Секретариат пользуется случаем, чтобы возобновить государствам-членам СВМДА "
    "уверения в своем самом высоком уважении.",
    "kk": "Хатшылық осы мүмкіндікті пайдалана отырып, Азия Кеңесінің мүше мемлекеттеріне "
    "өзінің зор ілтипатын тағы да растайды.",
}
DATELINE_1280 = {
    "en": "Astana, 7 October 2022",
    "ru": "город Астана, 7 октября 2022 г.",
    "kk": "Астана қаласы, 2022 жылғы 7 қазан",
}
ENCLOSURE_1280 = {
    "en": "Enclosure: as stated, on 10 p.",
    "ru": "Приложение: упомянутое, на 10 л.",
    "kk": "Қосымша: аталған, 10 п.",
}

KUWAIT_ADMITTED: dict[str, Any] = {
    "state": "KWT",
    "names": {"en": "Kuwait", "ru": "Кувейт", "kk": "Кувейт"},
    "admitted_on": "2022-10-12",
    "decision": {
        "decision_id": "6f1d2c3b-4a5e-4f60-9a7b-8c9d0e1f2a3b",
        "body": "SUMMIT",
        "session": "SUM/2022",
        "decided_on": "2022-10-12",
        "outcome": "adopted",
    },
}
"""The registry's MemberAdmitted of Kuwait, by the Sixth Summit's decision."""
