"""The registry's facts of October 2022, from the seed documents (`../shared/seed/`) and, where
they do not list them (the member states), CICA's public membership of 2022: the OpenAPI
examples and the tests draw on these.

The seed's note verbale SOC/OI/1280 of 7 October 2022 is addressed to "the CICA Member
States", 27 of them before the Sixth Summit admitted Kuwait. Kuwait's application was
circulated by note verbale SOC/OI/88 of 3 February 2022; the SOC, meeting on 10-11 October
2022, was to consider recommending its accession, and the Summit of 12-13 October 2022 to
adopt it (the draft annotated agenda SOC/2022-III/Agenda/2, item 2).

What the seed does not give, this module does not make up: not the day each of the 27 joined
(`MEMBERS_ON`: they are members on 7 October 2022, their joining days unknown until someone
enters one with its source), nor names in languages the seed does not use for them.
"""

from __future__ import annotations

from datetime import date

MEMBERS_ON = date(2022, 10, 7)
"""The day the seed shows the 27 members: the note verbale SOC/OI/1280, dated Astana,
7 October 2022, addressed to "the CICA Member States". Which 27 states they are the seed does
not list: `MEMBER_STATES_2022` is CICA's public membership of 2022. When each joined, no
document of the seed says (issue 21: by the Organization's public record, twelve of them joined
between 2002 and 2018): a joining day is entered, with its source, by whoever knows it."""

# The 27 member states of October 2022 (CICA's public membership of 2022, not a list the seed
# gives): ISO 3166 alpha-3 code → names (en, ru, kk). The names are the project's working
# names, attributed to no source: the seed names only some of these states, in English and in
# its own forms ("Kazakhstan" and "the Republic of Kazakhstan", "Kyrgyzstan", "the People's
# Republic of China", "Vietnam", "the State of Palestine", "the State of Israel", "Israel",
# "UAE", "Bahrain"), and none in Russian or Kazakh.
MEMBER_STATES_2022: dict[str, dict[str, str]] = {
    "AFG": {"en": "Afghanistan", "ru": "Афганистан", "kk": "Ауғанстан"},
    "AZE": {"en": "Azerbaijan", "ru": "Азербайджан", "kk": "Әзірбайжан"},
    "BHR": {"en": "Bahrain", "ru": "Бахрейн", "kk": "Бахрейн"},
    "BGD": {"en": "Bangladesh", "ru": "Бангладеш", "kk": "Бангладеш"},
    "KHM": {"en": "Cambodia", "ru": "Камбоджа", "kk": "Камбоджа"},
    "CHN": {"en": "China", "ru": "Китай", "kk": "Қытай"},
    "EGY": {"en": "Egypt", "ru": "Египет", "kk": "Мысыр"},
    "IND": {"en": "India", "ru": "Индия", "kk": "Үндістан"},
    "IRN": {"en": "Iran", "ru": "Иран", "kk": "Иран"},
    "IRQ": {"en": "Iraq", "ru": "Ирак", "kk": "Ирак"},
    "ISR": {"en": "Israel", "ru": "Израиль", "kk": "Израиль"},
    "JOR": {"en": "Jordan", "ru": "Иордания", "kk": "Иордания"},
    "KAZ": {"en": "Kazakhstan", "ru": "Казахстан", "kk": "Қазақстан"},
    "KGZ": {"en": "Kyrgyzstan", "ru": "Кыргызстан", "kk": "Қырғызстан"},
    "MNG": {"en": "Mongolia", "ru": "Монголия", "kk": "Моңғолия"},
    "PAK": {"en": "Pakistan", "ru": "Пакистан", "kk": "Пәкістан"},
    "PSE": {"en": "Palestine", "ru": "Палестина", "kk": "Палестина"},
    "QAT": {"en": "Qatar", "ru": "Катар", "kk": "Катар"},
    "KOR": {"en": "Republic of Korea", "ru": "Республика Корея", "kk": "Корея Республикасы"},
    "RUS": {"en": "Russia", "ru": "Россия", "kk": "Ресей"},
    "LKA": {"en": "Sri Lanka", "ru": "Шри-Ланка", "kk": "Шри-Ланка"},
    "TJK": {"en": "Tajikistan", "ru": "Таджикистан", "kk": "Тәжікстан"},
    "THA": {"en": "Thailand", "ru": "Таиланд", "kk": "Тайланд"},
    "TUR": {"en": "Türkiye", "ru": "Турция", "kk": "Түркия"},
    "ARE": {
        "en": "United Arab Emirates",
        "ru": "Объединённые Арабские Эмираты",
        "kk": "Біріккен Араб Әмірліктері",
    },
    "UZB": {"en": "Uzbekistan", "ru": "Узбекистан", "kk": "Өзбекстан"},
    "VNM": {"en": "Viet Nam", "ru": "Вьетнам", "kk": "Вьетнам"},
}

