"""A pytest plugin of the suite (`-p tests.scheduling` in pyproject's addopts): how `make test`
shares the suite between two processes (pytest-xdist, `-n auto --maxprocesses 2 --dist
loadfile`), so that it keeps to its fifteen minutes on a two-core machine.

Run one test after another, the suite keeps the two cores busy less than half of the time:
much of it waits on processes starting, on polling and on the network. Split module by module
in pytest-xdist's own order (most tests first), the modules that start whole systems came last
and, run side by side, ended the run late and slowed each other (the replica test 70 s → 107 s,
schemathesis 100 s → 160 s). So, with `--dist loadfile`:

- the modules that start whole systems (`cica up`, its replicas, the fault harness,
  schemathesis on four services) are one unit of work, run one after the other by one worker,
  and scheduled first: no two of them share the cores, and they end with the rest;
- every other module is a unit of its own, the longest of them first, the rest in the order of
  collection; the other worker takes them one after another.

Without `-n` (a test or a module run by hand) nothing here changes anything."""

from __future__ import annotations

import os
from typing import Any

import pytest

WHOLE_SYSTEMS_UNIT = "whole systems"
WHOLE_SYSTEMS = (
    # The slowest first; in a fresh clone's serial run (seconds, set-up included):
    "tests/system/test_clients.py",  # 130: schemathesis on four services, a browser
    "tests/system/test_replicas.py",  # 70: two replicas on three NATS nodes, after one node
    "tests/audit/test_replay_state_trace.py",  # 55
    "tests/system/test_demo.py",  # 53
    "tests/faults/test_faults.py",  # 55
    "tests/system/test_make_up.py",  # 45
)
LONGEST_OTHERS = (
    "tests/shared/test_transport.py",  # 20 to 70: ten thousand events through NATS
    "tests/test_hostile_input.py",  # 32
    "tests/load/test_counting.py",  # 9
)
_RANK = {module: rank for rank, module in enumerate(WHOLE_SYSTEMS + LONGEST_OTHERS)}


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: the whole systems' one, or its module."""
    module = _module(nodeid)
    return WHOLE_SYSTEMS_UNIT if module in WHOLE_SYSTEMS else module


def rank_of(nodeid: str) -> int:
    """Where a test's module goes in the order of the units: the listed ones first, in their
    order, then every other one as collected."""
    return _RANK.get(_module(nodeid), len(_RANK))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a worker (whose collection the scheduler follows), the listed modules first; the
    order inside a module stays as written (some tests rely on coming last in theirs)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: rank_of(item.nodeid))


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own, which also answers
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` with the whole systems as one unit, in the order above."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling  # only when xdist runs the suite

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def remove_node(self, node: Any) -> str | None:
            """A worker that ended mid-unit (a test's deadline ends its process): the test it
            was running is reported as its crash, once, and the rest of the unit goes to
            another worker. xdist's own puts the whole unit back, that test included, which
            then ended the next worker the same way, up to its limit of restarts (seen: the
            same stalled test run nine times)."""
            workload = self.assigned_work.pop(node)
            pending = [
                (scope, nodeid)
                for scope, unit in workload.items()
                for nodeid, done in unit.items()
                if not done
            ]
            if not pending:
                return None
            scope, crashed = pending[0]
            workload[scope][crashed] = True
            for scope, unit in workload.items():
                if not all(unit.values()):
                    self.workqueue[scope] = unit
            for other in self.assigned_work:
                self._reschedule(other)
            return crashed

    config.option.loadscopereorder = False  # the units in the order of the workers' collection
    return Scheduling(config, log)
