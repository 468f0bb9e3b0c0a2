"""A test that stalls is ended by the suite's timeout, in each of the ways a system test can
stall: awaiting what never comes; awaiting a child process that never exits, from a coroutine
or from sync code; its event loop blocked by a sync call; its event loop kept busy by
background tasks while it waits; a cleanup that waits again once the timeout has struck; an
executor thread that the loop's close waits for.

Each stall is a test in a generated file, run by a pytest of its own (a timeout may end the
whole run) with pyproject's [tool.pytest.ini_options], so that the timeout method is the
suite's, and a two-second `--timeout`. The plugins that take seconds to import and have nothing
to do with timing (hypothesis, schemathesis) are left out. A stall's child is started as the
system tests start theirs (`_die_with_parent`), and must not outlive the run.

With SIGALRM (pytest-timeout's default method) three of them ran on past any bound: the
exception lands in a background task and is lost, or the cleanup or the loop's close waits
with no timer left. With its thread method, all of them print their "Timeout", but the run
with the busy event loop went on for 15 to 134 seconds after it, on this project's 2-core
machine; and a test that fails before its timeout and then hangs in its teardown has no timer
left under either method (pytest-timeout stops it at the failure). The suite's own deadline
(`tests.deadlines`, faulthandler's watchdog, GRACE seconds after the timeout here) ends both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.polling import eventually_sync

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 2  # seconds, given to each run on its command line
GRACE = 1  # seconds after it, for the suite's own deadline (tests/deadlines.py)
ENDED_WITHIN = 60.0  # seconds for every run to have ended, counted from their common start
CHILD_GONE_WITHIN = 10.0

STALLS = textwrap.dedent(
    """
    import asyncio
    import os
    import subprocess
    import sys
    import time

    import pytest

    from shared.system.devservers import _die_with_parent


    @pytest.fixture
    def pid_file():
        return os.environ["STALL_PID_FILE"]


    def sleeper(pid_file):
        # Sleeps for ten minutes, having written its process id to pid_file (in its argv, so
        # that the process can be told from another that gets the same id later).
        code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
        return [sys.executable, "-c", code + "time.sleep(600)", pid_file]


    async def test_awaits_a_future_that_never_completes():
        await asyncio.get_running_loop().create_future()


    async def test_awaits_a_child_process_that_never_exits(pid_file):
        child = await asyncio.create_subprocess_exec(
            *sleeper(pid_file), preexec_fn=_die_with_parent
        )
        await child.wait()


    def test_runs_a_child_process_that_never_exits(pid_file):
        subprocess.run(sleeper(pid_file), preexec_fn=_die_with_parent)


    async def test_blocks_its_event_loop():
        time.sleep(600)


    async def test_awaits_what_never_comes_while_background_tasks_work():
        async def work():  # as a relay, a consumer and delivery workers do in process
            while True:
                sum(range(20_000))
                await asyncio.sleep(0)

        workers = [asyncio.create_task(work()) for _ in range(4)]
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            for worker in workers:
                worker.cancel()


    def test_stops_with_a_wait_of_its_own_after_the_timeout():
        try:
            time.sleep(600)
        finally:
            time.sleep(600)  # a stop that waits for what it stops, with no limit


    async def test_awaits_a_thread_that_never_returns():
        await asyncio.to_thread(time.sleep, 600)


    @pytest.fixture
    def a_stop_that_hangs():
        yield
        time.sleep(600)


    def test_fails_then_its_teardown_hangs(a_stop_that_hangs):
        assert False, "failed before its timeout, which pytest-timeout then stops"
    """
)
# The suite's configuration, without the plugins that take seconds to import and have nothing
# to do with timing.
PYTEST = [
    sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
    "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis",
]  # fmt: skip


@dataclass(frozen=True)
class Stall:
    test: str
    starts_a_child: bool = False


STALL_CASES = [
    Stall("test_awaits_a_future_that_never_completes"),
    Stall("test_awaits_a_child_process_that_never_exits", starts_a_child=True),
    Stall("test_runs_a_child_process_that_never_exits", starts_a_child=True),
    Stall("test_blocks_its_event_loop"),
    Stall("test_awaits_what_never_comes_while_background_tasks_work"),
    Stall("test_stops_with_a_wait_of_its_own_after_the_timeout"),
    Stall("test_awaits_a_thread_that_never_returns"),
    Stall("test_fails_then_its_teardown_hangs"),
]


@dataclass
class Run:
    output: str
    returncode: int | None  # None: still running when every run should have ended
    pid_file: Path


def _running(pid_file: Path) -> int | None:
    """The id of the child that wrote `pid_file`, if that child is still running (not gone,
    not a zombie, and not another process that got its id)."""
    try:
        pid = int(pid_file.read_text())
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    return pid if state not in ("Z", "X") and os.fsencode(pid_file) in argv else None


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every stall run at once, each by its own pytest; what each printed, once all ended."""
    directory = tmp_path_factory.mktemp("stalls")
    stalls = directory / "test_stalls.py"
    stalls.write_text(STALLS)
    started: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    try:
        for stall in STALL_CASES:
            pid_file = directory / f"{stall.test}.pid"
            started[stall.test] = (
                subprocess.Popen(
                    [*PYTEST, f"--timeout={TIMEOUT}", f"{stalls}::{stall.test}"],
                    cwd=ROOT,
                    env={
                        **os.environ,
                        "STALL_PID_FILE": str(pid_file),
                        "CICA_TEST_DEADLINE_GRACE": str(GRACE),
                    },
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
                pid_file,
            )
        deadline = time.monotonic() + ENDED_WITHIN
        ended: dict[str, Run] = {}
        for test, (process, pid_file) in started.items():
            try:
                output, _ = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
                ended[test] = Run(output, None, pid_file)
            else:
                ended[test] = Run(output, process.returncode, pid_file)
        yield ended
    finally:
        for process, pid_file in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            if (pid := _running(pid_file)) is not None:
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stall", STALL_CASES, ids=[stall.test for stall in STALL_CASES])
def test_a_stalled_test_is_ended_by_its_timeout(stall: Stall, runs: dict[str, Run]) -> None:
    run = runs[stall.test]
    assert run.returncode is not None, (
        f"{stall.test} still running after {ENDED_WITHIN:g}s:\n{run.output}"
    )
    assert run.returncode == 1, run.output
    assert "Timeout" in run.output, run.output
    if stall.starts_a_child:
        assert run.pid_file.exists(), f"the child never started:\n{run.output}"
        eventually_sync(
            lambda: _running(run.pid_file),
            until=lambda pid: pid is None,
            within=CHILD_GONE_WITHIN,
            what=f"the end of the child of {stall.test}",
        )


TWO_WORKERS_STALLS = (
    "test_awaits_what_never_comes_while_background_tasks_work",
    "test_runs_a_child_process_that_never_exits",
)


def test_in_two_processes_a_stalled_test_ends_once_and_its_module_goes_on(tmp_path: Path) -> None:
    """`make test`'s way (pytest-xdist, tests/scheduling.py): a stall's deadline ends its
    worker's process; the stalled test is reported failed once, not run again on the worker
    that replaces it (xdist's own scheduling ran it nine times, until its limit of restarts),
    and the tests after it in its module still run."""
    stalls = tmp_path / "test_stalls.py"
    stalls.write_text(STALLS + "\n\ndef test_after_the_stalls():\n    pass\n")
    pid_file = tmp_path / "child.pid"
    chosen = [f"{stalls}::{test}" for test in (*TWO_WORKERS_STALLS, "test_after_the_stalls")]
    process = subprocess.run(
        [*PYTEST, f"--timeout={TIMEOUT}", "-n", "2", "--dist", "loadfile", *chosen],
        cwd=ROOT,
        env={**os.environ, "STALL_PID_FILE": str(pid_file), "CICA_TEST_DEADLINE_GRACE": str(GRACE)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=ENDED_WITHIN * 2,
    )
    output = process.stdout + process.stderr
    assert process.returncode == 1, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED ")]
    for test in TWO_WORKERS_STALLS:
        assert sum(f"::{test}" in line for line in failed) == 1, output
    assert "2 failed, 1 passed" in output, output
    eventually_sync(
        lambda: _running(pid_file),
        until=lambda pid: pid is None,
        within=CHILD_GONE_WITHIN,
        what="the end of the stalled test's child",
    )
