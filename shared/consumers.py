"""Consumers: a service reacting to other services' events, effectively once.

One durable JetStream pull consumer per (consuming service, producing stream), explicit acks.
Each event is handled in one PostgreSQL transaction that holds the handler's writes (the
consuming service's own events, appended with the foreign event as their cause) and a
tracking row (producer, position, event id); the message is acked only after that commit.
An event already tracked is acked and skipped, so a message NATS delivers twice, or a crash
between commit and ack, changes nothing.

A producer's positions are gapless, so a consumer that receives 105 when it stands at 103
knows 104 is missing: it takes 104 from the producer's `GET /events` feed before going on, and
a message NATS lost is healed from the producer's log. When nothing arrives for a while it
asks the feed too, so a lost *last* message is found as well.

A message is applied only if it continues the producer's hash chain: its `prevhash` is the
hash this consumer recorded for the position before it (the tracking row keeps each applied
event's hash), and its own hash is the hash of its content. One that does not (altered on the
way, or forged by whoever could publish on the producer's subjects), or that claims a
position the producer's log does not have, is not the producer's: it is logged as
`consumer.forged_message`, terminated (never delivered again), and the genuine event at its
position is taken from the producer's feed, as for a gap. An event of the feed itself that does
not continue the chain means that what this consumer recorded is not the producer's log: it
stops there (`consumer.chain_broken`) for a person to look at, and applies nothing more.

A handler that keeps failing is retried with backoff; after `max_attempts` its event is
parked (kept with its error, tracked as parked, visible at `GET /admin/parked`, retryable by
`POST /admin/parked/{id}/retry`), and the events after it go on. A handler the service's rules
refuse (a `shared.domain.DomainError`) is parked at once with the rule that refused it, never
acked and forgotten; one that waits for a prerequisite not recorded yet (`AwaitingError`: the
application behind an admission) is parked as waiting, tried again every few seconds, and
applied once the prerequisite is there. Replicas of a service share
a consumer: each handles what it fetched, and a per-producer transaction lock plus the
tracking rows make sure no event is applied twice or out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import httpx
import structlog
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import context
from shared.commands import (
    Decide,
    EventIds,
    Recorded,
    causation_metadata,
    decide_and_append,
    derived_event_ids,
)
from shared.domain import AwaitingError, DomainError
from shared.envelope import (
    EnvelopeError,
    ForeignEvent,
    decode,
    from_feed_item,
    link_break,
    stream_name,
)
from shared.eventstore import AppendResult, DomainEvent, NewEvent, PostgresEventStore
from shared.eventstore.hashing import GENESIS_HASH
from shared.eventstore.schema import parked_messages, tracking
from shared.http.problems import database_unavailable
from shared.messaging import NatsConnection, durable_name
from shared.retry import Backoff, RetryCallState, backoff, retrying

UNSUBSCRIBE_WITHIN = 1.0
"""Seconds a closing consumer waits for the server to hear that its pull inbox is gone."""
log = structlog.get_logger(__name__)

# Failures that say "the database is away", not "the handler is wrong": never parked.
UNAVAILABLE = (ConnectionError, TimeoutError, OSError, OperationalError, InterfaceError)


def _unavailable(error: BaseException) -> bool:
    """One of `UNAVAILABLE`, or a driver error whose SQLSTATE says the server is shutting
    down or starting (57P..) or the connection failed (08...): SQLAlchemy wraps those in a
    plain DBAPIError, and a handler meeting one must be retried, never parked."""
    return isinstance(error, UNAVAILABLE) or database_unavailable(error)


@dataclass
class ReactionContext:
    """What a handler may touch: the transaction it runs in, and its own service's log."""

    connection: AsyncConnection
    store: PostgresEventStore
    cause: ForeignEvent

    def metadata(self, *, actor: str | None = None) -> dict[str, str]:
        """The metadata of what the reaction records: the event it follows as the cause, that
        event's correlation carried on, and the `actor` if given (``service:<name>``)."""
        metadata = causation_metadata(self.cause.event_id, self.cause.metadata)
        if actor is not None:
            metadata["actor"] = actor
        return metadata

    def event_ids(self, prefix: str) -> EventIds:
        """Ids of the reaction's new events derived from the event it follows (see
        `shared.commands.derived_event_ids`): handling the event twice records them once."""
        return derived_event_ids(self.cause.event_id, prefix)

    async def append(
        self,
        stream_id: str,
        events: Sequence[DomainEvent | NewEvent],
        *,
        stream_type: str,
        expected_version: int | None,
    ) -> AppendResult:
        """Append to this service's log in the reaction's transaction, caused by the event."""
        return await self.store.append_in(
            self.connection,
            stream_id,
            events,
            stream_type=stream_type,
            expected_version=expected_version,
            metadata=self.metadata(),
        )

    async def decide_and_append(
        self,
        stream_id: str,
        stream_type: str,
        decide: Decide,
        *,
        ids: str | None = None,
        actor: str | None = None,
    ) -> Recorded:
        """The kit's command path (`shared.commands.decide_and_append`) in the reaction's
        transaction: read the stream, decide, append caused by the event, with ids derived
        from it and `ids` (a prefix naming the place, e.g. the stream) when given."""
        return await decide_and_append(
            self.connection,
            self.store,
            stream_id,
            stream_type,
            decide,
            metadata=self.metadata(actor=actor),
            event_ids=self.event_ids(ids) if ids is not None else None,
        )


