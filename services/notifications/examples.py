"""The examples of the OpenAPI document, drawn from the seed (`seed`): the register of 2022,
note verbale No. SOC/OI/1280 of 7 October 2022 to the 27 member states, written by the
templates in English, Russian and Kazakh (it has no subject line, and none is given it), the
notes SOC/OI/88 and IO/1256 on record as the annotated agenda cites them, its notices, its
receipts, and its delivery to Kazakhstan's ministry by webhook."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.notifications import templates
from services.notifications.domain import key_of_number
from services.notifications.events import delivery_id, note_on_record_id
from services.notifications.seed import (
    CONTENT_1280,
    ENCLOSURES,
    FIRST_NUMBER,
    ISSUE_1280,
    MEMBER_STATES_2022,
    NOTE_88,
    NOTE_1280,
    NOTES_ON_RECORD,
    OFFICE,
    PAGES_1280,
    REGISTER_2022,
)

NOTE_KEY_1280 = key_of_number(NOTE_1280)
NOTE_ID = "3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
NOTICE_ID = "0b6c7d1e-2f3a-5b4c-8d9e-0f1a2b3c4d5e"
ISSUED_AT = "2022-10-07T09:00:00Z"
KAZ_RECEIPT = "MFA KAZ No. 12-1/3456 of 7 October 2022"
TEXT_1280 = templates.render(
    templates.NoteContent.model_validate(CONTENT_1280),
    place="Astana",
    dated=date(2022, 10, 7),
    pages=PAGES_1280,
    addressed_to_all_members=True,
)
"""The seed's note as the templates write it: the text of the examples."""
# The keys of the last item of a page, as the cursor (`after`) of the next one holds them.
REGISTERS_AFTER = ("2022",)
NOTES_AFTER = ("2022", 1280)
MESSAGES_AFTER = (41,)
ENDPOINTS_AFTER = ("KAZ", 57)
DELIVERIES_AFTER = (41, "KAZ")

# ------------------------------------------------------------------------------ member states

MEMBER_STATES: dict[str, Any] = {
    "count": 28,
    "member_states": [
        *(
            {"state": s, "member_since": "1999-09-14", "admitted": False, "status": "member",
             "status_since": "1999-09-14"}
            for s in MEMBER_STATES_2022
        ),
        {"state": "KWT", "member_since": "2022-10-12", "admitted": True, "status": "member",
         "status_since": "2022-10-12"},
    ],
}

# ------------------------------------------------------------------------------ registers

REGISTER_IN: dict[str, Any] = REGISTER_2022
REGISTER: dict[str, Any] = {
    **REGISTER_2022,
    "first_number": FIRST_NUMBER,
    "next_number": FIRST_NUMBER + 1,
    "issued": 1,
    "on_record": 2,
    "last_number": NOTE_1280,
    "version": 4,
}

# ------------------------------------------------------------------------------ notes, notices

NOTE_IN: dict[str, Any] = ISSUE_1280
"""The request that issues the seed's note to all member states, from structured data."""
NOTE: dict[str, Any] = {
    "note_id": NOTE_ID,
    "kind": "issued",
    "number": NOTE_1280,
    "key": NOTE_KEY_1280,
    "office": OFFICE,
    "register_name": REGISTER_2022["name"],
    "sequence": FIRST_NUMBER,
    "place": "Astana",
    "dated": "2022-10-07",
    "subject": {},
    "text": TEXT_1280,
    "languages": ["en", "ru", "kk"],
    "enclosures": ENCLOSURES,
    "pages": PAGES_1280,
    "recipients": list(MEMBER_STATES_2022),
    "addressed_to_all_members": True,
    "corrects": None,
    "issued_at": ISSUED_AT,
    "cited_in": None,
}
NOTES_ON_RECORD_IN: list[dict[str, Any]] = NOTES_ON_RECORD
"""SOC/OI/88 and IO/1256, as the annotated agenda SOC/2022-III/Agenda/2 cites them."""
NOTE_ON_RECORD: dict[str, Any] = {
    "note_id": str(note_on_record_id(NOTE_88, date.fromisoformat(NOTES_ON_RECORD[0]["dated"]))),
    "kind": "on_record",
    "number": NOTE_88,
    "key": key_of_number(NOTE_88),
    "office": OFFICE,
    "register_name": REGISTER_2022["name"],
    "sequence": 88,
    "place": None,
    "dated": NOTES_ON_RECORD[0]["dated"],
    "subject": NOTES_ON_RECORD[0]["subject"],
    "text": {},
    "languages": ["en"],
    "enclosures": [],
    "pages": None,
    "recipients": [],
    "addressed_to_all_members": False,
    "corrects": None,
    "issued_at": None,
    "cited_in": NOTES_ON_RECORD[0]["cited_in"],
}
NOTICE: dict[str, Any] = {
    "notice_id": NOTICE_ID,
    "kind": "document_revised",
    "subject": {"en": "SUM/2022/DRAFT/1/Rev.8 circulated"},
    "text": {
        "en": "The Secretariat circulates SUM/2022/DRAFT/1/Rev.8, revision 8 of SUM/2022/DRAFT/1."
    },
    "languages": ["en"],
    "recipients": list(MEMBER_STATES_2022),
    "reference": "SUM/2022/DRAFT/1/Rev.8",
    "issued_at": ISSUED_AT,
}

