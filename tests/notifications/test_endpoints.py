"""Ministry endpoints over HTTP: who may register, read, rotate and remove them; addresses
refused with nothing recorded; a secret shown once and never logged; an address that resolves
elsewhere by the time of delivery is not sent to."""

from __future__ import annotations

import asyncio

from services.notifications.events import delivery_id
from services.notifications.webhooks import NAME_REFUSED
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

KAZ = bearer(Role.MEMBER_STATE, "KAZ")
RUS = bearer(Role.MEMBER_STATE, "RUS")
MINISTRY = {
    "state": "KAZ",
    "url": "https://mfa.example.kz/cica/notes",
    "languages": ["en", "ru", "kk"],
    "kinds": ["note_verbale", "document_revised"],
}


async def _endpoint_events(store) -> list:  # type: ignore[no-untyped-def]
    return [r for r in await store.read_all(after=0, limit=10000) if r.stream_type == "endpoint"]


async def test_a_private_or_loopback_url_is_refused_and_nothing_is_recorded(database_url, servers):
    async with notifications(database_url, servers.nats_url, allow_private_endpoints=False) as (
        app,
        client,
    ):
        answers = [
            await client.post("/endpoints", headers=KAZ, json={**MINISTRY, "url": url})
            for url in (
                "https://127.0.0.1/cica",
                "https://localhost:8443/cica",
                "https://10.20.30.40/cica",
                "https://169.254.169.254/",
                "https://[::1]/cica",
                "http://mfa.example.kz/cica",
            )
        ]
        listed = await client.get("/endpoints", headers=SECRETARIAT)
        recorded = await _endpoint_events(app.state.store)

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/endpoint-address-refused"
    assert "loopback" in answers[0].json()["reason"]
    assert "https only" in answers[-1].json()["reason"]
    assert listed.json() == {"endpoints": [], "next_after": None}
    assert recorded == []


async def test_a_state_registers_its_own_endpoint_and_the_secretariat_any_states(
    database_url, servers
):
    async with notifications(database_url, servers.nats_url) as (app, client):
        own = await client.post("/endpoints", headers=KAZ, json=MINISTRY)
        for_another = await client.post("/endpoints", headers=RUS, json=MINISTRY)
        by_auditor = await client.post("/endpoints", headers=AUDITOR, json=MINISTRY)
        on_behalf = await client.post(
            "/endpoints",
            headers=SECRETARIAT,
            json={**MINISTRY, "state": "RUS", "url": "https://mid.example.ru/cica"},
        )
        kaz_sees = await client.get("/endpoints", headers=KAZ)
        all_seen = await client.get("/endpoints", headers=AUDITOR)
        rus_id = on_behalf.json()["endpoint_id"]
        kaz_reads_rus = await client.get(f"/endpoints/{rus_id}", headers=KAZ)
        rus_reads_rus = await client.get(f"/endpoints/{rus_id}", headers=RUS)
        log = await app.state.store.read_all(after=0, limit=10000)

    assert own.status_code == 201, own.text
    assert own.json()["secret"].startswith("whsec_")
    assert own.json()["secret_generation"] == 1
    assert own.headers["location"] == f"/endpoints/{own.json()['endpoint_id']}"
    assert for_another.status_code == 403
    assert for_another.json()["type"] == "/problems/acting-for-another-state"
    assert by_auditor.status_code == 403
    assert on_behalf.status_code == 201
    assert [e["state"] for e in kaz_sees.json()["endpoints"]] == ["KAZ"]
    assert sorted(e["state"] for e in all_seen.json()["endpoints"]) == ["KAZ", "RUS"]
    assert kaz_reads_rus.status_code == 404
    assert rus_reads_rus.status_code == 200
    assert "secret" not in rus_reads_rus.json()
    assert all("secret" not in e for e in all_seen.json()["endpoints"])
    secrets = {own.json()["secret"], on_behalf.json()["secret"]}
    for record in log:  # no secret ever enters the log
        assert not any(secret[6:] in str(record.data) for secret in secrets)


