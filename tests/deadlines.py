"""A pytest plugin of the suite (`-p tests.deadlines` in pyproject's addopts): a deadline that
ends the run, whatever the test is doing, a little after its pytest-timeout limit.

pytest-timeout is the first line (its thread method reports which test overran, with every
thread's stack, and ends the run), but it leaves two gaps, both seen on this project's machines
(tests/test_timeouts.py):

- it stops its timer as soon as a phase fails, so a test that failed (an assertion, a polling
  deadline) and whose fixtures then hang on stopping what they started had no deadline at all;
- its timer thread needs the interpreter to print and exit: with the event loop of a busy
  system test running, the run went on for up to two minutes after its "Timeout" (once, on a
  loaded machine, past the test's minute of patience).

So the whole of each test (set-up, call and teardown) runs under `faulthandler`'s watchdog too:
a thread of the interpreter's C runtime, which needs no lock of Python's to write every
thread's stack and `_exit(1)`. It strikes `CICA_TEST_DEADLINE_GRACE` seconds (30) after the
test's own timeout (its `timeout` marker, `--timeout` or pyproject's), and never for a test
without one."""

from __future__ import annotations

import faulthandler
import os
import time
from collections.abc import Generator

import pytest
from pytest_timeout import _get_item_settings  # the limit pytest-timeout gives the item

# The standard error the run started with, before pytest captures it: the stacks must reach the
# log of a run that is about to end, not a capture file that goes with it. Taken when pytest
# loads this plugin (`-p`), which is before its capture begins.
_STDERR = os.fdopen(os.dup(2), "w")


def grace() -> float:
    return float(os.environ.get("CICA_TEST_DEADLINE_GRACE", "30"))


_DEADLINE = pytest.StashKey[float]()


def _arm(item: pytest.Item) -> None:
    """Set the watchdog to the item's deadline (at least `grace()` from now)."""
    seconds = max(item.stash[_DEADLINE] - time.monotonic(), grace())
    faulthandler.dump_traceback_later(seconds, exit=True, file=_STDERR)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    timeout = _get_item_settings(item).timeout
    if not timeout:
        return (yield)
    item.stash[_DEADLINE] = time.monotonic() + timeout + grace()
    _arm(item)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Armed again for the teardown: pytest's own faulthandler plugin cancels the watchdog
    whenever a phase fails (`pytest_exception_interact`), which is when a teardown is most
    likely to hang."""
    if _DEADLINE in item.stash:
        _arm(item)
