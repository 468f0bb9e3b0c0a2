"""Texts from the seed documents (the repository's ``seed/``), word for word: the draft Astana
Statement on CICA Transformation as circulated in its eighth revision (SUM/2022/DRAFT/1/Rev.8,
7 October 2022), the draft conclusions of the Sixth Summit (SUM/2022/DRAFT/5, 7 October 2022):
their opening and paragraphs 1-15, the blank of paragraph 5 still open, and the Explanatory
Note enclosed with them. They give the OpenAPI document its examples, the demo its texts and
the tests their story; `tests/documents/test_seed_texts.py` compares each with the seed file.

The seed is markdown: here its italics, bold and superscripts are plain text ("30th"), and its
escaped blank ``\\_\\_\\_\\_\\_\\_`` is six underscores, ``______``, the blank the service finds
open (`domain.PLACEHOLDER`).

The seed holds Rev.8 in English only: of a Russian text it has the title alone, as the Russian
text of note verbale SOC/OI/1280 names the enclosure ("Проект Астанинского заявления о
трансформации СВМДА (Ревизия 8)"), and the Russian title here follows it. The rest of the
Russian text here is this project's own translation, made for the examples and the demo to
show a language version: neither the Secretariat nor the Chairmanship issued it, it is
recorded as an unofficial translation (`official: false`), and every read of it says so
("Неофициальный перевод"). It translates every part of Rev.8 in full: no paragraph is shortened."""

from __future__ import annotations

ASTANA_TITLE = {
    "en": "DRAFT ASTANA STATEMENT ON CICA TRANSFORMATION",
    "ru": "ПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ О ТРАНСФОРМАЦИИ СВМДА",
}
ASTANA_OPENING = {
    "en": "We, the Heads of State or Government of the Member States of the Conference on "
    "Interaction and Confidence Building Measures in Asia (CICA), having met on 12-13 October "
    "2022 in Astana on the occasion of the 30th anniversary of the CICA process,",
    "ru": "Мы, главы государств и правительств государств-членов Совещания по взаимодействию и "
    "мерам доверия в Азии (СВМДА), собравшись 12-13 октября 2022 года в Астане по случаю "
    "30-летия процесса СВМДА,",
}
ASTANA_HEADING = {
    "en": "DECIDED TO CHART THE FUTURE COURSE OF OUR COOPERATION AS FOLLOWS:",
    "ru": "ПРИНЯЛИ РЕШЕНИЕ ОПРЕДЕЛИТЬ БУДУЩИЙ КУРС НАШЕГО СОТРУДНИЧЕСТВА СЛЕДУЮЩИМ ОБРАЗОМ:",
}

