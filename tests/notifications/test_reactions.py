"""The notifications service following the documents service, the meetings service and the
registry: a revision of a document distributed to member states is told to every member, of a
restricted one to the states it names and no other; an adopted agenda is told to the members;
Kuwait's admission makes it a recipient of the next note to all (28) dated from its admission
on, and is itself told to the 28; an addendum or a corrigendum is told to its parent's readers
who may read it; a circulation to exactly its addressees. A redelivered event records nothing
new."""

from __future__ import annotations

from dataclasses import replace

from services.notifications.seed import ISSUE_1280, MEMBER_STATES_2022
from tests.notifications.support import (
    adopted,
    created,
    deliver,
    foreign,
    get,
    kuwait_admitted,
    member,
    notifications,
    post,
    react_again,
    revised,
    the_27_and_the_register_of_2022,
)


async def test_a_revision_is_told_to_the_documents_readers_only(database_url, servers):
    members_only = {"kind": "member_states_only", "states": []}
    restricted = {"kind": "restricted", "states": ["KAZ", "KWT"]}
    statement, papers = "SUM/2022/DRAFT/1", "SUM/2022/DRAFT/4"
    rev9 = revised(statement, 9)
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, created(statement, members_only))
        await deliver(app, created(papers, restricted))
        await deliver(app, rev9)
        await deliver(app, rev9)
        await react_again(app, rev9)
        await deliver(app, revised(papers, 1))
        await deliver(app, revised("SUM/2022/DRAFT/99", 1))  # never heard of
        notices = (await get(client, "/notices"))["notices"]
        india = (await get(client, "/notices", member("IND")))["notices"]
        kuwait = (await get(client, "/notices", member("KWT")))["notices"]
        noted = await app.state.store.read_stream("document-SUM/2022/DRAFT/4")
        stream = await app.state.store.read_stream("notice-" + notices[0]["notice_id"])

    assert [(n["kind"], n["reference"]) for n in notices] == [
        ("document_revised", "SUM/2022/DRAFT/1/Rev.9"),
        ("document_revised", "SUM/2022/DRAFT/4/Rev.1"),
    ]
    assert notices[0]["recipients"] == list(MEMBER_STATES_2022)
    assert notices[1]["recipients"] == ["KAZ", "KWT"]
    assert notices[0]["languages"] == ["en", "ru", "kk"]
    assert [n["reference"] for n in india] == ["SUM/2022/DRAFT/1/Rev.9"]
    assert [n["reference"] for n in kuwait] == ["SUM/2022/DRAFT/4/Rev.1"]
    assert [r.event_type for r in noted] == ["DocumentDistributionNoted"]
    assert noted[0].data["distribution"] == restricted
    assert len(stream) == 1, "delivered twice, told once"
    assert stream[0].metadata["causation_id"] == str(rev9.event_id)


async def test_a_changed_distribution_changes_who_is_told(database_url, servers):
    symbol = "SUM/2022/DRAFT/5"
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, created(symbol, {"kind": "restricted", "states": ["KAZ"]}))
        await deliver(
            app,
            foreign(
                "documents",
                symbol,
                "DistributionChanged",
                {"distribution": {"kind": "general", "states": []}, "reason": "derestricted"},
            ),
        )
        await deliver(app, revised(symbol, 1))
        notices = (await get(client, "/notices"))["notices"]

    assert notices[0]["recipients"] == list(MEMBER_STATES_2022)


def scheduled(meeting_id: str, participants: list[str]) -> object:
    return foreign(
        "meetings",
        f"meeting-{meeting_id}",
        "MeetingScheduled",
        {"meeting_id": meeting_id, "participants": participants},
        stream_type="meeting",
    )


async def test_an_adopted_agenda_is_told_to_the_meetings_participants(database_url, servers):
    soc, swg = adopted("SOC-2022-III", "SOC/2022-III/Agenda/2"), adopted("SWG-2022-5", "SWG/A/1")
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, scheduled("SWG-2022-5", ["KAZ", "IND"]))
        for meeting_id in ("SWG-2022-5", "SUM-2022"):
            await deliver(
                app,
                foreign(
                    "meetings",
                    f"meeting-{meeting_id}",
                    "ParticipantAdded",
                    {"state": "KWT", "member_since": "2022-10-12"},
                    stream_type="meeting",
                ),
            )
        for event in (soc, soc, swg):
            await deliver(app, event)
        await react_again(app, soc)
        notices = (await get(client, "/notices", kind="agenda_adopted"))["notices"]
        unknown_meeting = await app.state.store.read_stream("meeting-SUM-2022")

    assert [n["reference"] for n in notices] == ["SOC/2022-III/Agenda/2", "SWG/A/1"]
    assert notices[0]["recipients"] == list(MEMBER_STATES_2022), "unknown meeting: the members"
    assert notices[1]["recipients"] == ["IND", "KAZ", "KWT"]
    assert "SOC-2022-III" in notices[0]["text"]["en"]
    assert unknown_meeting == [], "a participant of a meeting never heard of is not noted"


