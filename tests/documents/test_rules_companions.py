"""A companion text accompanies one revision of a document with no symbol of its own, as the
Explanatory Note accompanies the draft conclusions SUM/2022/DRAFT/5 (note verbale SOC/OI/1280
encloses "Draft Conclusions of the Sixth CICA Summit and Explanatory Note"). One of each kind
per document; issued with its revision or after it, never before; read with the document and
on its own, by whoever may read the document. In the domain, then through the API on real
PostgreSQL, where a refusal records nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.documents import domain
from services.documents.domain import (
    CompanionDatedBeforeItsDocumentError,
    CompanionRecordedError,
    Document,
    InvalidCompanionError,
    RevisionNotFoundError,
    RevisionNotHeldError,
)
from services.documents.events import CompanionKind, CompanionRecorded
from services.documents.seed import EXPLANATORY_NOTE, conclusions_text, explanatory_note
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import PUBLIC, SECRETARIAT, documents_app, draft, member
from tests.documents.history import CREATED, TODAY, given

# ---------------------------------------------------------------------------------- domain

NOTE = {"en": "Explanatory Note"}
PARAGRAPHS = [{"en": "It is of utmost importance."}, {"en": "The Chair believes."}]


def record(document: Document, **fields) -> CompanionRecorded | None:
    return domain.record_companion(
        document, **{"kind": CompanionKind.EXPLANATORY_NOTE, "title": NOTE,
                     "paragraphs": PARAGRAPHS, "dated": TODAY, "today": TODAY, **fields},
    )


def test_a_companion_accompanies_the_latest_revision_and_has_no_symbol_of_its_own():
    event = record(given(), note="SOC/OI/1280")
    assert event == CompanionRecorded(
        kind=CompanionKind.EXPLANATORY_NOTE, revision=0, title=NOTE,
        paragraphs=tuple(PARAGRAPHS), dated=TODAY, note="SOC/OI/1280",
    )
    assert "symbol" not in event.model_dump()
    document = given(event)
    assert document.companions == {CompanionKind.EXPLANATORY_NOTE: event}
    assert document.current_symbol == "SUM/2022/DRAFT/1", "the document is unchanged"


def test_a_companion_dated_before_the_revision_it_accompanies_is_refused():
    with pytest.raises(CompanionDatedBeforeItsDocumentError) as refused:
        record(given(), dated=date(2022, 5, 31))
    assert domain_status(refused.value) == 422
    assert refused.value.rule == "companion-dated-before-its-document"
    assert record(given(), dated=CREATED.dated) is not None, "the same day is not before"


def test_one_text_of_each_kind_the_same_text_again_records_nothing():
    first = record(given())
    assert record(given(first)) is None
    with pytest.raises(CompanionRecordedError) as refused:
        record(given(first), paragraphs=PARAGRAPHS[:1])
    assert domain_status(refused.value) == 409
    assert refused.value.rule == "companion-recorded"


@pytest.mark.parametrize(
    "fields",
    [
        {"title": {"ru": "Пояснительная записка"}, "paragraphs": [{"ru": "Важно."}]},
        {"title": NOTE | {"ru": "Пояснительная записка"}},
        {"paragraphs": []},
        {"paragraphs": [{"en": "  "}]},
    ],
    ids=["not-in-the-documents-language", "a-paragraph-short-of-a-language", "no-paragraph",
         "a-blank-paragraph"],
)
def test_a_companion_is_whole_in_the_documents_language(fields):
    with pytest.raises(InvalidCompanionError) as refused:
        record(given(), **fields)
    assert domain_status(refused.value) == 422


def test_a_companion_accompanies_a_revision_the_service_holds():
    with pytest.raises(RevisionNotFoundError):
        record(given(), revision=3)
    imported = Document.fold([CREATED.model_copy(update={"revision": 2})])
    assert imported is not None
    with pytest.raises(RevisionNotHeldError):
        record(imported, revision=1)
    assert record(imported) is not None and record(imported).revision == 2


# ------------------------------------------------------------------------------------- API

CONCLUSIONS = "SUM/2022/DRAFT/5"


def imported_conclusions(**distribution) -> dict:
    body = draft(text=conclusions_text(), document_type="conclusions", **distribution)
    return body | {"symbol": CONCLUSIONS, "dated": "2022-10-07"}


async def post(docs, symbol: str, body: dict):
    return await docs.http.post(f"/documents/{symbol}/companions", json=body,
                                headers=SECRETARIAT)


async def refused(docs, database_url, symbol: str, body: dict):
    """The answer to recording a companion, having checked that it recorded nothing."""
    before = await events_in(database_url)
    answer = await post(docs, symbol, body)
    assert await events_in(database_url) == before
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer


async def test_the_explanatory_note_is_read_with_the_conclusions_and_on_its_own(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(imported_conclusions())
        assert created.status_code == 201, created.text
        answer = await post(docs, CONCLUSIONS, explanatory_note())
        again = await post(docs, CONCLUSIONS, explanatory_note())
        read = (await docs.read(CONCLUSIONS)).json()
        own = await docs.http.get(f"/documents/{CONCLUSIONS}/companions/explanatory_note",
                                  headers=member("KAZ"))
        listed = (await docs.http.get(f"/documents/{CONCLUSIONS}/companions",
                                      headers=SECRETARIAT)).json()
        log = await events_in(database_url)

    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"/documents/{CONCLUSIONS}/companions/explanatory_note"
    shown = answer.json()
    assert (shown["kind"], shown["document"], shown["symbol"], shown["revision"]) == (
        "explanatory_note", CONCLUSIONS, CONCLUSIONS, 0)
    assert (shown["dated"], shown["note"], shown["language"]) == (
        "2022-10-07", "SOC/OI/1280", "en")
    assert shown["title"] == "Explanatory Note on the Draft Conclusions of the Sixth CICA Summit"
    assert shown["paragraphs"] == [
        {"number": str(n), "text": text}
        for n, text in enumerate(EXPLANATORY_NOTE["paragraphs"], start=1)
    ]
    assert again.status_code == 201 and again.json() == shown
    assert [e["event_type"] for e in log] == ["DraftCreated", "CompanionRecorded"], (
        "the same text again records nothing"
    )
    data = json.loads(log[-1]["data"])
    assert "symbol" not in data and data["kind"] == "explanatory_note"
    assert read["companions"] == [shown]
    assert read["symbol"] == CONCLUSIONS and read["supplements"] == [], "no symbol is invented"
    assert own.status_code == 200 and own.json() == shown
    assert listed == [shown]


async def test_a_companion_is_read_only_by_those_who_may_read_the_document(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.create(imported_conclusions(distribution="restricted", states=["KAZ"]))
        assert (await post(docs, CONCLUSIONS, explanatory_note())).status_code == 201
        path = f"/documents/{CONCLUSIONS}/companions/explanatory_note"
        answers = {
            who: await docs.http.get(path, headers=headers)
            for who, headers in [("KAZ", member("KAZ")), ("IND", member("IND")),
                                 ("public", PUBLIC)]
        }
        listed = await docs.http.get(f"/documents/{CONCLUSIONS}/companions", headers=PUBLIC)
        by_india = await docs.read(CONCLUSIONS, member("IND"))

    assert answers["KAZ"].status_code == 200
    for who in ("IND", "public"):
        assert answers[who].status_code == 404, who
        assert answers[who].json()["type"] == "/problems/document-not-found"
        assert "utmost" not in answers[who].text
    assert listed.status_code == 404 and "utmost" not in listed.text
    assert by_india.status_code == 404


async def test_a_companion_of_no_document_is_404_and_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.create(imported_conclusions())
        answer = await refused(docs, database_url, "SUM/2022/DRAFT/9", explanatory_note())
        none_yet = await docs.http.get(
            f"/documents/{CONCLUSIONS}/companions/explanatory_note", headers=SECRETARIAT
        )

    assert (answer.status_code, answer.json()["type"]) == (404, "/problems/document-not-found")
    assert (none_yet.status_code, none_yet.json()["type"]) == (
        404, "/problems/companion-not-found")


async def test_another_text_of_the_same_kind_is_409_and_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.create(imported_conclusions())
        assert (await post(docs, CONCLUSIONS, explanatory_note())).status_code == 201
        other = explanatory_note() | {"paragraphs": explanatory_note()["paragraphs"][:2]}
        answer = await refused(docs, database_url, CONCLUSIONS, other)
        read = (await docs.read(CONCLUSIONS)).json()

    assert (answer.status_code, answer.json()["type"]) == (409, "/problems/companion-recorded")
    assert len(read["companions"][0]["paragraphs"]) == 4, "the one recorded stands"


async def test_a_companion_dated_before_its_document_is_422_and_records_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        await docs.create(imported_conclusions())
        answer = await refused(docs, database_url, CONCLUSIONS,
                               explanatory_note() | {"dated": "2022-10-06"})

    assert (answer.status_code, answer.json()["type"]) == (
        422, "/problems/companion-dated-before-its-document")
    assert answer.json()["revision_dated"] == "2022-10-07"
