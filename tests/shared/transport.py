"""A producing and a consuming service wired as the app wires them, for the transport tests:
the producer's store and relay, the consumer's store, reactions and JetStream consumer, and the
producer's `/events` feed served in-process for healing gaps."""

from __future__ import annotations

import asyncio
import contextlib
import random
import string
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import nats
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from shared.access import TokenVerifier, install_access
from shared.consumers import FeedClient, JetStreamConsumer, ReactionContext, Reactions
from shared.envelope import ForeignEvent, encode, stream_name, subject
from shared.eventstore import (
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    RecordedEvent,
    create_engine,
)
from shared.eventstore.follow import LogNotifier
from shared.messaging import NatsConnection, NatsIdentity
from shared.ops import router as ops_router
from shared.relay import JetStreamRelay
from tests.access import bearer, token_settings
from tests.polling import eventually

producer_types = EventTypes()
consumer_types = EventTypes()


@producer_types.register("ParagraphAdded")
class ParagraphAdded(DomainEvent):
    number: int


@consumer_types.register("ParagraphSeen")
class ParagraphSeen(DomainEvent):
    stream_id: str
    number: int
    position: int


def service_name(prefix: str) -> str:
    """A service name of its own per test, so tests never share a JetStream stream."""
    return prefix + "".join(random.choices(string.ascii_lowercase, k=8))


async def see_paragraph(ctx: ReactionContext, event: ForeignEvent) -> None:
    """Record the foreign event in the consumer's own log, in the producer's stream order:
    `expected_version` makes an out-of-order or repeated application fail loudly."""
    await ctx.append(
        f"seen-{event.stream_id}",
        [ParagraphSeen(stream_id=event.stream_id, number=event.data["number"],
                       position=event.position)],
        stream_type="seen",
        expected_version=event.version - 1,
    )


class TwiceRelay(JetStreamRelay):
    """A relay that publishes everything twice, under distinct message ids, so that JetStream's
    own deduplication cannot hide the repeat from the consumer."""

    async def send(self, records: list[RecordedEvent]) -> list[asyncio.Future[Any]]:
        futures = await super().send(records)
        client = self.nats.client
        assert client is not None
        js = client.jetstream()
        for record in records:
            futures.append(
                await js.publish_async(
                    subject(self.service, record.stream_type, record.event_type),
                    encode(record, self.service),
                    headers={"Nats-Msg-Id": f"again-{record.event_id}"},
                )
            )
        return futures


async def delete_streams(nats_url: str, *services: str) -> None:
    """Delete the services' JetStream streams (and their durable consumers), where they are:
    a producer whose name is fixed shares its stream with the session's other tests."""
    client = await nats.connect(nats_url)
    try:
        for service in services:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(stream_name(service))
    finally:
        await client.close()


class FeedClientOnApp(FeedClient):
    """The feed client, speaking to the producer's app in-process."""

    def __init__(self, producer: str, app: FastAPI) -> None:
        super().__init__({producer: "http://producer.test"}, headers=lambda: bearer("service"))
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