def participant_removed(meeting_id: str, state: str, change: str, on: str) -> object:
    """The meetings service's `ParticipantRemoved`: `state` suspended or withdrawn on `on`,
    before the meeting starts."""
    return foreign(
        "meetings",
        f"meeting-{meeting_id}",
        "ParticipantRemoved",
        {"state": state, "change": change, "effective_on": on},
        stream_type="meeting",
    )


async def test_a_participant_removed_is_not_told_of_the_agenda(database_url, servers):
    """India, suspended before the meeting starts, is removed from it by the meetings service:
    the agenda's adoption goes to China and Kazakhstan only, and India cannot read it. A
    removal delivered twice, or from a meeting never heard of, notes nothing more."""
    removed = participant_removed("SWG-2022-5", "IND", "suspended", "2022-10-01")
    agenda = adopted("SWG-2022-5", "SWG/A/1")
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, scheduled("SWG-2022-5", ["CHN", "IND", "KAZ"]))
        await deliver(app, removed)
        await deliver(app, removed)
        await react_again(app, removed)
        await deliver(app, participant_removed("SUM-2022", "IND", "suspended", "2022-10-01"))
        await deliver(app, agenda)
        notices = (await get(client, "/notices", kind="agenda_adopted"))["notices"]
        notice = f"/notices/{notices[0]['notice_id']}"
        read = {state: await get(client, notice, member(state), status=200 if ok else 404)
                for state, ok in (("CHN", True), ("KAZ", True), ("IND", False))}
        india = (await get(client, "/notices", member("IND"), kind="agenda_adopted"))["notices"]
        noted = await app.state.store.read_stream("meeting-SWG-2022-5")
        unknown_meeting = await app.state.store.read_stream("meeting-SUM-2022")

    assert [n["reference"] for n in notices] == ["SWG/A/1"]
    assert notices[0]["recipients"] == ["CHN", "KAZ"]
    assert read["CHN"]["reference"] == read["KAZ"]["reference"] == "SWG/A/1"
    assert india == [], "a removed participant is not told"
    assert [r.data["participants"] for r in noted] == [["CHN", "IND", "KAZ"], ["CHN", "KAZ"]]
    assert noted[1].metadata["causation_id"] == str(removed.event_id)
    assert unknown_meeting == [], "a removal from a meeting never heard of is not noted"


def circulated_agenda(meeting_id: str, event_type: str, symbol: str, on: str) -> object:
    return foreign(
        "meetings",
        f"meeting-{meeting_id}",
        event_type,
        {"symbol": symbol, "circulated_on": on, "items": []},
        stream_type="meeting",
    )


async def test_a_circulated_draft_agenda_is_told_to_the_meetings_participants(
    database_url, servers
):
    first = circulated_agenda("SWG-2022-5", "AgendaDrafted", "SWG/2022-5/Agenda/1", "2022-09-07")
    annotated = circulated_agenda("SWG-2022-5", "AgendaRevised", "SWG/2022-5/Agenda/2",
                                  "2022-10-07")
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, scheduled("SWG-2022-5", ["KAZ", "IND"]))
        for event in (first, first, annotated):
            await deliver(app, event)
        await react_again(app, annotated)
        notices = (await get(client, "/notices", kind="agenda_circulated"))["notices"]
        india = (await get(client, "/notices", member("IND")))["notices"]
        china = (await get(client, "/notices", member("CHN")))["notices"]

    assert [(n["reference"], n["recipients"]) for n in notices] == [
        ("SWG/2022-5/Agenda/1", ["IND", "KAZ"]), ("SWG/2022-5/Agenda/2", ["IND", "KAZ"])]
    assert notices[0]["subject"]["en"] == (
        "Draft agenda SWG/2022-5/Agenda/1 circulated on 2022-09-07")
    assert list(notices[0]["text"]) == ["en"], "English only: no unmarked translation"
    assert {n["reference"] for n in india} >= {"SWG/2022-5/Agenda/1", "SWG/2022-5/Agenda/2"}
    assert not any(n["kind"] == "agenda_circulated" for n in china), "not a participant"


