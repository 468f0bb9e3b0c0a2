"""Reactions, end to end on the test session's NATS: a meetings log and a registry log, each
with its relay publishing to JetStream, and the documents app's own consumers following them.
The SOC's recommendation and the Summit's adoption change the document's status (caused by
those decisions), after which it takes no further revision; Kuwait's admission, like a
founding member's registration, lets that state read what is distributed to member states
only."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest

from services.meetings.events import DecisionRecorded
from services.meetings.events import event_types as meetings_types
from services.registry.events import FoundingMemberRegistered, MemberAdmitted
from services.registry.events import event_types as registry_types
from shared.eventstore import (
    ANY_VERSION,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    create_engine,
)
from shared.eventstore.follow import LogNotifier
from shared.messaging import NatsConnection
from shared.relay import JetStreamRelay
from tests.documents.helpers import SECRETARIAT, documents_app, draft, member, small_text
from tests.shared.transport import delete_streams


class Producer:
    """Another service's log and its relay to JetStream."""

    def __init__(self, service: str, store: PostgresEventStore, nats_url: str) -> None:
        self.service = service
        self.store = store
        self.connection = NatsConnection([nats_url], name=f"{service}-producer-test")
        self.notifier = LogNotifier(store.engine)
        self.relay = JetStreamRelay(service=service, store=store, nats=self.connection,
                                    notifier=self.notifier, poll_interval=0.2)

    async def start(self) -> None:
        await self.connection.start()
        self.notifier.start()
        self.relay.start()

    async def record(self, stream_id: str, stream_type: str, *events: DomainEvent) -> list:
        appended = []
        for event in events:
            appended.append(await self.store.append(
                stream_id, [event], stream_type=stream_type, expected_version=ANY_VERSION))
        return appended

    async def close(self) -> None:
        await self.relay.close()
        await self.notifier.close()
        await self.connection.close()
        await self.store.close()
        await self.store.engine.dispose()


@contextlib.asynccontextmanager
async def producer(service: str, types: EventTypes, new_database, nats_url: str
                   ) -> AsyncIterator[Producer]:
    made = Producer(service, PostgresEventStore(create_engine(await new_database()), types),
                    nats_url)
    await made.start()
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def fresh_streams(servers):
    """The producers' names are fixed, so their streams are shared by the session: start from
    none (and no durable consumer of them)."""
    await delete_streams(servers.nats_url, "meetings", "registry")


def decision(body: str, outcome: str, decided_on: str, symbol: str, session: str
             ) -> DecisionRecorded:
    return DecisionRecorded(
        decision_id=uuid.uuid4(),
        meeting_id=f"{body}-{decided_on}",
        body=body,  # type: ignore[arg-type]
        session=session,
        decided_on=date.fromisoformat(decided_on),
        outcome=outcome,  # type: ignore[arg-type]
        subject={"kind": "document", "symbol": symbol},  # type: ignore[arg-type]
        text=f"The {body} decided: {outcome}.",
    )


async def test_decisions_on_a_document_change_its_status_and_adoption_freezes_it(
    fresh_streams, database_url, servers, new_database
):
    async with (
        producer("meetings", meetings_types, new_database, servers.nats_url) as meetings,
        documents_app(database_url, servers.nats_url, consumers_enabled=True) as docs,
    ):
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.revise(symbol, small_text("Rev 1"), etag=await docs.etag(symbol))
        swg = decision("SWG", "continue_consideration", "2022-10-04", f"{symbol}/Rev.1",
                       "SWG/2022")
        soc = decision("SOC", "recommended_for_adoption", "2022-10-11", f"{symbol}/Rev.1",
                       "SOC/2022-III")
        other = decision("SOC", "adopted", "2022-10-11", "SUM/2030/DRAFT/9", "SOC/2022-III")
        by_the_swg = decision("SWG", "adopted", "2022-10-12", f"{symbol}/Rev.1", "SWG/2022-X")
        not_yet = decision("SOC", "approved", "2022-10-11", "SUM/2030/DRAFT/8", "SOC/2022-III")
        summit = decision("SUMMIT", "adopted", "2022-10-13", f"{symbol}/Rev.1", "SUM/2022")
        again = decision("SUMMIT", "recommended_for_adoption", "2022-10-13", f"{symbol}/Rev.1",
                         "SUM/2022")
        await meetings.record("meeting-soc", "meeting", swg, soc, other, by_the_swg, not_yet,
                              summit, again)
        await docs.handled("meetings", 7)
        read = (await docs.read(symbol)).json()
        parked = (await docs.http.get("/admin/parked", headers=SECRETARIAT)).json()["parked"]
        ninth = await docs.revise(symbol, small_text("Rev 2"), etag=await docs.etag(symbol))
        log = await docs.app.state.store.read_all(after=0)
        published = {r.data["decision_id"]: str(r.event_id)
                     for r in await meetings.store.read_all(after=0)}

    # Refused (parked with the rule, never acked and forgotten): the SOC adopting a Summit
    # document, the SWG adopting at all, the Summit recommending; waiting: a decision on a
    # document not imported yet.
    assert [(p["position"], p["rule"], p["waiting"]) for p in parked] == [
        (3, "outside-competence", False), (4, "outside-competence", False),
        (5, "document-not-recorded", True), (7, "outside-competence", False),
    ]
    assert read["status"] == "adopted"
    assert [(e["status"], e["body"], e["outcome"]) for e in read["status_history"]] == [
        ("recommended", "SOC", "recommended_for_adoption"),
        ("adopted", "SUMMIT", "adopted"),
    ]
    changes = [r for r in log if r.event_type == "DocumentStatusChanged"]
    assert [r.metadata["causation_id"] for r in changes] == [
        published[str(soc.decision_id)], published[str(summit.decision_id)]]
    assert [r.data["decision_id"] for r in changes] == [
        str(soc.decision_id), str(summit.decision_id)]
    assert ninth.status_code == 409