# (id, English, Russian) of each preambular paragraph of Rev.8, PP1..PP11 in order.
ASTANA_PREAMBLE_REV8: list[tuple[str, str, str]] = [
    ("pp-changes",
     "Recognizing that rapid changes taking place all around the world require stronger "
     "cooperation among our Member States in response to new challenges, threats and "
     "opportunities and in promoting peace, security, stability and sustainable development, "
     "based on our shared principles and common goals, and in order to set directions for "
     "future development of our forum for the benefit of our peoples;",
     "Признавая, что стремительные изменения, происходящие во всем мире, требуют более тесного "
     "сотрудничества между нашими государствами-членами в ответ на новые вызовы, угрозы и "
     "возможности, а также в содействии миру, безопасности, стабильности и устойчивому развитию на "
     "основе наших общих принципов и общих целей, и в целях определения направлений будущего "
     "развития нашего форума на благо наших народов;"),
    ("pp-asia",
     "Cognizant that Asia, being vast, populous and rich in resources, economically and "
     "culturally diverse and an increasingly interdependent region in the multipolar world, is "
     "transforming into a driving force of the global progress, economic development and "
     "growth for years to come, and aiming at developing these resources so as to attain "
     "sustainable growth and equitable development of our countries, reduce economic "
     "disparities, facilitate the growth of trade and investment and improve the economic and "
     "social well-being of our peoples;",
     "Сознавая, что Азия, обширный, густонаселенный и богатый ресурсами, экономически и культурно "
     "многообразный и все более взаимозависимый регион в многополярном мире, превращается в "
     "движущую силу глобального прогресса, экономического развития и роста на годы вперед, и "
     "стремясь развивать эти ресурсы, с тем чтобы достичь устойчивого роста и справедливого "
     "развития наших стран, сократить экономическое неравенство, содействовать росту торговли и "
     "инвестиций и повысить экономическое и социальное благосостояние наших народов;"),
    ("pp-un",
     "Recognizing the central role of the United Nations as the universal multilateral "
     "organization, reaffirming our commitment to the UN Charter, its principles and purposes "
     "and to universally recognized norms and principles of the international law, including "
     "respect for the principles of sovereign equality, territorial integrity, political "
     "independence, non-interference in internal affairs, refraining from the threat or use of "
     "force, and settlement of disputes by peaceful means, and resolutely upholding the "
     "authority and status of the UN;",
     "Признавая центральную роль Организации Объединенных Наций как универсальной многосторонней "
     "организации, подтверждая нашу приверженность Уставу ООН, его принципам и целям и "
     "общепризнанным нормам и принципам международного права, включая уважение принципов "
     "суверенного равенства, территориальной целостности, политической независимости, "
     "невмешательства во внутренние дела, отказа от угрозы силой или ее применения и "
     "урегулирования споров мирными средствами, и решительно поддерживая авторитет и статус ООН;"),
    ("pp-partners",
     "Taking into account the evolution of various multilateral processes, and underscoring "
     "the need to strengthen cooperation between regional and international organizations and "
     "forums, and supporting platforms focused on constructive cooperation, which have signed "
     "to date memoranda of understanding with CICA, such as the International Organization for "
     "Migration, Economic Cooperation Organization, Assembly of People of Kazakhstan, Shanghai "
     "Cooperation Organization (SCO), UN Office on Drugs and Crime, and SCO Regional "
     "Anti-Terrorist Structure.",
     "Принимая во внимание эволюцию различных многосторонних процессов, подчеркивая необходимость "
     "укрепления сотрудничества между региональными и международными организациями и форумами и "
     "поддерживая платформы, ориентированные на конструктивное сотрудничество, которые к "
     "настоящему времени подписали меморандумы о взаимопонимании с СВМДА, такие как Международная "
     "организация по миграции, Организация экономического сотрудничества, Ассамблея народа "
     "Казахстана, Шанхайская организация сотрудничества (ШОС), Управление ООН по наркотикам и "
     "преступности и Региональная антитеррористическая структура ШОС."),
    ("pp-values",
     "Remaining committed to our common values, principles and objectives enshrined in the "
     "Declaration on the Principles Guiding Relations between the CICA Member States of 14 "
     "September 1999 and the Almaty Act of 4 June 2002, which have laid down a firm foundation "
     "to the CICA process, and to all documents adopted by the Meetings of Heads of State or "
     "Government, the Meetings of Ministers of Foreign Affairs and the Senior Officials "
     "Committee by consensus;",
     "Сохраняя приверженность нашим общим ценностям, принципам и целям, закрепленным в Декларации "
     "о принципах, регулирующих отношения между государствами-членами СВМДА, от 14 сентября 1999 "
     "года и Алматинском акте от 4 июня 2002 года, которые заложили прочную основу процесса СВМДА, "
     "а также всем документам, принятым консенсусом совещаниями глав государств и правительств, "
     "совещаниями министров иностранных дел и Комитетом старших должностных лиц;"),
    ("pp-forum",
     "Acknowledging the role and contribution of CICA, as a forum for dialogue, consultations "
     "and consensus-based decision-making on a broad spectrum of practical issues, to building "
     "a sustainable environment conducive to peace, security and prosperity throughout the "
     "region;",
     "Признавая роль и вклад СВМДА как форума для диалога, консультаций и принятия решений на "
     "основе консенсуса по широкому спектру практических вопросов в создание устойчивой среды, "
     "благоприятствующей миру, безопасности и процветанию во всем регионе;"),
    ("pp-mechanism",
     "Acknowledging that our forum has successfully served as an effective multilateral "
     "mechanism for interaction, confidence building and cooperation with a mature and "
     "permanently functioning institutional structure, and building on what CICA has achieved "
     "in thirty years of its history;",
     "Признавая, что наш форум успешно служит эффективным многосторонним механизмом "
     "взаимодействия, укрепления доверия и сотрудничества со зрелой и постоянно действующей "
     "институциональной структурой, и опираясь на достигнутое СВМДА за тридцать лет его истории;"),
    ("pp-catalogue",
     "Underlining the importance of the CICA Catalogue of Confidence Building Measures as the "
     "core instrument of CICA for guiding practical implementation of specific confidence "
     "building measures (CBMs) in and across the five dimensions of cooperation - the "
     "military-political, new threats and challenges, economic, environmental and human "
     "dimensions, on bilateral and/or multilateral basis;",
     "Подчеркивая важность Каталога мер доверия СВМДА как основного инструмента СВМДА, "
     "направляющего практическую реализацию конкретных мер доверия (МД) в каждом из пяти измерений "
     "сотрудничества и на их стыке - военно-политическом, новых угроз и вызовов, экономическом, "
     "экологическом и человеческом измерениях, на двусторонней и/или многосторонней основе;"),
    ("pp-principles",
     "Emphasizing that our cooperation in CICA is aimed at promoting peace, security, "
     "stability and development in the region on the basis of the principles of voluntary "
     "implementation of CBMs, equal partnership, mutual trust, mutual benefit, dialogue and "
     "consultation, consensus in decision-making, respect for national economic and social "
     "development and cultural diversity, while taking into account specific features and "
     "characteristics in various parts of our region;",
     "Подчеркивая, что наше сотрудничество в СВМДА направлено на содействие миру, безопасности, "
     "стабильности и развитию в регионе на основе принципов добровольного осуществления мер "
     "доверия, равноправного партнерства, взаимного доверия, взаимной выгоды, диалога и "
     "консультаций, консенсуса при принятии решений, уважения национального экономического и "
     "социального развития и культурного многообразия, с учетом особенностей и характеристик "
     "различных частей нашего региона;"),
    ("pp-resolve",
     "Expressing our strong resolve to gradually and incrementally move our cooperation "
     "forward, which will enhance the prospects of dynamic, balanced, equitable and "
     "sustainable development in our region and will benefit all our peoples;",
     "Выражая нашу твердую решимость постепенно и поэтапно продвигать наше сотрудничество вперед, "
     "что улучшит перспективы динамичного, сбалансированного, справедливого и устойчивого развития "
     "в нашем регионе и пойдет на благо всем нашим народам;"),
    ("pp-founder",
     "Expressing appreciation of the personal role of the CICA Founder, First President of the "
     "Republic of Kazakhstan Nursultan Nazarbayev, who initiated CICA thirty years ago and made "
     "a significant contribution to the development of the CICA process and common efforts for "
     "peace, security and cooperation in Asia;",
     "Выражая признательность за личную роль Основателя СВМДА, Первого Президента Республики "
     "Казахстан Нурсултана Назарбаева, который выступил с инициативой созыва СВМДА тридцать лет "
     "назад и внес значительный вклад в развитие процесса СВМДА и в общие усилия во имя мира, "
     "безопасности и сотрудничества в Азии;"),
]

