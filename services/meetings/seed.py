"""The meetings of October 2022 as the seed has them (../shared/seed/: note verbale SOC/OI/1280
and the draft annotated agenda SOC/2022-III/Agenda/2, both of 7 October 2022, and the draft
conclusions SUM/2022/DRAFT/5 of the same day): the examples of the OpenAPI document, the data
of the tests and of the demo.

What the seed says, and what is inferred or illustrative, is said at each name:

- the SOC's meeting, "in Astana on 10-11 October 2022 at 10:00 (GMT+6 hours)": it starts on
  10 October at 10:00 and ends on 11 October, at a time no source gives;
- the Summit, "in Astana on 12-13 October 2022" (item 3's title, and the draft conclusions):
  no source gives its times nor its zone;
- the draft agenda SOC/2022-III/Agenda/1, which "has been circulated ... on 7 September 2022
  and was not revised", and the draft annotated agenda SOC/2022-III/Agenda/2 that annotates
  it, its own document;
- the SOC's decisions of 10-11 October: no source of the seed records them (the seed is of
  7 October); those here are the scenario's illustrations;
- the Summit's decisions, known only from its draft conclusions (paragraphs 1 and 5), each
  recorded in them, on a day the draft does not give (the scenario's).
"""

from __future__ import annotations

from typing import Any

SOC_SESSION = "SOC/2022-III"
SUMMIT_SESSION = "SUM/2022"

MEMBER_STATES_2022 = (
    "AFG", "ARE", "AZE", "BGD", "BHR", "CHN", "EGY", "IND", "IRN", "IRQ", "ISR", "JOR", "KAZ",
    "KGZ", "KHM", "KOR", "LKA", "MNG", "PAK", "PSE", "QAT", "RUS", "THA", "TJK", "TUR", "UZB",
    "VNM",
)
"""The 27 member states of October 2022, before Kuwait's admission."""

GMT_PLUS_6 = "Etc/GMT-6"
"""The seed's "GMT+6 hours" (the annotated agenda's heading), as the tz database names a fixed
offset of six hours ahead of UTC (its ``Etc/`` zones invert the POSIX sign: ``Etc/GMT-6`` is
UTC+6). The seed gives an offset, not a place's zone: Astana's ``Asia/Almaty`` was UTC+6 in
2022 but is a rule of the tz database that has changed since (UTC+5 from 1 March 2024), and
the record keeps what the source said, whichever rules a later tz database holds."""

SOC_MEETING: dict[str, Any] = {
    "body": "SOC",
    "session": SOC_SESSION,
    "title": "Meeting of the CICA Senior Officials Committee (SOC)",
    "venue": "Astana",
    "starts_on": "2022-10-10",
    "starts_at_local": "10:00",
    "ends_on": "2022-10-11",
    "time_zone": GMT_PLUS_6,
}
"""The annotated agenda's heading: "of the meeting of the CICA Senior Officials Committee (SOC)
in Astana on 10-11 October 2022 at 10:00 (GMT+6 hours)". It gives no end time. The session
symbol is the agenda's (SOC/2022-III/Agenda/2)."""

SUMMIT_MEETING: dict[str, Any] = {
    "body": "SUMMIT",
    "session": SUMMIT_SESSION,
    "title": "Sixth CICA Summit",
    "venue": "Astana",
    "starts_on": "2022-10-12",
    "ends_on": "2022-10-13",
}
"""The Sixth CICA Summit "in Astana on 12-13 October 2022" (item 3 of the annotated agenda; the
draft conclusions: "having met at the Sixth CICA Summit in Astana on 12-13 October 2022"): no
source gives its times, so none is recorded, nor a zone to read them in. Its session symbol
is its documents' series (SUM/2022/DRAFT/...)."""

AGENDA_1 = "SOC/2022-III/Agenda/1"
AGENDA_2 = "SOC/2022-III/Agenda/2"


def _doc(symbol: str, dated: str) -> dict[str, Any]:
    return {"symbol": symbol, "dated": dated}


def _note(number: str, dated: str) -> dict[str, Any]:
    return {"number": number, "dated": dated}


