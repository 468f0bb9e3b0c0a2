"""The registry as the tests run it: the real app on a fresh database and the session's NATS,
the 27 member states of October 2022 (members on 7 October 2022, the note verbale SOC/OI/1280's
date, their joining days unknown), and a meetings service's log that records decisions
(`DecisionRecorded`, the contract of services/meetings/events.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

import httpx

from services.registry.app import create_app
from services.registry.seed import KUWAIT, MEMBER_STATES_2022, MEMBERS_ON
from services.registry.settings import RegistrySettings
from shared.envelope import ForeignEvent, from_cloudevent, to_cloudevent
from shared.eventstore import (
    ANY_VERSION,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    RecordedEvent,
    create_engine,
)
from tests.access import bearer, token_settings
from tests.shared.test_service_shell import Running, running_app

SECRETARIAT = bearer("secretariat")

meetings_types = EventTypes()


@meetings_types.register("DecisionRecorded", version=1)
class DecisionRecorded(DomainEvent):
    """The contract of the meetings service's decisions (stream ``CICA_MEETINGS``, stream type
    ``meeting``), as the registry relies on it: written here from the contract, not imported
    from the meetings service, so that these tests pin what the registry consumes."""

    decision_id: UUID
    meeting_id: str
    body: Literal["SWG", "SOC", "MC", "SUMMIT"]
    session: str
    decided_on: date
    outcome: Literal["approved", "recommended_for_adoption", "adopted",
                     "continue_consideration", "deferred", "noted"]
    subject: dict[str, Any]
    text: str


NOWHERE = "http://127.0.0.1:9"  # no producer feed answers here: the tests' NATS is the road


def registry_settings(database_url: str, nats_url: str, **overrides: Any) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url,
        nats_url=nats_url,
        tokens=token_settings(),
        consumer_retry_base_delay=0.01,
        CICA_MEETINGS_URL=NOWHERE,
        **overrides,
    )


def registry(database_url: str, nats_url: str, **overrides: Any) -> Running:
    return running_app(create_app(registry_settings(database_url, nats_url, **overrides)))


async def register_known_members(
    client: httpx.AsyncClient, *, member_on: date = MEMBERS_ON,
    path: str = "/member-states/known-members",
) -> httpx.Response:
    """The 27 member states of October 2022, registered by the Secretariat as the seed shows
    them: members on 7 October 2022 (the note verbale SOC/OI/1280), no joining day given."""
    response = await client.post(
        path,
        json={"members": [
            {"state": code, "names": names, "member_on": member_on.isoformat()}
            for code, names in MEMBER_STATES_2022.items()
        ]},
        headers=SECRETARIAT,
    )
    assert response.status_code == 201, response.text
    return response


register_founding_members = register_known_members
"""The former name, which tests of other services import."""


async def apply_for_membership(
    client: httpx.AsyncClient, state: str, names: dict[str, str], *, applied_on: str, note: str
) -> httpx.Response:
    """`state`'s application, circulated by note verbale `note` of `applied_on`, recorded by the
    Secretariat: the answer, whatever it is."""
    return await client.post(
        f"/member-states/{state}/application",
        json={"names": names, "applied_on": applied_on,
              "application_note": {"number": note, "dated": applied_on}},
        headers=SECRETARIAT,
    )


async def kuwait_applies(client: httpx.AsyncClient) -> httpx.Response:
    """Kuwait's application, circulated by note verbale SOC/OI/88 of 3 February 2022."""
    response = await apply_for_membership(
        client, "KWT", KUWAIT, applied_on="2022-02-03", note="SOC/OI/88"
    )
    assert response.status_code == 201, response.text
    return response


async def soc_recommends(client: httpx.AsyncClient, state: str = "KWT") -> httpx.Response:
    """The SOC's recommendation of the state's admission on 11 October 2022, recorded by
    request (as the annotated agenda's item 2 has it for Kuwait)."""
    response = await client.post(
        f"/member-states/{state}/recommendation",
        json={"decision": {"decision_id": str(uuid4()), "body": "SOC",
                           "session": "SOC/2022-III", "decided_on": "2022-10-11",
                           "outcome": "recommended_for_adoption"}},
        headers=SECRETARIAT,
    )
    assert response.status_code == 201, response.text
    return response


async def members(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/members", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["member_states"])
    return [m["code"] for m in body["member_states"]]


def decision(
    body: str, outcome: str, decided_on: str, subject: dict[str, str], *, session: str,
    decision_id: UUID | None = None,
) -> DecisionRecorded:
    return DecisionRecorded(
        decision_id=decision_id or uuid4(),
        meeting_id=f"{body}-{decided_on}",
        body=body,
        session=session,
        decided_on=date.fromisoformat(decided_on),
        outcome=outcome,
        subject=subject,
        text=f"{body} {outcome} {subject}",
    )


def soc_recommends_kuwait() -> DecisionRecorded:
    return decision("SOC", "recommended_for_adoption", "2022-10-11",
                    {"kind": "membership_application", "state": "KWT"}, session="SOC/2022-III")


def summit_admits(state: str = "KWT") -> DecisionRecorded:
    return decision("SUMMIT", "adopted", "2022-10-12",
                    {"kind": "membership_application", "state": state}, session="SUM/2022")


@dataclass
class Meetings:
    """A meetings service's own log: the producer of the decisions the registry follows."""

    store: PostgresEventStore

    @classmethod
    async def make(cls, new_database: Callable[[], Awaitable[str]]) -> Meetings:
        return cls(PostgresEventStore(create_engine(await new_database()), meetings_types))

    async def record(self, *decisions: DecisionRecorded, meeting: str = "m-2022") -> list[int]:
        positions = []
        for event in decisions:
            result = await self.store.append(
                f"meeting-{meeting}", [event], stream_type="meeting",
                expected_version=ANY_VERSION,
            )
            positions.append(result.last_position)
        return positions

    async def as_delivered(self) -> list[ForeignEvent]:
        """Every event of the log as a consumer receives it off the wire."""
        records: list[RecordedEvent] = await self.store.read_all(after=0)
        return [from_cloudevent(to_cloudevent(r, "meetings")) for r in records]

    async def close(self) -> None:
        await self.store.close()
        await self.store.engine.dispose()