# (id, English, Russian, sub-items as (id, English, Russian)) of OP1..OP7 of Rev.8.
ASTANA_OPERATIVE_REV8: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("op-launch",
     "We hereby launch the structured, inclusive and transparent negotiations process of "
     "gradual, incremental and consensus-based transformation of CICA into a full-fledged "
     "regional international organization;",
     "Настоящим мы начинаем структурированный, инклюзивный и транспарентный переговорный "
     "процесс постепенной, поэтапной и основанной на консенсусе трансформации СВМДА в "
     "полноценную региональную международную организацию;", []),
    ("op-goals",
     "The process of transforming CICA will pursue the following major goals: defining the "
     "overarching areas of our future cooperation and strengthening the organizational and "
     "institutional base of our interaction;",
     "Процесс трансформации СВМДА будет преследовать следующие основные цели: определение "
     "всеобъемлющих областей нашего будущего сотрудничества и укрепление организационной и "
     "институциональной базы нашего взаимодействия;", []),
    ("op-vision",
     "We also envision our organization as contributing to dynamic, equitable, comprehensive "
     "and balanced economic growth, connectivity, social and cultural development of its "
     "Member States. We will strengthen our collective work within our organization in order "
     "to seek joint solutions for our common challenges of the twenty first century towards a "
     "secure and prosperous region and to pursue peaceful settlement of disputes in accordance "
     "with the UN Charter;",
     "Мы также видим нашу организацию содействующей динамичному, справедливому, всестороннему и "
     "сбалансированному экономическому росту, взаимосвязанности, социальному и культурному "
     "развитию ее государств-членов. Мы будем укреплять нашу коллективную работу в рамках нашей "
     "организации, с тем чтобы искать совместные решения наших общих проблем двадцать первого века "
     "на пути к безопасному и процветающему региону и добиваться мирного урегулирования споров в "
     "соответствии с Уставом ООН;", []),
    ("op-interaction",
     "Our organization will interact and cooperate in areas of interest of all Member States "
     "with other states, organizations and fora sharing the same goals and principles for the "
     "purpose of strengthening results-oriented and consensus-based multilateral cooperation "
     "in our region;",
     "Наша организация будет взаимодействовать и сотрудничать в областях, представляющих интерес "
     "для всех государств-членов, с другими государствами, организациями и форумами, разделяющими "
     "те же цели и принципы, в целях укрепления ориентированного на результат и основанного на "
     "консенсусе многостороннего сотрудничества в нашем регионе;", []),
    ("op-first-step",
     "As the first step of the transformation process, we decide that:",
     "В качестве первого шага процесса трансформации мы решаем, что:",
     [("op-first-step-names",
       "The Meeting of Heads of State or Government (Summit) and the Meeting of Ministers of "
       "Foreign Affairs (Ministerial Meeting) shall henceforth be referred to, respectively, as "
       "the Council of Heads of State or Government (Summit) and the Council of Ministers of "
       "Foreign Affairs (Ministerial Council);",
       "Совещание глав государств и правительств (Саммит) и Совещание министров иностранных дел "
       "(Совещание министров) впредь именуются соответственно Советом глав государств и "
       "правительств (Саммит) и Советом министров иностранных дел (Министерский совет);"),
      ("op-first-step-secretary-general",
       "The Executive Director of the CICA Secretariat shall henceforth be referred to as "
       "Secretary General;",
       "Исполнительный директор Секретариата СВМДА впредь именуется Генеральным секретарем;"),
      ("op-first-step-amendments",
       "The Secretariat will submit to the Member States, through the Chairmanship, proposals "
       "for amendments to the relevant CICA documents for approval by the respective governing "
       "bodies;",
       "Секретариат представит государствам-членам через Председательство предложения о внесении "
       "изменений в соответствующие документы СВМДА для утверждения соответствующими руководящими "
       "органами;")]),
    ("op-road-map",
     "The Member States will determine, when and as appropriate, the details of the "
     "transformation process, including criteria for membership, and, with a view to taking a "
     "meaningful practical step to that end, we request the Chairmanship to make proposals in "
     "2023, with the assistance of the Secretary General and in close consultation with Member "
     "States, on a road map of necessary measures in the transformation process for "
     "consideration by the Member States;",
     "Государства-члены определят, когда и насколько это целесообразно, детали процесса "
     "трансформации, включая критерии членства, и, в целях осуществления значимого практического "
     "шага в этом направлении, мы просим Председательство внести в 2023 году, при содействии "
     "Генерального секретаря и в тесной консультации с государствами-членами, предложения по "
     "дорожной карте необходимых мер в процессе трансформации для рассмотрения "
     "государствами-членами;", []),
    ("op-progress",
     "We congratulate CICA on the considerable progress it has achieved in 30 years of "
     "evolution and request the Chairmanship to submit progress reports on the transformation "
     "process to the next meetings of the Ministerial Council and the Council of Heads of "
     "State or Government.",
     "Мы поздравляем СВМДА со значительным прогрессом, достигнутым за 30 лет эволюции, и "
     "просим Председательство представлять доклады о ходе процесса трансформации очередным "
     "заседаниям Министерского совета и Совета глав государств и правительств.", []),
]


