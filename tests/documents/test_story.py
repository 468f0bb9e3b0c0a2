"""The story of SUM/2022/DRAFT/1, the draft Astana Statement on CICA Transformation, from the
seed: created, revised eight times (an amendment of Kazakhstan's taken in on the way), read at
Rev.3 and at Rev.8, Rev.7 compared with Rev.8, put into Russian, rendered in English and
Russian, and read as it stood before a later change. Through the HTTP API, on real PostgreSQL.

The early revisions are shorter, plausible texts; Rev.8 is the seed's."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

from services.documents.seed import astana_rev8_russian
from tests.documents.helpers import (
    ORIGINATOR,
    PUBLIC,
    SECRETARIAT,
    documents_app,
    member,
    rev8_text,
)

REV8 = rev8_text()
ORDER8 = [p["id"] for p in REV8["paragraphs"]]

# Which paragraphs each revision holds (ids of Rev.8; "op-observers" only in Rev.7).
HOLDS = {
    0: {"pp-changes", "pp-un", "op-launch", "op-progress"},
    1: {"pp-asia", "op-goals"},
    2: {"pp-values", "op-first-step"},
    3: {"pp-forum", "op-vision"},
    4: {"pp-catalogue", "pp-principles", "op-interaction"},
    5: {"pp-partners", "pp-resolve", "op-road-map"},
    6: {"pp-founder"},
    7: {"op-observers"},
}
EARLY_LAUNCH = (
    "We decide to launch negotiations on the transformation of CICA into a regional "
    "international organization;"
)
REV7_LAUNCH = (
    "We hereby launch the negotiations process of gradual, incremental and consensus-based "
    "transformation of CICA into a full-fledged regional international organization;"
)
REV7_ROAD_MAP = (
    "The Member States will determine, when and as appropriate, the details of the "
    "transformation process, and, with a view to taking a meaningful practical step to that "
    "end, we request the Chairmanship to make proposals in 2023, with the assistance of the "
    "Secretary General and in close consultation with Member States, on a road map of "
    "necessary measures in the transformation process for consideration by the Member States;"
)
OBSERVERS = "We welcome the participation of observers in the transformation process;"
DRAFTED = date(2022, 4, 1)


def dated(revision: int) -> str:
    """The date of Rev.`revision`: three weeks apart from the first draft on, Rev.8 the seed's
    7 October 2022."""
    if revision == 8:
        return "2022-10-07"
    return (DRAFTED + timedelta(weeks=3 * revision)).isoformat()


def text_of(revision: int) -> dict[str, Any]:
    """The text of Rev.`revision` (0: the original draft)."""
    if revision == 8:
        return copy.deepcopy(REV8)
    held = set().union(*(HOLDS[r] for r in range(revision + 1))) - {"op-observers"}
    if revision >= 7:
        held.discard("pp-forum")  # Rev.8 brings PP6 back...
        held -= {"pp-mechanism"}  # ...and adds PP7
    else:
        held.discard("pp-mechanism")
    text = copy.deepcopy(REV8)
    paragraphs = [p for p in text["paragraphs"] if p["id"] in held]
    for p in paragraphs:
        if p["id"] == "op-launch":
            p["text"]["en"] = EARLY_LAUNCH if revision < 3 else REV7_LAUNCH
        if p["id"] == "op-road-map":
            p["text"]["en"] = REV7_ROAD_MAP
        if p["id"] == "op-first-step" and revision < 4:
            p["items"] = p["items"][:1]
    if revision >= 7:
        # In Rev.7 the Founder's paragraph stood before the Catalogue; Rev.8 moves it last.
        ids = [p["id"] for p in paragraphs]
        founder = paragraphs.pop(ids.index("pp-founder"))
        paragraphs.insert(ids.index("pp-catalogue"), founder)
        operative = next(i for i, p in enumerate(paragraphs) if p["id"] == "op-progress")
        paragraphs.insert(operative, {"id": "op-observers", "part": "operative",
                                      "text": {"en": OBSERVERS}})
    if revision < 6:
        paragraphs = [p for p in paragraphs if p["id"] != "pp-founder"]
    text["paragraphs"] = paragraphs
    return text


async def test_the_story_of_the_draft_astana_statement(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create({
            "series": "SUM/2022/DRAFT",
            "document_type": "statement",
            "language": "en",
            "text": text_of(0),
            "distribution": {"kind": "member_states_only"},
            "dated": dated(0),
            "originator": ORIGINATOR,
        })
        assert created.status_code == 201, created.text
        assert created.json()["symbol"] == "SUM/2022/DRAFT/1"
        assert created.headers["Location"] == "/documents/SUM/2022/DRAFT/1"
        symbol = "SUM/2022/DRAFT/1"
        etag = created.headers["ETag"]

        amendment_id = None
        for revision in range(1, 9):
            incorporates = []
            if revision == 6:
                # Kazakhstan proposed, on Rev.5, a paragraph on the Founder after the resolve.
                founder = next(p for p in REV8["paragraphs"] if p["id"] == "pp-founder")
                proposal = await docs.http.post(
                    f"/documents/{symbol}/amendments",
                    json={"state": "KAZ", "revision": 5, "paragraph_id": "pp-resolve",
                          "action": "insert_after", "text": founder["text"]["en"],
                          "new_paragraph_id": "pp-founder"},
                    headers=member("KAZ"),
                )
                assert proposal.status_code == 201, proposal.text
                amendment_id = proposal.json()["amendment_id"]
                await docs.caught_up()
                listed = await docs.http.get(f"/documents/{symbol}/amendments",
                                             headers=member("RUS"))
                assert [a["amendment_id"] for a in listed.json()] == [amendment_id]
                etag = await docs.etag(symbol)
                incorporates = [amendment_id]
            response = await docs.revise(
                symbol, text_of(revision), etag=etag, incorporates=incorporates,
                basis=f"consultations of the SWG, round {revision}", dated=dated(revision),
            )
            assert response.status_code == 201, response.text
            assert response.json()["symbol"] == f"SUM/2022/DRAFT/1/Rev.{revision}"
            etag = response.headers["ETag"]

        await docs.caught_up()
        assert (await docs.http.get(f"/documents/{symbol}/amendments",
                                    headers=SECRETARIAT)).json() == []
        # The public may not read the draft: not even that it has no amendments.
        assert (await docs.http.get(f"/documents/{symbol}/amendments")).status_code == 404

        # --- read at Rev.3 and Rev.8
        rev3 = (await docs.read("SUM/2022/DRAFT/1/Rev.3")).json()
        assert rev3["symbol"] == "SUM/2022/DRAFT/1/Rev.3"
        assert rev3["revision"] == 3
        assert rev3["latest_revision"] == 3, "as the document stood then"
        assert [(p["number"], p["id"]) for p in rev3["paragraphs"]] == [
            ("PP1", "pp-changes"), ("PP2", "pp-asia"), ("PP3", "pp-un"), ("PP4", "pp-values"),
            ("PP5", "pp-forum"), ("OP1", "op-launch"), ("OP2", "op-goals"),
            ("OP3", "op-vision"), ("OP4", "op-first-step"), ("OP5", "op-progress"),
        ]
        assert rev3["paragraphs"][5]["text"] == REV7_LAUNCH
        assert (await docs.read(symbol, revision=3)).json() == rev3

        rev8 = (await docs.read(symbol, member("KAZ"))).json()
        assert rev8["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
        assert rev8["title"] == "DRAFT ASTANA STATEMENT ON CICA TRANSFORMATION"
        assert [p["number"] for p in rev8["paragraphs"]] == [
            *(f"PP{n}" for n in range(1, 12)), *(f"OP{n}" for n in range(1, 8))]
        assert [p["id"] for p in rev8["paragraphs"]] == ORDER8
        op5 = rev8["paragraphs"][15]
        assert op5["text"] == "As the first step of the transformation process, we decide that:"
        assert [i["number"] for i in op5["items"]] == ["(1)", "(2)", "(3)"]
        assert rev8["paragraphs"][0]["text"].startswith(
            "Recognizing that rapid changes taking place all around the world")
        assert rev8["distribution"] == {"kind": "member_states_only", "states": []}
        assert rev8["status"] == "draft"
        assert (rev8["dated"], rev8["originator"]) == ("2022-10-07", ORIGINATOR)
        assert [(r["symbol"], r["dated"]) for r in rev8["revisions"]][::4] == [
            ("SUM/2022/DRAFT/1", "2022-04-01"), ("SUM/2022/DRAFT/1/Rev.4", "2022-06-24"),
            ("SUM/2022/DRAFT/1/Rev.8", "2022-10-07")]
        assert (await docs.read(symbol, PUBLIC)).status_code == 404

        revisions = (await docs.http.get(f"/documents/{symbol}/revisions",
                                         headers=SECRETARIAT)).json()
        assert [r["symbol"] for r in revisions] == ["SUM/2022/DRAFT/1"] + [
            f"SUM/2022/DRAFT/1/Rev.{n}" for n in range(1, 9)]
        assert revisions[6]["incorporates"] == [amendment_id]

        # --- the history as it stood just before Rev.6 took Kazakhstan's amendment in
        before_rev6 = (datetime.fromisoformat(revisions[6]["recorded_at"])
                       - timedelta(microseconds=1)).isoformat()
        open_then = (await docs.http.get(f"/documents/{symbol}/amendments",
                                         params={"as_of": before_rev6},
                                         headers=SECRETARIAT)).json()
        assert [(a["amendment_id"], a["state"]) for a in open_then] == [(amendment_id, "KAZ")]
        revisions_then = (await docs.http.get(f"/documents/{symbol}/revisions",
                                              params={"as_of": before_rev6},
                                              headers=SECRETARIAT)).json()
        assert [r["revision"] for r in revisions_then] == [0, 1, 2, 3, 4, 5]

        # --- Rev.7 compared with Rev.8
        diff = (await docs.http.get(f"/documents/{symbol}/compare",
                                    params={"from": 7, "to": 8}, headers=SECRETARIAT)).json()
        assert [p["id"] for p in diff["added"]] == ["pp-forum", "pp-mechanism"]
        assert [p["id"] for p in diff["removed"]] == ["op-observers"]
        assert [p["id"] for p in diff["moved"]] == ["pp-founder"]
        changed = {p["id"]: p for p in diff["changed"]}
        assert set(changed) == {"op-launch", "op-road-map"}
        assert changed["op-launch"]["words"] == [
            {"op": "insert", "before": "", "after": "structured, inclusive and transparent"}]
        assert changed["op-road-map"]["words"] == [
            {"op": "insert", "before": "", "after": "including criteria for membership,"}]
        assert {"id": "pp-founder", "from_number": "PP6", "to_number": "PP11"} in diff[
            "renumbered"]
        assert diff["incorporated"] == []
        taken_in = (await docs.http.get(f"/documents/{symbol}/compare",
                                        params={"from": 5, "to": 6}, headers=SECRETARIAT)).json()
        assert taken_in["incorporated"] == [{
            "amendment_id": amendment_id, "state": "KAZ", "action": "insert_after",
            "proposed_on_revision": 5, "incorporated_in": 6, "paragraph_id": "pp-founder",
            "number": "PP10", "from_number": None,
            "text": next(p for p in REV8["paragraphs"] if p["id"] == "pp-founder")["text"]["en"],
        }]

        # --- the Russian version of Rev.8 (an unofficial working translation), and reads in
        # each language
        translations = (await docs.http.get(f"/documents/{symbol}/translations",
                                            headers=SECRETARIAT)).json()
        needs = {n["language"]: n for n in translations["needs_translating"]}
        assert set(needs) == {"kk", "ru"}
        added = await docs.http.post(f"/documents/{symbol}/translations",
                                     json=astana_rev8_russian(), headers=SECRETARIAT)
        assert added.status_code == 201, added.text
        await docs.caught_up()
        pending = (await docs.http.get("/translations/needed", headers=SECRETARIAT)).json()
        assert pending == [{"document": symbol, "symbol": "SUM/2022/DRAFT/1/Rev.8",
                            "revision": 8, "languages": ["en", "ru"],
                            "unofficial_languages": ["ru"], "missing": ["kk", "ru"]}]
        versions = {v["language"]: v for v in added.json()["versions"]}
        assert versions["ru"] == {"language": "ru", "revision": 8, "stale": False,
                                  "status": "unofficial", "official": False}
        assert [n["language"] for n in added.json()["needs_translating"]] == ["kk", "ru"]

        russian = await docs.read(symbol, {**SECRETARIAT, "Accept-Language": "ru-RU, en;q=0.5"})
        assert russian.headers["Content-Language"] == "ru"
        body = russian.json()
        assert body["title"] == "ПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ О ТРАНСФОРМАЦИИ СВМДА"
        assert (body["language_status"], body["unofficial_languages"]) == ("unofficial", ["ru"])
        assert body["language_fallback"] is False
        assert body["paragraphs"][15]["items"][1]["text"].startswith(
            "Исполнительный директор")
        kazakh = (await docs.read(symbol, {**SECRETARIAT, "Accept-Language": "kk"})).json()
        assert (kazakh["language"], kazakh["language_fallback"]) == ("en", True)
        assert kazakh["requested_languages"] == ["kk"]

        # --- renditions: English and Russian, the same bytes every time
        renditions = {}
        for kind in ("text", "akn"):
            for lang in ("en", "ru"):
                first = await docs.http.get(f"/documents/{symbol}/{kind}",
                                            params={"lang": lang}, headers=SECRETARIAT)
                again = await docs.http.get(f"/documents/{symbol}/{kind}",
                                            params={"lang": lang}, headers=SECRETARIAT)
                assert first.status_code == 200, first.text
                assert first.content == again.content
                assert first.headers["Content-Language"] == lang
                renditions[kind, lang] = first.text
        english = renditions["text", "en"]
        assert english.startswith(
            "SUM/2022/DRAFT/1/Rev.8    2022-10-07\nDistr.: member states only\n"
            "Chairmanship of Kazakhstan\n\nDRAFT ASTANA")
        assert "Unofficial translation" not in english
        assert "Неофициальный перевод" not in english
        assert "\nChairmanship of Kazakhstan\nНеофициальный перевод\n\nПРОЕКТ" in renditions[
            "text", "ru"]
        assert "<p><docStatus>Неофициальный перевод</docStatus></p>" in renditions["akn", "ru"]
        assert "docStatus" not in renditions["akn", "en"]
        assert "\nDRAFT ASTANA STATEMENT ON CICA TRANSFORMATION\n" in english
        assert "\nPP11. Expressing appreciation of the personal role" in english
        assert "\nDECIDED TO CHART THE FUTURE COURSE OF OUR COOPERATION AS FOLLOWS:\n" in english
        assert "\n    (2) The Executive Director of the CICA Secretariat" in english
        assert "\nOP1. Настоящим мы начинаем" in renditions["text", "ru"]
        akn = renditions["akn", "ru"]
        assert ('<FRBRthis value="/akn/int/statement/cica/2022/SUM-2022-DRAFT-1/rus@rev8/!main"/>'
                in akn)
        assert '<recital eId="recital_11" wId="pp-founder">' in akn
        assert '<paragraph eId="para_5" wId="op-first-step">' in akn
        assert "<docNumber>SUM/2022/DRAFT/1/Rev.8</docNumber>" in akn
        rev3_text = await docs.http.get(f"/documents/{symbol}/Rev.3/text", headers=SECRETARIAT)
        assert rev3_text.text.startswith("SUM/2022/DRAFT/1/Rev.3")

        # --- time travel: the distribution changes; as of before, it was members only
        before_change = revisions[8]["recorded_at"]
        derestricted = await docs.http.post(
            f"/documents/{symbol}/distribution",
            json={"distribution": {"kind": "general"}, "reason": "derestricted after the Summit"},
            headers=SECRETARIAT,
        )
        assert derestricted.status_code == 201, derestricted.text
        assert (await docs.read(symbol, PUBLIC)).json()["distribution"]["kind"] == "general"
        then = (await docs.read(symbol, PUBLIC, as_of=before_change)).json()
        assert then["distribution"]["kind"] == "member_states_only"
        assert then["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
        listed_then = (await docs.http.get("/documents", params={"as_of": before_change},
                                           headers=PUBLIC)).json()
        assert [(d["symbol"], d["distribution"]["kind"], d["languages"])
                for d in listed_then["documents"]] == [
            ("SUM/2022/DRAFT/1/Rev.8", "member_states_only", ["en"])]
        at_rev3 = (await docs.read(symbol, PUBLIC, as_of=revisions[3]["recorded_at"])).json()
        assert at_rev3["symbol"] == "SUM/2022/DRAFT/1/Rev.3"
        assert at_rev3["latest_revision"] == 3
