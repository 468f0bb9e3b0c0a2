"""Circulation is recorded (`DocumentCirculated`): the Secretariat circulates a revision that
exists and is held, on a day not before the date it bears and not in the future, in its original
and official language versions, to the addressees its distribution names, under a note verbale
if one. The same revision again on the same date is refused, unless language versions have come
since, and then only those are circulated. In the domain, then through the API on real
PostgreSQL, where a refusal records nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.documents import domain
from services.documents.domain import (
    AlreadyCirculatedError,
    CirculatedBeforeItsDateError,
    DatedInTheFutureError,
    Document,
    RevisionNotFoundError,
    RevisionNotHeldError,
)
from services.documents.events import DistributionChanged, TranslationAdded
from services.documents.projections import documents
from shared.access import Distribution
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import (
    SECRETARIAT,
    documents_app,
    draft,
    member,
    rev8_text,
    today,
)
from tests.documents.history import CREATED, TODAY, given, revised

# ---------------------------------------------------------------------------------- domain


def circulate(document, **fields):
    return domain.circulate(document, **{"dated": TODAY, "today": TODAY, **fields})


def russian(revision: int, official: bool = True) -> TranslationAdded:
    return TranslationAdded(revision=revision, language="ru", official=official,
                            title="Проект заявления", opening="Мы, главы государств,",
                            paragraphs={"pp-a": "Признавая перемены", "op-a": "Мы действуем"})


def test_a_circulation_records_the_revision_its_languages_date_addressees_and_note():
    document = given(revised(1), russian(1))
    event = circulate(document, note="SOC/OI/1280")
    assert (event.document, event.revision, event.symbol) == (
        "SUM/2022/DRAFT/1", 1, "SUM/2022/DRAFT/1/Rev.1")
    assert (event.languages, event.dated, event.note) == (("en", "ru"), TODAY, "SOC/OI/1280")
    assert event.addressees == Distribution.member_states_only()
    after = given(revised(1), russian(1), event)
    assert after.circulations == [event]


def test_the_addressees_are_those_the_distribution_names_then():
    restricted = Distribution.restricted("KAZ", "KWT")
    document = given(DistributionChanged(distribution=restricted))
    assert circulate(document).addressees == restricted


def test_an_unofficial_translation_is_not_circulated_as_a_language_version():
    assert circulate(given(revised(1), russian(1, official=False))).languages == ("en",)


def test_a_revision_that_does_not_exist_or_is_not_held_is_not_circulated():
    with pytest.raises(RevisionNotFoundError) as missing:
        circulate(given(revised(1)), revision=2)
    assert domain_status(missing.value) == 404
    imported = Document.fold([CREATED.model_copy(update={"revision": 8})])
    with pytest.raises(RevisionNotHeldError) as not_held:
        circulate(imported, revision=3)
    assert domain_status(not_held.value) == 410
    assert circulate(imported).symbol == "SUM/2022/DRAFT/1/Rev.8"


def test_a_revision_is_not_circulated_before_the_date_it_bears_nor_in_the_future():
    document = given(revised(1))  # Rev.1 is dated 2 June 2022
    with pytest.raises(CirculatedBeforeItsDateError) as error:
        circulate(document, dated=date(2022, 6, 1))
    assert domain_status(error.value) == 422
    assert error.value.rule == "circulated-before-its-date"
    assert circulate(document, dated=date(2022, 6, 2)).dated == date(2022, 6, 2)
    with pytest.raises(DatedInTheFutureError):
        circulate(document, dated=TODAY + timedelta(days=2))


def test_the_same_revision_again_on_the_same_date_is_refused_unless_versions_came_since():
    first = circulate(given(revised(1)), note="SOC/OI/1280")
    document = given(revised(1), first)
    with pytest.raises(AlreadyCirculatedError) as error:
        circulate(document)
    assert domain_status(error.value) == 409
    assert error.value.rule == "already-circulated"
    assert error.value.members["notes"] == ["SOC/OI/1280"]
    assert circulate(document, dated=TODAY - timedelta(days=1)).languages == ("en",)
    assert circulate(given(revised(1), first, revised(2))).revision == 2
    later = circulate(given(revised(1), first, russian(1)))
    assert later.languages == ("ru",), "only the language version that came since"
    with pytest.raises(AlreadyCirculatedError):
        circulate(given(revised(1), first, russian(1), later))


# ------------------------------------------------------------------------------------- API


async def refused(docs, database_url, symbol: str, dated: str, **fields):
    """The answer to circulating, having checked that it recorded nothing."""
    before = await events_in(database_url)
    answer = await docs.circulate(symbol, dated, **fields)
    assert await events_in(database_url) == before
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer


def imported_rev8() -> dict:
    return draft(text=rev8_text()) | {"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07"}


async def test_a_circulation_is_recorded_and_shown_with_the_document(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(imported_rev8())).json()["document"]
        answer = await docs.circulate(symbol, "2022-10-07", note="SOC/OI/1280")
        read = (await docs.read(symbol, member("IND"))).json()
        log = [json.loads(r["data"]) for r in await events_in(database_url)
               if r["event_type"] == "DocumentCirculated"]
        by_a_state = await docs.circulate(symbol, "2022-10-08", headers=member("KAZ"))
        bad_note = await docs.circulate(symbol, "2022-10-08", note="1280")

    assert answer.status_code == 201, answer.text
    assert log == [{
        "document": "SUM/2022/DRAFT/1", "revision": 8, "symbol": "SUM/2022/DRAFT/1/Rev.8",
        "languages": ["en"], "dated": "2022-10-07",
        "addressees": {"kind": "member_states_only", "states": []}, "note": "SOC/OI/1280",
    }]
    assert read["circulations"] == [{
        "revision": 8, "symbol": "SUM/2022/DRAFT/1/Rev.8", "languages": ["en"],
        "dated": "2022-10-07", "addressees": {"kind": "member_states_only", "states": []},
        "note": "SOC/OI/1280",
    }]
    assert by_a_state.status_code == 403
    assert bad_note.status_code == 422


async def test_a_revision_that_does_not_exist_or_is_not_held_is_not_circulated_over_http(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(imported_rev8())).json()["document"]
        missing = await refused(docs, database_url, symbol, "2022-10-07", revision=9)
        not_held = await refused(docs, database_url, f"{symbol}/Rev.3", "2022-10-07")
        contradicts = await refused(docs, database_url, f"{symbol}/Rev.8", "2022-10-07",
                                    revision=7)
        no_document = await refused(docs, database_url, "SUM/2022/DRAFT/9", "2022-10-07")

    assert (missing.status_code, missing.json()["type"]) == (404, "/problems/revision-not-found")
    assert (not_held.status_code, not_held.json()["type"]) == (410, "/problems/revision-not-held")
    assert contradicts.status_code == 422
    assert (no_document.status_code, no_document.json()["type"]) == (
        404, "/problems/document-not-found")


async def test_a_circulation_dated_before_its_revision_or_in_the_future_records_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(imported_rev8())).json()["document"]
        early = await refused(docs, database_url, symbol, "2022-10-06")
        future = await refused(docs, database_url, symbol,
                               (today() + timedelta(days=2)).isoformat())

    assert (early.status_code, early.json()["type"]) == (
        422, "/problems/circulated-before-its-date")
    assert early.json()["revision_dated"] == "2022-10-07"
    assert (future.status_code, future.json()["type"]) == (422, "/problems/dated-in-the-future")


async def test_the_same_revision_again_on_the_same_date_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(imported_rev8())).json()["document"]
        first = await docs.circulate(symbol, "2022-10-07", note="SOC/OI/1280")
        again = await refused(docs, database_url, symbol, "2022-10-07")
        next_day = await docs.circulate(f"{symbol}/Rev.8", "2022-10-08")
        read = (await docs.read(symbol)).json()

    assert first.status_code == 201
    assert (again.status_code, again.json()["type"]) == (409, "/problems/already-circulated")
    assert again.json()["notes"] == ["SOC/OI/1280"]
    assert next_day.status_code == 201, next_day.text
    assert [(c["dated"], c["note"]) for c in read["circulations"]] == [
        ("2022-10-07", "SOC/OI/1280"), ("2022-10-08", None)]


async def test_a_restricted_document_is_circulated_to_the_states_it_lists(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        body = draft(distribution="restricted", states=["KAZ", "KWT"])
        symbol = (await docs.create(body)).json()["symbol"]
        answer = await docs.circulate(symbol, today().isoformat())
        await docs.caught_up()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        async with docs.app.state.engine.connect() as connection:
            version = (await connection.execute(
                select(documents.c.version).where(documents.c.stream_id == symbol))).scalar()

    assert answer.status_code == 201, answer.text
    assert answer.json()["circulations"][0]["addressees"] == {
        "kind": "restricted", "states": ["KAZ", "KWT"]}
    assert answer.headers["ETag"] == '"2"'
    assert [d["document"] for d in listed] == [symbol]
    assert version == 2, "the list follows the document's version"