@pytest.mark.parametrize(
    "event",
    [
        MemberAdmitted(
            state="KWT",
            names={"en": "Kuwait", "ru": "Кувейт"},
            admitted_on=date(2022, 10, 12),
            decision={"decision_id": uuid.uuid4(), "body": "SUMMIT", "session": "SUM/2022",
                      "decided_on": date(2022, 10, 12), "outcome": "adopted"},
        ),
        FoundingMemberRegistered(
            state="MDV", names={"en": "Maldives"}, member_on=date(2022, 10, 7)
        ),
    ],
    ids=["admitted", "founding member"],
)
async def test_a_state_admitted_or_registered_reads_what_goes_to_member_states_only(
    event, fresh_streams, database_url, servers, new_database
):
    """The documents service learns the member states from the registry's events (it has no
    registration route of its own): Kuwait's `MemberAdmitted`, a founding member's
    `FoundingMemberRegistered`."""
    state = event.state
    async with (
        producer("registry", registry_types, new_database, servers.nats_url) as registry,
        documents_app(database_url, servers.nats_url, consumers_enabled=True) as docs,
    ):
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.caught_up()
        before = await docs.read(symbol, member(state))
        listed_before = (await docs.http.get("/documents", headers=member(state))).json()
        await registry.record(f"state-{state}", "state", event)
        await docs.handled("registry", 1)
        after = await docs.read(symbol, member(state))
        listed_after = (await docs.http.get("/documents", headers=member(state))).json()
        stranger = await docs.read(symbol, member("NPL"))
        secretariat = await docs.read(symbol, SECRETARIAT)

    assert before.status_code == 404
    assert listed_before["documents"] == []
    assert after.status_code == 200
    assert after.json()["symbol"] == symbol
    assert [d["symbol"] for d in listed_after["documents"]] == [symbol]
    assert stranger.status_code == 404
    assert secretariat.status_code == 200


async def test_a_decision_on_a_superseded_revision_stays_with_it_and_its_adoption_is_parked(
    fresh_streams, database_url, servers, new_database
):
    """The SOC recommended Rev.1 when Rev.2 was already out: Rev.1 is recommended, the document
    (at Rev.2) is still a draft. The Summit adopting Rev.1 is refused and parked with its rule;
    adopting Rev.2 is recorded."""
    async with (
        producer("meetings", meetings_types, new_database, servers.nats_url) as meetings,
        documents_app(database_url, servers.nats_url, consumers_enabled=True) as docs,
    ):
        symbol = (await docs.create(draft())).json()["symbol"]
        for n in (1, 2):
            await docs.revise(symbol, small_text(f"Rev {n}"), etag=await docs.etag(symbol))
        soc = decision("SOC", "recommended_for_adoption", "2022-10-11", f"{symbol}/Rev.1",
                       "SOC/2022-III")
        stale = decision("SUMMIT", "adopted", "2022-10-13", f"{symbol}/Rev.1", "SUM/2022")
        await meetings.record("meeting-stale", "meeting", soc, stale)
        await docs.handled("meetings", 2)
        read = (await docs.read(symbol)).json()
        parked = (await docs.http.get("/admin/parked", headers=SECRETARIAT)).json()["parked"]
        summit = decision("SUMMIT", "adopted", "2022-10-13", f"{symbol}/Rev.2", "SUM/2022")
        await meetings.record("meeting-stale", "meeting", summit)
        await docs.handled("meetings", 3)
        adopted = (await docs.read(symbol)).json()

    assert (read["status"], read["recommended_by"]) == ("draft", None)
    assert [(r["revision"], r["status"]) for r in read["revisions"]] == [
        (0, "draft"), (1, "recommended"), (2, "draft")]
    assert (read["latest_decision"]["revision"], read["latest_decision"]["body"]) == (1, "SOC")
    assert read["latest_decision"]["latest_revision"] == 2
    assert [(p["position"], p["rule"], p["waiting"]) for p in parked] == [
        (2, "adoption-of-superseded-revision", False)]
    assert adopted["status"] == "adopted"
    assert [(r["revision"], r["status"]) for r in adopted["revisions"]] == [
        (0, "draft"), (1, "recommended"), (2, "adopted")]