def soc_agenda_items() -> list[dict[str, Any]]:
    """The five items of the SOC's agenda and their sub-items, titled word for word as the
    annotated agenda SOC/2022-III/Agenda/2 gives them, without its annotations
    (`SOC_ANNOTATIONS`).

    Inferred: the seed does not hold the draft agenda SOC/2022-III/Agenda/1 itself; the
    annotated agenda says it "was not revised", so its items are taken to be the annotated
    agenda's without the annotations. The documents and notes the items link to are those the
    annotated agenda names, with their dates: on 7 September 2022 the draft agenda could not
    have named revisions and notes dated after it (SUM/2022/DRAFT/2/Rev.3 of 14 September, note
    IO/1256 of 3 October...); the service holds an agenda's items as they stand, following
    each document to its newest revision. The `action` of each item is the service's own
    classification of what its title asks, not the seed's words."""
    return [
        {"number": "1", "title": "Adoption of the agenda", "action": "adopt_agenda"},
        {"number": "2",
         "title": "Recommendation on granting the CICA Member State status to Kuwait",
         "action": "recommend_for_adoption",
         "considers": [_doc("SUM/2022/DRAFT/4", "2022-10-05")],
         "cites_notes": [_note("SOC/OI/88", "2022-02-03")]},
        {"number": "3",
         "title": "Draft documents for adoption by the Sixth CICA Summit in Astana on 12-13 "
                  "October 2022",
         "action": "recommend_for_adoption",
         "sub_items": [
             {"letter": "a", "title": "Draft Regulations of the CICA Fund",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/2/Rev.3", "2022-09-14")]},
             {"letter": "b", "title": "Draft CICA Leaders' Statement on Cooperation in the "
                                      "Field of Security of and in the Use of ICTs",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/3/Rev.3", "2022-10-04")]},
             {"letter": "c", "title": "Draft Astana Statement on CICA Transformation",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/1/Rev.8", "2022-10-07")]},
             {"letter": "d", "title": "Draft CICA Plan of Action on the Implementation of the "
                                      "United Nations Global Counter-Terrorism Strategy",
              "action": "recommend_for_adoption",
              "considers": [_doc("SOC/2021/DRAFT/3/Rev.6", "2022-10-04")]},
             {"letter": "e", "title": "Draft Conclusions of the Sixth CICA Summit",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/5", "2022-10-07")]},
         ]},
        {"number": "4",
         "title": "Concept Papers, Coordinators and Co-coordinators in priority areas of CICA "
                  "dimensions",
         "action": "approve",
         "sub_items": [
             {"letter": "a", "title": "Approval of Kyrgyzstan as Co-coordinator in the "
                                      "priority area \"Trade and Investment\"",
              "action": "approve"},
             {"letter": "b", "title": "Draft Concept Paper on Development of Secure and "
                                      "Effective Systems of Transportation Corridors for "
                                      "2022-2023", "action": "approve"},
             {"letter": "c", "title": "Draft Concept Paper on Implementation of Confidence "
                                      "Building Measures in the Human Dimension",
              "action": "approve"},
             {"letter": "d", "title": "Draft Concept Paper and Plan of Implementation of the "
                                      "CICA CBM \"Security of and in the Use of ICTs\" for "
                                      "2022-2023", "action": "approve"},
         ]},
        {"number": "5", "title": "Any other business", "action": "take_note",
         "sub_items": [
             {"letter": "a", "title": "Future CICA Chairmanships", "action": "report"},
             {"letter": "b", "title": "Draft Memorandum of Understanding between the CICA "
                                      "Secretariat and the Eurasian Economic Commission",
              "action": "consider",
              "cites_notes": [_note("IO/1256", "2022-10-03")]},
         ]},
    ]  # fmt: skip


SWG_CONTINUE = "the SWG recommended that the SOC continue consideration of this draft document"

SOC_ANNOTATIONS: list[dict[str, str]] = [
    {"ref": "1", "text": "The draft agenda has been circulated as document SOC/2022-III/Agenda/1 "
                         "on 7 September 2022 and was not revised."},
    {"ref": "2", "text": "Application by Kuwait for CICA membership has been circulated via "
                         "Secretariat Note Verbale No. SOC/OI/88 of 3 February 2022. Pursuant "
                         "to paragraph 11.3 of the CICA Rules of Procedure, the SOC will "
                         "consider approving the draft decision on accession of Kuwait to CICA "
                         "as a Member State for adoption by the Sixth CICA Summit on 12-13 "
                         "October 2022 (document SUM/2022/DRAFT/4 of 5 October 2022)."},
    {"ref": "3", "text": "The SOC will consider approving the following draft documents and "
                         "recommending their adoption by the Summit:"},
    {"ref": "3(a)", "text": "recommended by the Special Working Group (SWG)"},
    {"ref": "3(b)", "text": "recommended by the SWG"},
    {"ref": "3(c)", "text": SWG_CONTINUE},
    {"ref": "3(d)", "text": SWG_CONTINUE},
    {"ref": "4", "text": "The SOC will consider approving the following draft concept papers "
                         "recommended by the SWG:"},
    {"ref": "4(a)", "text": "recommended by the SWG on 14 September 2022"},
    {"ref": "5(a)", "text": "the Chair will report on ongoing consultations on CICA "
                            "Chairmanship in 2024-2026"},
    {"ref": "5(b)", "text": "Secretariat's Note № IO/1256 of 3 October 2022"},
]  # fmt: skip
"""The annotated agenda's words on each item, word for word. Item 4's sentence stands between
sub-items (a) and (b) in the seed, introducing (b) to (d); it is recorded on item 4."""

SOC_AGENDA_DRAFT: dict[str, Any] = {
    "symbol": AGENDA_1,
    "circulated_on": "2022-09-07",
    "items": soc_agenda_items(),
}
"""The draft agenda, circulated on 7 September 2022 (item 1's annotation); its items inferred
(`soc_agenda_items`)."""

SOC_AGENDA_ANNOTATED: dict[str, Any] = {
    "symbol": AGENDA_2,
    "circulated_on": "2022-10-07",
    "title": "Draft annotated agenda",
    "annotations": SOC_ANNOTATIONS,
}
"""The draft annotated agenda of 7 October 2022 ("DRAFT ANNOTATED AGENDA"), the body of
``POST /meetings/SOC-2022-III/agenda/annotations``: it annotates SOC/2022-III/Agenda/1, which
keeps its items and its symbol."""

# ------------------------------------------------------------------------------ the SOC's decisions

RECOMMEND_KUWAIT: dict[str, Any] = {
    "decision_id": "8a7f3c1d-0e52-4b9a-a6d4-71c2e9f0b356",
    "item": "2",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "membership_application", "state": "KWT"},
    "decided_on": "2022-10-11",
}
"""Illustrative: what item 2 proposes (the SOC "will consider approving the draft decision on
accession of Kuwait ... for adoption by the Sixth CICA Summit"), as the scenario has the SOC
decide it on 11 October. No source records the SOC's decision, its day or its words: it
carries no text."""

RECOMMEND_ASTANA_STATEMENT: dict[str, Any] = {
    "decision_id": "0b5e8a44-4d1c-4f55-8f0e-2f7d9b7c1a08",
    "item": "3(c)",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
    "decided_on": "2022-10-11",
}
"""Illustrative, as `RECOMMEND_KUWAIT`: item 3 proposes that the SOC approve the drafts and
recommend their adoption; the SWG had recommended that the SOC continue consideration of this
one, so it follows no recommendation of the SWG."""

APPROVE_KYRGYZSTAN: dict[str, Any] = {
    "decision_id": "3c2a5e71-9b4d-4f08-8e16-5d7a0c9b2f44",
    "item": "4(a)",
    "outcome": "approved",
    "subject": {"kind": "coordinator", "state": "KGZ", "area": "trade-and-investment",
                "role": "co_coordinator"},
    "decided_on": "2022-10-11",
    "on_recommendation_of": {"body": "SWG", "dated": "2022-09-14"},
}
"""Item 4(a): "Approval of Kyrgyzstan as Co-coordinator in the priority area "Trade and
Investment" (recommended by the SWG on 14 September 2022)". The SWG's recommendation and its
day are the seed's; the SOC's approval on 11 October is illustrative, as `RECOMMEND_KUWAIT`."""

RECOMMEND_CICA_FUND: dict[str, Any] = {
    "decision_id": "6e1d9a3b-27c4-4b5f-9a80-1f3e5c7d9b26",
    "item": "3(a)",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/2/Rev.3"},
    "decided_on": "2022-10-11",
    "on_recommendation_of": {"body": "SWG", "dated": None},
}
"""Item 3(a), "recommended by the Special Working Group (SWG)" (no date given); the SOC's
decision is illustrative, as `RECOMMEND_KUWAIT`."""

RECOMMEND_ICT_STATEMENT: dict[str, Any] = {
    "decision_id": "d4b8f2a6-5c31-4e97-8b0d-7a2e6f1c3d58",
    "item": "3(b)",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/3/Rev.3"},
    "decided_on": "2022-10-11",
    "on_recommendation_of": {"body": "SWG", "dated": None},
}
"""Item 3(b), "recommended by the SWG" (no date given); illustrative as `RECOMMEND_CICA_FUND`."""

# ------------------------------------------------------------------------------ the Summit's

CONCLUSIONS = "SUM/2022/DRAFT/5"
"""The draft conclusions of the Sixth CICA Summit, of 7 October 2022: the only source of the
Summit's decisions the seed holds. The record holds no agenda of the Summit, so its decisions
have no item: each names the paragraph that records it (`recorded_in`). The draft does not
date them: the days (12 and 13 October, the Summit's) are the scenario's."""


def _recorded_in(paragraph: str) -> dict[str, str]:
    return {"symbol": CONCLUSIONS, "paragraph": paragraph}


ADMIT_KUWAIT: dict[str, Any] = {
    "decision_id": "4e6a9ed7-4215-50ea-b015-aa3a1dcf3e00",
    "outcome": "adopted",
    "subject": {"kind": "membership_application", "state": "KWT"},
    "decided_on": "2022-10-12",
    "recorded_in": _recorded_in("5"),
}
"""Paragraph 5: "Welcomed Kuwait as a new CICA Member State"."""

CHAIRMANSHIP_KAZAKHSTAN: dict[str, Any] = {
    "decision_id": "a1f7c3e9-0d52-4b86-9e14-3c8b5d7f2a60",
    "outcome": "adopted",
    "subject": {"kind": "chairmanship", "state": "KAZ", "period": "2022-2024"},
    "decided_on": "2022-10-12",
    "recorded_in": _recorded_in("5"),
}
"""Paragraph 5: "took decisions on CICA Chairmanships of Kazakhstan in 2022-2024 and ____ in
2024-2026". The chair of 2024-2026 is a blank in the draft: no decision names it."""

NEXT_SUMMIT: dict[str, Any] = {
    "decision_id": "b6e2d8f4-1a73-4c95-8d20-4e9a6c1b3f75",
    "outcome": "adopted",
    "subject": {"kind": "next_meeting", "body": "SUMMIT", "year": 2026},
    "decided_on": "2022-10-12",
    "recorded_in": _recorded_in("5"),
}
"""Paragraph 5: "and on the next meetings of the CICA Summit in 2026 ..."."""

NEXT_MINISTERIAL_COUNCIL: dict[str, Any] = {
    "decision_id": "c9f3a1d7-6b28-4e04-9a35-5f0b7d2c4e81",
    "outcome": "adopted",
    "subject": {"kind": "next_meeting", "body": "MC", "year": 2024},
    "decided_on": "2022-10-12",
    "recorded_in": _recorded_in("5"),
}
"""Paragraph 5: "... and CICA Ministerial Council in 2024"."""

ADOPT_ASTANA_STATEMENT: dict[str, Any] = {
    "decision_id": "ec540024-8e39-5987-bd8f-b019a8c5c2b2",
    "outcome": "adopted",
    "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
    "decided_on": "2022-10-13",
    "recorded_in": _recorded_in("1"),
}
"""Paragraph 1: "have decided to chart the future course of our cooperation as reflected in the
Astana Statement on CICA Transformation". Which revision the Summit adopted is not in the
seed: Rev.8 (7 October 2022) is the last it holds, the scenario's choice. The 13th is the day
from which the registry's seed counts the renamings the Statement decides (OP5)."""

SUMMIT_DECISIONS = (
    ADMIT_KUWAIT, CHAIRMANSHIP_KAZAKHSTAN, NEXT_SUMMIT, NEXT_MINISTERIAL_COUNCIL,
    ADOPT_ASTANA_STATEMENT,
)

SILENCE_PROCEDURE: dict[str, Any] = {
    "body": "SOC",
    "session": SOC_SESSION,
    "draft": {"outcome": "approved",
              "subject": {"kind": "document", "symbol": "SOC/2021/DRAFT/3/Rev.6"},
              "text": "The SOC approves the Draft CICA Plan of Action on the Implementation of "
                      "the United Nations Global Counter-Terrorism Strategy."},
    "deadline": "2022-11-15T18:00:00+06:00",
}
"""Illustrative only: no source records a silence procedure. It shows the shape of one on the
Plan of Action of item 3(d), whose consideration the SWG recommended the SOC continue; its text
is the draft's own, which a procedure circulates, not a quotation of any source."""