@dataclass
class Pair:
    producer_name: str
    consumer_name: str
    producer: PostgresEventStore
    consumer: PostgresEventStore
    nats_url: str
    reactions: Reactions
    relay_class: type[JetStreamRelay] = JetStreamRelay
    producer_identity: NatsIdentity | None = None
    """Who the relay connects as (None: whoever `nats_url` names)."""
    consumer_identity: NatsIdentity | None = None
    """Who the consumer connects as (None: whoever `nats_url` names)."""
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    relay: JetStreamRelay | None = None
    consumer_task: JetStreamConsumer | None = None
    feed: FeedClient | None = None

    @classmethod
    async def make(
        cls,
        new_database: Callable[[], Awaitable[str]],
        nats_url: str,
        *,
        handler: Callable[[ReactionContext, ForeignEvent], Awaitable[None]] = see_paragraph,
        relay_class: type[JetStreamRelay] = JetStreamRelay,
    ) -> Pair:
        producer_name = service_name("prod")
        consumer_name = service_name("cons")
        producer = PostgresEventStore(create_engine(await new_database()), producer_types)
        consumer = PostgresEventStore(create_engine(await new_database()), consumer_types)
        reactions = Reactions(consumer_name)
        reactions.on(producer_name, "ParagraphAdded")(handler)
        return cls(producer_name, consumer_name, producer, consumer, nats_url, reactions,
                   relay_class)

    async def start_relay(self) -> JetStreamRelay:
        nats = NatsConnection([self.nats_url], name=f"{self.producer_name}-relay",
                              identity=self.producer_identity)  # fmt: skip
        await nats.start()
        notifier = LogNotifier(self.producer.engine)
        notifier.start()
        relay = self.relay_class(
            service=self.producer_name, store=self.producer, nats=nats, notifier=notifier,
            poll_interval=0.2,
        )
        relay.start()
        self.relay = relay
        self._closers += [nats.close, notifier.close, relay.close]  # closed in reverse
        return relay

    async def start_consumer(self, *, with_feed: bool = True, **options: object
                             ) -> JetStreamConsumer:  # fmt: skip
        """The consumer, healing from the producer's feed (unless not `with_feed`)."""
        nats = NatsConnection([self.nats_url], name=f"{self.consumer_name}-consumer",
                              identity=self.consumer_identity)  # fmt: skip
        await nats.start()
        app = FastAPI()
        install_access(app, TokenVerifier.from_settings(token_settings()))
        app.include_router(ops_router)
        app.state.store = self.producer
        app.state.engine = self.producer.engine
        self.feed = FeedClientOnApp(self.producer_name, app)
        consumer = JetStreamConsumer(
            service=self.consumer_name,
            producer=self.producer_name,
            reactions=self.reactions,
            store=self.consumer,
            nats=nats,
            feed=self.feed if with_feed else None,
            retry_base_delay=0.01,
            idle_check_after=1.0,
            **options,  # type: ignore[arg-type]
        )
        consumer.start()
        self.consumer_task = consumer
        self._closers += [nats.close, self.feed.close, consumer.close]  # closed in reverse
        return consumer

    async def append_paragraphs(self, stream_id: str, count: int, *, per_append: int = 1) -> None:
        version = await self.producer.stream_version(stream_id)
        for start in range(0, count, per_append):
            batch = [
                ParagraphAdded(number=version + i + 1)
                for i in range(start, min(start + per_append, count))
            ]
            result = await self.producer.append(
                stream_id, batch, stream_type="draft", expected_version=version + start
            )
            assert result.version == version + start + len(batch)

    async def third_recorded_unpublished(self) -> RecordedEvent:
        """The consumer (started) has applied the producer's first two events of draft-1; the
        third is recorded and not published. The third."""
        relay = await self.start_relay()
        await self.append_paragraphs("draft-1", 2)
        await self.wait_until_tracked(2)
        await relay.close()
        await self.append_paragraphs("draft-1", 1)
        (third,) = await self.producer.read_all(after=2, limit=1)
        return third

    async def publish_as_producer(self, record: RecordedEvent, payload: bytes) -> None:
        """`payload` on the subject of `record`, as anyone who may publish as the producer
        can (a forgery, say): the relay is not involved."""
        client = await nats.connect(self.nats_url)
        try:
            await client.jetstream().publish(
                subject(self.producer_name, record.stream_type, record.event_type),
                payload,
                headers={"Nats-Msg-Id": f"published-{uuid.uuid4()}"},
            )
        finally:
            await client.close()

    async def tracked(self) -> int:
        assert self.consumer_task is not None
        return await self.consumer_task.tracked_position()

    async def wait_until_tracked(self, position: int, *, within: float = 60.0) -> None:
        await eventually(
            self.tracked,
            until=lambda tracked: tracked >= position,
            within=within,
            what=f"the consumer tracked {position}",
        )

    async def parked_and_outcomes(self) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
        """The consumer's parked messages, and each tracked position with its outcome."""
        url = self.consumer.engine.url.set(drivername="postgresql").render_as_string(False)
        connection = await asyncpg.connect(url)
        try:
            parked = await connection.fetch("SELECT * FROM parked_messages ORDER BY id")
            outcomes = await connection.fetch("SELECT position, outcome FROM tracking ORDER BY 1")
        finally:
            await connection.close()
        return parked, outcomes

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        for store in (self.producer, self.consumer):
            await store.close()
            await store.engine.dispose()
