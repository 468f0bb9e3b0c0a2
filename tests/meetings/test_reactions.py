"""The meetings service following the documents service and the registry: a `DraftRevised` of
SUM/2022/DRAFT/1 moves item 3(c) to the new revision and keeps the history; a `MemberAdmitted`
of Kuwait adds it to the meetings that start on or after its admission, once, and lets it read
what is distributed to member states."""

from __future__ import annotations

from uuid import uuid4

from services.meetings.seed import SUMMIT_MEETING
from shared.access import Role
from shared.envelope import ForeignEvent
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    admitted,
    deliver,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
    soc_meeting_with_annotated_agenda,
)


def foreign(producer: str, position: int, stream_id: str, event_type: str, data: dict,
            recorded_at: str = "2022-10-11T09:30:00+00:00") -> ForeignEvent:
    return ForeignEvent(
        producer=producer, position=position, event_id=uuid4(), stream_id=stream_id,
        stream_type="document" if producer == "documents" else "member_state", version=position,
        event_type=event_type, schema_version=1, data=data, metadata={},
        recorded_at=recorded_at, hash="00" * 32, prev_hash="00" * 32,
    )


def consumer(app, producer: str):  # type: ignore[no-untyped-def]
    return next(c for c in app.state.consumers if c.producer == producer)


async def test_a_revised_draft_moves_item_3c_to_its_newest_revision_with_its_own_date(
    database_url, servers
):
    """Before the SOC adopts its agenda, Rev.9 (dated 9 October, recorded on the 11th) takes
    Rev.8's place under item 3(c); once the agenda is adopted, a later revision leaves it as
    the meeting adopted it."""
    revised = foreign("documents", 1, "document-SUM-2022-DRAFT-1", "DraftRevised",
                      {"revision": 9, "symbol": "SUM/2022/DRAFT/1/Rev.9", "basis": "",
                       "dated": "2022-10-09", "originator": "Chairmanship of Kazakhstan"})
    other = foreign("documents", 2, "document-SUM-2022-DRAFT-7", "DraftRevised",
                    {"revision": 2, "symbol": "SUM/2022/DRAFT/7/Rev.2", "basis": ""})
    later = foreign("documents", 3, "document-SUM-2022-DRAFT-1", "DraftRevised",
                    {"revision": 10, "symbol": "SUM/2022/DRAFT/1/Rev.10", "basis": "",
                     "dated": "2026-12-06"}, recorded_at="2026-12-06T09:30:00+00:00")
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_annotated_agenda(client)
        before = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        for event in (revised, revised, other):
            await consumer(app, "documents").handle(event)
        await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})
        adopted_at = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        await consumer(app, "documents").handle(later)

        agenda = (await client.get(f"/meetings/{SOC}/agenda", headers=SECRETARIAT)).json()
        as_adopted = (await client.get(f"/meetings/{SOC}/agenda", params={"view": "adopted"},
                                       headers=SECRETARIAT)).json()
        items = (await client.get("/agenda-items", params={"document": "SUM/2022/DRAFT/1"},
                                  headers=SECRETARIAT)).json()["items"]
        after = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        records = await app.state.store.read_stream(f"meeting-{SOC}")

    item_3c = agenda["items"][2]["sub_items"][2]
    assert item_3c["considers"] == [
        {"symbol": "SUM/2022/DRAFT/1/Rev.9", "dated": "2022-10-09", "note": ""}]
    assert agenda["document_history"] == [{
        "item": "3(c)",
        "previous": {"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""},
        "current": {"symbol": "SUM/2022/DRAFT/1/Rev.9", "dated": "2022-10-09", "note": ""},
    }]
    assert as_adopted["items"][2]["sub_items"][2]["considers"][0]["symbol"] == (
        "SUM/2022/DRAFT/1/Rev.9")
    assert [(i["ref"], i["considers"][0]["symbol"]) for i in items] == [
        ("3(c)", "SUM/2022/DRAFT/1/Rev.9")]
    assert adopted_at == before + 2, "delivered twice, followed once; another document, nothing"
    assert after == adopted_at, "Rev.10 of December 2026 leaves the adopted agenda as it was"
    revision = next(r for r in records if r.event_type == "ConsideredDocumentRevised")
    assert revision.metadata["causation_id"] == str(revised.event_id)


async def test_kuwait_admitted_takes_part_in_later_meetings_only(database_url, servers):
    kuwait_admitted = admitted("KWT", "2022-10-12")
    kuwait = bearer(Role.MEMBER_STATE, "KWT")
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, "/meetings", SUMMIT_MEETING)
        unseen = (await client.get(f"/meetings/{SOC}", headers=kuwait)).status_code
        await deliver(app, kuwait_admitted)
        await deliver(app, kuwait_admitted)

        soc = (await client.get(f"/meetings/{SOC}", headers=kuwait)).json()
        summit = (await client.get("/meetings/SUM-2022", headers=SECRETARIAT)).json()
        members = (await client.get("/member-states", params={"on": "2022-10-12"},
                                    headers=SECRETARIAT)).json()
        later = await post(client, "/meetings", {
            **SUMMIT_MEETING, "body": "MC", "session": "MC/2024", "title": "Ministerial Council",
            "starts_on": "2024-09-26", "ends_on": "2024-09-26"})
        ministerial = (await client.get("/meetings/MC-2024", headers=SECRETARIAT)).json()

    assert unseen == 404
    assert "KWT" not in soc["participants"] and len(soc["participants"]) == 27
    assert "KWT" in summit["participants"] and len(summit["participants"]) == 28
    assert summit["version"] == 2, "admitted twice, added once"
    assert members["count"] == 28
    assert later.status_code == 201
    assert len(ministerial["participants"]) == 28


