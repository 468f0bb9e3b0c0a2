"""What the delivery tests share (no tests here): the notifications app on a fresh database, a
ministry's receiver (a real HTTP server on loopback that answers as each test scripts it),
and notes verbales issued straight into the log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.notifications.events import Enclosure, NoteVerbaleIssued, NoticeKind
from shared.access import Role
from shared.eventstore import ANY_VERSION, PostgresEventStore
from tests.access import bearer
from tests.notifications import support
from tests.notifications.support import SECRETARIAT
from tests.shared.test_service_shell import Running

WEBHOOK_KEY = "a-webhook-key-for-the-tests-only-0123456789abcdef"
SUBJECT = {  # the tests' own subject line (the seed's note has none), in three languages
    "en": "Draft documents for the SOC meeting on 10-11 October 2022 in Astana",
    "ru": "Проекты документов к заседанию КСДЛ 10-11 октября 2022 года в г. Астана",
    "kk": "2022 жылғы 10-11 қазанда Астана қаласында өтетін АЛТК отырысының құжаттар жобалары",
}
TEXT = {
    "en": "The Secretariat of the Conference on Interaction and Confidence Building Measures "
    "in Asia (CICA) presents its compliments to the CICA Member States ...",
    "ru": "Секретариат Совещания по взаимодействию и мерам доверия в Азии (СВМДА) "
    "свидетельствует свое уважение государствам-членам СВМДА ...",
    "kk": "Азиядағы өзара іс-қимыл және сенім шаралары кеңесінің Хатшылығы ...",
}


# The notifications service's test settings (no other service runs, nothing to consume), its
# webhooks signed with the tests' key, sent to loopback, retried and timed out quickly.
DELIVERY: dict[str, Any] = {
    "webhook_key": WEBHOOK_KEY,
    "allow_private_endpoints": True,
    "delivery_timeout": 1.0,
    "delivery_base_delay": 0.01,
    "delivery_max_delay": 0.05,
    "delivery_poll_interval": 0.2,
    "delivery_max_attempts": 5,
}


def notifications(database_url: str, nats_url: str, **overrides: Any) -> Running:
    return support.notifications(database_url, nats_url, **{**DELIVERY, **overrides})


# ------------------------------------------------------------------------------ a receiver


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def state(self) -> str:
        return self.path.strip("/").split("/")[0]


Answer = Callable[[Received], int | None]
"""A receiver's answer to a request: a status code, or None to never answer."""


class Receiver:
    """A ministry's webhook receiver: HTTP/1.1 on 127.0.0.1, one state per path (``/KAZ``).
    It records every request and answers what `answer` says (200 by default)."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or (lambda _request: 200)
        self.received: list[Received] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()

    def url(self, state: str) -> str:
        return f"http://127.0.0.1:{self.port}/{state}"

    def to(self, state: str) -> list[Received]:
        return [r for r in self.received if r.state == state]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Received(path, headers, body)
                self.received.append(request)
                status = self.answer(request)
                if status is None:
                    await asyncio.Event().wait()  # never answers
                writer.write(f"HTTP/1.1 {status} Answer\r\ncontent-length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()


# ------------------------------------------------------------------------------ notes


def note(
    recipients: tuple[str, ...] | list[str], *, sequence: int = 1280, note_id: UUID | None = None
) -> NoteVerbaleIssued:
    """A note verbale shaped like the seed's No. SOC/OI/1280, to `recipients`."""
    return NoteVerbaleIssued(
        note_id=note_id or uuid4(),
        number=f"SOC/OI/{sequence}",
        office="SOC/OI",
        sequence=sequence,
        register_name=f"TEST-{uuid4().hex[:8]}",
        place="Astana",
        dated=date(2022, 10, 7),
        subject=SUBJECT,
        text=TEXT,
        languages=("en", "ru", "kk"),
        enclosures=(
            Enclosure(
                symbol="SUM/2022/DRAFT/1/Rev.8",
                title={
                    "en": "Draft Astana Statement on CICA Transformation (Revision 8)",
                    "ru": "Проект Астанинского заявления о трансформации СВМДА (Ревизия 8)",
                },
            ),
        ),
        pages=10,
        recipients=tuple(recipients),
        addressed_to_all_members=False,
        issued_at=datetime.now(UTC),
    )


async def issue(store: PostgresEventStore, *notes: NoteVerbaleIssued) -> None:
    """Record notes as issued, straight into the log (the delivery side only reads them), each
    in a register of its own."""
    for issued in notes:
        await store.append(
            f"register-{issued.register_name}",
            [issued],
            stream_type="note_register",
            expected_version=ANY_VERSION,
        )


async def register(
    client: httpx.AsyncClient,
    receiver: Receiver,
    state: str,
    *,
    languages: tuple[str, ...] = ("en", "ru"),
    kinds: tuple[str, ...] = (NoticeKind.NOTE_VERBALE,),
) -> dict[str, Any]:
    """Register `state`'s endpoint at the receiver, as the state itself; the answer (with its
    secret)."""
    response = await client.post(
        "/endpoints",
        headers=bearer(Role.MEMBER_STATE, state),
        json={
            "state": state,
            "url": receiver.url(state),
            "languages": list(languages),
            "kinds": list(kinds),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def history(client: httpx.AsyncClient, delivery: UUID | str) -> dict[str, Any]:
    response = await client.get(f"/deliveries/{delivery}", headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return response.json()
