"""The October 2022 scenario (`cica demo --notifications`) while a part of the system fails:
NATS killed and restarted twice, the registry killed with SIGKILL and restarted, PostgreSQL
restarted. Each run ends in the state of an undisturbed run (`baseline`, once per module): the
same events in every service's log, nothing lost and nothing applied twice (no reaction
recorded twice for one cause, no gap in any stream, nothing parked), the same read models,
every hash chain verified, and no request of the whole run answered 500.

Each test starts a system of its own (`tests/faults/harness.py`), on free ports and a temporary
directory, and injects its fault when the demo's output says a chosen step is done, so the
fault lands at the same point of the scenario in every run; what it then meets (a request in
flight, a reaction half-way) may vary, and the end state must not.

Projection digests (``GET /projections``) are not compared across runs: a read model's rows
hold the time each fact was recorded and the log positions they came from, which differ from
one run to the next (and between two undisturbed runs) though the facts are the same. The
read models are compared through the APIs instead, normalised (`harness.normalised`), and each
run's digests are checked against the log by the projections having caught up with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from shared.system.demo.scenario import (
    circulate_by_note_1280,
    import_documents,
    kuwait_applies,
    scenario,
)
from tests.faults import harness
from tests.faults.harness import DemoRun, FaultSystem, Outcome

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]

# The steps of `cica demo --notifications` after which a fault is injected, found by their
# titles (their numbers move when the scenario gains a step).
STEPS = scenario(notifications=True)


def after(step: Callable[..., object]) -> int:
    """The number (from 1) of the step that runs `step`, as the demo prints it."""
    return next(number for number, s in enumerate(STEPS, start=1) if s.run is step)


AFTER_KUWAIT_APPLIES = after(kuwait_applies)
AFTER_DOCUMENTS_IMPORTED = after(import_documents)
AFTER_THE_SOC_DECIDES = after(circulate_by_note_1280)  # the SOC's decisions come next
AFTER_THE_SUMMIT_DECIDES = AFTER_THE_SOC_DECIDES + 1  # the Summit's decisions come next

OUTAGE = 1.5
"""Seconds a part stays down: long enough for requests and reactions to meet the outage."""


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    for system in harness.running_system(tmp_path_factory.mktemp("baseline")):
        return harness.run_scenario(system)
    raise AssertionError("unreachable")


@pytest.fixture
def system(tmp_path: Path) -> Iterator[FaultSystem]:
    yield from harness.running_system(tmp_path / "system")


def assert_same_end_state(outcome: Outcome, baseline: Outcome) -> None:
    harness.keep_for_inspection(outcome, baseline)
    assert baseline.demo_code == 0, baseline.demo_output
    assert outcome.demo_code == 0, outcome.demo_output
    assert "Every chain verified." in outcome.demo_output
    assert outcome.answered_500 == {name: [] for name in outcome.logs}
    assert outcome.parked == {name: [] for name in outcome.logs}
    for name, events in outcome.logs.items():
        assert harness.duplicated_reactions(events) == [], name
        assert harness.gaps_in_versions(events) == {}, name
    for name, chain in outcome.chains.items():
        assert chain["ok"], (name, chain)
        assert chain["head_position"] == outcome.logs[name][-1].position, name
    for name, summary in baseline.state["logs"].items():
        assert outcome.state["logs"][name] == summary, name
    for read_model, answer in baseline.state["read_models"].items():
        assert outcome.state["read_models"][read_model] == answer, read_model


def test_the_undisturbed_run_is_what_the_scenario_says(baseline: Outcome) -> None:
    """The baseline itself: the demo's facts, the probes once each, every chain verified."""
    assert baseline.demo_code == 0, baseline.demo_output
    models = baseline.state["read_models"]
    status, members = models["registry /members"]
    assert status == 200 and members["count"] == 28
    status, bodies = models["registry /bodies"]
    codes = [body["code"] for body in bodies["bodies"]]
    assert all(codes.count(code) == 1 for code in harness.PROBES)
    assert baseline.answered_500 == {name: [] for name in baseline.logs}
    assert baseline.parked == {name: [] for name in baseline.logs}
    for name, events in baseline.logs.items():
        assert harness.duplicated_reactions(events) == [], name
        assert harness.gaps_in_versions(events) == {}, name
        assert baseline.chains[name]["ok"], name


def test_nats_killed_and_restarted_twice(system: FaultSystem, baseline: Outcome) -> None:
    """NATS dies (SIGKILL) once while the registry's facts are recorded and once right after
    the SOC's decisions, whose reactions must then cross the restarted server."""

    def fault(system: FaultSystem, demo: DemoRun) -> None:
        for step in (AFTER_KUWAIT_APPLIES, AFTER_THE_SOC_DECIDES):
            demo.reached(step)
            system.kill_nats()
            time.sleep(OUTAGE)
            system.start_nats()

    outcome = harness.run_scenario(system, fault)

    assert_same_end_state(outcome, baseline)


def test_the_registry_killed_with_sigkill_and_restarted(
    system: FaultSystem, baseline: Outcome
) -> None:
    """The registry (whose MemberAdmitted the others react to) dies by SIGKILL right after the
    Summit's decision to admit Kuwait, while it reacts to that decision, and comes back."""

    def fault(system: FaultSystem, demo: DemoRun) -> None:
        demo.reached(AFTER_THE_SUMMIT_DECIDES)
        system.kill_service("registry")
        time.sleep(OUTAGE)
        system.start_service("registry")

    outcome = harness.run_scenario(system, fault)

    assert_same_end_state(outcome, baseline)


def test_postgresql_restarted_commands_get_503_with_retry_after_never_500(
    system: FaultSystem, baseline: Outcome
) -> None:
    """PostgreSQL restarts after the documents are imported. While it is down every command
    the test sends is answered 503 problem+json with Retry-After (the demo, a client like any
    other, waits as told and goes on); sent again afterwards with the same key, each is
    recorded once."""
    answers: list[httpx.Response] = []

    def fault(system: FaultSystem, demo: DemoRun) -> None:
        demo.reached(AFTER_DOCUMENTS_IMPORTED)
        system.stop_postgres()
        started = time.monotonic()
        with httpx.Client(timeout=15.0, trust_env=False) as client:
            for code in harness.PROBES:
                answers.append(harness.probe_request(client, system, code))
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
        system.start_postgres()

    outcome = harness.run_scenario(system, fault)

    assert len(answers) == len(harness.PROBES)
    for answer in answers:
        harness.assert_unavailable(answer)
    assert_same_end_state(outcome, baseline)
