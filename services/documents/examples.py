"""The OpenAPI examples of the documents service, drawn from the seed documents (`seed`): the
draft Astana Statement on CICA Transformation at Rev.8, the draft conclusions of the Sixth
Summit with their blank, and the Explanatory Note enclosed with them. Where the seed shows no
such act (an addendum, an amendment), the example shows its shape with placeholders, and
attributes no words to any state or to the Secretariat."""

from __future__ import annotations

from typing import Any

from services.documents.seed import (
    ASTANA_ORIGINATOR,
    ASTANA_REV8_DATED,
    CONCLUSIONS_PARAGRAPH_5,
    CONCLUSIONS_TITLE,
    astana_rev8_russian,
    astana_rev8_text,
    explanatory_note,
)

ASTANA = "SUM/2022/DRAFT/1"
CREATE_EXAMPLES = {
    "astana_statement": {
        "summary": "The draft Astana Statement on CICA Transformation (SUM/2022/DRAFT/1)",
        "value": {
            "series": "SUM/2022/DRAFT",
            "document_type": "statement",
            "language": "en",
            "text": astana_rev8_text(),
            "distribution": {"kind": "member_states_only"},
            "originator": ASTANA_ORIGINATOR,
        },
    },
    "imported_at_rev8": {
        "summary": "Import SUM/2022/DRAFT/1 as it existed before the system: at Rev.8, "
        "Rev.0-7 recorded as not held",
        "value": {
            "series": "SUM/2022/DRAFT",
            "symbol": "SUM/2022/DRAFT/1/Rev.8",
            "dated": ASTANA_REV8_DATED,
            "originator": ASTANA_ORIGINATOR,
            "document_type": "statement",
            "language": "en",
            "text": astana_rev8_text(),
            "distribution": {"kind": "member_states_only"},
        },
    },
    "conclusions_with_a_blank": {
        "summary": "Draft conclusions of the Sixth Summit, a blank still open (SUM/2022/DRAFT/5)",
        "value": {
            "series": "SUM/2022/DRAFT",
            "document_type": "conclusions",
            "originator": ASTANA_ORIGINATOR,
            "text": {
                "title": CONCLUSIONS_TITLE,
                "paragraphs": [
                    {"id": "c-kuwait-chairs", "part": "body",
                     "text": {"en": CONCLUSIONS_PARAGRAPH_5}},
                ],
            },
        },
    },
}
REVISE_EXAMPLES = {
    "rev8": {
        "summary": "Rev.8 of SUM/2022/DRAFT/1, as circulated on 7 October 2022",
        "value": {
            "text": astana_rev8_text(),
            "dated": ASTANA_REV8_DATED,
            "originator": ASTANA_ORIGINATOR,
            "incorporates": [],
            "declines": [],
            "basis": "for the SOC meeting of 10-11 October 2022",
        },
    }
}
SUPPLEMENT_EXAMPLES = {
    "addendum": {
        "summary": "The shape of an addendum to SUM/2022/DRAFT/5 (the seed holds none: every "
        "text here is a placeholder)",
        "value": {
            "document_type": "other",
            "language": "en",
            "text": {
                "title": {"en": "<its title, as it bears it>"},
                "paragraphs": [{"id": "add-1", "part": "body",
                                "text": {"en": "<its first paragraph>"}}],
            },
            "originator": "<who issued it, as its heading says>",
        },
    }
}
COMPANION_EXAMPLES = {
    "explanatory_note": {
        "summary": "The Explanatory Note on the draft conclusions, enclosed with "
        "SUM/2022/DRAFT/5 by note No. SOC/OI/1280 of 7 October 2022 (no symbol of its own)",
        "value": explanatory_note(),
    }
}
CIRCULATION_EXAMPLES = {
    "rev8_by_note_1280": {
        "summary": "Rev.8 of SUM/2022/DRAFT/1, forwarded to the Member States by note "
        "No. SOC/OI/1280 of 7 October 2022",
        "value": {"revision": 8, "dated": ASTANA_REV8_DATED, "note": "SOC/OI/1280"},
    }
}
TRANSLATION_EXAMPLES = {
    "russian": {
        "summary": "A Russian translation of Rev.8: this project's own, unofficial "
        "(official: false), not a version anyone issued",
        "value": astana_rev8_russian(),
    }
}
AMENDMENT_EXAMPLES = {
    "replace": {
        "summary": "The shape of a replacement of OP6 of Rev.8, proposed by a member state for "
        "itself (the seed records no amendment: the words are a placeholder)",
        "value": {
            "state": "KAZ",
            "revision": 8,
            "paragraph_id": "op-road-map",
            "action": "replace",
            "text": "<the words the state proposes for OP6>",
        },
    },
    "insert_after": {
        "summary": "The shape of a new preambular paragraph after PP11 (a placeholder)",
        "value": {
            "state": "KAZ", "revision": 8, "paragraph_id": "pp-founder",
            "action": "insert_after", "text": "<the paragraph the state proposes>",
        },
    },
}


