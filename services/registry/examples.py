"""The examples of the registry's OpenAPI document: requests and answers drawn from the seed's
facts of October 2022 (`services.registry.seed`): Kuwait's application and admission, the
member states, the bodies the Summit renames, the partners of PP4.

An example may show a request the seed does not record (a suspension, a withdrawal), but no
example gives a fact the sources contradict or a date they do not give as theirs: the member
states are members on 7 October 2022 (the note verbale SOC/OI/1280), their joining days
unknown; the bodies are named as the seed names them on 7 October 2022."""

from __future__ import annotations

from typing import Any

from services.registry.seed import KUWAIT, KUWAIT_APPLICATION_NOTE, MEMBER_STATES_2022

Example = dict[str, Any]

KUWAIT_DECISION = {
    "decision_id": "6f1d3c0e-2b8a-4c57-9a43-0d6f7e1b2a91",
    "body": "SUMMIT",
    "session": "SUM/2022",
    "decided_on": "2022-10-12",
    "outcome": "adopted",
}
KAZAKHSTAN = MEMBER_STATES_2022["KAZ"]

# ------------------------------------------------------------------------------ member states

KNOWN_MEMBERS: Example = {
    "members": [
        {"state": code, "names": names, "member_on": "2022-10-07"}
        for code, names in list(MEMBER_STATES_2022.items())[:3]
    ]
}
KNOWN_MEMBERS_REGISTERED: Example = {"registered": [
    {"stream_id": "state-KAZ", "version": 1, "recorded": ["FoundingMemberRegistered"]}
]}
APPLICATION: Example = {
    "names": KUWAIT, "applied_on": "2022-02-03", "application_note": KUWAIT_APPLICATION_NOTE
}
ADMISSION: Example = {"decision": KUWAIT_DECISION}
RECOMMENDATION: Example = {"decision": {
    **KUWAIT_DECISION, "body": "SOC", "session": "SOC/2022-III", "decided_on": "2022-10-11",
    "outcome": "recommended_for_adoption",
}}
MEMBER_STATE: Example = {
    "code": "KWT",
    "names": KUWAIT,
    "status": "member",
    "since": "2022-10-12",
    "member_on": None,
    "applied_on": "2022-02-03",
    "application_note": KUWAIT_APPLICATION_NOTE,
    "recommendation": {**KUWAIT_DECISION, "body": "SOC",
                       "session": "SOC/2022-III", "decided_on": "2022-10-11",
                       "outcome": "recommended_for_adoption"},
    "admission": {"admitted_on": "2022-10-12", **KUWAIT_DECISION},
}
MEMBER_STATE_DETAIL: Example = {
    "code": "KWT", "names": KUWAIT, "status": "applicant", "since": "2022-02-03",
    "member_on": None, "applied_on": "2022-02-03",
    "application_note": KUWAIT_APPLICATION_NOTE,
    "facts": [{"fact": "applied", "effective_on": "2022-02-03",
               "recorded_at": "2022-02-04T06:12:00Z", "decision": None,
               "note": KUWAIT_APPLICATION_NOTE}],
}
MEMBER_STATES: Example = {
    "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z", "count": 28,
    "member_states": [
        {"code": "KAZ", "names": KAZAKHSTAN, "status": "member",
         "since": None, "member_on": "2022-10-07"},
        {"code": "KWT", "names": KUWAIT, "status": "member", "since": "2022-10-12",
         "member_on": None, "applied_on": "2022-02-03",
         "application_note": KUWAIT_APPLICATION_NOTE,
         "admission": {"admitted_on": "2022-10-12", **KUWAIT_DECISION}},
    ],
    "unknown": [],
}
SUSPENSION: Example = {
    "effective_on": "2023-01-01", "reason": "decision of the Ministerial Council"
}
REINSTATEMENT: Example = {"effective_on": "2024-01-01"}
WITHDRAWAL: Example = {
    "effective_on": "2024-01-01", "note": {"number": "SOC/OI/1300", "dated": "2023-10-01"}
}

# ------------------------------------------------------------------------------ observers, partners

