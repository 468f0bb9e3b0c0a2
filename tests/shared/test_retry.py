"""shared.retry: the backoff's bounds and growth, and `retrying`'s attempts and errors."""

from __future__ import annotations

import asyncio
import random

import pytest

from shared.retry import Backoff, RetryCallState, backoff, retrying


def test_backoff_doubles_from_its_base_up_to_its_cap() -> None:
    delays = [backoff(attempt, base=0.1, cap=1.0) for attempt in range(1, 8)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
    assert backoff(10_000, base=0.1, cap=5.0) == 5.0  # no overflow however long it lasts


def test_backoff_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError):
        backoff(0, base=0.1, cap=1.0)


def test_jittered_backoff_stays_between_zero_and_the_plain_delay() -> None:
    rng = random.Random(15)
    for attempt in range(1, 12):
        ceiling = backoff(attempt, base=0.1, cap=2.0)
        draws = [backoff(attempt, base=0.1, cap=2.0, jitter=True, rng=rng) for _ in range(50)]
        assert all(0 <= draw <= ceiling for draw in draws)
        assert len(set(draws)) > 1  # drawn, not fixed


def test_backoff_as_a_wait_strategy_follows_the_attempt_number() -> None:
    wait = Backoff(base=0.5, cap=3.0)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    delays = []
    for attempt in range(1, 5):
        state.attempt_number = attempt
        delays.append(wait(state))
    assert delays == [0.5, 1.0, 2.0, 3.0]


async def test_retrying_reraises_the_last_error_after_its_attempts() -> None:
    calls = 0
    with pytest.raises(ConnectionError, match="try 3"):
        async for attempt in retrying(on=ConnectionError, attempts=3):
            with attempt:
                calls += 1
                raise ConnectionError(f"try {calls}")
    assert calls == 3


async def test_retrying_stops_at_the_first_success() -> None:
    calls = 0
    result = None
    async for attempt in retrying(on=ConnectionError, attempts=5):
        with attempt:
            calls += 1
            if calls < 2:
                raise ConnectionError("not yet")
            result = "done"
    assert (calls, result) == (2, "done")


async def test_retrying_raises_other_errors_at_once() -> None:
    calls = 0
    with pytest.raises(KeyError):
        async for attempt in retrying(on=ConnectionError, attempts=5):
            with attempt:
                calls += 1
                raise KeyError("not retried")
    assert calls == 1


async def test_retrying_raises_at_once_the_errors_its_unless_names() -> None:
    calls = 0
    with pytest.raises(ValueError, match="away"):
        async for attempt in retrying(
            on=Exception, unless=lambda error: "away" in str(error), attempts=5
        ):
            with attempt:
                calls += 1
                raise ValueError("wrong" if calls == 1 else "away")
    assert calls == 2


async def test_retrying_waits_as_told_and_says_so_before_each_sleep() -> None:
    slept: list[float] = []
    told: list[tuple[int, str, float]] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def before_sleep(state: RetryCallState) -> None:
        assert state.outcome is not None
        told.append((state.attempt_number, str(state.outcome.exception()), state.upcoming_sleep))

    with pytest.raises(OSError):
        async for attempt in retrying(
            on=OSError,
            attempts=4,
            wait=Backoff(base=0.1, cap=0.3),
            before_sleep=before_sleep,
            sleep=sleep,
        ):
            with attempt:
                raise OSError("away")
    assert slept == pytest.approx([0.1, 0.2, 0.3])  # none after the last attempt
    assert told == [(1, "away", 0.1), (2, "away", 0.2), (3, "away", 0.3)]


def test_retrying_needs_one_attempt_at_least() -> None:
    with pytest.raises(ValueError):
        retrying(on=OSError, attempts=0)


async def test_cancelling_a_retrying_loop_ends_its_wait_at_once() -> None:
    started = asyncio.Event()

    async def connect_forever() -> None:
        async for attempt in retrying(
            on=OSError, attempts=None, wait=Backoff(base=60.0, cap=60.0)
        ):
            with attempt:
                started.set()
                raise OSError("away")

    task = asyncio.create_task(connect_forever())
    await started.wait()
    await asyncio.sleep(0.01)  # now in its 60 s wait
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1.0)
