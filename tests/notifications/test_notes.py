"""Notes verbales over HTTP: the seed's note No. SOC/OI/1280 issued from structured data in
English, Russian and Kazakh to the 27, in the register of 2022; numbers gapless and unique under
50 concurrent issues; corrections; a retried note issued once; who may read which note."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from services.notifications.seed import (
    CLOSING_1280,
    DATELINE_1280,
    ENCLOSURE_1280,
    ISSUE_1280,
    MEMBER_STATES_2022,
    OPENING_1280_EN,
    OPENING_1280_RU,
    REGISTER_2022,
)
from tests.notifications.support import (
    AUDITOR,
    SECRETARIAT,
    get,
    member,
    notifications,
    post,
    the_27_and_the_register_of_2022,
)


async def test_the_seed_note_goes_to_the_27_with_its_formulas_in_three_languages(
    database_url, servers
):
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        issued = await post(client, "/notes", ISSUE_1280)
        read = await get(client, "/notes/SOC-OI-1280")
        listed = await get(client, "/notes")
        registers = await get(client, "/registers")

    note = issued.json()
    assert issued.headers["location"] == "/notes/SOC-OI-1280"
    assert note["number"] == "SOC/OI/1280" and note["key"] == "SOC-OI-1280"
    assert note["recipients"] == list(MEMBER_STATES_2022)
    assert note["addressed_to_all_members"] is True
    assert note["languages"] == ["en", "ru", "kk"]
    assert note["subject"] == {}, "the seed's note has no subject line"
    assert (note["kind"], note["register_name"], note["pages"]) == ("issued", "2022", 10)
    assert [e["pages"] for e in note["enclosures"]] == [None, None]
    en, ru, kk = (note["text"][lang] for lang in ("en", "ru", "kk"))
    assert en.startswith(OPENING_1280_EN + "\n\n- Draft Astana Statement")
    assert ru.startswith(OPENING_1280_RU)
    for lang, text in (("en", en), ("ru", ru), ("kk", kk)):
        assert ENCLOSURE_1280[lang] in text
        assert CLOSING_1280[lang] + "\n\n" + DATELINE_1280[lang] + "\n\n" in text
    assert kk.startswith(
        "Азиядағы өзара іс-қимыл және сенім шаралары кеңесінің (Азия "
        "Кеңесінің) Хатшылығы Азия Кеңесінің мүше мемлекеттеріне өзінің зор "
        "ілтипатын білдіріп, 2022 жылғы 10-11 қазанда"
    )
    assert "жобаларын Азия Кеңесі Төрағалығының атынан жолдауды өзіне мәртебе санайды:" in kk, (
        "on behalf of the Chairmanship, before the verb, as the seed writes it"
    )
    assert read == note
    assert listed["notes"] == [note], "the read model shows the note as the log holds it"
    assert registers["registers"] == [
        {
            **REGISTER_2022,
            "first_number": 1280,
            "next_number": 1281,
            "issued": 1,
            "on_record": 0,
            "last_number": "SOC/OI/1280",
            "version": 2,
        }
    ]


async def test_fifty_concurrent_issues_take_fifty_consecutive_numbers(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        answers = await asyncio.gather(
            *(
                client.post(
                    "/notes", json={**ISSUE_1280, "note_id": str(uuid4())}, headers=SECRETARIAT
                )
                for _ in range(50)
            )
        )
        records = await app.state.store.read_stream("register-2022")

    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers][:3]
    numbers = sorted(a.json()["sequence"] for a in answers)
    assert numbers == list(range(1280, 1330))
    assert len({a.json()["note_id"] for a in answers}) == 50
    logged = [r.data["sequence"] for r in records if r.event_type == "NoteVerbaleIssued"]
    assert logged == list(range(1280, 1330)), "in the stream in the order of their numbers"


async def test_a_retried_note_is_issued_once(database_url, servers):
    note_id = str(uuid4())
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        first = await post(client, "/notes", {**ISSUE_1280, "note_id": note_id})
        again = await post(client, "/notes", {**ISSUE_1280, "note_id": note_id})
        after = await post(client, "/notes", ISSUE_1280)
        racing_id = str(uuid4())
        racing = await asyncio.gather(
            *(
                client.post(
                    "/notes", json={**ISSUE_1280, "note_id": racing_id}, headers=SECRETARIAT
                )
                for _ in range(5)
            )
        )

    assert first.json() == again.json()
    assert after.json()["number"] == "SOC/OI/1281"
    assert {r.status_code for r in racing} == {201}
    assert {r.json()["number"] for r in racing} == {"SOC/OI/1282"}, "five retries, one note"
    assert len({r.json()["issued_at"] for r in racing}) == 1


async def test_a_correction_refers_to_a_note_that_exists(database_url, servers):
    full_text = {
        "en": "The Secretariat ... has the honour to inform that the enclosure of note "
        "No. SOC/OI/1280 should read: on 12 p."
    }
    correction = {
        "office": "SOC/OI",
        "place": "Astana",
        "dated": "2022-10-08",
        "subject": {"en": "Correction to note No. SOC/OI/1280"},
        "text": full_text,
    }
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        refused = await post(
            client, "/notes", {**correction, "corrects": "SOC/OI/1280"}, status=422
        )
        await post(client, "/notes", ISSUE_1280)
        corrected = await post(client, "/notes", {**correction, "corrects": "SOC/OI/1280"})
        malformed = await post(client, "/notes", {**correction, "corrects": "1280"}, status=422)
        version = await app.state.store.stream_version("register-2022")

    assert refused.json()["type"] == "/problems/corrects-no-note"
    assert "SOC/OI/1280 was never issued" in refused.json()["detail"]
    assert corrected.json()["number"] == "SOC/OI/1281"
    assert corrected.json()["corrects"] == "SOC/OI/1280"
    assert corrected.json()["text"] == full_text and corrected.json()["languages"] == ["en"]
    assert malformed.headers["content-type"] == "application/problem+json"
    assert version == 3, "opened, 1280, 1281: the refused requests recorded nothing"


async def test_bad_notes_are_refused_and_change_nothing(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        no_register = await post(client, "/notes", {**ISSUE_1280, "office": "SOC"}, status=422)
        next_year = await post(
            client, "/notes", {**ISSUE_1280, "dated": "2023-01-09"}, status=422
        )
        both = await post(client, "/notes", {**ISSUE_1280, "text": {"en": "x"}}, status=422)
        french = await post(
            client, "/notes", {**ISSUE_1280, "content": {"body": {"fr": "transmettre"}}}, status=422
        )
        no_subject = await post(
            client, "/notes", {**ISSUE_1280, "subject": {"en": "only English"}}, status=422
        )
        renumbered = await post(
            client, "/registers", {**REGISTER_2022, "next_number": 1}, status=409
        )
        reopened = await post(client, "/registers", REGISTER_2022)
        by_a_state = await post(client, "/notes", ISSUE_1280, headers=member("KAZ"), status=403)
        version = await app.state.store.stream_version("register-2022")

    assert no_register.json()["type"] == "/problems/prefix-not-in-a-register"
    assert "No register numbers SOC notes of 2022" in no_register.json()["detail"]
    assert next_year.json()["type"] == "/problems/prefix-not-in-a-register"
    assert "fr" in french.json()["detail"]
    assert "kk" in no_subject.json()["detail"]
    assert both.headers["content-type"] == "application/problem+json"
    assert renumbered.json()["type"] == "/problems/register-open"
    assert reopened.json()["recorded"] == []
    assert by_a_state.json()["status"] == 403
    assert version == 1


async def test_a_state_reads_only_the_notes_addressed_to_it(database_url, servers):
    to_two = {
        **ISSUE_1280,
        "recipients": ["KAZ", "KWT"],
        "content": {**ISSUE_1280["content"], "items": {}, "paragraphs": {}},
    }
    async with notifications(database_url, servers.nats_url) as (_, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/notes", ISSUE_1280)
        named = (await post(client, "/notes", to_two)).json()
        kazakhstan = await get(client, "/notes", member("KAZ"))
        india = await get(client, "/notes", member("IND"), lang=["en"])
        india_reads_1281 = await get(client, "/notes/SOC-OI-1281", member("IND"), status=404)
        auditor = await get(client, "/notes", AUDITOR)
        kuwait_reads = await get(client, "/notes/SOC-OI-1281", member("KWT"))
        unknown = await get(client, "/notes/SOC-OI-9999", status=404)

    assert named["recipients"] == ["KAZ", "KWT"] and not named["addressed_to_all_members"]
    assert "the Member States concerned" in named["text"]["en"]
    assert [n["number"] for n in kazakhstan["notes"]] == ["SOC/OI/1280", "SOC/OI/1281"]
    assert [n["number"] for n in india["notes"]] == ["SOC/OI/1280"]
    assert list(india["notes"][0]["text"]) == ["en"]
    assert india_reads_1281["type"] == unknown["type"] == "/problems/not-found"
    assert len(auditor["notes"]) == 2
    assert kuwait_reads["number"] == "SOC/OI/1281"


async def test_a_note_issued_with_if_match_waits_for_no_other(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        (register,) = (await get(client, "/registers"))["registers"]
        opened = {**SECRETARIAT, "If-Match": f'"{register["version"]}"'}
        first = await client.post("/notes", json=ISSUE_1280, headers=opened)
        stale = await client.post("/notes", json=ISSUE_1280, headers=opened)
        fresh = await client.post(
            "/notes", json=ISSUE_1280, headers={**SECRETARIAT, "If-Match": first.headers["etag"]}
        )
        version = await app.state.store.stream_version("register-2022")

    assert first.status_code == 201 and first.headers["etag"] == '"2"'
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"] == "/problems/precondition-failed"
    assert fresh.status_code == 201 and fresh.json()["number"] == "SOC/OI/1281"
    assert version == 3
