"""The seed's note verbale No. SOC/OI/1280, issued through the API to the 27 member states,
reaches the ministries that registered an endpoint, signed; Kazakhstan acknowledges it at the
link the webhook gives, and its delivery's history shows the receipt."""

from __future__ import annotations

from standardwebhooks import Webhook

from services.notifications.events import delivery_id
from services.notifications.seed import ISSUE_1280, MEMBER_STATES_2022
from shared.access import Role
from tests.access import bearer
from tests.notifications.support import the_27_and_the_register_of_2022
from tests.notifications.test_delivery_support import (
    SECRETARIAT,
    Receiver,
    history,
    notifications,
    register,
)
from tests.polling import eventually


async def test_note_1280_issued_to_the_27_reaches_each_registered_ministry_signed(
    database_url, servers
):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url) as (
            _app,
            client,
        ),
    ):
        await the_27_and_the_register_of_2022(client)
        kaz = await register(client, receiver, "KAZ", languages=("en", "ru", "kk"))
        rus = await register(client, receiver, "RUS", languages=("ru",))
        issued = await client.post("/notes", json=ISSUE_1280, headers=SECRETARIAT)
        assert issued.status_code == 201, issued.text
        note_id = issued.json()["note_id"]

        async def both_delivered() -> bool:
            for state in ("KAZ", "RUS"):
                if (await history(client, delivery_id(note_id, state)))["status"] != "succeeded":
                    return False
            return True

        await eventually(both_delivered)
        listed = await client.get(
            "/deliveries", params={"message_id": note_id, "limit": 100}, headers=SECRETARIAT
        )
        (to_kaz,) = receiver.to("KAZ")
        payload = Webhook(kaz["secret"]).verify(to_kaz.body, to_kaz.headers)
        receipt = await client.post(
            payload["links"]["receipt"], json={}, headers=bearer(Role.MEMBER_STATE, "KAZ")
        )
        kaz_delivery = await history(client, delivery_id(note_id, "KAZ"))

    (to_rus,) = receiver.to("RUS")
    in_russian = Webhook(rus["secret"]).verify(to_rus.body, to_rus.headers)
    assert payload["number"] == in_russian["number"] == "SOC/OI/1280"
    assert payload["languages"] == ["en", "ru", "kk"]
    assert "presents its compliments" in payload["text"]["en"]
    assert in_russian["languages"] == ["ru"]
    assert list(in_russian["text"]) == ["ru"]
    assert payload["links"]["message"] == "/notes/SOC-OI-1280?year=2022", (
        "a number repeats from one year's register to the next: the link names the year"
    )
    deliveries = listed.json()["deliveries"]
    assert sorted(d["state"] for d in deliveries) == sorted(MEMBER_STATES_2022)
    assert {d["status"] for d in deliveries if d["state"] not in ("KAZ", "RUS")} == {"pending"}
    assert receipt.status_code == 201, receipt.text
    assert [e["event"] for e in kaz_delivery["history"]] == [
        "DeliveryAttempted",
        "DeliverySucceeded",
        "ReceiptAcknowledged",
    ]