SOC_RECOMMENDS_REV8 = {
    "status": "recommended", "revision": 8, "symbol": f"{ASTANA}/Rev.8", "body": "SOC",
    "decision_id": "0b7c6f0e-6d1a-5c3e-9a51-3f1d2f6a8e10", "decided_on": "2022-10-11",
    "outcome": "recommended_for_adoption", "recorded_at": "2022-10-11T10:30:00Z",
    "latest_revision": 8,
}  # fmt: skip


def _read_example() -> dict[str, Any]:
    text = astana_rev8_text()
    pp1 = text["paragraphs"][0]
    op5 = next(p for p in text["paragraphs"] if p["id"] == "op-first-step")
    return {
        "symbol": "SUM/2022/DRAFT/1/Rev.8",
        "document": ASTANA,
        "document_type": "statement",
        "revision": 8,
        "latest_revision": 8,
        "status": "recommended",
        "revision_status": "recommended",
        "recommended_by": "SOC",
        "distribution": {"kind": "member_states_only", "states": []},
        "dated": ASTANA_REV8_DATED,
        "originator": ASTANA_ORIGINATOR,
        "language": "en",
        "language_status": "original",
        "language_fallback": False,
        "requested_languages": ["en"],
        "languages": ["en", "ru"],
        "unofficial_languages": ["ru"],
        "title": text["title"]["en"],
        "opening": text["opening"]["en"],
        "operative_heading": text["operative_heading"]["en"],
        "paragraphs": [
            {"id": pp1["id"], "number": "PP1", "part": "preamble", "text": pp1["text"]["en"],
             "items": [], "sponsors": []},
            {"id": op5["id"], "number": "OP5", "part": "operative", "text": op5["text"]["en"],
             "items": [{"id": i["id"], "number": f"({n})", "text": i["text"]["en"]}
                       for n, i in enumerate(op5["items"], start=1)],
             "sponsors": []},
        ],
        "open_points": [],
        "basis": "for the SOC meeting of 10-11 October 2022",
        "incorporates": [],
        "revised_at": "2022-10-07T09:00:00Z",
        "as_of": None,
        "status_history": [SOC_RECOMMENDS_REV8],
        "latest_decision": SOC_RECOMMENDS_REV8,
        "revisions": [
            {"revision": n, "symbol": ASTANA + (f"/Rev.{n}" if n else ""), "status": "draft",
             "dated": None, "originator": None, "held": False}
            for n in range(8)
        ] + [{"revision": 8, "symbol": f"{ASTANA}/Rev.8", "status": "recommended",
              "dated": ASTANA_REV8_DATED, "originator": ASTANA_ORIGINATOR, "held": True}],
        "parent": None,
        "supplement": None,
        "supplements": [],
        "circulations": [{
            "revision": 8, "symbol": f"{ASTANA}/Rev.8", "languages": ["en"],
            "dated": ASTANA_REV8_DATED, "note": "SOC/OI/1280",
            "addressees": {"kind": "member_states_only", "states": []},
        }],
        "companions": [],
    }


READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "SUM/2022/DRAFT/1/Rev.8 (two of its eighteen paragraphs shown)",
        "content": {"application/json": {"example": _read_example()}},
    }
}
COMPARE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Rev.8 of SUM/2022/DRAFT/1 compared with itself: the service holds no "
        "earlier text of it (Rev.0-7 are not held, and comparing one answers 410)",
        "content": {"application/json": {"example": {
            "language": "en", "from_revision": 8, "to_revision": 8,
            "from_symbol": "SUM/2022/DRAFT/1/Rev.8", "to_symbol": "SUM/2022/DRAFT/1/Rev.8",
            "unofficial": False,
            "title_changes": [], "added": [], "removed": [], "moved": [], "renumbered": [],
            "changed": [], "incorporated": [], "language_fallback": False,
        }}},
    }
}
