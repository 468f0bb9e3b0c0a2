"""The registry's founding members read the documents distributed to member states only: the
documents service learns them from the registry's `FoundingMemberRegistered`, as it learns an
admission from `MemberAdmitted` (it has no registration route of its own)."""

from __future__ import annotations

from datetime import date

from services.registry.events import FoundingMemberRegistered
from services.registry.events import event_types as registry_types
from tests.documents.helpers import documents_app, draft, member
from tests.documents.test_reactions import fresh_streams, producer
from tests.polling import eventually

__all__ = ["fresh_streams"]  # the fixture, used by name


async def test_a_founding_member_registered_in_the_registry_reads_member_states_only_documents(
    fresh_streams, database_url, servers, new_database
):
    async with (
        producer("registry", registry_types, new_database, servers.nats_url) as registry,
        documents_app(database_url, servers.nats_url, consumers_enabled=True) as docs,
    ):
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.caught_up()
        before = await docs.read(symbol, member("MDV"))
        event = FoundingMemberRegistered(
            state="MDV", names={"en": "Maldives"}, member_since=date(1999, 9, 14)
        )
        await registry.record("state-MDV", "state", event)
        consumer = next(c for c in docs.app.state.consumers if c.producer == "registry")

        async def handled() -> bool:
            return await consumer.tracked_position() == 1

        await eventually(handled)
        after = await docs.read(symbol, member("MDV"))
        stranger = await docs.read(symbol, member("NPL"))

    assert before.status_code == 404
    assert after.status_code == 200
    assert after.json()["symbol"] == symbol
    assert stranger.status_code == 404
