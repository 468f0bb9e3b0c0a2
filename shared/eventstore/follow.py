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

    async def _listen_forever(self) -> None:
        delay = 0.1
        while True:
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(self._dsn)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("log_notifier.unavailable", error=str(error), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
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