KUWAIT = {"en": "Kuwait", "ru": "Кувейт", "kk": "Кувейт"}
"""The seed names Kuwait in English ("Kuwait"); the Russian and Kazakh names are the project's
working names."""
KUWAIT_APPLICATION_NOTE = {"number": "SOC/OI/88", "dated": "2022-02-03"}

# PP4 of SUM/2022/DRAFT/1/Rev.8: platforms that have signed memoranda of understanding.
MOU_PARTNERS: dict[str, dict[str, str]] = {
    "IOM": {"en": "International Organization for Migration"},
    "ECO": {"en": "Economic Cooperation Organization"},
    "APK": {"en": "Assembly of People of Kazakhstan"},
    "SCO": {"en": "Shanghai Cooperation Organization (SCO)"},
    "UNODC": {"en": "UN Office on Drugs and Crime"},
    "SCO-RATS": {"en": "SCO Regional Anti-Terrorist Structure"},
}

# OP5 of SUM/2022/DRAFT/1/Rev.8: the bodies and title the Summit renames, in English as OP5
# writes them (the seed has the Astana Statement in English only).
RENAMINGS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "SUMMIT": (
        {"en": "Meeting of Heads of State or Government (Summit)"},
        {"en": "Council of Heads of State or Government (Summit)"},
    ),
    "MC": (  # the body code the meetings service and shared.competence use
        {"en": "Meeting of Ministers of Foreign Affairs (Ministerial Meeting)"},
        {"en": "Council of Ministers of Foreign Affairs (Ministerial Council)"},
    ),
    "EXECUTIVE_DIRECTOR": (
        {"en": "Executive Director of the CICA Secretariat"},
        {"en": "Secretary General"},
    ),
}

# The organisation's name in the three versions of the note verbale SOC/OI/1280.
ORGANISATION = {
    # word for word: "The Secretariat of the Conference on Interaction and Confidence Building
    # Measures in Asia (CICA) presents its compliments..."
    "en": "Conference on Interaction and Confidence Building Measures in Asia (CICA)",
    # the nominative as the seed's headings write it, in capitals ("СОВЕЩАНИЕ ПО ВЗАИМОДЕЙСТВИЮ
    # И МЕРАМ ДОВЕРИЯ В АЗИИ"), with the note's abbreviation ("... доверия в Азии (СВМДА)")
    "ru": "Совещание по взаимодействию и мерам доверия в Азии (СВМДА)",
    # the project's nominative of the seed's genitive, the only case the seed has it in:
    # "Азиядағы өзара іс-қимыл және сенім шаралары кеңесінің (Азия Кеңесінің) Хатшылығы"
    "kk": "Азиядағы өзара іс-қимыл және сенім шаралары кеңесі (Азия Кеңесі)",
}
ORGANISATION_PROPOSED = {"en": "Organization for Interaction and Cooperation in Asia (OICA)"}
"""Paragraph 6 of the draft conclusions SUM/2022/DRAFT/5: a proposal, not a decision."""

SOC = {
    # word for word in the note's English version and the annotated agenda
    "en": "Senior Officials Committee (SOC)",
    # the nominative of the note's Russian version, which has the genitive: "на заседании
    # Комитета старших должностных лиц (КСДЛ)"
    "ru": "Комитет старших должностных лиц (КСДЛ)",
    # word for word in the note's Kazakh version: "Аға лауазымды тұлғалар комитеті (АЛТК)
    # отырысында"
    "kk": "Аға лауазымды тұлғалар комитеті (АЛТК)",
}
"""The Senior Officials Committee as the note verbale SOC/OI/1280 names it in its three
languages."""

SWG = {"en": "Special Working Group (SWG)"}
"""The Special Working Group, word for word as the annotated agenda SOC/2022-III/Agenda/2 names
it (item 3(a)), in English only: no Russian or Kazakh text of the seed names it."""

BODIES_NAMED_ON = MEMBERS_ON
"""The day the seed shows these names in use: the note verbale SOC/OI/1280, the annotated
agenda and the Astana Statement's Rev.8 are all of 7 October 2022. The day each body was
established (or first so named) the seed does not give."""