ASTANA_ORIGINATOR = "Chairmanship of Kazakhstan"
"""Who issued Rev.8 (and the draft conclusions), as their first page says."""
ASTANA_REV8_DATED = "2022-10-07"
"""The date Rev.8 bears ("SUM/2022/DRAFT/1/Rev.8 7 October 2022")."""


def astana_rev8_text(languages: tuple[str, ...] = ("en",)) -> dict:
    """The text of SUM/2022/DRAFT/1/Rev.8 as a request body's `text`, in `languages`."""

    def pick(values: dict[str, str]) -> dict[str, str]:
        return {language: values[language] for language in languages}

    def of(english: str, russian: str) -> dict[str, str]:
        return pick({"en": english, "ru": russian})

    paragraphs = [
        {"id": pid, "part": "preamble", "text": of(en, ru)}
        for pid, en, ru in ASTANA_PREAMBLE_REV8
    ]
    for pid, en, ru, items in ASTANA_OPERATIVE_REV8:
        paragraph: dict = {"id": pid, "part": "operative", "text": of(en, ru)}
        if items:
            paragraph["items"] = [{"id": i, "text": of(ie, ir)} for i, ie, ir in items]
        paragraphs.append(paragraph)
    return {
        "title": pick(ASTANA_TITLE),
        "opening": pick(ASTANA_OPENING),
        "operative_heading": pick(ASTANA_HEADING),
        "paragraphs": paragraphs,
    }


