"""The notifications service as the tests run it: the real app on a fresh database and the
session's NATS, with the seed's note No. SOC/OI/1280 and the 27 member states of 2022, which it
learns as it always does: from the registry's `FoundingMemberRegistered` events, handed to its
consumer (`deliver`). The registry's other membership events are made by `membership_event`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from uuid import uuid4
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.seed import KUWAIT_ADMITTED, MEMBER_STATES_2022, REGISTER_2022
from services.notifications.settings import NotificationsSettings
from shared.access import Role
from shared.consumers import ReactionContext
from shared.envelope import ForeignEvent
from tests.access import bearer, token_settings
from tests.shared.test_service_shell import Running, running_app

SECRETARIAT = bearer(Role.SECRETARIAT)
AUDITOR = bearer(Role.AUDITOR)
NOWHERE = "http://127.0.0.1:9"


def member(state: str) -> dict[str, str]:
    return bearer(Role.MEMBER_STATE, state)


def notifications_settings(
    database_url: str, nats_url: str, **overrides: Any
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "tokens": token_settings(),
        "consumer_retry_base_delay": 0.01,
        "consumers_enabled": False,
        "CICA_DOCUMENTS_URL": NOWHERE,
        "CICA_REGISTRY_URL": NOWHERE,
        "CICA_MEETINGS_URL": NOWHERE,
    }
    values.update(overrides)
    return NotificationsSettings(**values)


_APPS: WeakKeyDictionary[httpx.AsyncClient, FastAPI] = WeakKeyDictionary()
"""The app behind each running client, for the helpers that take a client only."""


def notifications(database_url: str, nats_url: str, **overrides: Any) -> Running:
    @asynccontextmanager
    async def started() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        settings = notifications_settings(database_url, nats_url, **overrides)
        async with running_app(create_app(settings)) as (app, client):
            _APPS[client] = app
            yield app, client

    return started()


def app_of(client: httpx.AsyncClient) -> FastAPI:
    return _APPS[client]


async def post(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    status: int = 201,
) -> httpx.Response:
    response = await client.post(path, json=body, headers=headers or SECRETARIAT)
    assert response.status_code == status, response.text
    return response


async def get(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str] | None = None,
    status: int = 200,
    **params: Any,
) -> Any:
    response = await client.get(path, params=params, headers=headers or SECRETARIAT)
    assert response.status_code == status, response.text
    return response.json()


FOUNDED = "1999-09-14"


def membership_event(event_type: str, state: str, **data: Any) -> ForeignEvent:
    """One of the registry's membership events of `state` (stream ``state-<CODE>``), a new
    event each call: ``FoundingMemberRegistered`` (``member_since``), ``MemberAdmitted``
    (``names``, ``admitted_on``), ``MembershipSuspended``, ``MembershipReinstated``,
    ``MemberWithdrew`` (``effective_on``)."""
    return foreign("registry", f"state-{state}", event_type, {"state": state, **data},
                   stream_type="member_state")


def founding_member(state: str, member_since: str = FOUNDED) -> ForeignEvent:
    return membership_event("FoundingMemberRegistered", state, names={"en": state},
                            member_since=member_since)


async def the_27(app: FastAPI) -> None:
    """The registry's founding members, the 27 member states of 2022, as its consumer gets
    them."""
    for state in MEMBER_STATES_2022:
        await deliver(app, founding_member(state))


async def the_27_and_the_register_of_2022(client: httpx.AsyncClient) -> None:
    """The 27, and the register of 2022 (SOC/OI and IO, its next note numbered 1280)."""
    await the_27(app_of(client))
    await post(client, "/registers", REGISTER_2022)


def foreign(
    producer: str,
    stream_id: str,
    event_type: str,
    data: dict[str, Any],
    stream_type: str = "document",
) -> ForeignEvent:
    return ForeignEvent(
        producer=producer,
        position=1,
        event_id=uuid4(),
        stream_id=stream_id,
        stream_type=stream_type,
        version=1,
        event_type=event_type,
        schema_version=1,
        data=data,
        metadata={"correlation_id": str(uuid4())},
        recorded_at="2022-10-11T09:30:00+00:00",
        hash="00" * 32,
        prev_hash="00" * 32,
    )


TEXT = {"title": {"en": "Draft"}, "paragraphs": []}


def created(symbol: str, distribution: dict[str, Any]) -> ForeignEvent:
    return foreign(
        "documents",
        symbol,
        "DraftCreated",
        {
            "symbol": symbol,
            "document_type": "statement",
            "language": "en",
            "text": TEXT,
            "distribution": distribution,
            "author": "Secretariat",
        },
    )


def revised(symbol: str, revision: int) -> ForeignEvent:
    return foreign(
        "documents",
        symbol,
        "DraftRevised",
        {
            "revision": revision,
            "symbol": f"{symbol}/Rev.{revision}",
            "text": TEXT,
            "incorporates": [],
            "basis": "",
        },
    )


def adopted(meeting_id: str, symbol: str) -> ForeignEvent:
    return foreign(
        "meetings",
        f"meeting-{meeting_id}",
        "AgendaAdopted",
        {"adopted_on": "2022-10-10", "symbol": symbol, "items": [], "amended": False},
        stream_type="meeting",
    )


def kuwait_admitted() -> ForeignEvent:
    """The registry's `MemberAdmitted` of Kuwait (the seed's), a new event each call."""
    return foreign(
        "registry", "state-KWT", "MemberAdmitted", KUWAIT_ADMITTED, stream_type="member_state"
    )


def consumer(app: FastAPI, producer: str):  # type: ignore[no-untyped-def]
    return next(c for c in app.state.consumers if c.producer == producer)


async def deliver(app: FastAPI, event: ForeignEvent) -> None:
    """Hand `event` to the app's consumer of its producer, at the producer's next position the
    first time, at the same position again (a redelivery) after."""
    handler = consumer(app, event.producer)
    positions = app.state.__dict__.setdefault("test_positions", {})
    position = positions.setdefault(event.event_id, handler.position + 1)
    await handler.handle(replace(event, position=position))


async def react_again(app: FastAPI, event: ForeignEvent) -> None:
    """Run the reaction to `event` once more, bypassing the consumer's tracking (as if the
    tracking row were lost): what it appends must be what it appended before, so nothing."""
    handler = app.state.reactions.handler(event.producer, event.event_type)
    store = app.state.store
    async with store.engine.begin() as connection:
        await handler(ReactionContext(connection=connection, store=store, cause=event), event)
