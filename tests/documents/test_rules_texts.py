"""A revision is a new text with its date and its originator: both given with the revision and
recorded in `DraftRevised`; the date is not before the revision it supersedes, nor later than
the day it is anywhere on earth; who issued it is said in a few words. A document made here or
imported has its date and originator too (an import's originator only where its source names
one). In the domain, then through the API on real PostgreSQL, where a refusal records
nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from services.documents import domain
from services.documents.domain import (
    DatedBeforePreviousRevisionError,
    DatedInTheFutureError,
    InvalidOriginatorError,
    UndatedImportError,
)
from services.documents.events import DocumentType
from services.documents.symbols import parse_series, parse_symbol
from shared.access import MEMBER_STATES_ONLY
from shared.domain import DomainError
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import (
    ORIGINATOR,
    SECRETARIAT,
    documents_app,
    draft,
    rev8_text,
    small_text,
    today,
)
from tests.documents.history import ORIGINAL, TODAY, given, revise, revised

# ---------------------------------------------------------------------------------- domain


def test_a_revision_records_its_date_and_originator():
    event = revise(given(revised(1)), dated=date(2022, 9, 14), originator=" Secretariat ")
    assert (event.dated, event.originator) == (date(2022, 9, 14), "Secretariat")
    document = given(revised(1), event)
    assert (document.latest.dated, document.latest.originator) == (date(2022, 9, 14),
                                                                   "Secretariat")


def test_a_revision_dated_before_the_one_it_supersedes_is_refused():
    document = given(revised(1))  # Rev.1 is dated 2 June 2022
    with pytest.raises(DatedBeforePreviousRevisionError) as error:
        revise(document, dated=date(2022, 6, 1))
    assert domain_status(error.value) == 422
    assert error.value.members["previous_revision_dated"] == "2022-06-02"
    assert revise(document, dated=date(2022, 6, 2)).dated == date(2022, 6, 2)


def test_a_text_dated_later_than_anywhere_on_earth_today_is_refused():
    assert revise(given(), dated=TODAY + timedelta(days=1)).dated == TODAY + timedelta(days=1)
    with pytest.raises(DatedInTheFutureError):
        revise(given(), dated=TODAY + timedelta(days=2))
    with pytest.raises(DatedInTheFutureError):
        domain.create_draft(symbol=parse_symbol("SUM/2022/DRAFT/1"),
                            document_type=DocumentType.STATEMENT, language="en", text=ORIGINAL,
                            distribution=MEMBER_STATES_ONLY, originator=ORIGINATOR,
                            dated=TODAY + timedelta(days=2), today=TODAY)


@pytest.mark.parametrize("originator", ["", "   ", "x" * 201, None])
def test_who_issued_a_text_is_said_in_a_few_words(originator):
    with pytest.raises(InvalidOriginatorError) as error:
        revise(given(), originator=originator)
    assert domain_status(error.value) == 422
    with pytest.raises(InvalidOriginatorError):
        domain.create_draft(symbol=parse_symbol("SUM/2022/DRAFT/1"),
                            document_type=DocumentType.STATEMENT, language="en", text=ORIGINAL,
                            distribution=MEMBER_STATES_ONLY, originator=originator, today=TODAY)


def test_a_draft_made_here_is_dated_the_day_it_is_made_unless_it_says():
    made = domain.create_draft(symbol=parse_symbol("SUM/2022/DRAFT/1"),
                               document_type=DocumentType.STATEMENT, language="en",
                               text=ORIGINAL, distribution=MEMBER_STATES_ONLY,
                               originator="Secretariat", today=TODAY)
    assert (made.dated, made.originator) == (TODAY, "Secretariat")


def test_an_import_bears_its_date_and_names_no_originator_its_source_does_not():
    imported = domain.import_draft(symbol=parse_symbol("SUM/2022/DRAFT/2/Rev.3"), series=SUMMIT,
                                   document_type=DocumentType.REGULATIONS, language="en",
                                   text=ORIGINAL, distribution=MEMBER_STATES_ONLY,
                                   dated=date(2022, 9, 14), today=TODAY)
    assert (imported.revision, imported.dated, imported.originator) == (
        3, date(2022, 9, 14), None)
    with pytest.raises(UndatedImportError) as error:
        domain.import_draft(symbol=parse_symbol("SUM/2022/DRAFT/2/Rev.3"), series=SUMMIT,
                            document_type=DocumentType.REGULATIONS, language="en",
                            text=ORIGINAL, distribution=MEMBER_STATES_ONLY, dated=None,
                            today=TODAY)
    assert error.value.rule == "import-needs-its-date"


SUMMIT = parse_series("SUM/2022/DRAFT")


@pytest.mark.parametrize(
    ("symbol", "rule"),
    [("SUM/2022/DRAFT/2/Add.1", "supplement-not-imported"),
     ("SUM/2022/DRAFT/2/Rev.3/Corr.1", "supplement-not-imported"),
     ("SOC/2021/DRAFT/3/Rev.6", "symbol-not-in-series")],
)
def test_an_import_is_a_document_of_its_series_and_no_supplement(symbol, rule):
    """Whoever calls the domain: an addendum or a corrigendum is issued to its document, and a
    document imported into a series is one of that series."""
    with pytest.raises(DomainError) as refused:
        domain.import_draft(symbol=parse_symbol(symbol), series=SUMMIT,
                            document_type=DocumentType.REGULATIONS, language="en",
                            text=ORIGINAL, distribution=MEMBER_STATES_ONLY,
                            dated=date(2022, 9, 14), today=TODAY)
    assert (refused.value.rule, domain_status(refused.value)) == (rule, 422)


# ------------------------------------------------------------------------------------- API


async def test_a_revision_carries_its_date_and_originator_into_the_log_and_every_read(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        created = await docs.create(draft() | {"dated": "2022-09-01"})
        symbol = created.json()["symbol"]
        revised_ = await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol),
                                     dated="2022-09-14", originator="Secretariat")
        revisions = (await docs.http.get(f"/documents/{symbol}/revisions",
                                         headers=SECRETARIAT)).json()
        text = (await docs.http.get(f"/documents/{symbol}/text", headers=SECRETARIAT)).text
        log = {r["event_type"]: json.loads(r["data"]) for r in await events_in(database_url)}

    assert (created.json()["dated"], created.json()["originator"]) == ("2022-09-01", ORIGINATOR)
    assert (revised_.json()["dated"], revised_.json()["originator"]) == (
        "2022-09-14", "Secretariat")
    assert [(r["dated"], r["originator"]) for r in revisions] == [
        ("2022-09-01", ORIGINATOR), ("2022-09-14", "Secretariat")]
    assert text.startswith(f"{symbol}/Rev.1    2022-09-14\nDistr.: member states only\n"
                           "Secretariat\n")
    assert (log["DraftCreated"]["dated"], log["DraftCreated"]["originator"]) == (
        "2022-09-01", ORIGINATOR)
    assert (log["DraftRevised"]["dated"], log["DraftRevised"]["originator"]) == (
        "2022-09-14", "Secretariat")


async def test_a_revision_without_its_date_or_originator_or_dated_wrongly_records_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft() | {"dated": "2022-09-01"})).json()["symbol"]
        etag = await docs.etag(symbol)
        before = await events_in(database_url)
        undated = await docs.http.post(
            f"/documents/{symbol}/revisions", json={"text": small_text("Rev 1")},
            headers={**SECRETARIAT, "If-Match": etag})
        earlier = await docs.revise(symbol, small_text("Rev 1"), etag=etag, dated="2022-08-31")
        future = await docs.revise(symbol, small_text("Rev 1"), etag=etag,
                                   dated=(today() + timedelta(days=2)).isoformat())
        blank = await docs.revise(symbol, small_text("Rev 1"), etag=etag, originator="   ")
        future_draft = await docs.create(
            draft() | {"dated": (today() + timedelta(days=2)).isoformat()})
        anonymous_draft = await docs.create(draft() | {"originator": None})
        after = await events_in(database_url)

    assert undated.status_code == 422
    assert undated.json()["type"] == "/problems/validation-error"
    assert {e["loc"][-1] for e in undated.json()["errors"]} == {"dated", "originator"}
    for answer, rule in [(earlier, "dated-before-previous-revision"),
                         (future, "dated-in-the-future"), (blank, "invalid-originator"),
                         (future_draft, "dated-in-the-future"),
                         (anonymous_draft, "invalid-originator")]:
        assert (answer.status_code, answer.json()["type"]) == (422, f"/problems/{rule}"), rule
    assert after == before


async def test_an_imported_document_bears_its_date_and_only_a_stated_originator(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        rev8 = await docs.create(draft(text=rev8_text()) | {
            "symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07"})
        fund = await docs.create(draft(text=small_text("Draft Regulations of the CICA Fund"))
                                 | {"symbol": "SUM/2022/DRAFT/2/Rev.3", "dated": "2022-09-14",
                                    "originator": None})

    assert (rev8.json()["dated"], rev8.json()["originator"]) == ("2022-10-07", ORIGINATOR)
    assert (fund.json()["dated"], fund.json()["originator"]) == ("2022-09-14", None)
