"""The pull side and the receipts: a ministry reads what is addressed to its state in order,
from a cursor, in the languages it asks for; it acknowledges receipt for its own state only,
once; the Secretariat sees who has acknowledged a note and who has not."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from services.notifications.events import EndpointRegistered, NoticeKind, delivery_id
from services.notifications.seed import ISSUE_1280, MEMBER_STATES_2022
from tests.notifications.support import (
    AUDITOR,
    SECRETARIAT,
    deliver,
    get,
    kuwait_admitted,
    member,
    notifications,
    post,
    the_27_and_the_register_of_2022,
)

KAZ = member("KAZ")


async def test_a_ministry_pulls_its_inbox_page_by_page_in_its_languages(database_url, servers):
    admitted = kuwait_admitted()
    to_india = {**ISSUE_1280, "recipients": ["IND"]}
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        first = (await post(client, "/notes", ISSUE_1280)).json()
        await post(client, "/notes", to_india)
        await deliver(app, admitted)
        third = (await post(client, "/notes", {**ISSUE_1280, "dated": "2022-10-13"})).json()
        page1 = await get(client, "/inbox", KAZ, limit=1)
        page2 = await get(client, "/inbox", KAZ, after=page1["next_after"], limit=10, lang=["ru"])
        page3 = await get(client, "/inbox", KAZ, after=page2["next_after"])
        for_kuwait = await get(client, "/inbox", member("KWT"))
        by_secretariat = await get(client, "/inbox", SECRETARIAT, state="KAZ")
        no_state = await get(client, "/inbox", SECRETARIAT, status=422)
        another_state = await get(client, "/inbox", KAZ, state="IND", status=403)

    assert [i["number"] for i in page1["items"]] == ["SOC/OI/1280"]
    assert page1["items"][0]["message_id"] == first["note_id"]
    assert page1["items"][0]["delivery_id"] == str(delivery_id(first["note_id"], "KAZ"))
    assert set(page1["items"][0]["text"]) == {"en", "ru", "kk"}
    assert (page1["items"][0]["pages"], page1["items"][0]["subject"]) == (10, {}), (
        "its pages in all, and no subject: the seed's note has none"
    )
    assert [(i["kind"], i["number"]) for i in page2["items"]] == [
        ("member_admitted", None),
        ("note_verbale", "SOC/OI/1282"),
    ]
    assert all(list(i["text"]) == ["ru"] == i["languages"] for i in page2["items"])
    assert page2["items"][1]["message_id"] == third["note_id"]
    assert page3["items"] == [] and page3["next_after"] == page2["next_after"]
    assert [i["kind"] for i in for_kuwait["items"]] == ["member_admitted", "note_verbale"]
    assert by_secretariat["items"] == [
        *page1["items"],
        *(
            {
                **i,
                "text": by_secretariat["items"][n + 1]["text"],
                "subject": by_secretariat["items"][n + 1]["subject"],
                "languages": by_secretariat["items"][n + 1]["languages"],
            }
            for n, i in enumerate(page2["items"])
        ),
    ]
    assert no_state["type"] == "/problems/state-not-named"
    assert another_state["type"] == "/problems/acting-for-another-state"


async def test_receipts_are_given_for_ones_own_state_once_and_seen_by_the_secretariat(
    database_url, servers
):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        note = (await post(client, "/notes", ISSUE_1280)).json()
        path = "/notes/SOC-OI-1280/receipt"
        first = await post(client, path, {"reference": "MFA KAZ 12-1/3456"}, headers=KAZ)
        again = await post(client, path, {"reference": "another"}, headers=KAZ, status=200)
        racing = await asyncio.gather(
            *(client.post(path, json={}, headers=member("IND")) for _ in range(5))
        )
        for_india = await post(client, path, {"state": "IND"}, headers=KAZ, status=403)
        kuwait = await post(client, path, {}, headers=member("KWT"), status=404)
        on_behalf = await post(client, path, {"state": "CHN"}, headers=SECRETARIAT)
        receipts = await get(client, "/notes/SOC-OI-1280/receipts")
        audited = await get(client, "/notes/SOC-OI-1280/receipts", AUDITOR)
        by_a_state = await get(client, "/notes/SOC-OI-1280/receipts", KAZ, status=403)
        inbox = await get(client, "/inbox", KAZ)
        kaz_stream = await app.state.store.read_stream(
            f"delivery-{delivery_id(note['note_id'], 'KAZ')}"
        )
        ind_stream = await app.state.store.read_stream(
            f"delivery-{delivery_id(note['note_id'], 'IND')}"
        )

    assert first.json()["state"] == "KAZ" and first.json()["reference"] == "MFA KAZ 12-1/3456"
    assert first.json()["delivery_id"] == str(delivery_id(note["note_id"], "KAZ"))
    assert again.json() == first.json(), "the first receipt answers"
    assert sorted(r.status_code for r in racing) == [200, 200, 200, 200, 201]
    assert len({r.json()["acknowledged_at"] for r in racing}) == 1
    assert for_india.json()["type"] == "/problems/acting-for-another-state"
    assert kuwait.json()["type"] == "/problems/not-found"
    assert on_behalf.json()["state"] == "CHN"
    assert [r["state"] for r in receipts["acknowledged"]] == ["CHN", "IND", "KAZ"]
    assert receipts["acknowledged"][2]["reference"] == "MFA KAZ 12-1/3456"
    assert receipts["recipients"] == 27 and len(receipts["not_acknowledged"]) == 24
    assert "KAZ" not in receipts["not_acknowledged"]
    assert set(receipts["not_acknowledged"]) < set(MEMBER_STATES_2022)
    assert audited == receipts
    assert by_a_state["status"] == 403
    assert inbox["items"][0]["acknowledged_at"] == first.json()["acknowledged_at"]
    assert [r.event_type for r in kaz_stream] == ["ReceiptAcknowledged"]
    assert [r.event_type for r in ind_stream] == ["ReceiptAcknowledged"]


async def test_a_notice_is_acknowledged_like_a_note(database_url, servers):
    admitted = kuwait_admitted()
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, admitted)
        (notice,) = (await get(client, "/notices"))["notices"]
        path = f"/notices/{notice['notice_id']}"
        read = await get(client, path, member("KWT"), lang=["kk"])
        await post(client, f"{path}/receipt", {}, headers=member("KWT"))
        receipts = await get(client, f"{path}/receipts")

    assert read["subject"] == {"kk": "Кувейт Азия Кеңесіне қабылданды"}
    assert receipts["reference"] == "KWT" and receipts["recipients"] == 28
    assert [r["state"] for r in receipts["acknowledged"]] == ["KWT"]


async def test_without_lang_the_inbox_speaks_the_languages_of_the_states_endpoints(
    database_url, servers
):
    endpoint = uuid4()
    registered = EndpointRegistered(
        endpoint_id=endpoint,
        state="KAZ",
        url="https://mfa.example.kz/cica/notes",
        languages=("kk", "ru"),
        kinds=(NoticeKind.NOTE_VERBALE,),
    )
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/notes", ISSUE_1280)
        await post(
            client,
            "/notes",
            {
                **ISSUE_1280,
                "content": None,
                "text": {"en": "English only."},
                "subject": {"en": "English only"},
            },
        )
        await app.state.store.append(
            f"endpoint-{endpoint}", [registered], stream_type="endpoint", expected_version=0
        )
        kazakhstan = await get(client, "/inbox", KAZ)
        asked = await get(client, "/inbox", KAZ, lang=["en"])
        india = await get(client, "/inbox", member("IND"))

    assert [i["languages"] for i in kazakhstan["items"]] == [["ru", "kk"], ["en"]]
    assert list(kazakhstan["items"][0]["text"]) == ["ru", "kk"]
    assert [i["languages"] for i in asked["items"]] == [["en"], ["en"]]
    assert india["items"][0]["languages"] == ["en", "ru", "kk"], "no endpoint: all"