# The seed names no observer, and of the partners (PP4 of Rev.8: "which have signed to date
# memoranda of understanding with CICA") no date of signing: these are examples of the shape,
# named as examples, attributed to no real organisation.
OBSERVER: Example = {
    "kind": "organisation", "key": "EXAMPLE-ORG",
    "names": {"en": "Example Organization (an example, not an observer of CICA)"},
    "effective_on": "2022-10-07",
}
OBSERVERS: Example = {
    "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z",
    "observers": [{"key": "EXAMPLE-ORG", "kind": "organisation",
                   "names": {"en": "Example Organization (an example, not an observer of CICA)"},
                   "effective_on": "2022-10-07", "recorded_at": "2022-10-08T09:00:00Z"}],
}
PARTNER: Example = {
    "key": "EXAMPLE-PARTNER",
    "names": {"en": "Example Partner (an example, not a partner of CICA)"},
    "agreement": "Memorandum of Understanding", "signed_on": "2022-10-07",
}
PARTNERS: Example = {
    "effective": "2022-10-12", "as_of": "2022-10-14T09:00:00Z",
    "partners": [{"key": "EXAMPLE-PARTNER",
                  "names": {"en": "Example Partner (an example, not a partner of CICA)"},
                  "agreement": "Memorandum of Understanding", "signed_on": "2022-10-07",
                  "recorded_at": "2022-10-08T09:00:00Z"}],
}

# ------------------------------------------------------------------------------ chairmanships

CHAIRMANSHIP_OPENED: Example = {"period": "2024-2026", "effective_on": "2022-10-07"}
CHAIR: Example = {"chair": "KAZ", "effective_on": "2022-10-12"}
CHAIRMANSHIP: Example = {
    "period": "2024-2026", "starts": 2024, "ends": 2026, "chair": None,
    "decided_on": None, "decision": None,
}
CHAIRMANSHIPS: Example = {
    "effective": "2022-10-13", "as_of": "2022-10-14T09:00:00Z",
    "chairmanships": [
        {"period": "2022-2024", "starts": 2022, "ends": 2024, "chair": "KAZ",
         "decided_on": "2022-10-12", "decision": None},
        {"period": "2024-2026", "starts": 2024, "ends": 2026, "chair": None,
         "decided_on": None, "decision": None},
    ],
}

# ------------------------------------------------------------------------------ coordinators

PRIORITY_AREA: Example = {
    "area": "trade-and-investment", "dimension": "economic",
    "names": {"en": "Trade and Investment"}, "effective_on": "2022-09-14",
}
COORDINATOR: Example = {"state": "KGZ", "role": "co_coordinator", "effective_on": "2022-10-11"}
COORDINATORS: Example = {
    "effective": "2022-10-11", "as_of": "2022-10-14T09:00:00Z",
    "priority_areas": [{
        "area": "trade-and-investment", "dimension": "economic",
        "names": {"en": "Trade and Investment"},
        "coordinators": [{"state": "KGZ", "role": "co_coordinator",
                          "effective_on": "2022-10-11", "term_ends_on": None,
                          "decision": None}],
    }],
}

# ------------------------------------------------------------------------------ bodies

BODY_ESTABLISHED: Example = {  # the Summit's name in OP5 of the Astana Statement (Rev.8)
    "code": "SUMMIT",
    "names": {"en": "Meeting of Heads of State or Government (Summit)"},
    "effective_on": "2022-10-07",
}
RENAMING: Example = {
    "names": {"en": "Council of Heads of State or Government (Summit)"},
    "effective_on": "2022-10-13",
}
RENAMING_PROPOSAL: Example = {
    "names": {"en": "Organization for Interaction and Cooperation in Asia (OICA)"},
    "proposed_by": ["KAZ"],
    "proposed_on": "2022-10-07",
}
BODY: Example = {
    "code": "SUMMIT",
    "names": {"en": "Council of Heads of State or Government (Summit)"},
    "since": "2022-10-13",
    "history": [
        {"fact": "established", "effective_on": "2022-10-07", "decision": None,
         "names": {"en": "Meeting of Heads of State or Government (Summit)"}},
        {"fact": "renamed", "effective_on": "2022-10-13", "decision": None,
         "names": {"en": "Council of Heads of State or Government (Summit)"}},
    ],
    "proposals": [],
}
BODIES: Example = {
    "effective": "2022-10-13", "as_of": "2022-10-14T09:00:00Z",
    "bodies": [{"code": "EXECUTIVE_DIRECTOR", "names": {"en": "Secretary General"},
                "since": "2022-10-13", "history": [], "proposals": []}],
}
