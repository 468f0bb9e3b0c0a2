"""Amendments target the revision in force: one to a superseded revision is refused. A new
revision says which open amendments it incorporates and which it declines; every other one
still open ends superseded with the text it amended; the adoption closes those left. The
compare view shows each amendment taken in, with its paragraph. In the domain, then through the
API on real PostgreSQL, where a refusal records nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from services.documents import domain
from services.documents.domain import (
    AmendmentNotOpenError,
    AmendmentStatus,
    AmendmentToSupersededRevisionError,
    InvalidAmendmentError,
)
from services.documents.events import AmendmentAction, AmendmentProposed, Part, Status
from services.documents.reading import compare
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import SECRETARIAT, documents_app, draft, member, small_text
from tests.documents.history import given, proposed, revise, revised, text

# ---------------------------------------------------------------------------------- domain


def test_an_amendment_to_a_superseded_revision_is_refused():
    with pytest.raises(AmendmentToSupersededRevisionError) as error:
        domain.propose_amendment(given(revised(1)), amendment_id=uuid.uuid4(), state="KAZ",
                                 revision=0, paragraph_id="op-a", action=AmendmentAction.DELETE)
    assert domain_status(error.value) == 409
    assert error.value.members == {"symbol": "SUM/2022/DRAFT/1",
                                   "latest_symbol": "SUM/2022/DRAFT/1/Rev.1"}
    event = domain.propose_amendment(given(revised(1)), amendment_id=uuid.uuid4(), state="KAZ",
                                     revision=1, paragraph_id="op-a",
                                     action=AmendmentAction.DELETE)
    assert event.revision == 1


def test_a_revision_settles_every_open_amendment():
    taken, refused, left = proposed("KAZ"), proposed("RUS"), proposed("CHN")
    document = given(taken, refused, left)
    event = revise(document, incorporates=[taken.amendment_id], declines=[refused.amendment_id])
    assert (event.incorporates, event.declines, event.supersedes_amendments) == (
        (taken.amendment_id,), (refused.amendment_id,), (left.amendment_id,))
    after = given(taken, refused, left, event)
    assert {a.state: (a.status, a.settled_in) for a in after.amendments.values()} == {
        "KAZ": (AmendmentStatus.INCORPORATED, 1), "RUS": (AmendmentStatus.DECLINED, 1),
        "CHN": (AmendmentStatus.SUPERSEDED, 1)}
    assert after.open_amendments() == []
    with pytest.raises(AmendmentNotOpenError):
        domain.withdraw_amendment(after, amendment_id=left.amendment_id, state="CHN")


def test_an_amendment_is_not_both_incorporated_and_declined():
    amendment = proposed("KAZ")
    with pytest.raises(InvalidAmendmentError, match="not both"):
        revise(given(amendment), incorporates=[amendment.amendment_id],
               declines=[amendment.amendment_id])


def test_the_adoption_closes_the_amendments_left_open():
    amendment = proposed("KAZ")
    event = domain.change_status(given(amendment), Status.ADOPTED, body="SUMMIT")
    assert event.closes_amendments == (amendment.amendment_id,)
    after = given(amendment, event)
    assert after.amendments[amendment.amendment_id].status is AmendmentStatus.CLOSED_BY_ADOPTION
    assert after.open_amendments() == []


def test_the_compare_view_shows_each_amendment_taken_in_with_its_paragraph():
    replace = proposed("KAZ")
    insert = AmendmentProposed(amendment_id=uuid.uuid4(), state="RUS", revision=0,
                               paragraph_id="pp-a", action=AmendmentAction.INSERT_AFTER,
                               text="Noting", new_paragraph_id="pp-rus")
    new = text(("pp-a", Part.PREAMBLE, "Recognizing change"), ("pp-rus", Part.PREAMBLE, "Noting"),
               ("op-a", Part.OPERATIVE, "We act together"))
    document = given(replace, insert, revised(1, incorporates=(
        replace.amendment_id, insert.amendment_id)).model_copy(update={"text": new}))
    incorporated = domain.incorporated_between(document, 0, 1)
    diff = compare(document.revision(0), document.revision(1), "en", incorporated=incorporated)
    assert [(a["state"], a["paragraph_id"], a["number"], a["from_number"], a["text"])
            for a in diff["incorporated"]] == [
        ("KAZ", "op-a", "OP1", "OP1", "We act together"),
        ("RUS", "pp-rus", "PP2", None, "Noting"),
    ]


# ------------------------------------------------------------------------------------- API


async def test_an_amendment_to_a_superseded_revision_records_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol))
        before = await events_in(database_url)
        stale = await docs.amend(symbol, "KAZ", revision=0)
        after = await events_in(database_url)
        current = await docs.amend(symbol, "KAZ", revision=1)

    assert stale.status_code == 409
    assert stale.json()["type"] == "/problems/amendment-to-superseded-revision"
    assert stale.json()["latest_symbol"] == f"{symbol}/Rev.1"
    assert after == before
    assert current.status_code == 201, current.text


async def test_a_revision_incorporates_declines_and_supersedes_the_open_amendments(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        ids = {}
        for state in ("KAZ", "RUS", "CHN", "IND"):
            answer = await docs.amend(symbol, state, revision=0)
            ids[state] = answer.json()["amendment_id"]
        withdrawn = await docs.http.post(
            f"/documents/{symbol}/amendments/{ids['IND']}/withdrawal", json={"state": "IND"},
            headers=member("IND"))
        both = await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol),
                                 incorporates=[ids["KAZ"]], declines=[ids["KAZ"]])
        revised_ = await docs.revise(
            symbol, small_text("Rev 1", ("pp-a", "preamble", "Recognizing change"),
                               ("op-a", "operative", "We act, says KAZ")),
            etag=await docs.etag(symbol), incorporates=[ids["KAZ"]], declines=[ids["RUS"]])
        await docs.caught_up()
        still_open = (await docs.http.get(f"/documents/{symbol}/amendments",
                                          headers=SECRETARIAT)).json()
        by_status = {
            status: [a["state"] for a in (await docs.http.get(
                f"/documents/{symbol}/amendments", params={"status": status},
                headers=SECRETARIAT)).json()]
            for status in ("incorporated", "declined", "superseded", "withdrawn")
        }
        too_late = await docs.http.post(
            f"/documents/{symbol}/amendments/{ids['CHN']}/withdrawal", json={"state": "CHN"},
            headers=member("CHN"))
        revisions = (await docs.http.get(f"/documents/{symbol}/revisions",
                                         headers=SECRETARIAT)).json()
        diff = (await docs.http.get(f"/documents/{symbol}/compare", params={"from": 0},
                                    headers=SECRETARIAT)).json()
        log = [json.loads(r["data"]) for r in await events_in(database_url)
               if r["event_type"] == "DraftRevised"]

    assert withdrawn.status_code == 201
    assert (both.status_code, both.json()["type"]) == (422, "/problems/invalid-amendment")
    assert revised_.status_code == 201, revised_.text
    assert still_open == []
    assert by_status == {"incorporated": ["KAZ"], "declined": ["RUS"], "superseded": ["CHN"],
                         "withdrawn": ["IND"]}
    assert (too_late.status_code, too_late.json()["amendment_status"]) == (409, "superseded")
    assert (revisions[1]["incorporates"], revisions[1]["declines"],
            revisions[1]["supersedes_amendments"]) == ([ids["KAZ"]], [ids["RUS"]], [ids["CHN"]])
    assert [(log[0]["incorporates"], log[0]["declines"], log[0]["supersedes_amendments"])] == [
        ([ids["KAZ"]], [ids["RUS"]], [ids["CHN"]])]
    assert [(a["amendment_id"], a["paragraph_id"], a["number"], a["text"])
            for a in diff["incorporated"]] == [(ids["KAZ"], "op-a", "OP1", "We act, says KAZ")]


async def test_the_adoption_closes_the_amendments_left_open_and_they_take_no_decline(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        amendment = (await docs.amend(symbol, "KAZ", revision=0)).json()["amendment_id"]
        await docs.caught_up()
        listed_before = (await docs.http.get(f"/documents/{symbol}/amendments",
                                             headers=SECRETARIAT)).json()
        adoption = await docs.status(symbol, "adopted", "SUMMIT")
        await docs.caught_up()
        listed_after = (await docs.http.get(f"/documents/{symbol}/amendments",
                                            headers=SECRETARIAT)).json()
        closed = (await docs.http.get(f"/documents/{symbol}/amendments",
                                      params={"status": "closed_by_adoption"},
                                      headers=SECRETARIAT)).json()
        declined = await docs.http.post(f"/documents/{symbol}/amendments/{amendment}/decline",
                                        json={}, headers=SECRETARIAT)
        log = [json.loads(r["data"]) for r in await events_in(database_url)
               if r["event_type"] == "DocumentStatusChanged"]

    assert [a["amendment_id"] for a in listed_before] == [amendment]
    assert adoption.status_code == 201
    assert listed_after == []
    assert [(a["amendment_id"], a["status"], a["settled_in"]) for a in closed] == [
        (amendment, "closed_by_adoption", 0)]
    assert (declined.status_code, declined.json()["amendment_status"]) == (
        409, "closed_by_adoption")
    assert log[0]["closes_amendments"] == [amendment]
