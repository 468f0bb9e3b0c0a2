"""The notifications service killed (SIGKILL) in the middle of a round of deliveries: after the
restart every note reaches every ministry, none twice where the receiver had answered 200, and
the attempts left with no outcome (receivers that never answered) are sent again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from uuid import UUID

from standardwebhooks import Webhook

from services.notifications import commands as endpoints
from services.notifications.events import NoticeKind, delivery_id, event_types
from shared.eventstore import PostgresEventStore, create_engine
from shared.system.devservers import free_port
from tests.access import SECRET
from tests.notifications.support import NOWHERE
from tests.notifications.test_delivery_support import (
    WEBHOOK_KEY,
    Receiver,
    issue,
    note,
)
from tests.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
ANSWERING = ("KAZ", "RUS", "CHN")
SILENT = ("IND", "TUR", "MNG")
"""Receivers that do not answer until the service has been killed."""


def _start(database_url: str, nats_url: str, log: Path, *, timeout: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "CICA_NOTIFICATIONS_DATABASE_URL": database_url,
        "CICA_NOTIFICATIONS_NATS_URL": nats_url,
        "CICA_JWT_SECRET": SECRET,
        "CICA_NOTIFICATIONS_WEBHOOK_KEY": WEBHOOK_KEY,
        "CICA_NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS": "true",
        "CICA_NOTIFICATIONS_CONSUMERS_ENABLED": "false",
        "CICA_NOTIFICATIONS_DELIVERY_TIMEOUT": str(timeout),
        "CICA_NOTIFICATIONS_DELIVERY_BASE_DELAY": "0.01",
        "CICA_NOTIFICATIONS_DELIVERY_MAX_DELAY": "0.05",
        "CICA_NOTIFICATIONS_DELIVERY_POLL_INTERVAL": "0.2",
        "CICA_REGISTRY_URL": NOWHERE,
        "CICA_DOCUMENTS_URL": NOWHERE,
        "CICA_MEETINGS_URL": NOWHERE,
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "services.notifications.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def _outcomes(store: PostgresEventStore) -> dict[str, Counter]:
    """Per delivery stream, how many of each delivery event it holds."""
    streams: dict[str, Counter] = {}
    for record in await store.read_all(after=0, limit=100000):
        if record.stream_type == "delivery":
            streams.setdefault(record.stream_id, Counter())[record.event_type] += 1
    return streams


async def test_killed_in_the_middle_of_a_round_it_delivers_everything_and_nothing_twice(
    database_url, servers, tmp_path
):
    store = PostgresEventStore(create_engine(database_url), event_types)
    phase = {"killed": False}
    process: subprocess.Popen | None = None
    log = tmp_path / "service.log"
    try:
        async with Receiver(
            lambda r: 200 if r.state in ANSWERING or phase["killed"] else None
        ) as receiver:
            secrets = {}
            for state in ANSWERING + SILENT:
                written = await endpoints.register_endpoint(
                    store=store,
                    key=WEBHOOK_KEY.encode(),
                    allow_private=True,
                    endpoint_id=UUID(int=len(secrets) + 1),
                    state=state,
                    url=receiver.url(state),
                    languages=["en", "ru"],
                    kinds=[NoticeKind.NOTE_VERBALE],
                )
                secrets[state] = written.secret
            notes = [note(ANSWERING + SILENT, sequence=1280 + i) for i in range(3)]
            await issue(store, *notes)

            process = _start(database_url, servers.nats_url, log, timeout=60.0)

            async def mid_round() -> bool:
                counts = Counter()
                for events in (await _outcomes(store)).values():
                    counts.update(events)
                # An attempt is recorded before its request goes out: the silent receivers
                # must have the requests too, or a kill between the two (seen once under a
                # loaded CI run) leaves one that they never got, and "twice" cannot hold.
                received = {r.headers.get("webhook-id") for r in receiver.received}
                silent_got_theirs = all(
                    str(delivery_id(n.note_id, s)) in received for n in notes for s in SILENT
                )
                return (
                    counts["DeliverySucceeded"] == 9
                    and counts["DeliveryAttempted"] == 18
                    and silent_got_theirs
                )

            await eventually(mid_round, within=60)
            process.send_signal(signal.SIGKILL)
            assert await asyncio.to_thread(process.wait, 30) == -signal.SIGKILL
            before = await _outcomes(store)
            phase["killed"] = True
            while_down = note(ANSWERING + SILENT, sequence=1283)
            await issue(store, while_down)
            notes.append(while_down)

            process = _start(database_url, servers.nats_url, log, timeout=1.0)
            every = [delivery_id(n.note_id, s) for n in notes for s in ANSWERING + SILENT]

            async def all_delivered() -> bool:
                outcomes = await _outcomes(store)
                return all(
                    outcomes.get(f"delivery-{d}", Counter())["DeliverySucceeded"] == 1
                    for d in every
                )

            await eventually(all_delivered, within=90)
            process.terminate()
            await asyncio.to_thread(process.wait, 30)
            after = await _outcomes(store)
    except BaseException:
        print(log.read_text(errors="replace")[-20000:])  # the service's own account
        raise
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            await asyncio.to_thread(process.wait, 30)
        await store.close()
        await store.engine.dispose()

    # Killed mid-round: the answering receivers had answered, the silent ones had not.
    for n in notes[:3]:
        for state in ANSWERING:
            assert before[f"delivery-{delivery_id(n.note_id, state)}"]["DeliverySucceeded"] == 1
        for state in SILENT:
            events = before[f"delivery-{delivery_id(n.note_id, state)}"]
            assert events == Counter({"DeliveryAttempted": 1})
    # Every webhook verifies; each answered one was received once; each unanswered one once
    # more after the restart; the note issued while the service was down once.
    sent = Counter(r.headers["webhook-id"] for r in receiver.received)
    for request in receiver.received:
        Webhook(secrets[request.state]).verify(request.body, request.headers)
    for n in notes:
        for state in ANSWERING + SILENT:
            delivery = delivery_id(n.note_id, state)
            unanswered = n is not while_down and state in SILENT
            assert sent[str(delivery)] == (2 if unanswered else 1), (n.number, state)
            assert after[f"delivery-{delivery}"]["DeliverySucceeded"] == 1
            assert after[f"delivery-{delivery}"]["DeliveryAttempted"] == (2 if unanswered else 1)
