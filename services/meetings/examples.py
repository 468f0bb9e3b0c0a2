"""The examples of the meetings service's OpenAPI document: the SOC's meeting of 10–11 October
2022 in Astana, its draft agenda and the annotated agenda, the Summit's decisions as its draft
conclusions record them, and the answers the service gives about them (`services.meetings.seed`
says which of them the seed gives and which are illustrations: the SOC's decisions, the
silence procedure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.meetings.domain import meeting_id_of
from services.meetings.seed import (
    ADMIT_KUWAIT,
    APPROVE_KYRGYZSTAN,
    MEMBER_STATES_2022,
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_KUWAIT,
    SILENCE_PROCEDURE,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
)
from shared.competence import RECOMMENDS_TO, powers_of

SOC_ID = meeting_id_of(SOC_MEETING["session"])
PROCEDURE_ID = "5d0c2e7a-1f3b-4a9e-8c61-0b7d9e2f4a13"
DECISION_ID = RECOMMEND_ASTANA_STATEMENT["decision_id"]

# ------------------------------------------------------------------------------ parameters

BODY = "SOC"
DAY = "2022-10-12"
AS_OF = "2022-10-08T00:00:00+06:00"
DOCUMENT = "SUM/2022/DRAFT/1"
NOTE = "SOC/OI/88"
AGENDA_VIEW = "adopted"
SESSION = "SOC/2022-III"
TIME_ZONE = SOC_MEETING["time_zone"]
LOCAL_TIME = SOC_MEETING["starts_at_local"]
# The keys of the last item of a page, as the cursor (`after`) of the next one holds them.
MEETINGS_AFTER = (datetime(2022, 10, 10, 4, 0, tzinfo=UTC), SOC_ID)
AGENDA_ITEMS_AFTER = (SOC_ID, 3)
DECISIONS_AFTER = (42,)

# ------------------------------------------------------------------------------ bodies

# As the registry names them in the seed (the bodies `cica demo` establishes, and OP5 of the
# Astana Statement renaming the Summit from 13 October 2022: services/registry/seed.py), on the
# day after.
SOC_NAMES = {
    "en": "Senior Officials Committee (SOC)",
    "kk": "Аға лауазымды тұлғалар комитеті (АЛТК)",
    "ru": "Комитет старших должностных лиц (КСДЛ)",
}
SUMMIT_NAMES = {"en": "Council of Heads of State or Government (Summit)"}


def _powers(code: str) -> list[dict[str, str]]:
    return [{"subject": row.subject, "outcome": row.outcome, "power": row.power.value,
             "source": row.source} for row in powers_of(code)]


BODIES_OUT: dict[str, Any] = {"on": "2022-10-14", "bodies": [
    {"code": "SOC", "name": SOC_NAMES["en"], "names": SOC_NAMES, "since": "2002-06-04",
     "meets": True, "recommends_to": list(RECOMMENDS_TO["SOC"]), "powers": _powers("SOC")},
    {"code": "SUMMIT", "name": SUMMIT_NAMES["en"], "names": SUMMIT_NAMES, "since": "2022-10-13",
     "meets": True, "recommends_to": list(RECOMMENDS_TO["SUMMIT"]),
     "powers": _powers("SUMMIT")},
]}

# ------------------------------------------------------------------------------ member states

MEMBER_STATES_OUT: dict[str, Any] = {
    "on": "2022-10-12", "count": 28, "member_states": [*MEMBER_STATES_2022, "KWT"]}

# ------------------------------------------------------------------------------ meetings

MEETING_IN = SOC_MEETING
MEETING_OUT: dict[str, Any] = {
    "meeting_id": SOC_ID, **SOC_MEETING, "ends_at_local": None, "starts_at": "2022-10-10T04:00:00Z",
    "ends_at": None, "utc_offset_minutes": 360,
    "participants": list(MEMBER_STATES_2022), "agenda_symbol": SOC_AGENDA_DRAFT["symbol"],
    "agenda_status": "adopted", "version": 5,
}
MEETINGS_OUT: dict[str, Any] = {"meetings": [MEETING_OUT], "next_after": None}

# ------------------------------------------------------------------------------ agendas

AGENDA_IN = SOC_AGENDA_DRAFT
AGENDA_REVISION_IN: dict[str, Any] = {
    **SOC_AGENDA_DRAFT, "symbol": "SOC/2022-III/Agenda/1/Rev.1", "circulated_on": "2022-10-07",
    "basis": "an illustration of the shape only: the seed's draft agenda was not revised"}
AGENDA_ANNOTATIONS_IN = SOC_AGENDA_ANNOTATED
ADOPTION_IN: dict[str, Any] = {"adopted_on": "2022-10-10"}
AMENDMENT_IN: dict[str, Any] = {
    "decision_id": RECOMMEND_KUWAIT["decision_id"], "items": SOC_AGENDA_DRAFT["items"]}
# Illustrative: the seed records no Rev.9 of the Astana Statement; it shows how an item follows
# a revision.
AGENDA_OUT: dict[str, Any] = {
    "meeting_id": SOC_ID, "view": "current", "symbol": SOC_AGENDA_DRAFT["symbol"],
    "status": "adopted", "circulated_on": "2022-09-07", "adopted_on": "2022-10-10",
    "amended": False, "items": SOC_AGENDA_DRAFT["items"],
    "circulated": [SOC_AGENDA_DRAFT["symbol"]],
    "annotated": [{**SOC_AGENDA_ANNOTATED, "annotates": SOC_AGENDA_DRAFT["symbol"]}],
    "document_history": [{
        "item": "3(c)",
        "previous": {"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""},
        "current": {"symbol": "SUM/2022/DRAFT/1/Rev.9", "dated": "2022-10-11", "note": ""},
    }],
}
AGENDA_ITEMS_OUT: dict[str, Any] = {"items": [{
    "meeting_id": SOC_ID, "ref": "3(c)",
    "title": "Draft Astana Statement on CICA Transformation",
    "action": "recommend_for_adoption",
    "considers": [{"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""}],
    "cites_notes": [],
}], "next_after": None}

# ------------------------------------------------------------------------------ decisions

DECISION_IN = APPROVE_KYRGYZSTAN


def _decision_out(decision: dict[str, Any], meeting_id: str, body: str) -> dict[str, Any]:
    return {"item": None, "text": None, "recorded_in": None, "on_recommendation_of": None,
            **decision, "meeting_id": meeting_id, "body": body,
            "session": meeting_id.replace("-", "/", 1), "reservations": []}


DECISION_OUT: dict[str, Any] = _decision_out(APPROVE_KYRGYZSTAN, SOC_ID, "SOC")
DECISIONS_OUT: dict[str, Any] = {
    "decisions": [_decision_out(d, SOC_ID, "SOC")
                  for d in (RECOMMEND_KUWAIT, RECOMMEND_ASTANA_STATEMENT)],
    "proposals": [{key: RECOMMEND_KUWAIT[key]
                   for key in ("decision_id", "item", "outcome", "subject")}
                  | {"text": None, "objections": [], "withdrawn_objections": [],
                     "reservations": [], "taken": True}],
}
DECISIONS_PAGE_OUT: dict[str, Any] = {
    "decisions": [*DECISIONS_OUT["decisions"], _decision_out(ADMIT_KUWAIT, "SUM-2022", "SUMMIT")],
    "proposals": [], "next_after": None}
DECISION_OBJECTION_IN: dict[str, Any] = {
    "state": "IND", "reason": "The draft needs further consultations in the SWG."}
# Illustrations of the shapes only: the seed records no withdrawal and no reservation.
OBJECTION_WITHDRAWAL_IN: dict[str, Any] = {
    "state": "IND", "reason": "Consultations in the SWG were held."}
RESERVATION_IN: dict[str, Any] = {
    "state": "IND", "kind": "statement",
    "text": "An interpretative statement on operative paragraph 5 of SUM/2022/DRAFT/1/Rev.8, "
            "as the delegation sent it to the Secretariat."}

# ------------------------------------------------------------------------------ silence procedure

SILENCE_PROCEDURE_IN = SILENCE_PROCEDURE
OBJECTION_IN: dict[str, Any] = {
    "state": "IND", "reason": "Operative paragraph 3 needs further consultations."}
SILENCE_PROCEDURE_OUT: dict[str, Any] = {
    "procedure_id": PROCEDURE_ID, **SILENCE_PROCEDURE,
    "meeting_id": None, "started_at": "2022-11-01T09:00:00Z",
    "participants": list(MEMBER_STATES_2022), "objections": [], "withdrawn_objections": [],
    "status": "adopted",
    "concluded_at": "2022-11-15T12:00:01Z",
    "decision_id": "9c1e4b7a-2d3f-5a6b-8c9d-0e1f2a3b4c5d", "version": 3,
}
