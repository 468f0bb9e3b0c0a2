"""An addendum or a corrigendum is a document of its own, issued to a parent document the service
holds: numbered after the parent's earlier ones (``.../Add.1``, ``.../Add.2``, ``.../Corr.1``),
naming the parent in its `DraftCreated`, distributed as the parent unless it says otherwise.
An addendum is issued to a document, a corrigendum to a document or an addendum, and nothing to
a corrigendum. Its read names its parent; the parent's read lists those the caller may read. In
the domain, then through the API on real PostgreSQL, where a refusal records nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.documents import domain
from services.documents.domain import (
    Document,
    ParentDocumentNotFoundError,
    SupplementBeforeItsParentError,
    SupplementOfSupplementError,
)
from services.documents.events import DocumentType, DraftCreated, SupplementKind
from services.documents.symbols import parse_symbol
from shared.access import Distribution
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import (
    SECRETARIAT,
    documents_app,
    draft,
    member,
    supplement,
)
from tests.documents.history import CREATED, ORIGINAL, TODAY, given

# ---------------------------------------------------------------------------------- domain


def issue(parent: Document | None, kind: SupplementKind, taken=(), **fields):
    return domain.issue_supplement(
        parent, parent_symbol="SUM/2022/DRAFT/1", kind=kind, taken=list(taken),
        **{"document_type": DocumentType.OTHER, "language": "en", "text": ORIGINAL,
           "distribution": None, "originator": "Secretariat", "today": TODAY, **fields},
    )


def made(symbol: str, parent: str) -> Document:
    """The addendum or corrigendum `symbol`, as its creation made it."""
    document = Document.fold([CREATED.model_copy(update={"symbol": symbol, "parent": parent})])
    assert document is not None
    return document


def test_an_addendum_names_its_parent_and_takes_the_next_number():
    first = issue(given(), SupplementKind.ADDENDUM)
    second = issue(given(), SupplementKind.ADDENDUM,
                   taken=["SUM/2022/DRAFT/1", "SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1/Corr.1",
                          "SUM/2022/DRAFT/2/Add.4", "SUM/2022/DRAFT/1/Add.1/Corr.3"])
    corrigendum = issue(given(), SupplementKind.CORRIGENDUM, taken=["SUM/2022/DRAFT/1/Add.1"])

    assert (first.symbol, first.parent, first.dated) == (
        "SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1", TODAY)
    assert second.symbol == "SUM/2022/DRAFT/1/Add.2"
    assert (corrigendum.symbol, corrigendum.parent) == ("SUM/2022/DRAFT/1/Corr.1",
                                                        "SUM/2022/DRAFT/1")
    document = Document.fold([first])
    assert document is not None
    assert (document.parent, document.supplement) == ("SUM/2022/DRAFT/1",
                                                      SupplementKind.ADDENDUM)
    assert given().parent is None and given().supplement is None


def test_an_addendum_is_distributed_as_its_parent_unless_it_says():
    assert issue(given(), SupplementKind.ADDENDUM).distribution == CREATED.distribution
    restricted = Distribution.restricted("KAZ")
    assert issue(given(), SupplementKind.ADDENDUM,
                 distribution=restricted).distribution == restricted


def test_an_addendum_or_corrigendum_of_a_document_the_service_does_not_hold_is_refused():
    for kind in SupplementKind:
        with pytest.raises(ParentDocumentNotFoundError) as error:
            issue(None, kind)
        assert domain_status(error.value) == 404
        assert error.value.rule == "parent-document-not-found"
        assert error.value.members["symbol"] == "SUM/2022/DRAFT/1"


def test_a_corrigendum_corrects_a_document_or_an_addendum_and_nothing_else_nests():
    addendum = made("SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1")
    corrigendum = made("SUM/2022/DRAFT/1/Corr.1", "SUM/2022/DRAFT/1")

    of_addendum = issue(addendum, SupplementKind.CORRIGENDUM,
                        taken=["SUM/2022/DRAFT/1/Corr.1", "SUM/2022/DRAFT/1/Add.1/Corr.1"])
    assert (of_addendum.symbol, of_addendum.parent) == (
        "SUM/2022/DRAFT/1/Add.1/Corr.2", "SUM/2022/DRAFT/1/Add.1")
    for parent, kind in [(addendum, SupplementKind.ADDENDUM),
                         (corrigendum, SupplementKind.ADDENDUM),
                         (corrigendum, SupplementKind.CORRIGENDUM)]:
        with pytest.raises(SupplementOfSupplementError) as error:
            issue(parent, kind)
        assert domain_status(error.value) == 422
        assert error.value.rule == "supplement-of-a-supplement"


def test_a_symbol_names_the_parent_of_an_addendum_or_corrigendum():
    assert str(parse_symbol("SUM/2022/DRAFT/1/Add.1").parent) == "SUM/2022/DRAFT/1"
    assert str(parse_symbol("SUM/2022/DRAFT/1/Rev.2/Corr.1").parent) == "SUM/2022/DRAFT/1"
    assert str(parse_symbol("SUM/2022/DRAFT/5/Add.1/Corr.2").parent) == "SUM/2022/DRAFT/5/Add.1"
    assert parse_symbol("SUM/2022/DRAFT/1/Rev.8").parent is None


def test_an_addendum_dated_in_the_future_is_refused_as_any_text_is():
    with pytest.raises(domain.DatedInTheFutureError):
        issue(given(), SupplementKind.ADDENDUM, dated=date(2022, 10, 9))


def test_an_addendum_or_corrigendum_dated_before_its_parent_is_refused():
    parent_dated = CREATED.dated
    for kind in SupplementKind:
        with pytest.raises(SupplementBeforeItsParentError) as error:
            issue(given(), kind, dated=date(2022, 5, 31))
        assert domain_status(error.value) == 422
        assert error.value.rule == "supplement-dated-before-its-parent"
        assert error.value.members["parent_dated"] == parent_dated.isoformat()
        assert issue(given(), kind, dated=parent_dated).dated == parent_dated


# ------------------------------------------------------------------------------------- API


async def refused(docs, database_url, parent: str, kind: str, body=None):
    """The answer to issuing `kind` to `parent`, having checked that it recorded nothing."""
    before = await events_in(database_url)
    answer = await docs.issue(parent, kind, body)
    assert await events_in(database_url) == before
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer


async def test_an_addendum_records_its_parent_and_each_read_shows_the_link(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        parent = (await docs.create(draft())).json()["symbol"]
        first = await docs.issue(parent, "addenda", supplement("Addendum one"))
        second = await docs.issue(parent, "addenda", supplement("Addendum two"))
        correction = await docs.issue(parent, "corrigenda", supplement("Corrigendum"))
        of_addendum = await docs.issue(f"{parent}/Add.1", "corrigenda",
                                       supplement("Corrigendum to the addendum"))
        await docs.caught_up()
        parent_read = (await docs.read(parent)).json()
        addendum_read = (await docs.read(f"{parent}/Add.1")).json()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        log = [json.loads(r["data"]) for r in await events_in(database_url)
               if r["event_type"] == "DraftCreated"]

    assert [a.status_code for a in (first, second, correction, of_addendum)] == [201] * 4
    assert [a.json()["symbol"] for a in (first, second, correction, of_addendum)] == [
        f"{parent}/Add.1", f"{parent}/Add.2", f"{parent}/Corr.1", f"{parent}/Add.1/Corr.1"]
    assert first.headers["Location"] == f"/documents/{parent}/Add.1"
    assert [d.get("parent") for d in log] == [None, parent, parent, parent, f"{parent}/Add.1"]
    assert (addendum_read["parent"], addendum_read["supplement"]) == (parent, "addendum")
    assert addendum_read["distribution"] == parent_read["distribution"]
    assert [(s["symbol"], s["kind"], s["title"]) for s in parent_read["supplements"]] == [
        (f"{parent}/Add.1", "addendum", "Addendum one"),
        (f"{parent}/Add.2", "addendum", "Addendum two"),
        (f"{parent}/Corr.1", "corrigendum", "Corrigendum"),
    ]
    assert [s["symbol"] for s in addendum_read["supplements"]] == [f"{parent}/Add.1/Corr.1"]
    assert (parent_read["parent"], parent_read["supplement"]) == (None, None)
    assert {d["document"]: d["parent"] for d in listed}[f"{parent}/Corr.1"] == parent


async def test_the_parents_read_lists_only_the_addenda_its_reader_may_read(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        parent = (await docs.create(draft())).json()["symbol"]
        await docs.issue(parent, "addenda",
                         supplement(distribution={"kind": "restricted", "states": ["KAZ"]}))
        await docs.issue(parent, "addenda")
        await docs.caught_up()
        kazakhstan = (await docs.read(parent, member("KAZ"))).json()
        india = (await docs.read(parent, member("IND"))).json()
        first_made = kazakhstan["supplements"][0]["created_at"]
        then = (await docs.read(parent, member("KAZ"), as_of=first_made)).json()

    assert [s["symbol"] for s in kazakhstan["supplements"]] == [f"{parent}/Add.1",
                                                                f"{parent}/Add.2"]
    assert [s["symbol"] for s in india["supplements"]] == [f"{parent}/Add.2"]
    assert [s["symbol"] for s in then["supplements"]] == [f"{parent}/Add.1"]


async def test_an_addendum_to_a_document_the_service_does_not_hold_records_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        missing = await refused(docs, database_url, "SUM/2022/DRAFT/9", "addenda")
        missing_corrigendum = await refused(docs, database_url, "SUM/2022/DRAFT/9/Add.1",
                                            "corrigenda")
        anonymous = await docs.issue("SUM/2022/DRAFT/9", "addenda", headers={})

    for answer in (missing, missing_corrigendum):
        assert (answer.status_code, answer.json()["type"]) == (
            404, "/problems/parent-document-not-found")
    assert missing.json()["symbol"] == "SUM/2022/DRAFT/9"
    assert missing_corrigendum.json()["symbol"] == "SUM/2022/DRAFT/9/Add.1"
    assert anonymous.status_code == 401


async def test_no_addendum_to_an_addendum_nor_anything_to_a_corrigendum(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        parent = (await docs.create(draft())).json()["symbol"]
        await docs.issue(parent, "addenda")
        await docs.issue(parent, "corrigenda")
        nested = await refused(docs, database_url, f"{parent}/Add.1", "addenda")
        of_corrigendum = await refused(docs, database_url, f"{parent}/Corr.1", "corrigenda")

    for answer in (nested, of_corrigendum):
        assert (answer.status_code, answer.json()["type"]) == (
            422, "/problems/supplement-of-a-supplement")


async def test_an_addendum_dated_before_its_parent_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        parent = (await docs.create({**draft(), "dated": "2022-09-14"})).json()["symbol"]
        early = await refused(docs, database_url, parent, "addenda",
                              supplement(dated="2022-09-13"))
        same_day = await docs.issue(parent, "addenda", supplement(dated="2022-09-14"))

    assert (early.status_code, early.json()["type"]) == (
        422, "/problems/supplement-dated-before-its-parent")
    assert early.json()["parent_dated"] == "2022-09-14"
    assert same_day.status_code == 201


def test_a_draft_created_before_parents_were_named_reads_with_none():
    event = DraftCreated.model_validate(CREATED.model_dump(mode="json", exclude={"parent"}))
    assert event.parent is None
    assert Document.fold([event]).parent is None  # type: ignore[union-attr]
