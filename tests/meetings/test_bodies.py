"""The bodies' names come from the registry, not from code: the meetings service records the
registry's `BodyEstablished` and `BodyRenamed` in its own log (`BodyNamed`) and names a body on
a day as the registry did that day. The Summit is the "Meeting of Heads of State or Government"
until 12 October 2022 and the "Council of Heads of State or Government" from 13 October 2022
(OP5 of the Astana Statement, as `cica demo` renames it); a registry event recorded twice records
nothing new; one that lacks a field of the contract is parked and records nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest

from services.meetings import bodies
from services.meetings.bodies import BodyNamed, UnreadableRegistryFactError
from services.meetings.reactions import reactions
from services.registry.seed import RENAMINGS
from shared.competence import powers_of
from shared.consumers import ReactionContext
from shared.envelope import ForeignEvent
from shared.system.demo.scenario import BODIES as DEMO_BODIES
from tests.meetings.support import SECRETARIAT, meetings
from tests.polling import eventually
from tests.registry.support import SECRETARIAT as REGISTRY_SECRETARIAT
from tests.registry.support import registry
from tests.shared.transport import delete_streams

MEETING_OF_HEADS, COUNCIL_OF_HEADS = RENAMINGS["SUMMIT"]
SOC_NAMES = DEMO_BODIES["SOC"][0]
ESTABLISHED_ON = "2002-06-04"
RENAMED_ON = "2022-10-13"  # the Summit's adoption of the Astana Statement, as the demo has it
ASTANA_STATEMENT_ADOPTED = {
    "decision_id": str(uuid4()), "body": "SUMMIT", "session": "SUM/2022",
    "decided_on": RENAMED_ON, "outcome": "adopted",
}  # fmt: skip


# ------------------------------------------------------------------------------ the rules


def named(
    body: str, names: dict[str, str], effective_on: str, fact: bodies.Fact = "established"
) -> BodyNamed:
    return BodyNamed(
        body=body, names=names, effective_on=date.fromisoformat(effective_on), fact=fact,
        registry_event_id=uuid4(),
    )  # fmt: skip


def names_by_code(history: list[BodyNamed], day: str) -> dict[str, dict[str, str]]:
    return {
        b.code: b.names for b in bodies.names_on(bodies.bodies(history), date.fromisoformat(day))
    }


def test_a_renaming_applies_from_its_effective_date_and_not_before():
    history = [
        named("SUMMIT", MEETING_OF_HEADS, ESTABLISHED_ON),
        named("SOC", SOC_NAMES, ESTABLISHED_ON),
        named("SUMMIT", COUNCIL_OF_HEADS, RENAMED_ON, "renamed"),
    ]

    assert names_by_code(history, "2002-06-03") == {}, "not named yet: not listed"
    assert names_by_code(history, "2022-10-12") == {"SOC": SOC_NAMES, "SUMMIT": MEETING_OF_HEADS}
    assert names_by_code(history, "2022-10-13")["SUMMIT"] == COUNCIL_OF_HEADS
    [soc, summit] = bodies.names_on(bodies.bodies(history), date(2022, 10, 14))
    assert (summit.code, summit.name, summit.since) == (
        "SUMMIT",
        COUNCIL_OF_HEADS["en"],
        date(2022, 10, 13),
    )
    assert (soc.name, soc.names, soc.since) == (SOC_NAMES["en"], SOC_NAMES, date(2002, 6, 4))


def test_the_names_in_force_are_the_latest_effective_not_the_latest_recorded():
    """A renaming recorded after another but effective before it (a correction of the record)
    applies between the two dates only; of two effective the same day, the later recorded."""
    history = [
        named("SUMMIT", MEETING_OF_HEADS, ESTABLISHED_ON),
        named("SUMMIT", COUNCIL_OF_HEADS, RENAMED_ON, "renamed"),
        named("SUMMIT", {"en": "Summit"}, "2022-10-01", "renamed"),
        named("SUMMIT", {"en": "CICA Summit"}, "2022-10-01", "renamed"),
    ]

    assert names_by_code(history, "2022-09-30")["SUMMIT"] == MEETING_OF_HEADS
    assert names_by_code(history, "2022-10-05")["SUMMIT"] == {"en": "CICA Summit"}
    assert names_by_code(history, "2022-10-13")["SUMMIT"] == COUNCIL_OF_HEADS


def test_a_registry_event_is_recorded_once():
    told = bodies.read_registry_naming("BodyRenamed", {
        "body": "SUMMIT", "names": COUNCIL_OF_HEADS, "effective_on": RENAMED_ON,
        "decision": ASTANA_STATEMENT_ADOPTED, "proposal_id": None,
    })  # fmt: skip
    event_id = uuid4()
    first = bodies.record_naming(bodies.Bodies(), told, fact="renamed", registry_event_id=event_id)
    assert first is not None
    assert (first.body, first.names, first.effective_on, first.registry_event_id) == (
        "SUMMIT",
        COUNCIL_OF_HEADS,
        date(2022, 10, 13),
        event_id,
    )
    assert first.decision is not None
    assert str(first.decision.decision_id) == ASTANA_STATEMENT_ADOPTED["decision_id"]

    again = bodies.record_naming(
        bodies.bodies([first]), told, fact="renamed", registry_event_id=event_id
    )
    assert again is None


GOOD = {"body": "SUMMIT", "names": COUNCIL_OF_HEADS, "effective_on": RENAMED_ON}


@pytest.mark.parametrize(("data", "field"), [
    ({k: v for k, v in GOOD.items() if k != "effective_on"}, "effective_on"),
    ({k: v for k, v in GOOD.items() if k != "names"}, "names"),
    ({k: v for k, v in GOOD.items() if k != "body"}, "body"),
    ({**GOOD, "effective_on": "13 October 2022"}, "effective_on"),
    ({**GOOD, "names": "Council of Heads of State or Government"}, "names"),
    ({**GOOD, "names": {}}, "names"),
    ({**GOOD, "names": {"en": 5}}, "names.en"),
    ({**GOOD, "names": {"en": ""}}, "names.en"),
    ({**GOOD, "names": {"en": "x" * 301}}, "names.en"),
    ({**GOOD, "names": {"english": "Summit"}}, "names.english"),
    ({**GOOD, "names": {f"{a}{b}": "n" for a in "ab" for b in "abcdefghijklm"}}, "names"),
    ({**GOOD, "body": "summit; drop"}, "body"),
    ({**GOOD, "decision": {"decision_id": "not a uuid"}}, "decision.decision_id"),
])  # fmt: skip
def test_a_registry_fact_lacking_a_field_or_holding_a_malformed_one_is_refused(data, field):
    with pytest.raises(
        UnreadableRegistryFactError, match=rf"BodyRenamed cannot be read: .*{field}"
    ):
        bodies.read_registry_naming("BodyRenamed", data)


def test_fields_the_registry_adds_later_are_ignored():
    told = bodies.read_registry_naming("BodyRenamed", {**GOOD, "proposal_id": None, "new": 1})
    assert told.names == COUNCIL_OF_HEADS


# ------------------------------------------------------------------------------ the service


def from_registry(position: int, event_type: str, data: dict[str, Any]) -> ForeignEvent:
    return ForeignEvent(
        producer="registry", position=position, event_id=uuid4(),
        stream_id=f"body-{data.get('body', 'X')}", stream_type="body", version=1,
        event_type=event_type, schema_version=1, data=data, metadata={},
        recorded_at="2022-10-13T09:00:00+00:00", hash="00" * 32, prev_hash="00" * 32,
    )  # fmt: skip


def established(position: int, body: str, names: dict[str, str]) -> ForeignEvent:
    return from_registry(
        position, "BodyEstablished", {"body": body, "names": names, "effective_on": ESTABLISHED_ON}
    )


def renamed(position: int, **data: Any) -> ForeignEvent:
    return from_registry(position, "BodyRenamed", {
        "body": "SUMMIT", "names": COUNCIL_OF_HEADS, "effective_on": RENAMED_ON,
        "decision": ASTANA_STATEMENT_ADOPTED, "proposal_id": None, **data,
    })  # fmt: skip


def consumer(app, producer: str):  # type: ignore[no-untyped-def]
    return next(c for c in app.state.consumers if c.producer == producer)


async def bodies_on(client, day: str) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = await client.get("/bodies", params={"on": day}, headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    assert response.json()["on"] == day
    return {b["code"]: b for b in response.json()["bodies"]}


async def test_the_summit_is_named_as_the_registry_renamed_it_from_13_october_2022(
    database_url, servers
):
    summit, soc, renaming = (
        established(1, "SUMMIT", MEETING_OF_HEADS),
        established(2, "SOC", SOC_NAMES),
        renamed(3),
    )
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        before = await bodies_on(client, "2022-10-14")
        for event in (summit, soc, renaming):
            await consumer(app, "registry").handle(event)
        await consumer(app, "registry").handle(renaming)  # redelivered: tracked, skipped
        async with app.state.store.engine.begin() as connection:  # and past the tracking
            handler = reactions.handler("registry", "BodyRenamed")
            await handler(ReactionContext(connection, app.state.store, renaming), renaming)

        on_the_12th = await bodies_on(client, "2022-10-12")
        on_the_14th = await bodies_on(client, "2022-10-14")
        before_establishment = await bodies_on(client, "2002-06-03")
        records = await app.state.store.read_stream(bodies.STREAM)

    assert before == {}, "the registry has named no body yet: none is listed"
    assert on_the_12th["SUMMIT"]["name"] == MEETING_OF_HEADS["en"]
    assert on_the_12th["SUMMIT"]["since"] == ESTABLISHED_ON
    assert on_the_14th["SUMMIT"]["name"] == COUNCIL_OF_HEADS["en"]
    assert on_the_14th["SUMMIT"]["names"] == COUNCIL_OF_HEADS
    assert on_the_14th["SUMMIT"]["since"] == RENAMED_ON
    assert on_the_14th["SOC"] == {
        "code": "SOC", "name": SOC_NAMES["en"], "names": dict(sorted(SOC_NAMES.items())),
        "since": ESTABLISHED_ON, "meets": True, "recommends_to": ["MC", "SUMMIT"],
        "powers": [{"subject": row.subject, "outcome": row.outcome, "power": row.power.value,
                    "source": row.source} for row in powers_of("SOC")],
    }  # fmt: skip
    assert set(on_the_14th) == {"SOC", "SUMMIT"}, "the MC and the SWG: not named by the registry"
    assert before_establishment == {}
    assert [(r.event_type, r.data["body"], r.data["fact"]) for r in records] == [
        ("BodyNamed", "SUMMIT", "established"),
        ("BodyNamed", "SOC", "established"),
        ("BodyNamed", "SUMMIT", "renamed"),
    ], "the renaming, delivered three times, is recorded once"
    last = records[-1]
    assert last.data["registry_event_id"] == str(renaming.event_id)
    assert last.data["decision"]["decision_id"] == ASTANA_STATEMENT_ADOPTED["decision_id"]
    assert last.metadata["causation_id"] == str(renaming.event_id)
    assert last.event_id == uuid5(renaming.event_id, f"{bodies.STREAM}/0")


async def test_a_renaming_lacking_its_effective_date_is_parked_and_names_nothing(
    database_url, servers
):
    broken = renamed(2, effective_on=None)
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        for event in (
            established(1, "SUMMIT", MEETING_OF_HEADS),
            broken,
            established(3, "SOC", SOC_NAMES),
        ):
            await consumer(app, "registry").handle(event)

        parked = (await client.get("/admin/parked", headers=SECRETARIAT)).json()["parked"]
        today = await bodies_on(client, "2030-01-01")
        records = await app.state.store.read_stream(bodies.STREAM)

    assert [(p["position"], p["event_type"], UUID(p["event_id"])) for p in parked] == [
        (2, "BodyRenamed", broken.event_id)
    ]
    assert "UnreadableRegistryFactError" in parked[0]["error"]
    assert "effective_on" in parked[0]["error"]
    assert today["SUMMIT"]["name"] == MEETING_OF_HEADS["en"], "the broken renaming named nothing"
    assert set(today) == {"SUMMIT", "SOC"}, "the events after it went on"
    assert len(records) == 2


# ------------------------------------------------------------------------------ over NATS


@pytest.fixture
async def fresh_streams(servers):
    """The registry's stream is shared by the session: start from none, leave none."""
    await delete_streams(servers.nats_url, "meetings", "registry")
    yield
    await delete_streams(servers.nats_url, "meetings", "registry")


