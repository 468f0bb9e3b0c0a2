"""The meetings service as the tests run it: the real app on a fresh database and the session's
NATS, the SOC's meeting of October 2022 from the seed."""

from __future__ import annotations

from typing import Any

import httpx

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
from tests.access import bearer, token_settings
from tests.shared.test_service_shell import Running, running_app

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


def meetings(database_url: str, nats_url: str, **overrides: Any) -> Running:
    return running_app(create_app(meetings_settings(database_url, nats_url, **overrides)))


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


async def register_member_states(client: httpx.AsyncClient) -> None:
    """The 27 member states of 2022, members since 1999 as far as the tests go."""
    await post(client, "/member-states",
               {"states": list(MEMBER_STATES_2022), "member_since": "1999-09-14"})


async def soc_meeting_with_annotated_agenda(client: httpx.AsyncClient) -> None:
    """The 27, the SOC's meeting scheduled, its agenda drafted and annotated (not adopted)."""
    await register_member_states(client)
    await post(client, "/meetings", SOC_MEETING)
    await post(client, f"/meetings/{SOC}/agenda", SOC_AGENDA_DRAFT)
    await post(client, f"/meetings/{SOC}/agenda/revisions", SOC_AGENDA_ANNOTATED)


async def soc_meeting_with_adopted_agenda(client: httpx.AsyncClient) -> None:
    """The 27, the SOC's meeting scheduled, its agenda drafted, annotated and adopted."""
    await soc_meeting_with_annotated_agenda(client)
    await post(client, f"/meetings/{SOC}/agenda/adoption", {"adopted_on": "2022-10-10"})

