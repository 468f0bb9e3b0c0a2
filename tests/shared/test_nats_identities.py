"""NATS is a hostile network: each service connects as an identity of its own, which may publish
only on its own subjects and read only the streams of the services it reacts to, and a client
with no identity is refused. On the session's NATS (users as `shared.system.nats_identities`
makes them for `cica up`), and on a server of its own for the kit's relay and consumer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from structlog.testing import capture_logs

from shared.access.tokens import ensure_secret_file
from shared.messaging import NatsConnection, NatsIdentity, inbox_prefix, permissions
from shared.system.devservers import LocalNats, free_port
from shared.system.nats_identities import NatsUser, authorization_block, literal
from shared.system.services import SERVICES, service_named
from tests.polling import eventually
from tests.shared.test_transport import assert_applied_once_in_order
from tests.shared.transport import Pair


@pytest.fixture
def own_nats(servers):  # type: ignore[no-untyped-def]
    if not servers.identities:
        pytest.skip("NATS is external here (CICA_NATS_URL): its identities are not ours")
    return servers


class Connected:
    """A client connected as a service, and the errors the server reported to it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.client: Client | None = None

    async def connect(self, address: str, identity: NatsIdentity) -> Client:
        async def on_error(error: Exception) -> None:
            self.errors.append(str(error))

        self.client = await nats.connect(
            address,
            user=identity.user,
            password=identity.password(),
            inbox_prefix=inbox_prefix(identity.user),
            error_cb=on_error,
            allow_reconnect=False,
        )
        return self.client


async def received_until(
    client: Client, subject: str, marker: str
) -> tuple[list[str], asyncio.Event, Subscription]:
    """Subscribe `client` to `subject`: the subjects it receives, and an event set once
    `marker` arrives (the messages of one publisher arrive in the order they were sent, so
    once the marker is in, so is whatever was sent before it)."""
    seen: list[str] = []
    done = asyncio.Event()

    async def on_message(message: Msg) -> None:
        seen.append(message.subject)
        if message.subject == marker:
            done.set()

    subscription = await client.subscribe(subject, cb=on_message)
    await client.flush()
    return seen, done, subscription


async def test_a_client_without_an_identity_is_refused(own_nats) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(own_nats.nats_address, allow_reconnect=False, connect_timeout=2)
    wrong = NatsIdentity("registry", ensure_secret_file(own_nats.workdir / "not-the-password"))
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await Connected().connect(own_nats.nats_address, wrong)


async def test_a_service_publishes_on_its_own_subjects_and_on_no_other_services(own_nats) -> None:
    harness = await nats.connect(own_nats.nats_url)
    meetings = Connected()
    try:
        seen, done, _ = await received_until(harness, "cica.>", "cica.meetings.probe.Probe")
        client = await meetings.connect(own_nats.nats_address, own_nats.identity("meetings"))
        await client.publish("cica.registry.member_state.MemberAdmitted", b"{}")  # forged
        await client.publish("cica.meetings.probe.Probe", b"{}")
        await asyncio.wait_for(done.wait(), 10)
        assert seen == ["cica.meetings.probe.Probe"]
        await eventually(lambda: meetings.errors, what="the server reports the violation")
        assert 'permissions violation for publish to "cica.registry.member_state.memberadmitted"' \
            in meetings.errors[0].lower()
    finally:
        await harness.close()
        if meetings.client is not None:
            await meetings.client.close()


async def test_a_service_reads_no_stream_it_does_not_react_to(own_nats) -> None:
    """The registry reacts to meetings only: the documents' subjects (member-only texts among
    them) are closed to it, by subscription and by JetStream consumer alike."""
    registry = Connected()
    harness = await nats.connect(own_nats.nats_url)
    try:
        client = await registry.connect(own_nats.nats_address, own_nats.identity("registry"))
        inbox = f"{inbox_prefix('registry')}.probe"
        seen, _, _ = await received_until(client, "cica.documents.>", "never")
        own_seen, own_done, _ = await received_until(client, inbox, inbox)
        await harness.publish("cica.documents.document.DraftCreated", b"{}")
        await harness.publish(inbox, b"{}")
        await asyncio.wait_for(own_done.wait(), 10)
        assert seen == [] and own_seen == [inbox]
        with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
            await client.jetstream(timeout=1).pull_subscribe(
                "cica.documents.>", durable="registry-from-documents", stream="CICA_DOCUMENTS"
            )
        errors = " ".join(registry.errors).lower()
        assert 'permissions violation for subscription to "cica.documents.>"' in errors
        assert "$js.api.consumer.info.cica_documents.registry-from-documents" in errors
    finally:
        await harness.close()
        if registry.client is not None:
            await registry.client.close()