async def test_an_annotated_agenda_is_told_to_the_meetings_participants_as_its_own_document(
    database_url, servers
):
    """SOC/2022-III/Agenda/2 annotates Agenda/1, which "was not revised": its participants are
    told of it under its own symbol, once, however often the event comes."""
    first = circulated_agenda("SOC-2022-III", "AgendaDrafted", "SOC/2022-III/Agenda/1",
                              "2022-09-07")
    annotated = foreign(
        "meetings", "meeting-SOC-2022-III", "AgendaAnnotated",
        {"symbol": "SOC/2022-III/Agenda/2", "circulated_on": "2022-10-07",
         "title": "Draft annotated agenda", "annotates": "SOC/2022-III/Agenda/1",
         "annotations": [{"ref": "1", "text": "The draft agenda has been circulated"}]},
        stream_type="meeting",
    )  # fmt: skip
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, scheduled("SOC-2022-III", ["KAZ", "IND"]))
        for event in (first, annotated, annotated):
            await deliver(app, event)
        await react_again(app, annotated)
        notices = (await get(client, "/notices", kind="agenda_circulated"))["notices"]

    assert [(n["reference"], n["recipients"]) for n in notices] == [
        ("SOC/2022-III/Agenda/1", ["IND", "KAZ"]), ("SOC/2022-III/Agenda/2", ["IND", "KAZ"])]
    assert notices[1]["subject"]["en"] == (
        "Draft annotated agenda SOC/2022-III/Agenda/2 circulated on 2022-10-07")
    assert notices[0]["text"]["en"] == (
        "The draft agenda SOC/2022-III/Agenda/1 of the meeting SOC-2022-III was circulated on "
        "2022-09-07."), "the seed says it was circulated, not by whom"


async def test_kuwait_admitted_receives_the_next_note_to_all_28(database_url, servers):
    admitted = kuwait_admitted()
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        before = (await post(client, "/notes", ISSUE_1280)).json()
        kuwait_before = await get(client, "/notes/SOC-OI-1280", member("KWT"), status=404)
        await deliver(app, admitted)
        await deliver(app, admitted)
        await react_again(app, admitted)
        after = (await post(client, "/notes", {**ISSUE_1280, "dated": "2022-10-12"})).json()
        members = await get(client, "/member-states")
        notices = (await get(client, "/notices", member("KWT")))["notices"]
        membership = await app.state.store.read_stream("member-states")

    assert len(before["recipients"]) == 27 and "KWT" not in before["recipients"]
    assert kuwait_before["status"] == 404
    assert len(after["recipients"]) == 28 and "KWT" in after["recipients"]
    assert members["count"] == 28
    assert {"state": "KWT", "member_since": "2022-10-12", "admitted": True, "status": "member",
            "status_since": "2022-10-12"} in members["member_states"]
    assert [n["kind"] for n in notices] == ["member_admitted"]
    assert len(notices[0]["recipients"]) == 28
    assert notices[0]["subject"]["en"] == "Kuwait admitted to CICA"
    assert [r.event_type for r in membership] == ["MembershipNoted"] * 28, "admitted once"
    assert membership[-1].data == {"state": "KWT", "change": "admitted",
                                   "effective_on": "2022-10-12"}
    assert membership[-1].metadata["causation_id"] == str(admitted.event_id)


def issued(symbol: str, parent: str, distribution: dict) -> object:
    """The documents service's `DraftCreated` of an addendum or corrigendum of `parent`."""
    event = created(symbol, distribution)
    return replace(event, data=event.data | {"parent": parent})