# ------------------------------------------------------------------------------ receipts

RECEIPT_IN: dict[str, Any] = {"state": "KAZ", "reference": KAZ_RECEIPT}
RECEIPT: dict[str, Any] = {
    "delivery_id": str(delivery_id(UUID(NOTE_ID), "KAZ")),
    "message_id": NOTE_ID,
    "state": "KAZ",
    "acknowledged_at": "2022-10-07T11:20:00Z",
    "reference": KAZ_RECEIPT,
}
RECEIPTS: dict[str, Any] = {
    "message_id": NOTE_ID,
    "reference": NOTE_1280,
    "recipients": 27,
    "acknowledged": [
        {"state": "KAZ", "acknowledged_at": "2022-10-07T11:20:00Z", "reference": KAZ_RECEIPT}
    ],
    "not_acknowledged": [s for s in MEMBER_STATES_2022 if s != "KAZ"],
}

# ------------------------------------------------------------------------------ inbox

INBOX: dict[str, Any] = {
    "state": "KAZ",
    "after": 0,
    "next_after": 41,
    "items": [
        {
            "position": 41,
            "message_id": NOTE_ID,
            "delivery_id": str(delivery_id(UUID(NOTE_ID), "KAZ")),
            "kind": "note_verbale",
            "number": NOTE_1280,
            "reference": NOTE_1280,
            "subject": {},
            "text": {"en": TEXT_1280["en"]},
            "languages": ["en"],
            "enclosures": ENCLOSURES,
            "pages": PAGES_1280,
            "corrects": None,
            "dated": "2022-10-07",
            "issued_at": ISSUED_AT,
            "acknowledged_at": None,
        }
    ],
}

# ------------------------------------------------------------------------------ endpoints
# The seed's note verbale No. SOC/OI/1280 of 7 October 2022 to Kazakhstan's ministry, in
# English, Russian and Kazakh.

ENDPOINT_ID = "3f1c9a52-6d7e-4b8a-9c21-5e0f7a4b2d10"
DELIVERED_NOTE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
DELIVERY_ID = str(delivery_id(UUID(DELIVERED_NOTE_ID), "KAZ"))
URL = "https://mfa.example.kz/cica/notes"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

ENDPOINT_IN: dict[str, Any] = {
    "state": "KAZ",
    "url": URL,
    "languages": ["en", "ru", "kk"],
    "kinds": ["note_verbale", "document_revised"],
}
ENDPOINT: dict[str, Any] = {
    "endpoint_id": ENDPOINT_ID,
    "state": "KAZ",
    "url": URL,
    "languages": ["en", "ru", "kk"],
    "kinds": ["note_verbale", "document_revised"],
    "secret_generation": 1,
    "previous_secret_until": None,
    "removed": False,
    "version": 1,
}
ENDPOINT_WITH_SECRET: dict[str, Any] = {**ENDPOINT, "secret": SECRET}
SECRET_ROTATION_IN: dict[str, Any] = {"previous_valid_for_hours": 24}
REMOVAL_IN: dict[str, Any] = {
    "reason": "The ministry receives notes at a new address from 1 November 2022."
}

# ------------------------------------------------------------------------------ deliveries


def _attempted(attempt: int, version: int, recorded: str, attempted: str) -> dict[str, Any]:
    return {
        "event": "DeliveryAttempted",
        "version": version,
        "recorded_at": recorded,
        "data": {
            "delivery_id": DELIVERY_ID,
            "message_id": DELIVERED_NOTE_ID,
            "state": "KAZ",
            "endpoint_id": ENDPOINT_ID,
            "attempt": attempt,
            "attempted_at": attempted,
        },
    }


DELIVERY: dict[str, Any] = {
    "delivery_id": DELIVERY_ID,
    "message_id": DELIVERED_NOTE_ID,
    "number": "SOC/OI/1280",
    "state": "KAZ",
    "kind": "note_verbale",
    "status": "succeeded",
    "attempts": 2,
    "endpoint_id": ENDPOINT_ID,
    "next_attempt_at": None,
    "last_outcome": "status 200",
    "history": [
        _attempted(1, 1, "2022-10-07T05:00:00.120000Z", "2022-10-07T05:00:00.118000Z"),
        {
            "event": "DeliveryFailed",
            "version": 2,
            "recorded_at": "2022-10-07T05:00:10.130000Z",
            "data": {
                "attempt": 1,
                "reason": "timeout",
                "status_code": None,
                "failed_at": "2022-10-07T05:00:10.128000Z",
                "next_attempt_at": "2022-10-07T05:00:11.500000Z",
            },
        },
        _attempted(2, 3, "2022-10-07T05:00:11.520000Z", "2022-10-07T05:00:11.518000Z"),
        {
            "event": "DeliverySucceeded",
            "version": 4,
            "recorded_at": "2022-10-07T05:00:11.700000Z",
            "data": {
                "attempt": 2,
                "status_code": 200,
                "answered_at": "2022-10-07T05:00:11.698000Z",
            },
        },
    ],
}
DELIVERY_LISTED: dict[str, Any] = {**DELIVERY, "history": None}
REDELIVERY_IN: dict[str, Any] = {
    "reason": "The ministry's receiver was down from 7 to 9 October 2022."
}