def test_each_service_may_consume_exactly_the_streams_it_reacts_to() -> None:
    for service in SERVICES:
        granted = permissions(service.name, service.reactions.producers())
        consumed = {
            token
            for subject in granted["publish"]
            if subject.startswith(("$JS.API.CONSUMER.", "$JS.ACK."))
            for token in subject.split(".")
            if token.startswith("CICA_")
        }
        assert consumed == {f"CICA_{p.upper()}" for p in service.reactions.producers()}
        own = {s for s in granted["publish"] if s.startswith("$JS.API.STREAM.")}
        stream = f"CICA_{service.name.upper()}"
        assert own == {f"$JS.API.STREAM.CREATE.{stream}", f"$JS.API.STREAM.UPDATE.{stream}"}
        assert [s for s in granted["publish"] if s.startswith("cica.")] == [
            f"cica.{service.name}.>"
        ]
        assert granted["subscribe"] == [f"_INBOX.{service.name}.>"]


async def test_the_kits_relay_and_consumer_need_nothing_but_their_own_permissions(
    new_database, tmp_path: Path
) -> None:
    """A producer and a consumer, each connected as itself with exactly the permissions the
    kit derives for it, on a server that has no other user: the consumer starts before the
    producer's stream exists (it may not create it, so it waits), and without a feed to heal
    from, everything it applies came over NATS."""
    p = await Pair.make(new_database, "")
    identities = {
        name: NatsIdentity(name, ensure_secret_file(tmp_path / f"{name}.password"))
        for name in (p.producer_name, p.consumer_name)
    }
    users = [
        NatsUser(p.producer_name, literal(identities[p.producer_name].password()),
                 permissions(p.producer_name, [])),
        NatsUser(p.consumer_name, literal(identities[p.consumer_name].password()),
                 permissions(p.consumer_name, [p.producer_name])),
    ]  # fmt: skip
    server = LocalNats(tmp_path / "nats", free_port(), authorization=authorization_block(users))
    server.start()
    try:
        p.nats_url = server.url
        p.producer_identity = identities[p.producer_name]
        p.consumer_identity = identities[p.consumer_name]
        consumer = await p.start_consumer(with_feed=False)
        await p.append_paragraphs("draft-1", 25, per_append=5)
        await p.start_relay()
        await p.wait_until_tracked(25)
        await assert_applied_once_in_order(p, {"draft-1": 25})
        assert consumer.nats.user == p.consumer_name
    finally:
        await p.close()
        server.stop()


async def test_a_service_connects_as_the_identity_its_settings_name(own_nats) -> None:
    """CICA_<SERVICE>_NATS_USER and the file CICA_<SERVICE>_NATS_PASSWORD_FILE: the settings
    hand both to the connection, which authenticates with them and shows the password nowhere."""
    identity = own_nats.identity("documents")
    settings = service_named("documents").settings(
        nats_url=own_nats.nats_address,
        nats_user=identity.user,
        nats_password_file=identity.password_file,
    )
    connection = NatsConnection(settings.nats_servers, name="cica-documents")
    with capture_logs() as logs:
        await connection.start()
        try:
            await asyncio.wait_for(connection.connected(), 10)
            assert connection.user == "documents"
            assert await connection.ping()
        finally:
            await connection.close()
    assert identity.password() not in repr(logs) + repr(connection._servers)
    assert [entry for entry in logs if entry["event"] == "nats.connected"]
