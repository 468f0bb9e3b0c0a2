"""Where each fact of the October 2022 scenario comes from: the ``CICA-Source`` of every write
the demo makes (`shared.http.provenance`), so that each event in every log says it.

The sources are the seed documents (the repository's ``seed/``): note verbale SOC/OI/1280 of
7 October 2022 in English, Russian and Kazakh; the draft annotated agenda SOC/2022-III/Agenda/2
of 7 October 2022; the draft Astana Statement SUM/2022/DRAFT/1/Rev.8 of 7 October 2022; the
draft conclusions of the Sixth Summit SUM/2022/DRAFT/5 of 7 October 2022 and their Explanatory
Note. What they hold is ``record``. What the project derived from them says how
(``inferred``). What happens after 7 October 2022 (the SOC's meeting, the Summit) is no
source's record: the demo plays it out as the drafts foresee it, and says so (``example``).
What no source in the project holds (which states were the 27, their names in each language)
is ``unverified``, with whose knowledge it is.
"""

from __future__ import annotations

from shared.http.provenance import SourceStatus, source_header

NOTE_1280 = "SOC/OI/1280"
AGENDA_2 = "SOC/2022-III/Agenda/2"
REV_8 = "SUM/2022/DRAFT/1/Rev.8"
CONCLUSIONS = "SUM/2022/DRAFT/5"

SCENARIO = (
    "The seed is of 7 October 2022; what follows it is the scenario's, as the drafts foresee it, "
    "on the days the demo gives it"
)


def record(cites: str, passage: str | None = None, note: str | None = None) -> str:
    return source_header(SourceStatus.RECORD, cites=cites, passage=passage, note=note)


def inferred(cites: str, passage: str | None, note: str) -> str:
    return source_header(SourceStatus.INFERRED, cites=cites, passage=passage, note=note)


def example(cites: str | None = None, passage: str | None = None, note: str = SCENARIO) -> str:
    return source_header(SourceStatus.EXAMPLE, cites=cites, passage=passage, note=note)


MEMBERS_ON_7_OCTOBER = source_header(
    SourceStatus.UNVERIFIED,
    cites=NOTE_1280,
    passage="addressed to the CICA Member States",
    note="Which 27 states these were is CICA's public membership of 2022, not in the seed; "
    "their names in English, Russian and Kazakh are the project's working names; when each "
    "joined is not known to the project",
)
ORGANISATION = inferred(
    NOTE_1280, "heading and opening, in English, Russian and Kazakh",
    "The English and Russian names as the note writes them; the Kazakh name in the nominative "
    "of the note's genitive; named so on the note's date, since when is not in the seed",
)
SOC = inferred(
    NOTE_1280, "opening paragraph, in English, Russian and Kazakh",
    "The English name as the note writes it; the Russian and Kazakh in the nominative of the "
    "note's genitive; named so on the note's date, since when is not in the seed",
)
SWG = record(AGENDA_2, "item 3(a)", "Named so on the agenda's date; since when is not in the seed")
OLD_NAMES = record(REV_8, "OP5(1) and OP5(2)", "The names the Summit is to replace, as of the "
                   "draft's date; since when is not in the seed")
KUWAIT_APPLIES = record(
    AGENDA_2, "item 2",
    "Application circulated via note verbale SOC/OI/88 of 3 February 2022; Kuwait's names in "
    "Russian and Kazakh are the project's working names",
)
SOC_MEETING = record(AGENDA_2, "heading: in Astana on 10-11 October 2022 at 10:00 (GMT+6 hours)")
SUMMIT_MEETING = record(AGENDA_2, "items 2 and 3: the Sixth CICA Summit in Astana on 12-13 "
                        "October 2022")
AGENDA_1 = inferred(
    AGENDA_2, "item 1",
    "Circulated on 7 September 2022 and not revised: its items are the annotated agenda's, "
    "without the annotations; Agenda/1 itself is not in the seed",
)
ANNOTATIONS = record(AGENDA_2)
NOTE_88 = record(AGENDA_2, "item 2")
NOTE_1256 = record(AGENDA_2, "item 5(b)")
REGISTER = inferred(
    "SOC/OI/88, IO/1256 and SOC/OI/1280", None,
    "88 in February and 1256 and 1280 in October 2022: a count restarted each year; IO/1256 and "
    "SOC/OI/1280, four days and 24 numbers apart: one count for both prefixes. The numbers "
    "between are notes the record does not hold",
)
NOTE_1280_ISSUED = record(NOTE_1280, "in English, Russian and Kazakh")
CIRCULATED = record(NOTE_1280, "enclosures")
REV_8_TEXT = record(REV_8)
CONCLUSIONS_TEXT = record(CONCLUSIONS)
EXPLANATORY_NOTE = record(CONCLUSIONS, "Explanatory Note on the Draft Conclusions, enclosed "
                          "with them by note verbale SOC/OI/1280")
RUSSIAN_REV_8 = source_header(
    SourceStatus.UNOFFICIAL_TRANSLATION, cites=REV_8,
    note="The project's own translation, in full, to show language versions; not the "
    "Secretariat's nor any state's",
)


def document_listed(passage: str) -> str:
    """A document the annotated agenda lists by title and date only: what the record holds of
    it is what the agenda says."""
    return record(AGENDA_2, passage, "Title and date as the agenda lists them; the text is not "
                  "in the seed")


AGENDA_ADOPTED = example(AGENDA_2, "item 1: Adoption of the agenda")
SOC_DECIDES = example(AGENDA_2)
SUMMIT_DECIDES = example(CONCLUSIONS, "paragraphs 1 and 5")
RENAMED = example(REV_8, "OP5(1) and OP5(2)")
MINISTRIES = example(note="The ministries' endpoints are the demo's own receivers")
