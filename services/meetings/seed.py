"""The SOC's meeting of 10–11 October 2022 in Astana, from the seed
(../shared/seed/: the annotated agenda SOC/2022-III/Agenda/2 of 7 October 2022): the examples
of the OpenAPI document and the data of the tests."""

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

SOC_MEETING: dict[str, Any] = {
    "body": "SOC",
    "session": SOC_SESSION,
    "title": "Meeting of the CICA Senior Officials Committee (SOC)",
    "venue": "Astana",
    "starts_local": "2022-10-10T10:00:00",
    "ends_local": "2022-10-11T18:00:00",
    "time_zone": "Asia/Almaty",
}

SUMMIT_MEETING: dict[str, Any] = {
    "body": "SUMMIT",
    "session": SUMMIT_SESSION,
    "title": "Sixth CICA Summit",
    "venue": "Astana",
    "starts_local": "2022-10-12T10:00:00",
    "ends_local": "2022-10-13T18:00:00",
    "time_zone": "Asia/Almaty",
}

SWG = "recommended by the Special Working Group (SWG)"
SWG_CONTINUE = "the SWG recommended that the SOC continue consideration of this draft document"


def _doc(symbol: str, dated: str, note: str = "") -> dict[str, Any]:
    return {"symbol": symbol, "dated": dated, "note": note}


def soc_agenda_items(*, annotated: bool = True) -> list[dict[str, Any]]:
    """The five items of the SOC's agenda and their sub-items; with the annotations of
    SOC/2022-III/Agenda/2 when `annotated`, as circulated in SOC/2022-III/Agenda/1 if not."""

    def note(text: str) -> str:
        return text if annotated else ""

    return [
        {"number": "1", "title": "Adoption of the agenda", "action": "adopt_agenda",
         "annotation": note("The draft agenda has been circulated as document "
                            "SOC/2022-III/Agenda/1 on 7 September 2022 and was not revised.")},
        {"number": "2",
         "title": "Recommendation on granting the CICA Member State status to Kuwait",
         "action": "recommend_for_adoption",
         "annotation": note(
             "Application by Kuwait for CICA membership has been circulated via Secretariat "
             "Note Verbale No. SOC/OI/88 of 3 February 2022. Pursuant to paragraph 11.3 of the "
             "CICA Rules of Procedure, the SOC will consider approving the draft decision on "
             "accession of Kuwait to CICA as a Member State for adoption by the Sixth CICA "
             "Summit on 12-13 October 2022 (document SUM/2022/DRAFT/4 of 5 October 2022)."),
         "considers": [_doc("SUM/2022/DRAFT/4", "2022-10-05")]},
        {"number": "3",
         "title": "Draft documents for adoption by the Sixth CICA Summit in Astana on 12-13 "
                  "October 2022",
         "action": "recommend_for_adoption",
         "annotation": note("The SOC will consider approving the following draft documents "
                            "and recommending their adoption by the Summit:"),
         "sub_items": [
             {"letter": "a", "title": "Draft Regulations of the CICA Fund",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/2/Rev.3", "2022-09-14", SWG)]},
             {"letter": "b", "title": "Draft CICA Leaders' Statement on Cooperation in the "
                                      "Field of Security of and in the Use of ICTs",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/3/Rev.3", "2022-10-04", SWG)]},
             {"letter": "c", "title": "Draft Astana Statement on CICA Transformation",
              "action": "recommend_for_adoption",
              "annotation": note(SWG_CONTINUE),
              "considers": [_doc("SUM/2022/DRAFT/1/Rev.8", "2022-10-07")]},
             {"letter": "d", "title": "Draft CICA Plan of Action on the Implementation of the "
                                      "United Nations Global Counter-Terrorism Strategy",
              "action": "recommend_for_adoption",
              "annotation": note(SWG_CONTINUE),
              "considers": [_doc("SOC/2021/DRAFT/3/Rev.6", "2022-10-04")]},
             {"letter": "e", "title": "Draft Conclusions of the Sixth CICA Summit",
              "action": "recommend_for_adoption",
              "considers": [_doc("SUM/2022/DRAFT/5", "2022-10-07")]},
         ]},
        {"number": "4",
         "title": "Concept Papers, Coordinators and Co-coordinators in priority areas of CICA "
                  "dimensions",
         "action": "approve",
         "annotation": note("The SOC will consider approving the following draft concept "
                            "papers recommended by the SWG:"),
         "sub_items": [
             {"letter": "a", "title": "Approval of Kyrgyzstan as Co-coordinator in the "
                                      "priority area \"Trade and Investment\"",
              "action": "approve",
              "annotation": note("recommended by the SWG on 14 September 2022")},
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
             {"letter": "a", "title": "Future CICA Chairmanships", "action": "report",
              "annotation": note("the Chair will report on ongoing consultations on CICA "
                                 "Chairmanship in 2024-2026")},
             {"letter": "b", "title": "Draft Memorandum of Understanding between the CICA "
                                      "Secretariat and the Eurasian Economic Commission",
              "action": "consider",
              "annotation": note("Secretariat's Note № IO/1256 of 3 October 2022")},
         ]},
    ]


SOC_AGENDA_DRAFT: dict[str, Any] = {
    "symbol": "SOC/2022-III/Agenda/1",
    "circulated_on": "2022-09-07",
    "items": soc_agenda_items(annotated=False),
}

SOC_AGENDA_ANNOTATED: dict[str, Any] = {
    "symbol": "SOC/2022-III/Agenda/2",
    "circulated_on": "2022-10-07",
    "basis": "draft annotated agenda; the draft agenda was not revised",
    "items": soc_agenda_items(annotated=True),
}

RECOMMEND_ASTANA_STATEMENT: dict[str, Any] = {
    "decision_id": "0b5e8a44-4d1c-4f55-8f0e-2f7d9b7c1a08",
    "item": "3(c)",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"},
    "decided_on": "2022-10-11",
    "text": "The SOC approved the Draft Astana Statement on CICA Transformation and "
            "recommended its adoption by the Sixth CICA Summit.",
}

RECOMMEND_KUWAIT: dict[str, Any] = {
    "decision_id": "8a7f3c1d-0e52-4b9a-a6d4-71c2e9f0b356",
    "item": "2",
    "outcome": "recommended_for_adoption",
    "subject": {"kind": "membership_application", "state": "KWT"},
    "decided_on": "2022-10-11",
    "text": "The SOC approved the draft decision on accession of Kuwait to CICA as a Member "
            "State (SUM/2022/DRAFT/4) for adoption by the Sixth CICA Summit.",
}

SILENCE_PROCEDURE: dict[str, Any] = {
    "body": "SOC",
    "session": SOC_SESSION,
    "draft": {"outcome": "approved",
              "subject": {"kind": "document", "symbol": "SOC/2021/DRAFT/3/Rev.6"},
              "text": "The SOC approves the Draft CICA Plan of Action on the Implementation of "
                      "the United Nations Global Counter-Terrorism Strategy."},
    "deadline": "2022-11-15T18:00:00+06:00",
}
