"""A document that existed before the system is imported at its revision under its own symbol:
SUM/2022/DRAFT/1 enters at Rev.8, Rev.0-7 recorded as not held and never given a text."""

from __future__ import annotations

from tests.documents.helpers import PUBLIC, SECRETARIAT, documents_app, draft, rev8_text, small_text


def imported(symbol: str, series: str = "SUM/2022/DRAFT") -> dict:
    return draft(series=series, text=rev8_text()) | {"symbol": symbol, "dated": "2022-10-07"}


async def test_a_document_imported_at_rev8_holds_rev8_and_records_rev0_to_7_as_not_held(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(imported("SUM/2022/DRAFT/1/Rev.8"))
        assert created.status_code == 201, created.text
        assert created.json()["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
        assert created.headers["Location"] == "/documents/SUM/2022/DRAFT/1"

        latest = await docs.read("SUM/2022/DRAFT/1")
        rev8 = await docs.read("SUM/2022/DRAFT/1/Rev.8")
        rev3 = await docs.read("SUM/2022/DRAFT/1/Rev.3")
        rev3_query = await docs.read("SUM/2022/DRAFT/1", revision=3)
        rev9 = await docs.read("SUM/2022/DRAFT/1/Rev.9")
        text3 = await docs.http.get(
            "/documents/SUM/2022/DRAFT/1/text", params={"revision": 3}, headers=SECRETARIAT
        )
        compared = await docs.http.get(
            "/documents/SUM/2022/DRAFT/1/compare", params={"from": 7, "to": 8}, headers=SECRETARIAT
        )
        revisions = await docs.http.get(
            "/documents/SUM/2022/DRAFT/1/revisions", headers=SECRETARIAT
        )
        text8 = await docs.http.get("/documents/SUM/2022/DRAFT/1/text", headers=SECRETARIAT)
        await docs.caught_up()
        listed = await docs.http.get("/documents", headers=SECRETARIAT)

    assert latest.json()["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
    assert latest.json()["revision"] == latest.json()["latest_revision"] == 8
    assert rev8.json()["paragraphs"][0]["number"] == "PP1"
    for answer in (rev3, rev3_query, text3, compared):
        assert answer.status_code == 410, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["type"] == "/problems/revision-not-held"
        assert "not held by the system" in answer.json()["detail"]
        assert "paragraphs" not in answer.json()
    assert rev3.json()["imported_at_revision"] == 8
    assert rev9.status_code == 404
    assert [(r["revision"], r["symbol"], r["held"]) for r in revisions.json()] == [
        (n, "SUM/2022/DRAFT/1" + (f"/Rev.{n}" if n else ""), n == 8) for n in range(9)
    ]
    assert all(r["languages"] == [] for r in revisions.json()[:8])
    assert revisions.json()[8]["dated"] == "2022-10-07"
    assert text8.text.startswith("SUM/2022/DRAFT/1/Rev.8    2022-10-07\n")
    [row] = listed.json()["documents"]
    assert (row["symbol"], row["revision"]) == ("SUM/2022/DRAFT/1/Rev.8", 8)


async def test_an_imported_document_is_revised_to_rev9_and_takes_the_next_number_after_it(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.create(imported("SUM/2022/DRAFT/1/Rev.8"))
        conclusions = await docs.create(
            draft(text=small_text("Conclusions"))
            | {"symbol": "SUM/2022/DRAFT/5", "dated": "2022-10-07"}
        )
        etag = await docs.etag("SUM/2022/DRAFT/1")
        revised = await docs.revise("SUM/2022/DRAFT/1", rev8_text(), etag=etag)
        fresh = await docs.create(draft())

    assert conclusions.status_code == 201
    assert conclusions.json()["symbol"] == "SUM/2022/DRAFT/5"
    assert conclusions.json()["revision"] == 0
    assert revised.status_code == 201
    assert revised.json()["symbol"] == "SUM/2022/DRAFT/1/Rev.9"
    assert fresh.json()["symbol"] == "SUM/2022/DRAFT/6"


async def test_an_import_of_a_taken_symbol_or_outside_its_series_changes_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        first = await docs.create(imported("SUM/2022/DRAFT/1/Rev.8"))
        again = await docs.create(imported("SUM/2022/DRAFT/1/Rev.2"))
        elsewhere = await docs.create(imported("SOC/2021/DRAFT/3/Rev.6"))
        addendum = await docs.create(imported("SUM/2022/DRAFT/2/Add.1"))
        anonymous = await docs.create(imported("SUM/2022/DRAFT/2"), headers=PUBLIC)
        undated = await docs.create(imported("SUM/2022/DRAFT/2") | {"dated": None})
        revisions = await docs.http.get(
            "/documents/SUM/2022/DRAFT/1/revisions", headers=SECRETARIAT
        )
        missing = await docs.read("SUM/2022/DRAFT/2")

    assert first.status_code == 201
    assert again.status_code == 409
    assert elsewhere.status_code == addendum.status_code == undated.status_code == 422
    assert elsewhere.json()["type"] == "/problems/symbol-not-in-series"
    assert addendum.json()["type"] == "/problems/supplement-not-imported"
    assert undated.json()["type"] == "/problems/import-needs-its-date"
    assert anonymous.status_code == 401
    assert len(revisions.json()) == 9
    assert missing.status_code == 404
