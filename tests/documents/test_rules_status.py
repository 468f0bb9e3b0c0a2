"""Status belongs to a revision: a decision names the revision it took and stays with it; the
document's status is its latest revision's (a new text after a recommendation is a draft
again); an adoption (or a withdrawal) of a superseded revision is refused. In the domain, then
through the API on real PostgreSQL, where a refusal records nothing."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from services.documents import domain
from services.documents.domain import (
    AdoptionOfSupersededRevisionError,
    InvalidStatusChangeError,
    RevisionNotFoundError,
)
from services.documents.events import DocumentStatusChanged, Status
from shared.competence import OutsideCompetenceError
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import SECRETARIAT, documents_app, draft, small_text
from tests.documents.history import given, revised


def decided(document, revision: int, outcome: str = "recommended_for_adoption",
            body: str = "SOC") -> DocumentStatusChanged | None:
    return domain.status_for_decision(
        document, revision=revision, outcome=outcome, body=body, decision_id=uuid.uuid4(),
        session="SOC/2022-III", decided_on=date(2022, 10, 11),
    )


def recommended(revision: int, body: str = "SOC") -> DocumentStatusChanged:
    return DocumentStatusChanged(status=Status.RECOMMENDED, revision=revision, body=body)


# ---------------------------------------------------------------------------------- domain


def test_a_decision_records_the_revision_it_took():
    event = decided(given(revised(1)), 1)
    assert event is not None
    assert (event.status, event.revision, event.latest_revision) == (Status.RECOMMENDED, 1, 1)
    document = given(revised(1), event)
    assert (document.status, document.recommended_by) == (Status.RECOMMENDED, "SOC")
    assert document.latest_decision is not None
    assert (document.latest_decision.revision, document.latest_decision.symbol) == (
        1, "SUM/2022/DRAFT/1/Rev.1")


def test_a_new_revision_after_a_recommendation_is_a_draft_for_the_body_to_consider():
    document = given(revised(1), recommended(1), revised(2))
    assert document.status is Status.DRAFT
    assert document.recommended_by is None
    assert document.revision(1).status is Status.RECOMMENDED
    assert document.revision(2).status is Status.DRAFT


def test_a_decision_on_a_superseded_revision_stays_with_it():
    """The SOC recommended Rev.1; Rev.2 is the text now: it is not "recommended by the SOC"."""
    event = decided(given(revised(1), revised(2)), 1)
    assert event is not None
    assert (event.revision, event.latest_revision) == (1, 2)
    document = given(revised(1), revised(2), event)
    assert document.status is Status.DRAFT
    assert document.recommended_by is None
    assert document.revision(1).status is Status.RECOMMENDED


def test_an_adoption_or_a_withdrawal_of_a_superseded_revision_is_refused():
    document = given(revised(1), recommended(1), revised(2))
    with pytest.raises(AdoptionOfSupersededRevisionError) as error:
        decided(document, 1, outcome="adopted", body="SUMMIT")
    assert domain_status(error.value) == 409
    assert error.value.members["latest_symbol"] == "SUM/2022/DRAFT/1/Rev.2"
    with pytest.raises(AdoptionOfSupersededRevisionError):
        domain.change_status(document, Status.WITHDRAWN, revision=1)
    adoption = decided(document, 2, outcome="adopted", body="SUMMIT")
    assert adoption is not None and adoption.revision == 2


def test_the_competence_is_checked_on_the_revision_decided():
    with pytest.raises(OutsideCompetenceError, match=r"SUM/2022/DRAFT/1/Rev\.1"):
        decided(given(revised(1), revised(2)), 1, outcome="adopted", body="SWG")


def test_a_decision_on_a_revision_that_does_not_exist_is_refused():
    with pytest.raises(RevisionNotFoundError):
        decided(given(revised(1)), 2)


def test_an_adopted_document_takes_no_decision_on_any_revision():
    adopted = decided(given(revised(1)), 1, outcome="adopted", body="SUMMIT")
    with pytest.raises(InvalidStatusChangeError):
        decided(given(revised(1), adopted), 0)


# ------------------------------------------------------------------------------------- API


async def test_a_status_by_hand_on_a_superseded_revision_stays_with_it(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol))
        await docs.revise(symbol, small_text("Rev 2"), etag=await docs.etag(symbol))
        by_body = await docs.status(symbol, "recommended", "SOC", revision=1)
        by_path = await docs.status(f"{symbol}/Rev.1", "approved", "SOC")
        contradictory = await docs.status(f"{symbol}/Rev.1", "approved", "SOC", revision=2)
        await docs.caught_up()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        log = [json.loads(r["data"]) for r in await events_in(database_url)
               if r["event_type"] == "DocumentStatusChanged"]

    assert by_body.status_code == 201, by_body.text
    read = by_path.json()
    assert (read["status"], read["recommended_by"], read["latest_revision"]) == ("draft", None, 2)
    assert [(r["revision"], r["status"]) for r in read["revisions"]] == [
        (0, "draft"), (1, "approved"), (2, "draft")]
    assert (read["latest_decision"]["revision"], read["latest_decision"]["symbol"]) == (
        1, f"{symbol}/Rev.1")
    assert [(e["revision"], e["latest_revision"]) for e in log] == [(1, 2), (1, 2)]
    assert listed[0]["status"] == "draft"
    assert (contradictory.status_code, contradictory.json()["type"]) == (
        422, "/problems/revision-contradicts-symbol")


async def test_a_new_revision_after_a_recommendation_is_a_draft_again(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.status(symbol, "recommended", "SWG")
        await docs.caught_up()
        before = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        revised_ = await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol))
        await docs.caught_up()
        after = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        recommended_list = (await docs.http.get("/documents", params={"status": "recommended"},
                                                headers=SECRETARIAT)).json()

    assert (before[0]["status"], before[0]["recommended_by"]) == ("recommended", "SWG")
    read = revised_.json()
    assert (read["status"], read["recommended_by"]) == ("draft", None)
    assert [r["status"] for r in read["revisions"]] == ["recommended", "draft"]
    assert (after[0]["status"], after[0]["recommended_by"]) == ("draft", None)
    assert recommended_list["total"] == 0


async def test_an_adoption_of_a_superseded_revision_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol))
        await docs.status(symbol, "recommended", "SOC", revision=1)
        await docs.revise(symbol, small_text("Rev 2"), etag=await docs.etag(symbol))
        before = await events_in(database_url)
        adopted = await docs.status(f"{symbol}/Rev.1", "adopted", "SUMMIT")
        withdrawn = await docs.status(symbol, "withdrawn", revision=1)
        after = await events_in(database_url)
        latest = await docs.status(symbol, "adopted", "SUMMIT")

    for answer in (adopted, withdrawn):
        assert answer.status_code == 409
        assert answer.json()["type"] == "/problems/adoption-of-superseded-revision"
        assert answer.json()["latest_symbol"] == f"{symbol}/Rev.2"
    assert after == before
    assert latest.status_code == 201
    assert [(r["revision"], r["status"]) for r in latest.json()["revisions"]] == [
        (0, "draft"), (1, "recommended"), (2, "adopted")]
