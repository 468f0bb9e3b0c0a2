"""Who reads what follows the registry's membership events, at every moment: the documents
service records each of them (founding, admission, suspension, reinstatement, withdrawal) and
a state reads what is distributed to member states only while it is a member, on every read
path (a single read, the list, ``GET /events`` and ``GET /live``). A restricted distribution
names its readers: a state it names reads the document, member or not."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from services.documents.reactions import reactions
from shared.access import membership_changes, read_membership
from shared.access.membership import REGISTRY_MEMBERSHIP_EVENTS
from shared.consumers import ReactionContext
from shared.envelope import ForeignEvent
from tests.documents.helpers import (
    AUDITOR,
    PUBLIC,
    SECRETARIAT,
    Documents,
    documents_app,
    draft,
    member,
    today,
)
from tests.shared.test_live import live, served

INDIA = member("IND")


def registry_event(event_type: str, **data: Any) -> ForeignEvent:
    """One of the registry's events as the documents service's consumer receives it (its
    position is given on delivery)."""
    return ForeignEvent(
        producer="registry",
        position=0,
        event_id=uuid.uuid4(),
        stream_id=f"state-{data['state']}",
        stream_type="member_state",
        version=1,
        event_type=event_type,
        schema_version=1,
        data=data,
        metadata={"correlation_id": str(uuid.uuid4()), "actor": "secretariat:registrar"},
        recorded_at="2024-01-01T00:00:00.000000Z",
        hash="00" * 32,
        prev_hash="00" * 32,
    )


def suspended(state: str, on: date) -> ForeignEvent:
    return registry_event(
        "MembershipSuspended", state=state, effective_on=on.isoformat(), reason="By decision"
    )


def reinstated(state: str, on: date) -> ForeignEvent:
    return registry_event("MembershipReinstated", state=state, effective_on=on.isoformat())


def withdrew(state: str, on: date) -> ForeignEvent:
    return registry_event("MemberWithdrew", state=state, effective_on=on.isoformat())


async def deliver(app: FastAPI, event: ForeignEvent) -> None:
    """Hand `event` to the app's consumer of the registry, at its next position (the consumer
    runs the reaction and records its tracking row, in one transaction, as from NATS)."""
    consumer = next(c for c in app.state.consumers if c.producer == "registry")
    position = await consumer.tracked_position() + 1
    await consumer.handle(replace(event, position=position))


def test_the_service_follows_every_membership_event_of_the_registry():
    followed = {event_type for producer, event_type in reactions.subscriptions()
                if producer == "registry"}
    assert followed == set(REGISTRY_MEMBERSHIP_EVENTS)


async def fed_streams(docs: Documents, headers: dict[str, str]) -> set[str]:
    """The streams whose events the caller reads in the whole feed."""
    streams: set[str] = set()
    after = 0
    while True:
        page = await docs.http.get("/events", params={"after": after}, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        streams |= {event["stream_id"] for event in body["events"]}
        if body["next_after"] >= body["head"]:
            return streams
        after = body["next_after"]


async def what_india_reads(docs: Documents, symbols: list[str]) -> dict[str, Any]:
    listed = await docs.http.get("/documents", headers=INDIA)
    assert listed.status_code == 200, listed.text
    amendments = await docs.http.get(f"/documents/{symbols[0]}/amendments", headers=INDIA)
    assert amendments.status_code in (200, 404), amendments.text
    return {
        "read": {s: (await docs.read(s, INDIA)).status_code for s in symbols},
        "listed": {d["symbol"] for d in listed.json()["documents"]},
        "fed": await fed_streams(docs, INDIA) & set(symbols),
        "own amendments": (
            [a["state"] for a in amendments.json()] if amendments.status_code == 200 else None
        ),
    }


async def test_india_reads_member_documents_only_while_a_member_and_what_names_it_always(
    database_url, servers
):
    yesterday, now = today() - timedelta(days=1), today()
    async with documents_app(database_url, servers.nats_url) as docs:
        members_only = (await docs.create(draft("SUM/2022/DRAFT"))).json()["symbol"]
        named = (await docs.create(
            draft("SOC/2022/DRAFT", "restricted", states=["IND"])
        )).json()["symbol"]
        general = (await docs.create(draft("SUM/2022/INF", "general"))).json()["symbol"]
        symbols = [members_only, named, general]
        own = await docs.amend(members_only, "IND", 0)
        assert own.status_code == 201, own.text
        await docs.caught_up()
        seen = {"member": await what_india_reads(docs, symbols)}
        await deliver(docs.app, suspended("IND", yesterday))
        seen["suspended"] = await what_india_reads(docs, symbols)
        await deliver(docs.app, reinstated("IND", now))
        seen["reinstated"] = await what_india_reads(docs, symbols)
        await deliver(docs.app, withdrew("IND", now))
        seen["withdrawn"] = await what_india_reads(docs, symbols)
        others = {
            "KAZ": (await docs.read(members_only, member("KAZ"))).status_code,
            "public": (await docs.read(members_only, PUBLIC)).status_code,
            "auditor": len(await fed_streams(docs, AUDITOR) & set(symbols)),
        }
        secretariat = (await docs.read(members_only, SECRETARIAT)).status_code

    every = set(symbols)
    without = {named, general}
    assert seen["member"] == {"read": dict.fromkeys(symbols, 200), "listed": every,
                              "fed": every, "own amendments": ["IND"]}
    # Suspended from yesterday: the member-only document is hidden as if it did not exist.
    assert seen["suspended"] == {"read": {members_only: 404, named: 200, general: 200},
                                 "listed": without, "fed": without, "own amendments": None}
    assert seen["reinstated"] == seen["member"]
    # Withdrawn: the same. The restricted document names India and stays readable to it (the
    # Secretariat names its readers, members or not: it changes the distribution to end that);
    # the amendment India proposed to the member-only document goes with the document.
    assert seen["withdrawn"] == seen["suspended"]
    assert others == {"KAZ": 200, "public": 404, "auditor": 3}
    assert secretariat == 200


async def test_a_membership_event_handled_again_changes_nothing(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        withdrawal = withdrew("IND", today())
        await deliver(docs.app, withdrawal)
        consumer = next(c for c in docs.app.state.consumers if c.producer == "registry")
        await consumer.handle(replace(withdrawal, position=1))  # redelivered: skipped
        # Run again bypassing the tracking (as if its row were lost): nothing new either.
        handler = reactions.handler("registry", "MemberWithdrew")
        assert handler is not None
        store = docs.app.state.store
        async with store.engine.begin() as connection:
            await handler(ReactionContext(connection, store, withdrawal), withdrawal)
        read = await docs.read(symbol, INDIA)
        async with store.engine.connect() as connection:
            membership = await read_membership(connection)
            recorded = (await connection.execute(
                select(membership_changes.c.change).where(membership_changes.c.state == "IND")
                .order_by(membership_changes.c.id)
            )).scalars().all()

    assert read.status_code == 404
    assert membership.is_member("IND", today()) is False
    assert membership.is_member("IND", today() - timedelta(days=1)) is True
    assert recorded == ["founding", "withdrawn"]


async def test_indias_live_stream_follows_its_membership_batch_by_batch(database_url, servers):
    """One stream, open throughout: each batch is judged by India's membership when it is
    sent."""
    yesterday, now = today() - timedelta(days=1), today()
    async with served(database_url, servers.nats_url) as service, live(
        service.http, INDIA, after=0
    ) as stream:
        members_only = await service.create(draft("SUM/2022/DRAFT"))
        general = await service.create(draft("SUM/2022/INF", "general"))

        async def revised_after(change: ForeignEvent | None) -> list[tuple[str, str | None]]:
            if change is not None:
                await deliver(service.app, change)
            await service.revise(members_only, "For members")
            await service.revise(general, "For everyone")  # the last: everyone sees it
            events = await stream.until(await service.head())
            return [(e.cloudevent["subject"], e.event) for e in events]

        seen = {
            "member": await revised_after(None),
            "suspended": await revised_after(suspended("IND", yesterday)),
            "reinstated": await revised_after(reinstated("IND", now)),
            "withdrawn": await revised_after(withdrew("IND", now)),
        }

    revisions = [(members_only, "DraftRevised"), (general, "DraftRevised")]
    assert seen["member"] == [(members_only, "DraftCreated"), (general, "DraftCreated"),
                              *revisions]
    assert seen["suspended"] == [(general, "DraftRevised")]
    assert seen["reinstated"] == revisions
    assert seen["withdrawn"] == [(general, "DraftRevised")]