def astana_rev8_russian() -> dict:
    """The Russian text of Rev.8 as a request body of `POST /documents/{symbol}/translations`:
    this project's own translation, in full, so an unofficial one (`official: false`), which
    no one issued."""
    return {
        "revision": 8,
        "language": "ru",
        "official": False,
        "title": ASTANA_TITLE["ru"],
        "opening": ASTANA_OPENING["ru"],
        "operative_heading": ASTANA_HEADING["ru"],
        "paragraphs": {pid: ru for pid, _, ru in ASTANA_PREAMBLE_REV8}
        | {pid: ru for pid, _, ru, _ in ASTANA_OPERATIVE_REV8},
        "items": {i: ir for *_, items in ASTANA_OPERATIVE_REV8 for i, _, ir in items},
    }


CONCLUSIONS_TITLE = {"en": "DRAFT CONCLUSIONS OF THE SIXTH CICA SUMMIT"}
CONCLUSIONS_PARAGRAPH_5 = (  # the blank, "\_\_\_\_\_\_" in the seed, is six underscores
    "Welcomed Kuwait as a new CICA Member State, took decisions on CICA Chairmanships of "
    "Kazakhstan in 2022-2024 and ______ in 2024-2026, and on the next meetings of the CICA "
    "Summit in 2026 and CICA Ministerial Council in 2024, and concluded the following."
)


CONCLUSIONS_OPENING = {
    "en": "We, the Heads of State or Government of the Member States of the Conference on "
    "Interaction and Confidence Building Measures in Asia (CICA), having met at the Sixth CICA "
    "Summit in Astana on 12-13 October 2022,"
}