async def test_a_secret_is_rotated_and_an_endpoint_removed_by_its_state_only(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (_app, client):
        registered = (await client.post("/endpoints", headers=KAZ, json=MINISTRY)).json()
        path = f"/endpoints/{registered['endpoint_id']}"
        by_another = await client.post(f"{path}/secret", headers=RUS)
        rotated = await client.post(f"{path}/secret", headers=KAZ)
        stale = await client.delete(path, headers={**KAZ, "If-Match": '"1"'})
        removed = await client.delete(path, headers={**KAZ, "If-Match": '"2"'}, params={})
        after = await client.post(f"{path}/secret", headers=KAZ)
        read_after = await client.get(path, headers=KAZ)
        listed = await client.get("/endpoints", headers=KAZ)
        with_removed = await client.get(
            "/endpoints", headers=KAZ, params={"include_removed": "true"}
        )

    assert by_another.status_code == 404
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["secret_generation"] == 2
    assert rotated.json()["secret"] != registered["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    assert stale.status_code == 412
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"] is True
    assert after.status_code == 409
    assert read_after.status_code == 410, read_after.text
    assert read_after.json()["type"] == "/problems/endpoint-gone"
    assert listed.json() == {"endpoints": [], "next_after": None}
    assert [e["removed"] for e in with_removed.json()["endpoints"]] == [True]


async def test_without_a_webhook_key_no_endpoint_is_registered(database_url, servers):
    async with notifications(database_url, servers.nats_url, webhook_key=None) as (app, client):
        answer = await client.post("/endpoints", headers=KAZ, json=MINISTRY)
        recorded = await _endpoint_events(app.state.store)

    assert answer.status_code == 503
    assert answer.json()["type"] == "/problems/webhook-key-missing"
    assert recorded == []


async def test_a_name_that_resolves_to_a_private_address_at_delivery_is_not_sent_to(
    database_url, servers, monkeypatch
):
    """DNS rebinding: public when registered, loopback when the note goes out."""
    resolved = {"address": "8.8.8.8"}
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host, port, **options):  # type: ignore[no-untyped-def]
        if host == "mfa.example.kz":
            return [(2, 1, 6, "", (resolved["address"], port))]
        return await real(host, port, **options)

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    async with (
        Receiver() as receiver,
        notifications(
            database_url, servers.nats_url, allow_private_endpoints=False, delivery_max_attempts=2
        ) as (app, client),
    ):
        registered = await client.post("/endpoints", headers=KAZ, json=MINISTRY)
        resolved["address"] = "127.0.0.1"
        issued = note(["KAZ"])
        await issue(app.state.store, issued)
        delivery = delivery_id(issued.note_id, "KAZ")

        async def dead_lettered() -> bool:
            return (await history(client, delivery))["status"] == "dead_lettered"

        await eventually(dead_lettered)
        dead = await history(client, delivery)

    assert registered.status_code == 201, registered.text
    reasons = [e["data"]["reason"] for e in dead["history"] if e["event"] == "DeliveryFailed"]
    # Refused in words that do not say what the name resolved to (the service's log does).
    assert reasons == [f"address refused: {NAME_REFUSED}"] * 2
    assert "127.0.0.1" not in str(dead)
    assert receiver.received == []


async def test_an_endpoint_gets_what_is_issued_after_it_and_earlier_notes_by_redelivery(
    database_url, servers
):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        earlier = note(["KAZ"], sequence=1279)
        await issue(app.state.store, earlier)
        await register(client, receiver, "KAZ")
        later = note(["KAZ"], sequence=1280)
        await issue(app.state.store, later)

        async def status(issued) -> str:  # type: ignore[no-untyped-def]
            return (await history(client, delivery_id(issued.note_id, "KAZ")))["status"]

        async def later_delivered() -> bool:
            return await status(later) == "succeeded"

        await eventually(later_delivered)
        before_redelivery = await status(earlier)
        requeued = await client.post(
            f"/deliveries/{delivery_id(earlier.note_id, 'KAZ')}/redeliver", headers=SECRETARIAT
        )

        async def earlier_delivered() -> bool:
            return await status(earlier) == "succeeded"

        await eventually(earlier_delivered)

    assert before_redelivery == "pending"
    assert requeued.status_code == 202, requeued.text
    assert [r.headers["webhook-id"] for r in receiver.to("KAZ")] == [
        str(delivery_id(later.note_id, "KAZ")),
        str(delivery_id(earlier.note_id, "KAZ")),
    ]
