"""The registry's facts of October 2022, from the seed documents (`../shared/seed/`) and, where
they do not list them (the member states), CICA's public membership of 2022: the OpenAPI
examples and the tests draw on these.

The seed's note verbale SOC/OI/1280 is addressed to the CICA Member States, 27 of them before
the Sixth Summit admitted Kuwait (application circulated by note verbale SOC/OI/88 of
3 February 2022; recommended by the SOC on 10-11 October; admitted by the Summit on
12-13 October 2022).
"""

from __future__ import annotations

from datetime import date

FOUNDING_BASELINE = date(1999, 9, 14)
"""The date from which the registry counts the states that were members before its log began
(the Declaration on the Principles Guiding Relations between the CICA Member States, 14
September 1999, the earliest document the seed cites); the Secretariat may give each its own."""

# The 27 member states of October 2022: ISO 3166 alpha-3 code → names (en, ru, kk).
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
KUWAIT_APPLICATION_NOTE = {"number": "SOC/OI/88", "dated": "2022-02-03"}

# PP4 of SUM/2022/DRAFT/1/Rev.8: platforms that have signed memoranda of understanding.
MOU_PARTNERS: dict[str, dict[str, str]] = {
    "IOM": {"en": "International Organization for Migration"},
    "ECO": {"en": "Economic Cooperation Organization"},
    "APK": {"en": "Assembly of People of Kazakhstan"},
    "SCO": {"en": "Shanghai Cooperation Organization"},
    "UNODC": {"en": "UN Office on Drugs and Crime"},
    "SCO-RATS": {"en": "SCO Regional Anti-Terrorist Structure"},
}

# OP5 of SUM/2022/DRAFT/1/Rev.8: the bodies and title the Summit renames.
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

ORGANISATION = {
    "en": "Conference on Interaction and Confidence Building Measures in Asia (CICA)",
    "ru": "Совещание по взаимодействию и мерам доверия в Азии (СВМДА)",
    "kk": "Азиядағы өзара іс-қимыл және сенім шаралары кеңесі (Азия Кеңесі)",
}
ORGANISATION_PROPOSED = {"en": "Organization for Interaction and Cooperation in Asia (OICA)"}
