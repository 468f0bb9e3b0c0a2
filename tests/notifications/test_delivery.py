"""Notes verbales delivered by webhook to ministries' receivers (real HTTP servers on loopback),
each delivery verified as a ministry would, with the `standardwebhooks` library."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.events import delivery_id
from shared.access import Role
from tests.access import AUDITOR, bearer
from tests.notifications.test_delivery_support import (
    SECRETARIAT,
    Receiver,
    history,
    issue,
    note,
    notifications,
    register,
)
from tests.polling import eventually


def _events(delivery: dict) -> list[str]:
    return [entry["event"] for entry in delivery["history"]]


async def _status(client, delivery) -> str:  # type: ignore[no-untyped-def]
    return (await history(client, delivery))["status"]


async def test_every_delivery_verifies_and_a_tampered_body_does_not(database_url, servers):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        kaz = await register(client, receiver, "KAZ", languages=("en", "ru"))
        rus = await register(client, receiver, "RUS", languages=("ru",))
        issued = note(["KAZ", "RUS", "CHN"])  # China has no endpoint
        await issue(app.state.store, issued)
        await eventually(lambda: _all_succeeded(client, issued.note_id, ["KAZ", "RUS"]))
        unsent = await history(client, delivery_id(issued.note_id, "CHN"))

    assert sorted(r.state for r in receiver.received) == ["KAZ", "RUS"]
    for request, endpoint, languages in (
        (receiver.to("KAZ")[0], kaz, ["en", "ru"]),
        (receiver.to("RUS")[0], rus, ["ru"]),
    ):
        state = endpoint["state"]
        payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
        assert request.headers["webhook-id"] == str(delivery_id(issued.note_id, state))
        assert payload["type"] == "cica.note_verbale"
        assert payload["number"] == "SOC/OI/1280"
        assert payload["recipient"] == state
        assert payload["languages"] == languages
        assert sorted(payload["subject"]) == sorted(languages)
        assert payload["enclosures"][0]["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
        assert payload["enclosures"][0]["pages"] is None
        assert payload["pages"] == 10, "the note's pages in all"

        tampered = json.loads(request.body)
        tampered["text"]["ru"] = "Секретариат ничего не направляет."
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoint["secret"]).verify(
                json.dumps(tampered, ensure_ascii=False), request.headers
            )
    # One state's secret does not verify another's delivery.
    with pytest.raises(WebhookVerificationError):
        Webhook(kaz["secret"]).verify(receiver.to("RUS")[0].body, receiver.to("RUS")[0].headers)
    assert unsent["status"] == "pending" and unsent["history"] == []


async def _all_succeeded(client, note_id, states) -> bool:  # type: ignore[no-untyped-def]
    for state in states:
        if await _status(client, delivery_id(note_id, state)) != "succeeded":
            return False
    return True


async def test_a_receiver_failing_three_times_gets_the_note_four_times_then_it_is_delivered(
    database_url, servers
):
    answers = iter([503, 500, 502])
    async with (
        Receiver(lambda _r: next(answers, 200)) as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        endpoint = await register(client, receiver, "KAZ")
        issued = note(["KAZ"])
        await issue(app.state.store, issued)
        delivery = delivery_id(issued.note_id, "KAZ")
        await eventually(lambda: _all_succeeded(client, issued.note_id, ["KAZ"]))
        delivered = await history(client, delivery)

    requests = receiver.to("KAZ")
    assert len(requests) == 4
    assert {r.headers["webhook-id"] for r in requests} == {str(delivery)}
    for request in requests:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert delivered["attempts"] == 4
    assert _events(delivered) == [
        "DeliveryAttempted",
        "DeliveryFailed",
        "DeliveryAttempted",
        "DeliveryFailed",
        "DeliveryAttempted",
        "DeliveryFailed",
        "DeliveryAttempted",
        "DeliverySucceeded",
    ]
    failures = [e["data"] for e in delivered["history"] if e["event"] == "DeliveryFailed"]
    assert [f["status_code"] for f in failures] == [503, 500, 502]
    assert all(f["next_attempt_at"] is not None for f in failures)
    assert [e["data"]["attempt"] for e in delivered["history"]] == [1, 1, 2, 2, 3, 3, 4, 4]


async def test_a_receiver_that_never_answers_is_dead_lettered_then_delivered_by_hand(
    database_url, servers
):
    answering = False
    async with (
        Receiver(lambda _r: 200 if answering else None) as receiver,
        notifications(
            database_url, servers.nats_url, delivery_timeout=0.3, delivery_max_attempts=3
        ) as (app, client),
    ):
        endpoint = await register(client, receiver, "KAZ")
        issued = note(["KAZ"])
        await issue(app.state.store, issued)
        delivery = delivery_id(issued.note_id, "KAZ")
        await eventually(lambda: _has_status(client, delivery, "dead_lettered"))
        dead = await history(client, delivery)
        listed = await client.get(
            "/deliveries", params={"status": "dead_lettered"}, headers=AUDITOR
        )

        by_the_state = await client.post(
            f"/deliveries/{delivery}/redeliver", headers=bearer(Role.MEMBER_STATE, "KAZ")
        )
        answering = True
        requeued = await client.post(
            f"/deliveries/{delivery}/redeliver",
            headers=SECRETARIAT,
            json={"reason": "The ministry's receiver is back."},
        )
        await eventually(lambda: _has_status(client, delivery, "succeeded"))
        delivered = await history(client, delivery)
        again = await client.post(f"/deliveries/{delivery}/redeliver", headers=SECRETARIAT)

    assert dead["attempts"] == 3
    assert _events(dead)[-2:] == ["DeliveryFailed", "DeliveryDeadLettered"]
    assert [e["data"]["reason"] for e in dead["history"] if e["event"] == "DeliveryFailed"] == [
        "timeout"
    ] * 3
    assert [d["delivery_id"] for d in listed.json()["deliveries"]] == [str(delivery)]
    assert by_the_state.status_code == 403
    assert requeued.status_code == 202, requeued.text
    assert _events(delivered)[-3:] == ["DeliveryRequeued", "DeliveryAttempted", "DeliverySucceeded"]
    assert delivered["attempts"] == 1
    requests = receiver.to("KAZ")
    assert len(requests) == 4
    for request in requests:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def _has_status(client, delivery, status) -> bool:  # type: ignore[no-untyped-def]
    return await _status(client, delivery) == status


async def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one(
    database_url, servers
):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        first = await register(client, receiver, "KAZ")
        path = f"/endpoints/{first['endpoint_id']}/secret"
        second = (
            await client.post(
                path,
                headers=bearer(Role.MEMBER_STATE, "KAZ"),
                json={"previous_valid_for_hours": 24},
            )
        ).json()
        during = note(["KAZ"], sequence=1281)
        await issue(app.state.store, during)
        await eventually(lambda: _all_succeeded(client, during.note_id, ["KAZ"]))

        third = (
            await client.post(path, headers=SECRETARIAT, json={"previous_valid_for_hours": 0})
        ).json()
        after = note(["KAZ"], sequence=1282)
        await issue(app.state.store, after)
        await eventually(lambda: _all_succeeded(client, after.note_id, ["KAZ"]))

    assert [
        first["secret_generation"],
        second["secret_generation"],
        third["secret_generation"],
    ] == [1, 2, 3]
    assert len({first["secret"], second["secret"], third["secret"]}) == 3
    signed_during, signed_after = receiver.to("KAZ")
    assert len(signed_during.headers["webhook-signature"].split(" ")) == 2
    for secret in (first["secret"], second["secret"]):
        Webhook(secret).verify(signed_during.body, signed_during.headers)
    Webhook(third["secret"]).verify(signed_after.body, signed_after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(second["secret"]).verify(signed_after.body, signed_after.headers)


async def test_a_member_state_reads_its_own_deliveries_only(database_url, servers):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        await register(client, receiver, "KAZ")
        issued = note(["KAZ", "RUS"])
        await issue(app.state.store, issued)
        await eventually(lambda: _all_succeeded(client, issued.note_id, ["KAZ"]))
        own = await client.get(
            "/deliveries",
            params={"message_id": str(issued.note_id)},
            headers=bearer(Role.MEMBER_STATE, "KAZ"),
        )
        everyone = await client.get(
            "/deliveries", params={"message_id": str(issued.note_id)}, headers=SECRETARIAT
        )
        other = await client.get(
            f"/deliveries/{delivery_id(issued.note_id, 'RUS')}",
            headers=bearer(Role.MEMBER_STATE, "KAZ"),
        )

    assert [d["state"] for d in own.json()["deliveries"]] == ["KAZ"]
    assert own.json()["deliveries"][0]["number"] == "SOC/OI/1280"
    assert sorted(d["state"] for d in everyone.json()["deliveries"]) == ["KAZ", "RUS"]
    assert other.status_code == 404
