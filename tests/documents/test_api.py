"""The documents API: conditional revisions, symbols, numbering, distribution on every read,
status and freezing, amendments and who may withdraw them, on real PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.database import events_in
from tests.documents.helpers import (
    AUDITOR,
    PUBLIC,
    SECRETARIAT,
    documents_app,
    draft,
    member,
    small_text,
)


async def test_a_stale_if_match_appends_nothing_and_gets_412(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(draft())
        symbol = created.json()["symbol"]
        stale = created.headers["ETag"]
        first = await docs.revise(symbol, small_text("Rev 1"), etag=stale)
        assert first.status_code == 201
        before = await events_in(database_url)

        again = await docs.revise(symbol, small_text("Rev 1 bis"), etag=stale)
        missing = await docs.revise(symbol, small_text("Rev 1 ter"), etag=None)

        assert again.status_code == 412
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json()["actual_version"] == 2
        assert again.json()["expected_version"] == 1
        assert missing.status_code == 428
        assert "If-Match" in missing.json()["detail"]
        assert await events_in(database_url) == before
        assert (await docs.read(symbol)).json()["title"] == "Rev 1"


async def test_a_malformed_symbol_gets_422_with_the_reason(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        read = await docs.read("SUM/2022/DRAFT/01")
        created = await docs.create(draft(series="sum/2022/DRAFT"))
        parsed = await docs.http.get("/symbols/SOC/2022-III/Agenda/2")
        bad = await docs.http.get("/symbols/SOC/2022/Agenda/2/Corr.1/Rev.2")

    assert read.status_code == 422
    assert read.json()["type"] == "/problems/invalid-symbol"
    assert "leading 0" in read.json()["reason"]
    assert created.status_code == 422
    assert "the body 'sum'" in created.json()["detail"]
    assert parsed.json() == {
        "symbol": "SOC/2022-III/Agenda/2", "document": "SOC/2022-III/Agenda/2",
        "series": "SOC/2022-III/Agenda", "body": "SOC", "session": "2022-III",
        "kind": "Agenda", "number": 2, "revision": None, "addendum": None, "corrigendum": None,
    }
    assert bad.status_code == 422
    assert "in the order" in bad.json()["reason"]


async def test_the_service_numbers_each_series_itself_even_under_concurrency(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        answers = await asyncio.gather(*(docs.create(draft()) for _ in range(6)))
        other = await docs.create(draft(series="SOC/2021/DRAFT"))

    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert sorted(a.json()["symbol"] for a in answers) == [
        f"SUM/2022/DRAFT/{n}" for n in range(1, 7)]
    assert other.json()["symbol"] == "SOC/2021/DRAFT/1"


async def test_every_read_applies_the_distribution(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        general = (await docs.create(draft(distribution="general"))).json()["symbol"]
        members = (await docs.create(draft())).json()["symbol"]
        kaz_only = (await docs.create(draft(distribution="restricted", states=["KAZ"]))).json()[
            "symbol"]
        await docs.caught_up()

        async def listed(headers):
            response = await docs.http.get("/documents", headers=headers)
            assert response.status_code == 200, response.text
            return [d["symbol"] for d in response.json()["documents"]]

        async def fed(headers):
            response = await docs.http.get("/events", params={"limit": 100}, headers=headers)
            assert response.status_code == 200, response.text
            return sorted({e["stream_id"] for e in response.json()["events"]})

        assert await listed(PUBLIC) == [general]
        assert await listed(member("RUS")) == [general, members]
        assert await listed(member("KAZ")) == [general, members, kaz_only]
        assert await listed(member("KWT")) == [general], "not yet a member"
        assert await listed(AUDITOR) == [general, members, kaz_only]
        assert await fed(PUBLIC) == [general]
        searched = await docs.http.get("/documents", params={"q": "statement"})
        assert [d["symbol"] for d in searched.json()["documents"]] == [general]
        literal = await docs.http.get("/documents", params={"q": "%"}, headers=SECRETARIAT)
        assert literal.json() == {"documents": [], "total": 0}
        assert await fed(member("RUS")) == [general, members]
        for symbol in (members, kaz_only):
            hidden = await docs.read(symbol, PUBLIC)
            missing = await docs.read("SUM/2030/DRAFT/9", PUBLIC)
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json()["type"] == missing.json()["type"]
            for path in ("text", "akn", "revisions", "translations", "amendments"):
                response = await docs.http.get(f"/documents/{symbol}/{path}", headers=PUBLIC)
                assert response.status_code in (200, 404)
                if response.status_code == 200:  # the open amendments: none it may see
                    assert response.json() == []
        assert (await docs.read(kaz_only, member("RUS"))).status_code == 404
        assert (await docs.read(kaz_only, member("KAZ"))).status_code == 200

        derestricted = await docs.http.post(
            f"/documents/{members}/distribution",
            json={"distribution": {"kind": "general"}}, headers=SECRETARIAT)
        assert derestricted.status_code == 201
        await docs.caught_up()
        assert await listed(PUBLIC) == [general, members]


async def test_a_document_adopted_by_the_summit_refuses_a_ninth_revision(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        for n in range(1, 9):
            response = await docs.revise(symbol, small_text(f"Rev {n}"),
                                         etag=await docs.etag(symbol))
            assert response.status_code == 201
        adopted = await docs.http.post(f"/documents/{symbol}/status",
                                       json={"status": "adopted", "body": "SUMMIT"},
                                       headers=SECRETARIAT)
        assert adopted.json()["status"] == "adopted"
        before = await events_in(database_url)
        ninth = await docs.revise(symbol, small_text("Rev 9"), etag=await docs.etag(symbol))

    assert ninth.status_code == 409
    assert ninth.json()["type"] == "/problems/document-not-editable"
    assert "SUM/2022/DRAFT/1/Rev.8" in ninth.json()["detail"]
    assert await events_in(database_url) == before


async def test_a_status_by_hand_is_one_a_body_may_give_and_names_the_body(database_url, servers):
    """The SWG does not adopt (and so freeze) a Summit draft; the SOC does not adopt one either;
    an adoption names the body that took it. Each refusal records nothing."""
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        before = await events_in(database_url)
        answers = {
            (status, body): await docs.http.post(
                f"/documents/{symbol}/status",
                json={"status": status, **({"body": body} if body else {})},
                headers=SECRETARIAT,
            )
            for status, body in [("adopted", "SWG"), ("adopted", "SOC"), ("approved", "SWG"),
                                 ("recommended", "SUMMIT"), ("adopted", None)]
        }
        after = await events_in(database_url)
        still = (await docs.read(symbol)).json()
        recommended = await docs.http.post(f"/documents/{symbol}/status",
                                           json={"status": "recommended", "body": "SWG"},
                                           headers=SECRETARIAT)

    for (status, body), answer in answers.items():
        expected = ("/problems/status-needs-a-body", 422) if body is None else (
            "/problems/outside-competence", 409)
        assert (answer.json()["type"], answer.status_code) == expected, (status, body)
    assert after == before
    assert still["status"] == "draft"
    assert recommended.status_code == 201 and recommended.json()["status"] == "recommended"


async def test_an_amendment_withdrawn_by_another_state_is_refused(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        proposed = await docs.http.post(
            f"/documents/{symbol}/amendments",
            json={"state": "KAZ", "revision": 0, "paragraph_id": "op-a", "action": "replace",
                  "text": "We act together"},
            headers=member("KAZ"),
        )
        assert proposed.status_code == 201, proposed.text
        amendment = proposed.json()["amendment_id"]
        as_kaz = await docs.http.post(
            f"/documents/{symbol}/amendments", json={
                "state": "KAZ", "revision": 0, "paragraph_id": "op-a", "action": "delete"},
            headers=member("RUS"))
        withdrawal = f"/documents/{symbol}/amendments/{amendment}/withdrawal"
        before = await events_in(database_url)
        by_body = await docs.http.post(withdrawal, json={"state": "KAZ"},
                                       headers=member("RUS"))
        in_own_name = await docs.http.post(withdrawal, json={"state": "RUS"},
                                           headers=member("RUS"))
        after_refusals = await events_in(database_url)
        await docs.caught_up()
        still_open = (await docs.http.get(f"/documents/{symbol}/amendments",
                                          headers=member("RUS"))).json()
        by_kaz = await docs.http.post(withdrawal, json={"state": "KAZ"}, headers=member("KAZ"))
        await docs.caught_up()
        none_open = (await docs.http.get(f"/documents/{symbol}/amendments",
                                         headers=SECRETARIAT)).json()

    assert as_kaz.status_code == 403
    assert by_body.status_code == 403
    assert by_body.json()["type"] == "/problems/acting-for-another-state"
    assert in_own_name.status_code == 403
    assert in_own_name.json()["type"] == "/problems/not-the-proposer"
    assert after_refusals == before
    assert [a["amendment_id"] for a in still_open] == [amendment]
    assert still_open[0]["state"] == "KAZ"
    assert by_kaz.status_code == 201
    assert by_kaz.json()["status"] == "withdrawn"
    assert none_open == []


async def test_the_secretariat_declines_an_amendment_and_an_open_blank_is_listed(
    database_url, servers
):
    conclusions = small_text(
        "DRAFT CONCLUSIONS OF THE SIXTH CICA SUMMIT",
        ("c5", "body", "took decisions on CICA Chairmanships of Kazakhstan in 2022-2024 and "
                       "______ in 2024-2026"),
    )
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(draft(text=conclusions, document_type="conclusions"))
        symbol = created.json()["symbol"]
        proposed = await docs.http.post(
            f"/documents/{symbol}/amendments",
            json={"state": "AZE", "revision": 0, "paragraph_id": "c5", "action": "replace",
                  "text": "took decisions on CICA Chairmanships of Kazakhstan in 2022-2024 "
                          "and Azerbaijan in 2024-2026"},
            headers=member("AZE"),
        )
        amendment = proposed.json()["amendment_id"]
        declined = await docs.http.post(
            f"/documents/{symbol}/amendments/{amendment}/decline",
            json={"reason": "consultations continue"}, headers=SECRETARIAT)
        again = await docs.http.post(
            f"/documents/{symbol}/amendments/{amendment}/decline", json={},
            headers=SECRETARIAT)
        await docs.caught_up()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()
        read = (await docs.read(symbol)).json()

    assert declined.json()["status"] == "declined"
    assert again.status_code == 409
    assert listed["documents"][0]["open_points"] == 1
    assert read["open_points"][0]["paragraph_id"] == "c5"
    assert "______ in 2024-2026" in read["open_points"][0]["context"]


async def test_the_list_shows_a_revisions_title_and_blanks_in_the_documents_own_language(
    database_url, servers
):
    """The list's row of a revised document takes its title and its open blanks from the
    revision's text in the document's own language, not the first or the English one."""

    def text(ru_title: str, ru: str, en: str) -> dict[str, object]:
        return {
            "title": {"en": "Draft statement (English version)", "ru": ru_title},
            "paragraphs": [{"id": "op-a", "part": "operative", "text": {"en": en, "ru": ru}}],
        }

    async with documents_app(database_url, servers.nats_url) as docs:
        body = {**draft(text=text("Проект заявления", "Мы действуем", "We act")),
                "language": "ru"}
        symbol = (await docs.create(body)).json()["symbol"]
        revised = await docs.revise(
            symbol,
            text("Проект заявления, ред. 1", "Председательство ____ в ____ годах", "We act"),
            etag=await docs.etag(symbol),
        )
        await docs.caught_up()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()

    assert revised.status_code == 201, revised.text
    [row] = listed["documents"]
    assert row["title"] == "Проект заявления, ред. 1"
    assert row["open_points"] == 2
    assert row["revision"] == 1


async def test_a_retried_creation_with_its_idempotency_key_allocates_one_number(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        headers = {**SECRETARIAT, "Idempotency-Key": "create-astana-1"}
        first = await docs.http.post("/documents", json=draft(), headers=headers)
        retry = await docs.http.post("/documents", json=draft(), headers=headers)
        other = await docs.create(draft())
        await docs.caught_up()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()

    assert first.status_code == retry.status_code == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["symbol"] == first.json()["symbol"] == "SUM/2022/DRAFT/1"
    assert other.json()["symbol"] == "SUM/2022/DRAFT/2"
    assert listed["total"] == 2


async def test_a_translation_of_a_revision_goes_stale_when_the_next_revision_comes(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        russian = {"revision": 0, "language": "ru", "official": True, "title": "Проект заявления",
                   "paragraphs": {"pp-a": "Признавая перемены", "op-a": "Мы действуем"}}
        added = await docs.http.post(f"/documents/{symbol}/translations", json=russian,
                                     headers=SECRETARIAT)
        partial = await docs.http.post(
            f"/documents/{symbol}/translations",
            json={**russian, "language": "kk", "paragraphs": {"pp-a": "Өзгерістерді мойындай"}},
            headers=SECRETARIAT)
        await docs.revise(symbol, small_text("Draft statement", ("pp-a", "preamble",
                                                                  "Recognizing change"),
                                             ("op-a", "operative", "We act now")),
                          etag=await docs.etag(symbol))
        status = (await docs.http.get(f"/documents/{symbol}/translations",
                                      headers=SECRETARIAT)).json()
        read = await docs.read(symbol, {**SECRETARIAT, "Accept-Language": "ru"})
        old = await docs.read(symbol, {**SECRETARIAT, "Accept-Language": "ru"}, revision=0)

    assert added.status_code == 201
    assert partial.status_code == 422
    assert partial.json()["missing"] == ["op-a"]
    assert {v["language"]: v["stale"] for v in status["versions"]} == {"en": False, "ru": True}
    needs = {n["language"]: n for n in status["needs_translating"]}
    assert needs["ru"] == {"language": "ru", "translated_revision": 0, "paragraphs": ["op-a"]}
    assert needs["kk"]["translated_revision"] is None
    assert (read.json()["language"], read.json()["language_fallback"]) == ("en", True)
    assert read.headers["Content-Language"] == "en"
    assert old.json()["title"] == "Проект заявления"


async def test_states_proposing_amendments_at_once_are_all_recorded(database_url, servers):
    states = ["KAZ", "RUS", "CHN", "IND", "TUR"]
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        answers = await asyncio.gather(*(
            docs.http.post(
                f"/documents/{symbol}/amendments",
                json={"state": state, "revision": 0, "paragraph_id": "op-a",
                      "action": "replace", "text": f"We act, says {state}"},
                headers=member(state),
            )
            for state in states
        ))
        await docs.caught_up()
        listed = (await docs.http.get(f"/documents/{symbol}/amendments",
                                      headers=SECRETARIAT)).json()

    assert [a.status_code for a in answers] == [201] * len(states)
    assert sorted(a["state"] for a in listed) == sorted(states)


async def test_an_addendum_is_a_document_of_its_own_not_the_main_text(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        main = await docs.read(symbol)
        addendum = await docs.read(f"{symbol}/Add.1")
        missing_revision = await docs.read(f"{symbol}/Rev.4")

    assert main.status_code == 200
    assert addendum.status_code == 404
    assert addendum.json()["type"] == "/problems/document-not-found"
    assert missing_revision.status_code == 404
    assert missing_revision.json()["type"] == "/problems/revision-not-found"


async def test_a_paragraph_speaks_for_the_states_that_sponsor_it(database_url, servers):
    text = {
        "title": {"en": "DRAFT CONCLUSIONS OF THE SIXTH CICA SUMMIT"},
        "paragraphs": [
            {"id": "c-multilateral", "part": "body",
             "text": {"en": "Member States remain convinced that effective multilateral "
                            "cooperation ... is an important element in maintaining "
                            "international peace and security;"}},
            {"id": "c-community", "part": "body", "sponsors": ["CHN"],
             "text": {"en": "The People's Republic of China and other Member States reaffirm "
                            "the importance of initiatives aimed at promoting interaction;"}},
        ],
    }
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(draft(text=text, document_type="conclusions"))
        bad = await docs.create(draft(text={**text, "paragraphs": [
            {**text["paragraphs"][1], "sponsors": ["China"]}]}))

    paragraphs = created.json()["paragraphs"]
    assert [(p["number"], p["sponsors"]) for p in paragraphs] == [("1", []), ("2", ["CHN"])]
    assert bad.status_code == 422