Handler = Callable[[ReactionContext, ForeignEvent], Awaitable[None]]


class Reactions:
    """A service's policies on other services' events, by (producer, event type)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: dict[tuple[str, str], Handler] = {}

    def on(self, producer: str, event_type: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            key = (producer, event_type)
            if key in self._handlers:
                raise ValueError(f"{self.service} already reacts to {producer} {event_type}")
            self._handlers[key] = handler
            return handler

        return register

    def handler(self, producer: str, event_type: str) -> Handler | None:
        return self._handlers.get((producer, event_type))

    def producers(self) -> list[str]:
        return sorted({producer for producer, _ in self._handlers})

    def subscriptions(self) -> list[tuple[str, str]]:
        return sorted(self._handlers)


class FeedClient:
    """Reads producers' `GET /events` feeds, to heal what NATS lost."""

    def __init__(
        self,
        base_urls: dict[str, str],
        *,
        headers: Callable[[], dict[str, str]] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_urls = base_urls
        self._headers = headers or dict
        self._client = httpx.AsyncClient(timeout=timeout)

    def knows(self, producer: str) -> bool:
        return producer in self.base_urls

    async def events(self, producer: str, *, after: int, limit: int) -> list[ForeignEvent]:
        response = await self._client.get(
            f"{self.base_urls[producer].rstrip('/')}/events",
            params={"after": after, "limit": max(1, min(limit, 1000))},
            headers=self._headers(),
        )
        response.raise_for_status()
        return [from_feed_item(item, producer) for item in response.json()["events"]]

    async def close(self) -> None:
        await self._client.aclose()


class _Gap(Exception):
    def __init__(self, last: int) -> None:
        self.last = last


class _Forged(Exception):
    """The event at the next position does not continue the producer's hash chain."""

    def __init__(self, last: int, reason: str) -> None:
        super().__init__(reason)
        self.last = last
        self.reason = reason


class _NotInLog(Exception):
    """The producer's feed has nothing after `last`: a message claiming a later position is
    not of its log."""

    def __init__(self, last: int) -> None:
        self.last = last


class ChainBrokenError(RuntimeError):
    """The producer's own feed does not continue the chain this consumer recorded: what it
    applied is not the producer's log (a forgery that linked, or a log replaced since)."""

    def __init__(self, producer: str, position: int, reason: str) -> None:
        super().__init__(f"{producer} position {position}: {reason}")
        self.producer = producer
        self.position = position
        self.reason = reason


class _Source(Enum):
    """Where an event comes from, which says whether its chain link is checked and what a
    broken one means."""

    MESSAGE = "message"
    """NATS: checked; a broken link is a message that is not the producer's."""
    FEED = "feed"
    """The producer's feed: checked; a broken link means what was applied is not its log."""
    CALLER = "caller"
    """Handed in by code that vouches for it (tests, tools): not checked."""


def _not_to_retry(error: BaseException) -> bool:
    """A gap, a broken chain link or a server that is away: for the outer loops, never retried
    by the handler's."""
    return isinstance(error, _Gap | _Forged) or _unavailable(error)


def _lock_key(producer: str) -> int:
    return zlib.crc32(f"cica.consumer.{producer}".encode())


class JetStreamConsumer:
    def __init__(
        self,
        *,
        service: str,
        producer: str,
        reactions: Reactions,
        store: PostgresEventStore,
        nats: NatsConnection,
        feed: FeedClient | None = None,
        max_attempts: int = 5,
        retry_base_delay: float = 0.1,
        batch_size: int = 100,
        idle_check_after: float = 5.0,
        waiting_check_after: float = 2.0,
        ack_wait: float = 30.0,
        stream_wait: float = 1.0,
    ) -> None:
        self.service = service
        self.producer = producer
        self.reactions = reactions
        self.store = store
        self.engine = store.engine
        self.nats = nats
        self.feed = feed
        self.max_attempts = max_attempts
        self.retry_base_delay = retry_base_delay
        self.batch_size = batch_size
        self.idle_check_after = idle_check_after
        self.waiting_check_after = waiting_check_after
        """Seconds between tries of the events parked as waiting for a prerequisite."""
        self.ack_wait = ack_wait
        self.stream_wait = stream_wait
        """Seconds between looks for the producer's stream while it does not exist yet."""
        self.durable = durable_name(service, producer)
        self.position = 0
        self.known_head = 0
        """The highest position of the producer's log this replica has heard of (an event that
        continued the chain, or the feed): with `position`, the consumer's lag as far as it
        knows (shared/metrics). What a message claims moves nothing: a forgery may claim any
        position."""
        self.after_commit: Callable[[ForeignEvent], Awaitable[None] | None] | None = None
        """Called after each event's transaction commits and before its ack (for tests and
        instrumentation)."""
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------------- the loop

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.durable)

    async def close(self) -> None:
        if self._task is not None:
            # Cancel, and give the task's clean-up (unsubscribing its pull inbox, at most
            # `UNSUBSCRIBE_WITHIN`) the time to run: cancelled again while it waits to start,
            # the unsubscribe never ran and the inbox stayed open for the connection's drain to
            # wait on (a flaky shutdown on a busy machine). Then cancel until it ends: on
            # Python 3.11 a cancellation that lands as an inner wait completes
            # (asyncio.wait_for, which nats-py's fetch uses) can be swallowed, and a single
            # cancel() would then leave shutdown waiting forever.
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=UNSUBSCRIBE_WITHIN + 0.5)
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=0.1)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        rounds = 0  # rounds that ended in trouble, over the consumer's life
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except (NatsError, *UNAVAILABLE, httpx.HTTPError) as error:
                log.warning("consumer.interrupted", consumer=self.durable, error=repr(error))
            except ChainBrokenError as error:
                log.error(
                    "consumer.chain_broken",
                    consumer=self.durable,
                    producer=error.producer,
                    position=error.position,
                    reason=error.reason,
                )
            except Exception as error:
                if _unavailable(error):
                    log.warning("consumer.interrupted", consumer=self.durable, error=repr(error))
                else:
                    log.exception("consumer.failed", consumer=self.durable)
            rounds += 1
            await asyncio.sleep(backoff(rounds, base=0.2, cap=5.0))

    async def _subscribe(self, js: Any) -> Any | None:
        """This consumer's pull subscription to the producer's stream, its durable consumer
        created if need be; None while the stream does not exist (the producer creates it
        when its relay first leads: no other service may)."""
        try:
            return await js.pull_subscribe(
                f"cica.{self.producer}.>",
                durable=self.durable,
                stream=stream_name(self.producer),
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=self.ack_wait,
                    max_deliver=-1,
                    max_ack_pending=1000,
                ),
            )
        except NotFoundError:
            return None

    async def _consume(self) -> None:
        client = await self.nats.connected()
        js = client.jetstream()
        subscription = await self._subscribe(js)
        if subscription is None:
            log.info("consumer.waiting_for_stream", consumer=self.durable,
                     stream=stream_name(self.producer))  # fmt: skip
        while subscription is None:
            # What the producer has recorded meanwhile, from its feed, if it answers yet (it
            # may be starting too, which is no trouble to report).
            with contextlib.suppress(httpx.TransportError):
                await self.catch_up()
            await asyncio.sleep(self.stream_wait)
            subscription = await self._subscribe(js)
        try:
            self.position = await self.tracked_position()
            idle_since = waiting_checked = asyncio.get_running_loop().time()
            while True:
                if asyncio.get_running_loop().time() - waiting_checked >= self.waiting_check_after:
                    await self.retry_waiting()
                    waiting_checked = asyncio.get_running_loop().time()
                try:
                    messages = await subscription.fetch(self.batch_size, timeout=1.0)
                except (NatsTimeoutError, TimeoutError):
                    now = asyncio.get_running_loop().time()
                    if now - idle_since >= self.idle_check_after:
                        await self.catch_up()
                        idle_since = now
                    continue
                idle_since = asyncio.get_running_loop().time()
                await self._process(messages)
        finally:
            # Leave nothing for the connection's drain to wait on: a pull subscription left
            # open held every shutdown for the drain's whole timeout (5 s), then failed it.
            # The durable consumer stays on the server; only this inbox goes.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(subscription.unsubscribe(), UNSUBSCRIBE_WITHIN)

    async def _process(self, messages: list[Any]) -> None:
        """Handle a fetched batch: first all together in one transaction (the fast path), then
        each one that is not handled yet on its own, with retries and parking; ack each only
        once it is committed."""
        pending: list[tuple[Any, ForeignEvent]] = []
        for message in messages:
            if message.subject == f"cica.{self.producer}.checkpoints":  # signed log heads
                await message.ack()
                continue
            try:
                event = decode(message.data)
            except EnvelopeError as error:
                log.error("consumer.poison_message", consumer=self.durable, error=str(error))
                await message.term()
                continue
            if event.producer != self.producer:
                await message.ack()
                continue
            pending.append((message, event))
        try:
            await self._apply_run([event for _, event in pending])
        except (asyncio.CancelledError, *UNAVAILABLE):
            await self._nak(message for message, _ in pending)
            raise
        except Exception as error:  # a handler failed: the slow path below retries and parks
            if _unavailable(error):
                await self._nak(message for message, _ in pending)
                raise
            log.info("consumer.batch_fallback", consumer=self.durable, error=repr(error))
        for index, (message, event) in enumerate(pending):
            try:
                if await self.receive(event, on_retry=message.in_progress):
                    await message.ack()
                else:  # not the producer's: never to be delivered again
                    await message.term()
            except BaseException:
                await self._nak(m for m, _ in pending[index:])
                raise

    @staticmethod
    async def _nak(messages: Any) -> None:
        for message in messages:
            with contextlib.suppress(Exception):
                await message.nak(delay=1.0)

    async def _apply_run(self, events: list[ForeignEvent]) -> None:
        """Apply the events that follow on from the tracked position, in one transaction,
        stopping at the first gap; raises (and commits nothing) if any handler fails."""
        applied: list[ForeignEvent] = []
        async with self.engine.begin() as connection:
            last, last_hash = await self._locked_head(connection)
            for event in sorted(events, key=lambda e: e.position):
                if event.position <= last:
                    continue
                if event.position != last + 1 or link_break(event, last_hash) is not None:
                    break  # a gap, or a broken link: the slow path heals it
                self._heard(event.position)
                await self._run_handler(connection, event)
                applied.append(event)
                last, last_hash = event.position, _hash_of(event)
            if applied:
                await connection.execute(
                    insert(tracking), [self._tracking_values(e, "applied") for e in applied]
                )
        self.position = max(self.position, last)
        for event in applied:
            await self._after_commit(event)

    async def catch_up(self) -> int:
        """Take from the producer's feed whatever this consumer has not handled yet."""
        if self.feed is None or not self.feed.knows(self.producer):
            return 0
        handled = 0
        while True:
            last = await self.tracked_position()
            events = await self.feed.events(self.producer, after=last, limit=self.batch_size)
            if not events:
                return handled
            self._heard(max(event.position for event in events))
            for event in events:
                await self._handle(event, None, _Source.FEED)
                handled += 1

    # ------------------------------------------------------------------- one event

    async def receive(
        self, event: ForeignEvent, *, on_retry: Callable[[], Awaitable[Any]] | None = None
    ) -> bool:
        """Handle a message from NATS once, first healing any gap before it from the
        producer's feed. False when it is not the producer's (it breaks the hash chain, or
        claims a position the producer's log does not have): then it is not applied, and the
        genuine event at its position, if there is one yet, is taken from the feed instead."""
        return await self._handle(event, on_retry, _Source.MESSAGE)

    async def handle(
        self, event: ForeignEvent, *, on_retry: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        """Handle `event`, which the caller vouches for (a test, a tool: its chain link is not
        checked), once, first healing any gap before it from the producer's feed."""
        await self._handle(event, on_retry, _Source.CALLER)

    async def _handle(
        self,
        event: ForeignEvent,
        on_retry: Callable[[], Awaitable[Any]] | None,
        source: _Source,
    ) -> bool:
        if event.position <= self.position:
            return True  # committed already (tracked positions never go back)
        # Its retries, parking and gap healing are logged with its ids.
        with context.caused_by(str(event.event_id), event.metadata.get("correlation_id")):
            while True:
                try:
                    await self._apply(event, on_retry, check=source is not _Source.CALLER)
                    return True
                except _Gap as gap:
                    try:
                        await self._heal(gap.last, event.position)
                    except _NotInLog as nowhere:
                        if source is not _Source.MESSAGE:
                            raise ConnectionError(
                                f"{self.durable}: the feed of {self.producer} lacks "
                                f"{nowhere.last + 1}"
                            ) from None
                        reason = f"the producer's log ends before {nowhere.last + 1}"
                        self._forged(event, reason)
                        return False
                except _Forged as forged:
                    if source is _Source.FEED:
                        raise ChainBrokenError(
                            self.producer, event.position, forged.reason
                        ) from None
                    # The genuine event at its position, from the feed, first: if that does
                    # not continue the chain either, what is wrong is what this consumer
                    # recorded before (ChainBrokenError), not this message.
                    if self.feed is not None and self.feed.knows(self.producer):
                        with contextlib.suppress(_NotInLog):  # the genuine one is still to come
                            await self._heal(forged.last, event.position + 1)
                    self._forged(event, forged.reason)
                    return False

    def _heard(self, position: int) -> None:
        self.known_head = max(self.known_head, position)

    def _forged(self, event: ForeignEvent, reason: str) -> None:
        log.error(
            "consumer.forged_message",
            consumer=self.durable,
            producer=self.producer,
            position=event.position,
            event_id=str(event.event_id),
            event_type=event.event_type,
            reason=reason,
        )

    async def _heal(self, last: int, until: int) -> None:
        """Apply positions `last` + 1 to `until` - 1 from the producer's feed; `_NotInLog` if
        the feed has nothing after `last`."""
        if self.feed is None or not self.feed.knows(self.producer):
            raise ConnectionError(
                f"{self.durable}: positions {last + 1}..{until - 1} are missing and no feed "
                f"of {self.producer} is configured"
            )
        log.warning("consumer.gap", consumer=self.durable, missing_from=last + 1, until=until)
        missing = await self.feed.events(self.producer, after=last, limit=until - 1 - last)
        missing = [m for m in missing if m.position < until]
        if not missing:
            raise _NotInLog(last)
        self._heard(max(m.position for m in missing))
        for event in missing:
            await self._apply_healed(event)

    async def _apply_healed(self, event: ForeignEvent) -> None:
        try:
            await self._apply(event, None, check=True)
        except _Gap:
            pass  # another replica moved on meanwhile; the outer loop looks again
        except _Forged as forged:  # the producer's own log does not continue what we applied
            raise ChainBrokenError(self.producer, event.position, forged.reason) from None

    async def _apply(
        self,
        event: ForeignEvent,
        on_retry: Callable[[], Awaitable[Any]] | None,
        *,
        check: bool,
    ) -> None:
        """Apply `event` (if `check`, only if it continues the chain), retrying a failing
        handler with backoff; after `max_attempts`, park it. A gap, a broken link, or a
        server that is away, is raised at once: never retried here nor parked."""

        async def before_sleep(retry_state: RetryCallState) -> None:
            assert retry_state.outcome is not None
            log.warning(
                "consumer.handler_failed",
                consumer=self.durable,
                position=event.position,
                event_type=event.event_type,
                attempt=retry_state.attempt_number,
                error=repr(retry_state.outcome.exception()),
            )
            if on_retry is not None:
                with contextlib.suppress(Exception):
                    await on_retry()

        attempts = 0
        try:
            async for attempt in retrying(
                on=Exception,
                unless=lambda error: _not_to_retry(error) or isinstance(error, DomainError),
                attempts=max(self.max_attempts, 1),
                wait=Backoff(base=self.retry_base_delay, cap=5.0),
                before_sleep=before_sleep,
            ):
                with attempt:
                    attempts += 1
                    await self._apply_once(event, check=check)
        except Exception as error:
            if _not_to_retry(error):
                raise
            # Failed its last attempt, or refused by the service's rules (the same again on
            # every attempt): parked with its reason, waiting if what it rests on is to come.
            await self._park(event, error, attempts)

    async def _locked_head(self, connection: AsyncConnection) -> tuple[int, bytes | None]:
        """Under the producer's lock: the last position of the producer this service tracked,
        and the hash it recorded for it (the genesis hash before any; None for a position
        tracked before hashes were)."""
        await connection.execute(select(func.pg_advisory_xact_lock(_lock_key(self.producer))))
        query = (
            select(tracking.c.position, tracking.c.hash)
            .where(tracking.c.producer == self.producer)
            .order_by(tracking.c.position.desc())
            .limit(1)
        )
        row = (await connection.execute(query)).first()
        if row is None:
            return 0, GENESIS_HASH
        return int(row.position), row.hash

    async def _apply_once(self, event: ForeignEvent, *, check: bool) -> None:
        async with self.engine.begin() as connection:
            last, last_hash = await self._locked_head(connection)
            if event.position <= last:
                self.position = max(self.position, last)
                return
            if event.position != last + 1:
                raise _Gap(last)
            if check and (reason := link_break(event, last_hash)) is not None:
                raise _Forged(last, reason)
            self._heard(event.position)
            await self._run_handler(connection, event)
            await connection.execute(
                insert(tracking).values(self._tracking_values(event, "applied"))
            )
        self.position = max(self.position, event.position)
        await self._after_commit(event)

    async def _run_handler(self, connection: AsyncConnection, event: ForeignEvent) -> None:
        handler = self.reactions.handler(self.producer, event.event_type)
        if handler is None:
            return
        with context.caused_by(str(event.event_id), event.metadata.get("correlation_id")):
            await handler(ReactionContext(connection, self.store, event), event)

    async def _after_commit(self, event: ForeignEvent) -> None:
        if self.after_commit is not None:
            result = self.after_commit(event)
            if result is not None:
                await result

    def _tracking_values(self, event: ForeignEvent, outcome: str) -> dict[str, Any]:
        return {
            "producer": self.producer,
            "position": event.position,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "outcome": outcome,
            "handled_at": datetime.now(UTC),
            "hash": _hash_of(event),
        }

    async def _park(self, event: ForeignEvent, error: Exception, attempts: int) -> None:
        log.error(
            "consumer.parked",
            consumer=self.durable,
            position=event.position,
            event_type=event.event_type,
            error=repr(error),
        )
        async with self.engine.begin() as connection:
            last, _ = await self._locked_head(connection)
            if event.position <= last:
                return
            if event.position != last + 1:
                raise _Gap(last)
            await connection.execute(
                insert(tracking).values(self._tracking_values(event, "parked"))
            )
            await connection.execute(
                insert(parked_messages).values(
                    producer=self.producer,
                    position=event.position,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    envelope=event.as_feed_item(),
                    attempts=attempts,
                    parked_at=datetime.now(UTC),
                    **_reason(error),
                )
            )
        self.position = max(self.position, event.position)

    async def retry_waiting(self) -> int:
        """Try again each event of this producer parked as waiting for a prerequisite, oldest
        first; those whose prerequisite has come are applied and resolved. How many were."""
        query = (
            select(parked_messages.c.id)
            .where(
                parked_messages.c.producer == self.producer,
                parked_messages.c.waiting.is_(True),
                parked_messages.c.resolved_at.is_(None),
            )
            .order_by(parked_messages.c.id)
        )
        async with self.engine.connect() as connection:
            waiting = (await connection.execute(query)).scalars().all()
        applied = 0
        for parked_id in waiting:
            with contextlib.suppress(StillFailingError, ParkedNotFoundError):
                await retry_parked(parked_id=parked_id, reactions=self.reactions, store=self.store)
                applied += 1
        if applied:
            log.info("consumer.waiting_applied", consumer=self.durable, applied=applied)
        return applied

    async def tracked_position(self) -> int:
        query = select(func.coalesce(func.max(tracking.c.position), 0)).where(
            tracking.c.producer == self.producer
        )
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())