async def test_an_addendum_or_corrigendum_is_told_to_its_parents_readers(database_url, servers):
    members_only = {"kind": "member_states_only", "states": []}
    statement, papers = "SUM/2022/DRAFT/1", "SUM/2022/DRAFT/4"
    addendum = issued(f"{statement}/Add.1", statement, members_only)
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, created(statement, members_only))
        await deliver(app, created(papers, {"kind": "restricted", "states": ["KAZ", "KWT"]}))
        await deliver(app, addendum)
        await deliver(app, addendum)
        await react_again(app, addendum)
        await deliver(app, issued(f"{papers}/Corr.1", papers, members_only))
        await deliver(app, issued(f"{statement}/Add.2", statement,
                                  {"kind": "restricted", "states": ["IND"]}))
        await deliver(app, issued("SUM/2022/DRAFT/99/Add.1", "SUM/2022/DRAFT/99", members_only))
        await deliver(app, created("SUM/2022/DRAFT/6", members_only))  # no addendum
        notices = (await get(client, "/notices"))["notices"]
        china = (await get(client, "/notices", member("CHN")))["notices"]
        noted = await app.state.store.read_stream(f"document-{statement}/Add.1")
        stream = await app.state.store.read_stream("notice-" + notices[0]["notice_id"])

    assert [(n["kind"], n["reference"]) for n in notices] == [
        ("addendum_issued", "SUM/2022/DRAFT/1/Add.1"),
        ("corrigendum_issued", "SUM/2022/DRAFT/4/Corr.1"),
        ("addendum_issued", "SUM/2022/DRAFT/1/Add.2"),
    ]
    assert notices[0]["recipients"] == list(MEMBER_STATES_2022)
    assert notices[1]["recipients"] == ["KAZ"], "the parent's readers who may read it"
    assert notices[2]["recipients"] == ["IND"]
    assert notices[0]["languages"] == ["en"]
    assert notices[0]["text"] == {
        "en": "The Secretariat issued SUM/2022/DRAFT/1/Add.1, an addendum to SUM/2022/DRAFT/1."}
    assert notices[1]["text"]["en"].endswith("a corrigendum to SUM/2022/DRAFT/4.")
    assert [n["reference"] for n in china] == ["SUM/2022/DRAFT/1/Add.1"]
    assert [r.event_type for r in noted] == ["DocumentDistributionNoted"]
    assert len(stream) == 1, "delivered twice, told once"
    assert stream[0].metadata["causation_id"] == str(addendum.event_id)


def circulated(symbol: str, dated: str, addressees: dict, note: str | None = None) -> object:
    base = symbol.split("/Rev.")[0]
    return foreign(
        "documents",
        base,
        "DocumentCirculated",
        {"document": base, "revision": 8, "symbol": symbol, "languages": ["en", "ru", "kk"],
         "dated": dated, "addressees": addressees, "note": note},
    )


async def test_a_circulation_is_told_to_exactly_its_addressees(database_url, servers):
    """Rev.8, circulated to the member states on 7 October 2022 under note SOC/OI/1280, is told
    to the 27 (Kuwait, admitted on the 12th, was not among them); one circulated on the 13th
    to the 28; a restricted text to the states it lists only."""
    rev8 = circulated("SUM/2022/DRAFT/1/Rev.8", "2022-10-07",
                      {"kind": "member_states_only", "states": []}, note="SOC/OI/1280")
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, kuwait_admitted())
        await deliver(app, rev8)
        await deliver(app, rev8)
        await react_again(app, rev8)
        await deliver(app, circulated("SUM/2022/DRAFT/2/Rev.3", "2022-10-13",
                                      {"kind": "general", "states": []}))
        await deliver(app, circulated("SUM/2022/DRAFT/4/Rev.1", "2022-10-13",
                                      {"kind": "restricted", "states": ["KAZ", "KWT"]}))
        notices = (await get(client, "/notices", kind="document_circulated"))["notices"]
        india = (await get(client, "/notices", member("IND"), kind="document_circulated"))
        stream = await app.state.store.read_stream("notice-" + notices[0]["notice_id"])

    assert [(n["reference"], len(n["recipients"])) for n in notices] == [
        ("SUM/2022/DRAFT/1/Rev.8", 27), ("SUM/2022/DRAFT/2/Rev.3", 28),
        ("SUM/2022/DRAFT/4/Rev.1", 2)]
    assert "KWT" not in notices[0]["recipients"] and "KWT" in notices[1]["recipients"]
    assert notices[2]["recipients"] == ["KAZ", "KWT"]
    assert notices[0]["subject"] == {"en": "SUM/2022/DRAFT/1/Rev.8 circulated on 2022-10-07"}
    assert notices[0]["text"] == {
        "en": "The Secretariat circulated SUM/2022/DRAFT/1/Rev.8 on 2022-10-07, in English, "
              "Russian and Kazakh, under note verbale No. SOC/OI/1280."}
    assert [n["reference"] for n in india["notices"]] == [
        "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/2/Rev.3"]
    assert len(stream) == 1, "delivered twice, told once"
    assert stream[0].metadata["causation_id"] == str(rev8.event_id)
