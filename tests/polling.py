"""Waiting for what happens on its own (a consumer catching up, a relay publishing, a server
starting): poll a check until it holds or a deadline passes, then fail saying what was awaited
and the last value seen. One loop, for async tests and (on an event loop of its own) the
system tests' sync ones; never a fixed sleep in its place."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SHOWN = 2000  # characters of the last value a failure shows


def shown(value: object) -> str:
    """`value` as a failure shows it: an HTTP answer with its status and body."""
    status, body = getattr(value, "status_code", None), getattr(value, "text", None)
    if isinstance(status, int) and isinstance(body, str):
        value = f"{status} {body}"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}…"


def _what(check: Callable[..., object], what: str | None) -> str:
    if what:
        return what
    name = getattr(check, "__name__", None)
    code = getattr(check, "__code__", None)
    if name == "<lambda>" and code is not None:
        return f"the check at {code.co_filename}:{code.co_firstlineno}"
    return name or repr(check)


async def eventually(
    check: Callable[[], Awaitable[T]] | Callable[[], T],
    *,
    until: Callable[[T], object] = bool,
    within: float = 30.0,
    every: float = 0.05,
    what: str | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """The first value of `check()` (awaited if it is awaitable) that `until` accepts (by
    default: a true one), polled every `every` seconds; an exception among `ignoring` counts
    as "not yet". Fails once `within` seconds have passed, naming `what` (by default the
    check's name, or where a lambda stands) and the last value seen."""
    __tracebackhide__ = True
    deadline = time.monotonic() + within
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
        except ignoring as error:
            last: object = error
        else:
            if until(value):
                return value
            last = value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not in time ({within:g}s): {_what(check, what)}; last seen: {shown(last)}"
            )
        await asyncio.sleep(every)


def eventually_sync(
    check: Callable[[], T],
    *,
    until: Callable[[T], object] = bool,
    within: float = 30.0,
    every: float = 0.1,
    what: str | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """`eventually` for a test without an event loop (the system tests): the same loop, on an
    event loop of its own."""
    __tracebackhide__ = True
    return asyncio.run(
        eventually(
            check,
            until=until,
            within=within,
            every=every,
            what=what,
            ignoring=ignoring,
        )
    )
