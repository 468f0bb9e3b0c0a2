"""Two replicas of the service deliver side by side, each delivery attempted once; and the
delivery read model rebuilt from the log gives the live digest."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

from standardwebhooks import Webhook

from services.notifications.delivery_projections import delivery_state
from services.notifications.events import NoticeIssued, NoticeKind, delivery_id
from shared.access import Role
from shared.eventstore import NO_STREAM
from shared.projections import rebuild, replay_digest
from tests.access import bearer
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

STATES = ("KAZ", "RUS", "CHN")


async def _delivered(client, deliveries) -> bool:  # type: ignore[no-untyped-def]
    listed = (
        await client.get(
            "/deliveries", params={"status": "succeeded", "limit": 500}, headers=SECRETARIAT
        )
    ).json()["deliveries"]
    return {d["delivery_id"] for d in listed} >= {str(d) for d in deliveries}


async def test_two_replicas_attempt_each_delivery_once(database_url, servers):
    async with (
        Receiver() as receiver,
        notifications(database_url, servers.nats_url, delivery_concurrency=4) as (first, client),
        notifications(database_url, servers.nats_url, delivery_concurrency=4) as (_second, _client),
    ):
        secrets = {state: (await register(client, receiver, state))["secret"] for state in STATES}
        notes = [note(STATES, sequence=1280 + i) for i in range(12)]
        await issue(first.state.store, *notes)
        every = [delivery_id(n.note_id, s) for n in notes for s in STATES]
        await eventually(lambda: _delivered(client, every), within=60)
        attempts = Counter(
            r.stream_id
            for r in await first.state.store.read_all(after=0, limit=100000)
            if r.event_type == "DeliveryAttempted"
        )

    sent = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert sent == Counter({str(d): 1 for d in every})
    assert attempts == Counter({f"delivery-{d}": 1 for d in every})
    for request in receiver.received:
        Webhook(secrets[request.state]).verify(request.body, request.headers)


async def test_the_delivery_read_model_rebuilt_from_the_log_gives_the_live_digest(
    database_url, servers
):
    failed: list[bytes] = []

    def answer(request) -> int:  # type: ignore[no-untyped-def]
        """Kazakhstan's receiver fails the note verbale once (not the notice)."""
        if request.state == "KAZ" and b"cica.note_verbale" in request.body and not failed:
            failed.append(request.body)
            return 503
        return 200

    async with (
        Receiver(answer) as receiver,
        notifications(database_url, servers.nats_url) as (app, client),
    ):
        kaz = await register(
            client, receiver, "KAZ", kinds=(NoticeKind.NOTE_VERBALE, NoticeKind.DOCUMENT_REVISED)
        )
        await register(client, receiver, "RUS")
        chn = await register(client, receiver, "CHN")
        await client.post(
            f"/endpoints/{kaz['endpoint_id']}/secret", headers=bearer(Role.MEMBER_STATE, "KAZ")
        )
        await client.delete(f"/endpoints/{chn['endpoint_id']}", headers=SECRETARIAT)
        issued = note(STATES)
        notice_id = uuid4()
        notice = NoticeIssued(
            notice_id=notice_id,
            kind=NoticeKind.DOCUMENT_REVISED,
            subject={"en": "SUM/2022/DRAFT/1/Rev.8 circulated"},
            text={"en": "Revision 8 of the Draft Astana Statement on CICA Transformation."},
            languages=("en",),
            recipients=("KAZ", "RUS"),
            reference="SUM/2022/DRAFT/1/Rev.8",
            issued_at=datetime.now(UTC),
        )
        await issue(app.state.store, issued)
        await app.state.store.append(
            f"notice-{notice_id}", [notice], stream_type="notice", expected_version=NO_STREAM
        )
        expected = [
            delivery_id(issued.note_id, "KAZ"),
            delivery_id(issued.note_id, "RUS"),
            delivery_id(notice_id, "KAZ"),
        ]
        await eventually(lambda: _delivered(client, expected))
        await app.state.delivery_worker.close()
        head = await app.state.projection_runner.wait_until_caught_up()
        async with app.state.engine.connect() as connection:
            live = await delivery_state.digest(connection)
        replayed = await replay_digest(app.state.store, delivery_state, until=head)
        report = await rebuild(app.state.store, delivery_state)
        kaz_note = await history(client, delivery_id(issued.note_id, "KAZ"))
        rus_notice = await history(client, delivery_id(notice_id, "RUS"))

    assert replayed == live
    assert report.digest_before == report.digest_after == live
    assert kaz_note["attempts"] == 2
    assert rus_notice["status"] == "pending"  # RUS asked for notes verbales only
    notice_sent = [r for r in receiver.to("KAZ") if b"cica.document_revised" in r.body]
    assert len(notice_sent) == 1