async def test_an_addendum_to_a_document_item_3c_considers_is_considered_there_too(
    database_url, servers
):
    """Before the SOC adopts its agenda, SUM/2022/DRAFT/1/Add.1 (dated 8 October) is considered
    under item 3(c) after Rev.8, and `/agenda-items?document=` finds it; a new document that is
    no addendum changes nothing, and once the agenda is adopted a later corrigendum leaves it
    as adopted."""
    def created(position: int, symbol: str, parent: str | None, dated: str) -> ForeignEvent:
        data = {"symbol": symbol, "document_type": "other", "language": "en",
                "text": {"title": {"en": "Addendum"}}, "dated": dated,
                "distribution": {"kind": "member_states_only"}}
        return foreign("documents", position, symbol, "DraftCreated",
                       data | ({"parent": parent} if parent else {}))

    addendum = created(1, "SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1", "2022-10-08")
    unrelated = created(2, "SUM/2022/DRAFT/6", None, "2022-10-08")
    later = created(3, "SUM/2022/DRAFT/1/Corr.1", "SUM/2022/DRAFT/1", "2022-10-11")
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_annotated_agenda(client)
        before = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        for event in (addendum, addendum, unrelated):
            await consumer(app, "documents").handle(event)
        await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})
        adopted_at = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        await consumer(app, "documents").handle(later)
        agenda = (await client.get(f"/meetings/{SOC}/agenda", params={"view": "adopted"},
                                   headers=SECRETARIAT)).json()
        found = (await client.get("/agenda-items", params={"document": "SUM/2022/DRAFT/1/Add.1"},
                                  headers=SECRETARIAT)).json()["items"]
        after = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()["version"]
        records = await app.state.store.read_stream(f"meeting-{SOC}")

    assert agenda["items"][2]["sub_items"][2]["considers"] == [
        {"symbol": "SUM/2022/DRAFT/1/Rev.8", "dated": "2022-10-07", "note": ""},
        {"symbol": "SUM/2022/DRAFT/1/Add.1", "dated": "2022-10-08", "note": ""},
    ]
    assert [(i["ref"], [d["symbol"] for d in i["considers"]]) for i in found] == [
        ("3(c)", ["SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/1/Add.1"])]
    assert adopted_at == before + 2, "delivered twice, followed once; another document, nothing"
    assert after == adopted_at, "a corrigendum after adoption leaves the adopted agenda as it was"
    supplemented = next(r for r in records if r.event_type == "ConsideredDocumentSupplemented")
    assert supplemented.metadata["causation_id"] == str(addendum.event_id)
    assert supplemented.data["kind"] == "addendum"
