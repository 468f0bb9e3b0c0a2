"""Following a log as it grows: LISTEN/NOTIFY to wake at once, polling as the fallback.

Every commit that appends events notifies the channel `cica_events` with the new head
position (see `PostgresEventStore`). One `LogNotifier` per process holds the listening
connection and wakes every follower; if that connection is lost, followers still find new
events by polling, and the notifier reconnects in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.eventstore.postgres import NOTIFY_CHANNEL, PostgresEventStore
from shared.eventstore.types import RecordedEvent
from shared.retry import Backoff, RetryCallState, retrying

log = structlog.get_logger(__name__)


def plain_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class LogNotifier:
    def __init__(self, engine: AsyncEngine) -> None:
        self._dsn = plain_dsn(engine)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.head = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen_forever(), name="log-notifier")

    def waiter(self) -> asyncio.Event:
        """The event the next notification sets. Take it *before* reading the log, so that a
        notification between the read and the wait is not missed."""
        return self._wakeup

    async def wait(self, waiter: asyncio.Event, at_most: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), at_most)

    def _notify(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.head = max(self.head, int(payload))
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()

    async def _connect(self) -> asyncpg.Connection:
        """A listening connection, tried again with backoff (0.1 s doubling to 5 s, from the
        start again after each loss) until the database answers."""

        def before_sleep(retry_state: RetryCallState) -> None:
            assert retry_state.outcome is not None
            error = retry_state.outcome.exception()
            log.warning(
                "log_notifier.unavailable", error=str(error), retry_in=retry_state.upcoming_sleep
            )

        async for attempt in retrying(
            on=(OSError, asyncpg.PostgresError),
            attempts=None,
            wait=Backoff(base=0.1, cap=5.0),
            before_sleep=before_sleep,
        ):
            with attempt:
                return await asyncpg.connect(self._dsn)
        raise AssertionError("unreachable: retried until it connects")

    async def _listen_forever(self) -> None:
        while True:
            lost = asyncio.Event()
            connection = await self._connect()
            try:
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(NOTIFY_CHANNEL, self._notify)
                # Wake followers: notifications sent while we were not listening are lost.
                self._notify(None, 0, NOTIFY_CHANNEL, "0")
                await lost.wait()
                log.warning("log_notifier.lost_connection")
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("log_notifier.failed", error=str(error))
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def follow(
    store: PostgresEventStore,
    *,
    after: int,
    notifier: LogNotifier | None = None,
    batch_size: int = 500,
    poll_interval: float = 1.0,
) -> AsyncIterator[list[RecordedEvent]]:
    """Yield the log's events after `after` in batches, for ever, waiting when caught up."""
    position = after
    while True:
        waiter = notifier.waiter() if notifier is not None else None
        records = await store.read_all(after=position, limit=batch_size)
        if records:
            position = records[-1].position
            yield records
            continue
        if waiter is not None and notifier is not None:
            await notifier.wait(waiter, poll_interval)
        else:
            await asyncio.sleep(poll_interval)
