"""Readers who do not see everything (the public, member states) get no personal data in the
feed's and live streams' metadata: the `actor` that names a person is reduced to its role,
but for a service (it names no person) and for a member state's own actors. The Secretariat,
auditors and services get every record whole, and only the whole record hashes to its hash."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.access import Principal, Role, Viewer
from shared.eventstore import RecordedEvent
from shared.ops import actor_shown_to, shown_to
from tests.access import bearer
from tests.documents.helpers import AUDITOR, PUBLIC, documents_app, draft
from tests.shared.test_live import live, served

PUBLIC_VIEW = Viewer(Principal.public())
KAZ_VIEW = Viewer(Principal(Role.MEMBER_STATE, "delegation-kaz-01", "KAZ"), is_member=True)
RUS_VIEW = Viewer(Principal(Role.MEMBER_STATE, "delegation-rus-01", "RUS"), is_member=True)
SECRETARIAT_VIEW = Viewer(Principal(Role.SECRETARIAT, "alice"))
AUDITOR_VIEW = Viewer(Principal(Role.AUDITOR, "auditor-1"))
SERVICE_VIEW = Viewer(Principal(Role.SERVICE, "service:meetings"))


@pytest.mark.parametrize(
    ("actor", "public", "kaz", "rus"),
    [
        ("secretariat:alice", "secretariat", "secretariat", "secretariat"),
        ("secretariat", "secretariat", "secretariat", "secretariat"),
        ("member_state:KAZ:delegation-kaz-01", "member_state",
         "member_state:KAZ:delegation-kaz-01", "member_state"),
        ("member_state:KAZE:someone", "member_state", "member_state", "member_state"),
        ("service:meetings", "service:meetings", "service:meetings", "service:meetings"),
        ("auditor:bob", "auditor", "auditor", "auditor"),
        ("alice", None, None, None),
        ("alice.smith:secretariat", None, None, None),
        (42, None, None, None),
    ],
)
def test_an_actor_as_each_reader_gets_it(actor, public, kaz, rus):
    assert actor_shown_to(PUBLIC_VIEW, actor) == public
    assert actor_shown_to(KAZ_VIEW, actor) == kaz
    assert actor_shown_to(RUS_VIEW, actor) == rus
    for whole in (SECRETARIAT_VIEW, AUDITOR_VIEW, SERVICE_VIEW):
        assert actor_shown_to(whole, actor) == actor


def recorded(metadata: dict[str, Any]) -> RecordedEvent:
    return RecordedEvent(
        position=7, event_id=uuid.uuid4(), stream_id="SUM/2022/INF/1", stream_type="document",
        version=1, event_type="DraftCreated", schema_version=1, data={"symbol": "x"},
        metadata=metadata, recorded_at=datetime(2022, 10, 7, tzinfo=UTC),
        prev_hash=b"\0" * 32, hash=b"\1" * 32,
    )


def test_only_the_actor_changes_and_only_for_those_who_do_not_see_everything():
    record = recorded({"actor": "secretariat:alice", "correlation_id": "c-1",
                       "causation_id": "e-1"})
    anonymous = recorded({"actor": "alice", "correlation_id": "c-2"})
    without = recorded({"correlation_id": "c-3"})

    shown = shown_to(PUBLIC_VIEW, record)
    assert shown.metadata == {"actor": "secretariat", "correlation_id": "c-1",
                              "causation_id": "e-1"}
    assert shown.as_feed_item() | {"metadata": None} == record.as_feed_item() | {"metadata": None}
    assert record.metadata["actor"] == "secretariat:alice", "the record itself is untouched"
    assert shown_to(PUBLIC_VIEW, anonymous).metadata == {"correlation_id": "c-2"}
    assert shown_to(PUBLIC_VIEW, without) is without
    for whole in (SECRETARIAT_VIEW, AUDITOR_VIEW, SERVICE_VIEW):
        assert shown_to(whole, record) is record


ALICE = bearer("secretariat", subject="alice")
KAZ_DELEGATE = bearer("member_state", "KAZ", subject="delegation-kaz-01")
RUS_DELEGATE = bearer("member_state", "RUS", subject="delegation-rus-01")


async def test_the_feed_gives_each_reader_the_actors_it_may_see(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft("SUM/2022/INF", "general"), ALICE)).json()["symbol"]
        proposed = await docs.http.post(
            f"/documents/{symbol}/amendments",
            json={"state": "KAZ", "revision": 0, "paragraph_id": "op-a",
                  "action": "replace", "text": "We act together"},
            headers=KAZ_DELEGATE,
        )
        assert proposed.status_code == 201, proposed.text
        await docs.caught_up()
        pages = {}
        for reader, headers in (("public", PUBLIC), ("KAZ", KAZ_DELEGATE),
                                ("RUS", RUS_DELEGATE), ("auditor", AUDITOR)):
            response = await docs.http.get("/events", headers=headers)
            assert response.status_code == 200, response.text
            pages[reader] = response.json()["events"]
        verified = (await docs.http.get("/events/verify", headers=AUDITOR)).json()

    def actors(reader: str) -> list[str]:
        return [event["metadata"]["actor"] for event in pages[reader]]

    assert actors("auditor") == ["secretariat:alice", "member_state:KAZ:delegation-kaz-01"]
    assert actors("public") == ["secretariat", "member_state"]
    assert actors("RUS") == ["secretariat", "member_state"]
    assert actors("KAZ") == ["secretariat", "member_state:KAZ:delegation-kaz-01"]
    # The rest of each event is the record's, its hash included: verified on the full record.
    for reader in ("public", "KAZ", "RUS"):
        for event, whole in zip(pages[reader], pages["auditor"], strict=True):
            assert {**event, "metadata": None} == {**whole, "metadata": None}
            assert event["metadata"]["correlation_id"] == whole["metadata"]["correlation_id"]
    assert verified["ok"] is True


async def test_a_live_stream_gives_the_public_the_role_not_the_person(database_url, servers):
    async with served(database_url, servers.nats_url) as service:
        created = await service.http.post(
            "/documents", json=draft("SUM/2022/INF", "general"), headers=ALICE
        )
        assert created.status_code == 201, created.text
        head = await service.head()
        async with live(service.http, PUBLIC, after=0) as public:
            (for_the_public,) = await public.until(head)
        async with live(service.http, AUDITOR, after=0) as auditor:
            (whole,) = await auditor.until(head)

    assert for_the_public.cloudevent["actor"] == "secretariat"
    assert whole.cloudevent["actor"] == "secretariat:alice"
    assert for_the_public.cloudevent["hash"] == whole.cloudevent["hash"]
