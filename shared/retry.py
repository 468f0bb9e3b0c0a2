"""Retries in memory, with backoff: the kit's one policy, on tenacity.

Every loop that tries something again (a command decided again after another write got in
first, a connection to a server that is away, a handler that failed) says *what* it retries and
*how long it waits*, and leaves the looping to tenacity::

    async for attempt in retrying(on=ConcurrencyError, attempts=5):
        with attempt:
            return await run_once()

`backoff(attempt)` is the delay policy on its own, for the loops that are not a retry of one
call (a follower waiting after a failed batch, a supervisor restarting a process): exponential,
capped, with full jitter when asked, so that replicas do not retry in step.

A loop that logs each retry passes `before_sleep=` (sync or async): it gets tenacity's
`RetryCallState` (re-exported here), with `attempt_number`, `outcome.exception()` and
`upcoming_sleep`, the delay about to be waited.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
    wait_none,
)
from tenacity.wait import wait_base

__all__ = ["Backoff", "RetryCallState", "backoff", "retrying"]


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float,
    jitter: bool = False,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the `attempt`-th failure (1 for the first): `base`·2^(attempt−1),
    at most `cap`; with `jitter`, a uniform draw between 0 and that (AWS's "full jitter")."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    if not jitter:
        return ceiling
    return (rng or random).uniform(0, ceiling)


class Backoff(wait_base):
    """`backoff` as a tenacity wait strategy."""

    def __init__(self, *, base: float, cap: float, jitter: bool = False) -> None:
        self.base, self.cap, self.jitter = base, cap, jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        return backoff(
            retry_state.attempt_number, base=self.base, cap=self.cap, jitter=self.jitter
        )


def retrying(
    *,
    on: type[BaseException] | tuple[type[BaseException], ...],
    attempts: int | None,
    wait: wait_base | None = None,
    unless: Callable[[BaseException], bool] | None = None,
    **options: Any,
) -> AsyncIterator[Any]:
    """An async iterator of attempts (tenacity's `AsyncRetrying`): retry the block while it
    raises one of `on`, at most `attempts` times in all (None: until it succeeds), waiting as
    `wait` says (not at all by default). An error of `on` for which `unless` is true is not
    retried but raised at once (say, a server that is away, left to an outer loop). After the
    last attempt the error itself is raised, never tenacity's `RetryError`. Other `options` go
    to tenacity as they are (`before_sleep`, sync or async, to log each retry)."""
    if attempts is not None and attempts < 1:
        raise ValueError("at least one attempt")
    retry = (
        retry_if_exception_type(on)
        if unless is None
        else retry_if_exception(lambda error: isinstance(error, on) and not unless(error))
    )
    return AsyncRetrying(  # type: ignore[return-value]
        retry=retry,
        stop=stop_never if attempts is None else stop_after_attempt(attempts),
        wait=wait or wait_none(),
        reraise=True,
        **options,
    )
