"""The meetings service as the tests run it: the real app on a fresh database and the session's
NATS, the SOC's meeting of October 2022 from the seed, and the registry's membership events
handed to the app's consumer as they would come over NATS (the only way the meetings service
learns the member states)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, time
from typing import Any
from uuid import uuid4
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI

from services.meetings.app import create_app
from services.meetings.seed import (
    MEMBER_STATES_2022,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
    SUMMIT_MEETING,
)
from services.meetings.settings import MeetingsSettings
from shared.access import Role
from shared.consumers import ReactionContext
from shared.envelope import ForeignEvent
from tests.access import bearer, token_settings
from tests.shared.test_service_shell import running_app

SECRETARIAT = bearer(Role.SECRETARIAT)
NOWHERE = "http://127.0.0.1:9"
SOC = "SOC-2022-III"


def meetings_settings(database_url: str, nats_url: str, **overrides: Any) -> MeetingsSettings:
    values: dict[str, Any] = {
        "database_url": database_url, "nats_url": nats_url, "tokens": token_settings(),
        "consumer_retry_base_delay": 0.01, "silence_check_interval": 0.1,
        "CICA_DOCUMENTS_URL": NOWHERE, "CICA_REGISTRY_URL": NOWHERE,
    }
    values.update(overrides)
    return MeetingsSettings(**values)


_APPS: WeakKeyDictionary[httpx.AsyncClient, FastAPI] = WeakKeyDictionary()


@asynccontextmanager
async def meetings(
    database_url: str, nats_url: str, **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(create_app(meetings_settings(database_url, nats_url, **overrides))) as (
        app, client
    ):
        _APPS[client] = app
        yield app, client


def app_of(client: httpx.AsyncClient) -> FastAPI:
    """The app a client of `meetings` talks to (for the helpers that take only the client)."""
    return _APPS[client]


def as_scheduled(meeting: dict[str, Any]) -> dict[str, Any]:
    """A meeting's request body (`SOC_MEETING`) as `domain.schedule` takes it: its days and
    times parsed."""
    parsed: dict[str, Any] = dict(meeting)
    for field in ("starts_on", "ends_on"):
        parsed[field] = date.fromisoformat(meeting[field])
    for field in ("starts_at_local", "ends_at_local"):
        if meeting.get(field) is not None:
            parsed[field] = time.fromisoformat(meeting[field])
    return parsed


# ------------------------------------------------------------------------------ the registry

FOUNDED = "1999-09-14"
"""The day the tests count the founding members from (the registry's baseline)."""


def registry_event(event_type: str, data: dict[str, Any]) -> ForeignEvent:
    """One of the registry's events about `data["state"]` (stream ``state-<CODE>``), a new one
    each call."""
    return ForeignEvent(
        producer="registry", position=1, event_id=uuid4(), stream_id=f"state-{data['state']}",
        stream_type="member_state", version=1, event_type=event_type, schema_version=1,
        data=data, metadata={"correlation_id": str(uuid4())},
        recorded_at="2022-10-11T09:30:00+00:00", hash="00" * 32, prev_hash="00" * 32,
    )


def founding_member(state: str, member_since: str = FOUNDED) -> ForeignEvent:
    return registry_event("FoundingMemberRegistered", {
        "state": state, "names": {"en": state}, "member_since": member_since})


def admitted(state: str, admitted_on: str) -> ForeignEvent:
    return registry_event("MemberAdmitted", {
        "state": state, "names": {"en": state}, "admitted_on": admitted_on,
        "decision": {"decision_id": str(uuid4()), "body": "SUMMIT", "session": "SUM/2022",
                     "decided_on": admitted_on, "outcome": "adopted"}})


def suspended(state: str, effective_on: str) -> ForeignEvent:
    return registry_event("MembershipSuspended", {
        "state": state, "effective_on": effective_on, "reason": "Decision of the Summit"})


def reinstated(state: str, effective_on: str) -> ForeignEvent:
    return registry_event("MembershipReinstated", {"state": state, "effective_on": effective_on})


def withdrew(state: str, effective_on: str) -> ForeignEvent:
    return registry_event("MemberWithdrew", {"state": state, "effective_on": effective_on})


async def deliver(app: FastAPI, event: ForeignEvent) -> None:
    """Hand `event` to the app's consumer of its producer, at the producer's next position the
    first time, at the same position again (a redelivery) after."""
    consumer = next(c for c in app.state.consumers if c.producer == event.producer)
    positions = app.state.__dict__.setdefault("test_positions", {})
    position = positions.setdefault(event.event_id, consumer.position + 1)
    await consumer.handle(replace(event, position=position))


async def react_again(app: FastAPI, event: ForeignEvent) -> None:
    """Run the reaction to `event` once more, bypassing the consumer's tracking (as if the
    tracking row were lost): what it appends must be what it appended before, so nothing."""
    handler = app.state.reactions.handler(event.producer, event.event_type)
    store = app.state.store
    async with store.engine.begin() as connection:
        await handler(ReactionContext(connection=connection, store=store, cause=event), event)


async def founding_members(
    app: FastAPI, states: Iterable[str] = MEMBER_STATES_2022, member_since: str = FOUNDED
) -> list[ForeignEvent]:
    """The registry's `FoundingMemberRegistered` of each of `states` (the 27 of 2022, members
    since 1999 as far as the tests go), delivered to the app; the events delivered."""
    events = [founding_member(state, member_since) for state in states]
    for event in events:
        await deliver(app, event)
    return events


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any],
               headers: dict[str, str] | None = None, status: int = 201) -> httpx.Response:
    response = await client.post(path, json=body, headers=headers or SECRETARIAT)
    assert response.status_code == status, response.text
    return response


SUMMIT = "SUM-2022"


async def summit_with_adopted_agenda(client: httpx.AsyncClient) -> None:
    """The Summit scheduled, under a short agenda of these tests' own (not the Summit's as
    circulated): its adoption, and Kuwait's admission."""
    await post(client, "/meetings", SUMMIT_MEETING)
    await post(client, f"/meetings/{SUMMIT}/agenda", {
        "symbol": "SUM/2022/Agenda/1", "circulated_on": "2022-10-11", "items": [
            {"number": "1", "title": "Adoption of the agenda", "action": "adopt_agenda"},
            {"number": "2", "title": "Admission of Kuwait", "action": "approve",
             "considers": [{"symbol": "SUM/2022/DRAFT/4", "dated": "2022-10-05"}]}]})
    await post(client, f"/meetings/{SUMMIT}/agenda/adoption", {"adopted_on": "2022-10-12"})


async def soc_meeting_with_annotated_agenda(
    client: httpx.AsyncClient, *, founding: bool = True
) -> None:
    """The 27 (the registry's events delivered, unless they come over NATS: `founding` false),
    the SOC's meeting scheduled, its draft agenda circulated and the annotated agenda recorded
    (not adopted)."""
    if founding:
        await founding_members(app_of(client))
    await post(client, "/meetings", SOC_MEETING)
    await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
    await post(client, f"/meetings/{SOC}/agenda/annotations", SOC_AGENDA_ANNOTATED)


async def soc_meeting_with_adopted_agenda(
    client: httpx.AsyncClient, *, founding: bool = True
) -> None:
    """The 27, the SOC's meeting scheduled, its agenda circulated, annotated and adopted."""
    await soc_meeting_with_annotated_agenda(client, founding=founding)
    await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})