# (id, English, sponsors) of paragraphs 1..15 of SUM/2022/DRAFT/5, in order. A paragraph's
# sponsor is the state its words name as speaking ("The People's Republic of China and other
# Member States reaffirm ...": CHN), kept in the text as the seed words it; the "other Member
# States" are not named, and no state is added to any paragraph.
CONCLUSIONS_PARAGRAPHS: list[tuple[str, str, tuple[str, ...]]] = [
    ("c-vision",
     "Discussed our vision towards a new Asia in the emerging new world and have decided to "
     "chart the future course of our cooperation as reflected in the Astana Statement on CICA "
     "Transformation, by which we launch the structured, inclusive and transparent negotiations "
     "process of gradual, incremental and consensus-based transformation of CICA into a "
     "full-fledged regional international organization;", ()),
    ("c-ict",
     "Issued the CICA Leaders' Statement on Cooperation in the Field of Security of and in the "
     "Use of Information and Communication Technologies (ICTs), reflecting our decision to stand "
     "in solidarity and support further strengthening of cooperation among the CICA Member "
     "States in ensuring security of and in the use of ICTs with equal emphasis on development "
     "and security;", ()),
    ("c-fund",
     "Established the CICA Fund as a special mechanism for identification of CICA projects and "
     "mobilization of voluntary funding for their implementation, with the objective to "
     "facilitate realization of CICA goals in practice by financing project activities "
     "implemented within the mandate and framework of CICA;", ()),
    ("c-counter-terrorism",
     "Adopted the CICA Plan of Action on the Implementation of the United Nations Global "
     "Counter-Terrorism Strategy, aimed at implementation, on a voluntary basis, of this "
     "Strategy in a comprehensive manner within the CICA region;", ()),
    ("c-kuwait-chairs", CONCLUSIONS_PARAGRAPH_5, ()),
    ("c-oica",
     "The Republic of Kazakhstan and other Member States have proposed that the Conference on "
     "Interaction and Confidence Building Measures in Asia be referred to as the Organization "
     "for Interaction and Cooperation in Asia (OICA).", ("KAZ",)),
    ("c-un-charter",
     "Member States remain convinced that effective multilateral cooperation based on the "
     "purposes and principles stipulated in the UN Charter is an important element in "
     "maintaining international peace and security;", ()),
    ("c-new-relations",
     "The People's Republic of China and other Member States reaffirm the importance of "
     "initiatives aimed at promoting interaction for the development of a new kind of "
     "international relations in the spirit of mutual respect, justice, equality and mutually "
     "beneficial cooperation, as well as forging a common vision for creating a community with "
     "a shared future for humankind;", ("CHN",)),
    ("c-architecture",
     "Member States reiterate the importance of preserving and strengthening the regional "
     "multilateral architecture to tackle pressing common regional security and development "
     "issues and to support a regional and international order based on international law:",
     ()),
    ("c-security",
     "The People's Republic of China and other Member States share the understanding that "
     "security is common, comprehensive, cooperative, sustainable, indivisible and equal, and "
     "the challenges in the CICA region, including traditional and non-traditional security "
     "issues, are complex and interrelated and require stronger cooperation;", ("CHN",)),
    ("c-navigation",
     "Vietnam and other Member States reaffirm the importance of the shared commitment to "
     "maintaining and promoting peace and stability, pursuing peaceful settlement of disputes "
     "without resorting to the threat or use of force, as well as ensuring safety, security, "
     "and freedom of navigation and overflight, in accordance with the UN Charter and "
     "international law, including relevant UN conventions:", ("VNM",)),
    ("c-gdi",
     "The People's Republic of China and other Member States welcome the Global Development "
     "Initiative and are willing to actively participate in cooperation on the initiative, "
     "further align their development strategies, accelerate the implementation of the 2030 "
     "Agenda for Sustainable Development of UN, and promote a stronger, greener, and healthier "
     "global development;", ("CHN",)),
    ("c-middle-east",
     "The State of Palestine and other Member States note that the situation in the Middle "
     "East continues to cause concern and call on all interested parties to implement related "
     "UN resolutions to achieve a peace, security and stability in this region. They also "
     "consider it essential to revive negotiations on the Middle East Peace Process, in order "
     "to achieve the two state solution, based on international law, relevant UN resolutions "
     "and the Arab Peace Initiative on two sovereign states living next to each other in "
     "peace, harmony, tranquility and security. They stay committed to the right of "
     "Palestinians to have an independent, and fully sovereign Palestinian state on the border "
     "lines of 4 June 1967, with East Jerusalem as its capital, and they strongly support the "
     "Historic Hashemite Custodianship of the Holy sites in the Holy City of Jerusalem. They "
     "stand firm against any unilateral decision that might lead to changing the status quo of "
     "the holy city of Jerusalem. They remain fully concerned about the current financial "
     "situation of The United Nations Relief and Works Agency.", ("PSE",)),
    ("c-abraham-accords",
     "The State of Israel expresses support of the recent developments in the Middle East with "
     "the historic signing of the \"Abraham accords\" and the tripartite declaration. These "
     "peace agreements that established full diplomatic relations between CICA Member States "
     "Israel, UAE and Bahrain will strengthen regional cooperation in various fields and "
     "promote peace, economic growth and prosperity. Israel calls on all interested parties to "
     "support the efforts to achieve peace, security and stability in this region. Israel also "
     "considers it essential to revive negotiations on the Middle East Peace Process, in order "
     "to achieve an agreed solution between Israel and the Palestinians.", ("ISR",)),
    ("c-gratitude",
     "Member States express gratitude to the Republic of Kazakhstan for the hospitality and "
     "excellent organization of the Sixth CICA Summit.", ()),
]