async def test_the_registrys_renaming_reaches_the_meetings_service_over_nats(
    fresh_streams, database_url, servers, new_database
):
    registry_db = await new_database()
    async with (
        registry(registry_db, servers.nats_url) as (_, registry_client),
        meetings(database_url, servers.nats_url) as (_, client),
    ):
        for code in ("SUMMIT", "SOC"):
            names = MEETING_OF_HEADS if code == "SUMMIT" else SOC_NAMES
            response = await registry_client.post(
                "/bodies",
                json={"code": code, "names": names, "effective_on": ESTABLISHED_ON},
                headers=REGISTRY_SECRETARIAT,
            )
            assert response.status_code == 201, response.text
        response = await registry_client.post(
            "/bodies/SUMMIT/renamings",
            json={"names": COUNCIL_OF_HEADS, "effective_on": RENAMED_ON,
                  "decision": ASTANA_STATEMENT_ADOPTED},
            headers=REGISTRY_SECRETARIAT)  # fmt: skip
        assert response.status_code == 201, response.text

        async def renamed_on_the_14th() -> bool:
            summit = (await bodies_on(client, "2022-10-14")).get("SUMMIT", {})
            return summit.get("name") == COUNCIL_OF_HEADS["en"]

        await eventually(renamed_on_the_14th, within=30)
        on_the_12th = await bodies_on(client, "2022-10-12")
        on_the_14th = await bodies_on(client, "2022-10-14")

    assert on_the_12th["SUMMIT"]["name"] == MEETING_OF_HEADS["en"]
    assert on_the_14th["SUMMIT"]["since"] == RENAMED_ON
    assert on_the_14th["SOC"]["names"] == dict(sorted(SOC_NAMES.items()))
