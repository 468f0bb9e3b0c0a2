"""The kit's command path (`shared.commands`) on the real PostgreSQL: a command that another
write overtook is decided again on the newer state when the client stated no version, and is
refused, appending nothing, when it did; work redone under derived ids is recorded once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.commands import (
    COMMAND_ATTEMPTS,
    History,
    derived_event_ids,
    in_transaction,
    read_history,
    run_command,
)
from shared.eventstore import ConcurrencyError, DomainEvent, EventTypes
from shared.eventstore.postgres import PostgresEventStore
from tests.database import opened_store

event_types = EventTypes()


@event_types.register("Numbered")
class Numbered(DomainEvent):
    number: int


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    async with opened_store(database_url, event_types) as store:
        yield store


def next_number(history: History) -> Numbered:
    """The rule: each event takes the number after the last one."""
    return Numbered(number=len(history.events) + 1)


async def numbers(store: PostgresEventStore, stream_id: str) -> list[int]:
    events, _ = await store.load(stream_id)
    return [e.number for e in events if isinstance(e, Numbered)]


def overtaken_once(store: PostgresEventStore, stream_id: str, decided: list[int]):
    """A command's work that, the first time, another writer overtakes between its read and its
    append, as a concurrent request would."""

    async def work(connection):  # type: ignore[no-untyped-def]
        history = await read_history(connection, store, stream_id)
        if not decided:
            await store.append(stream_id, [Numbered(number=1)], stream_type="counter",
                               expected_version=None)
        event = next_number(history)
        decided.append(event.number)
        result = await store.append_in(connection, stream_id, [event], stream_type="counter",
                                       expected_version=history.version)
        return result, event

    return work


async def test_a_command_overtaken_by_another_write_is_decided_again_on_the_newer_state(store):
    stream_id = f"counter-{uuid.uuid4()}"
    decided: list[int] = []

    result, event = await in_transaction(
        store, overtaken_once(store, stream_id, decided), again=True
    )

    assert decided == [1, 2], "decided on the stale state, then again on the newer one"
    assert (event.number, result.version) == (2, 2)
    assert await numbers(store, stream_id) == [1, 2]


async def test_a_command_with_a_stated_version_gets_the_conflict_and_appends_nothing(store):
    stream_id = f"counter-{uuid.uuid4()}"
    decided: list[int] = []

    with pytest.raises(ConcurrencyError):
        await in_transaction(store, overtaken_once(store, stream_id, decided), again=False)
    with pytest.raises(ConcurrencyError):
        await run_command(store, stream_id, "counter", next_number, expected=0)

    assert decided == [1]
    assert await numbers(store, stream_id) == [1], "only the other writer's event"


def overtaken_after_reading(
    store: PostgresEventStore, monkeypatch: pytest.MonkeyPatch, times: int
) -> list[int]:
    """Another writer appends to the stream right after each of the next `times` reads of
    `run_command`, as a concurrent request would; returns the list of versions read."""
    read = store.read_committed
    versions: list[int] = []

    async def read_then_overtaken(stream_id: str):  # type: ignore[no-untyped-def]
        found = await read(stream_id)
        versions.append(found.version)
        if len(versions) <= times:
            await store.append(stream_id, [Numbered(number=0)], stream_type="counter",
                               expected_version=None)
        return found

    monkeypatch.setattr(store, "read_committed", read_then_overtaken)
    return versions


async def test_run_command_overtaken_decides_again_on_the_newer_state(store, monkeypatch):
    stream_id = f"counter-{uuid.uuid4()}"
    versions = overtaken_after_reading(store, monkeypatch, times=1)

    recorded = await run_command(store, stream_id, "counter", next_number)

    assert versions == [0, 1], "read, overtaken, read again"
    assert recorded.version == 2
    assert await numbers(store, stream_id) == [0, 2], "decided on the newer state"


async def test_run_command_overtaken_every_time_gives_up_after_its_attempts(store, monkeypatch):
    stream_id = f"counter-{uuid.uuid4()}"
    versions = overtaken_after_reading(store, monkeypatch, times=COMMAND_ATTEMPTS)

    with pytest.raises(ConcurrencyError):
        await run_command(store, stream_id, "counter", next_number)

    assert versions == list(range(COMMAND_ATTEMPTS)), "decided COMMAND_ATTEMPTS times in all"
    assert await numbers(store, stream_id) == [0] * COMMAND_ATTEMPTS, "the others' only"


async def test_run_command_with_a_stated_version_is_not_tried_again(store, monkeypatch):
    stream_id = f"counter-{uuid.uuid4()}"
    versions = overtaken_after_reading(store, monkeypatch, times=1)

    with pytest.raises(ConcurrencyError):
        await run_command(store, stream_id, "counter", next_number, expected=0)

    assert versions == [0]
    assert await numbers(store, stream_id) == [0]


async def test_work_redone_under_derived_ids_is_recorded_once(store):
    stream_id = f"counter-{uuid.uuid4()}"
    cause = uuid.uuid4()
    ids = derived_event_ids(cause, f"{stream_id}/")

    first = await run_command(store, stream_id, "counter",
                              lambda history: Numbered(number=1), event_ids=ids)
    again = await run_command(store, stream_id, "counter",
                              lambda history: Numbered(number=1), event_ids=ids)

    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.version == first.version == 1
    assert await numbers(store, stream_id) == [1]
