"""A pytest plugin of the suite (`-p tests.deadlines` in pyproject's addopts): a deadline for
every test's teardown, of its own.

pytest-timeout stops its timer as soon as a phase fails, so a test that failed (an assertion,
a polling deadline) and whose fixtures then hang on stopping what they started had no deadline
at all. Past `CICA_TEST_TEARDOWN_DEADLINE` seconds (120 by default) the run ends, every
thread's stack shown, as pytest-timeout's thread method ends it (tests/test_timeouts.py)."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Generator

import pytest

# The standard error the run started with, before pytest captures it: the stacks must reach the
# log of a run that is about to end, not a capture file that goes with it. Taken when pytest
# loads this plugin (`-p`), which is before its capture begins.
_STDERR = os.fdopen(os.dup(2), "w")


def teardown_deadline() -> float:
    return float(os.environ.get("CICA_TEST_TEARDOWN_DEADLINE", "120"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    faulthandler.dump_traceback_later(teardown_deadline(), exit=True, file=_STDERR)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()