def conclusions_text() -> dict:
    """The whole text of SUM/2022/DRAFT/5 (7 October 2022), its blank in paragraph 5 still
    open, as a request body's `text`."""
    return {
        "title": dict(CONCLUSIONS_TITLE),
        "opening": dict(CONCLUSIONS_OPENING),
        "paragraphs": [
            {"id": pid, "part": "body", "text": {"en": text}, "sponsors": list(sponsors)}
            for pid, text, sponsors in CONCLUSIONS_PARAGRAPHS
        ],
    }



EXPLANATORY_NOTE_DATED = "2022-10-07"
"""When the Explanatory Note was issued with SUM/2022/DRAFT/5: the note itself bears no date
and no symbol; note verbale SOC/OI/1280 of 7 October 2022 enclosed it with the draft
conclusions ("Draft Conclusions of the Sixth CICA Summit and Explanatory Note")."""
EXPLANATORY_NOTE_ENCLOSED_BY = "SOC/OI/1280"
"""The note verbale that enclosed it with SUM/2022/DRAFT/5."""
EXPLANATORY_NOTE = {
    "title": {"en": "Explanatory Note on the Draft Conclusions of the Sixth CICA Summit"},
    "paragraphs": [
        "It is of utmost importance for the Chairmanship of Kazakhstan to ensure that the "
        "outcomes of the 30th anniversary Summit in Astana meet high expectations of all Member "
        "States and are commensurate with this historic moment, worthy of the level of Heads of "
        "State or Government and fairly reflect views of all Member States.",
        "The Republic of Kazakhstan, as CICA Chair, believes that all national positions, "
        "priorities and initiatives, including on specific thematic or regional issues, must be "
        "integrated in the Summit outcomes. The Chairmanship has therefore compiled all "
        "achievements of the Sixth CICA Summit and topics which are important for Member States "
        "in a document with the title \"Draft Conclusions of the Sixth CICA Summit\", which "
        "will be the main outcome document of the Summit with an overarching general scope.",
        "The Draft Conclusions contains a summary of all outcomes of the Summit, including a "
        "brief outline of decisions taken and documents adopted, as well as factual reflection "
        "of specific issues which are very important for Member States, are not directly "
        "related to CICA transformation, security of ICTs, counter-terrorism or CICA Fund, and "
        "therefore cannot be part of these specific thematic documents of the Summit. Texts on "
        "these specific issues were proposed by Member States on the basis of agreed CICA "
        "language, and the Chair believes that their discussion should continue at the SOC to "
        "ensure their reflection in Summit outcomes.",
        "Transformation of CICA into a full-fledged organization was set as the strategic goal "
        "of the Chairmanship of Kazakhstan, and its concept was supported by the Member States. "
        "Consensus was reached at the SOC on 30 March 2022 to launch the transformation process "
        "at the Sixth CICA Summit. To date, all transformation related decisions for the Summit "
        "have been agreed, including on the first practical steps of the transformation "
        "process. Therefore, in order to ensure implementation of the SOC decision to launch "
        "transformation at the upcoming Summit, all agreed texts on CICA transformation are "
        "grouped in a separate thematic document with the same title \"Draft Astana Statement "
        "on Transformation\".",
    ],
}
"""The Explanatory Note on the draft conclusions, its four paragraphs as the seed has them
(its "30<sup>th</sup>" written 30th, its bold "thematic document" plain)."""


def explanatory_note() -> dict:
    """The Explanatory Note as a request body of `POST /documents/SUM/2022/DRAFT/5/companions`:
    a text that accompanies the draft conclusions, with no symbol of its own (the seed gives
    it none, and none is invented)."""
    return {
        "kind": "explanatory_note",
        "title": dict(EXPLANATORY_NOTE["title"]),
        "paragraphs": [{"en": text} for text in EXPLANATORY_NOTE["paragraphs"]],
        "dated": EXPLANATORY_NOTE_DATED,
        "note": EXPLANATORY_NOTE_ENCLOSED_BY,
    }