def _hash_of(event: ForeignEvent) -> bytes | None:
    """The event's hash, as the tracking row keeps it (None if it is no hash at all: an event
    a caller handed in unchecked)."""
    try:
        digest = bytes.fromhex(event.hash)
    except ValueError:
        return None
    return digest if len(digest) == 32 else None


def _reason(error: Exception) -> dict[str, Any]:
    """What a parked row says of its `error`: the rule that refused it (a `DomainError`) or
    the fault, and whether it waits for a prerequisite (`AwaitingError`)."""
    if isinstance(error, DomainError):
        return {
            "error": f"{error.rule}: {error.detail}",
            "rule": error.rule,
            "waiting": isinstance(error, AwaitingError),
        }
    return {"error": f"{type(error).__name__}: {error}", "rule": None, "waiting": False}


class ParkedNotFoundError(LookupError):
    pass


class StillFailingError(RuntimeError):
    pass


async def retry_parked(
    *, parked_id: int, reactions: Reactions, store: PostgresEventStore
) -> ForeignEvent:
    """Run a parked event's handler again; on success it is applied, once, and resolved."""
    async with store.engine.begin() as connection:
        row = (
            await connection.execute(
                select(parked_messages).where(parked_messages.c.id == parked_id).with_for_update()
            )
        ).first()
        if row is None or row.resolved_at is not None:
            raise ParkedNotFoundError(parked_id)
        event = from_feed_item(row.envelope, row.producer)
        handler = reactions.handler(row.producer, row.event_type)
        try:
            async with connection.begin_nested():
                if handler is not None:
                    with context.caused_by(
                        str(event.event_id), event.metadata.get("correlation_id")
                    ):
                        await handler(ReactionContext(connection, store, event), event)
        except UNAVAILABLE:
            raise
        except Exception as error:
            if _unavailable(error):
                raise
            reason = _reason(error)
            await connection.execute(
                update(parked_messages)
                .where(parked_messages.c.id == parked_id)
                .values(attempts=row.attempts + 1, **reason)
            )
            failure = StillFailingError(reason["error"])
        else:
            now = datetime.now(UTC)
            await connection.execute(
                update(parked_messages)
                .where(parked_messages.c.id == parked_id)
                .values(resolved_at=now, attempts=row.attempts + 1)
            )
            await connection.execute(
                update(tracking)
                .where(tracking.c.producer == row.producer, tracking.c.position == row.position)
                .values(outcome="applied", handled_at=now)
            )
            return event
    raise failure
