"""`make soak`: the October 2022 scenario under faults, N times (default 10), each run with a
fault schedule drawn at random, compared with an undisturbed run; then M times (default 10) on
two replicas of each service and three NATS nodes, each run struck once at random (issue 23).

    make soak                          # ten schedules, ten strikes
    make soak SOAK_ARGS="--runs 3 --replicated-runs 2 --seed 7"

Each run starts a system of its own (`tests/faults/harness.py`: PostgreSQL, NATS and the four
services as processes on free ports), runs `cica demo --notifications`, and injects its
schedule while the demo runs: two to four faults, each after a step drawn at random, each one
of NATS killed (SIGKILL) and restarted, a service killed (SIGKILL) and restarted, or
PostgreSQL stopped and restarted, each part down for a drawn 0.5 to 2.5 seconds. Then the
harness waits until every consumer has handled its producers' logs to their heads, and the run
is judged as `tests/faults/test_faults.py` judges one: the demo succeeded; no request answered
500; nothing parked; no reaction recorded twice for one cause and no gap in any stream; every
chain verifies; the same events of each type in every log, and the same read models, as the
undisturbed run.

The replicated runs (`tests/system/test_replicas.py`'s system and judgement: `cica up
--replicas 2 --nats-cluster 3` running `cica demo --notifications` with webhooks to three
ministries and a silence procedure) each draw a strike: after a step drawn at random, NATS
node 1, 2 or 3 or none, and of one to four of the services the replica whose relay publishes
the log (the leader) or the other one, all killed with SIGKILL at once, the supervisor
restarting them. Each ends as an undisturbed run on one replica and one node ends, or its
report names the first check that does not hold.

The report (`tests/soak/results/soak.md` and `.json`) gives, for each run, its schedule, the
events in every log, the reactions each service recorded (events with a cause), what was
parked, the differences from the undisturbed run (none is the aim), and whether every chain
verified. The exit code is 0 when every run ended as the undisturbed one, else 1.

A run that fails or differs keeps its services' logs and both end states (``CICA_FAULTS_KEEP``)
under `tests/soak/results/kept/<run>/` for the reader; a replicated one, its services' logs, the
outputs of `cica up` and of the demo, and both runs' events, under `kept/replicated-<run>/`. So
does a run that ends as the undisturbed one but takes longer than `--keep-slower-than` seconds
(45 by default), and the report says so in its row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.system.demo.scenario import scenario
from tests.faults import harness
from tests.faults.harness import DemoRun, FaultSystem, Outcome
from tests.system import test_replicas as replicas

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = len(scenario(notifications=True))
SERVICES = ("registry", "documents", "meetings", "notifications")


@dataclass(frozen=True)
class Fault:
    after_step: int
    kind: str
    """nats, postgres, or service:<name>"""
    outage: float

    def __str__(self) -> str:
        return f"after step {self.after_step}: {self.kind} down {self.outage:.1f}s"

    def inject(self, system: FaultSystem, demo: DemoRun) -> None:
        demo.reached(self.after_step)
        if self.kind == "nats":
            system.kill_nats()
            time.sleep(self.outage)
            system.start_nats()
        elif self.kind == "postgres":
            system.stop_postgres()
            time.sleep(self.outage)
            system.start_postgres()
        else:
            name = self.kind.removeprefix("service:")
            system.kill_service(name)
            time.sleep(self.outage)
            system.start_service(name)


def draw_schedule(rng: random.Random) -> list[Fault]:
    """Two to four faults after distinct steps, in the order of the steps (the first step
    records the members; the last waits for the notice of Kuwait's admission)."""
    steps = sorted(rng.sample(range(2, STEPS - 1), rng.randint(2, 4)))
    kinds = ["nats", "postgres", *(f"service:{name}" for name in SERVICES)]
    return [Fault(step, rng.choice(kinds), round(rng.uniform(0.5, 2.5), 1)) for step in steps]


def draw_strike(rng: random.Random, node: int | None = None) -> replicas.Strike:
    """A strike on the replicated system: after a step, NATS node `node` (1, 2 or 3, or 0 for
    none; drawn when not given), and of one to four of the services their relay's leader or
    the other replica, all killed at once."""
    step = rng.randrange(2, STEPS - 1)
    node = rng.randint(0, 3) if node is None else node
    struck = set(rng.sample(SERVICES, rng.randint(1, len(SERVICES))))
    return replicas.Strike(
        step, node, {s: rng.choice(("leader", "follower")) for s in SERVICES if s in struck}
    )


def struck_nodes(rng: random.Random, runs: int) -> list[int]:
    """The NATS node each of `runs` replicated runs strikes (0: none), in a drawn order: each of
    the four as often as the others, give or take one, so that ten runs strike every node at
    least twice (drawn freely, ten runs of one seed had never struck node 2)."""
    deck = [0, 1, 2, 3] * (runs // 4) + rng.sample([0, 1, 2, 3], runs % 4)
    rng.shuffle(deck)
    return deck


def differences(outcome: Outcome, baseline: Outcome) -> list[str]:
    """What sets `outcome` apart from the undisturbed `baseline`, in words; none is the aim
    (the judgement of `tests/faults/test_faults.py::assert_same_end_state`, as a list)."""
    found = []
    if outcome.demo_code != 0 or "Every chain verified." not in outcome.demo_output:
        found.append(f"the demo exited {outcome.demo_code}: {outcome.demo_output[-300:]!r}")
    found += [f"{name}: 500 to {paths}" for name, paths in outcome.answered_500.items() if paths]
    found += [f"{name}: parked {items}" for name, items in outcome.parked.items() if items]
    for name, events in outcome.logs.items():
        twice = harness.duplicated_reactions(events)
        if twice:
            found.append(f"{name}: reactions recorded twice {twice[:5]}")
        gaps = harness.gaps_in_versions(events)
        if gaps:
            found.append(f"{name}: gaps in streams {dict(list(gaps.items())[:5])}")
    for name, chain in outcome.chains.items():
        if not chain.get("ok"):
            found.append(f"{name}: chain broken {chain}")
    for name, summary in baseline.state["logs"].items():
        got = outcome.state["logs"].get(name)
        if got != summary:
            found.append(f"{name}: log differs from the undisturbed run: {_delta(summary, got)}")
    for model, answer in baseline.state["read_models"].items():
        if outcome.state["read_models"].get(model) != answer:
            found.append(f"read model {model} differs from the undisturbed run")
    return found


def _delta(expected: Any, got: Any) -> str:
    if isinstance(expected, dict) and isinstance(got, dict):
        keys = sorted(set(expected) | set(got), key=str)
        return ", ".join(
            f"{key}: {expected.get(key)!r} → {got.get(key)!r}"
            for key in keys
            if expected.get(key) != got.get(key)
        )[:600]
    return f"{expected!r} → {got!r}"[:600]


@dataclass
class RunReport:
    run: int
    schedule: list[str]
    seconds: float
    events: dict[str, int] = field(default_factory=dict)
    reactions: dict[str, int] = field(default_factory=dict)
    parked: dict[str, int] = field(default_factory=dict)
    chains_verified: bool = False
    differences: list[str] = field(default_factory=list)
    error: str | None = None
    kept: str | None = None  # why its logs were kept (it differed, failed or ran slow)

    @property
    def clean(self) -> bool:
        return self.error is None and not self.differences


def report_of(run: int, schedule: list[Fault], seconds: float, outcome: Outcome,
              baseline: Outcome) -> RunReport:  # fmt: skip
    return RunReport(
        run=run,
        schedule=[str(f) for f in schedule],
        seconds=round(seconds, 1),
        events={name: len(events) for name, events in outcome.logs.items()},
        reactions={
            name: sum(1 for e in events if "causation_id" in e.metadata)
            for name, events in outcome.logs.items()
        },
        parked={name: len(items) for name, items in outcome.parked.items()},
        chains_verified=all(chain.get("ok") for chain in outcome.chains.values()),
        differences=differences(outcome, baseline),
    )


def replicated_report(
    run: int,
    strike: replicas.Strike,
    seconds: float,
    outcome: replicas.Outcome,
    baseline: replicas.Outcome,
) -> RunReport:
    """A replicated run judged as `tests/system/test_replicas.py` judges its own: the first
    assertion that does not hold is its difference."""
    found = []
    try:
        replicas.assert_ends_as(baseline, outcome)
    except AssertionError as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        found.append(f"line {frame.lineno} ({frame.line}) does not hold: {error}"[:900])
    return RunReport(
        run=run,
        schedule=[str(strike)],
        seconds=round(seconds, 1),
        events={s: len(events) for s, events in outcome.events.items()},
        reactions={
            s: sum(1 for e in events if "causation_id" in e["metadata"])
            for s, events in outcome.events.items()
        },
        parked={s: len(items) for s, items in outcome.parked.items()},
        chains_verified=all(chain.get("ok") for chain in outcome.chains.values()),
        differences=found,
    )


SLOW_RUN_SECONDS = 45.0
"""A run that takes longer keeps its logs though it ends as the undisturbed one: runs took
10-19 s, and one that took 72.6 s (a minute more than its replay) left nothing to read."""


def why_kept(report: RunReport, slow: float, where: Path) -> str | None:
    """Why `report`'s run keeps its logs in `where`: it failed, it differs from the undisturbed
    run, or it took longer than `slow` seconds; None: it keeps nothing."""
    shown = f"{where.parent.name}/{where.name}"
    if report.error is not None:
        return f"failed: logs in {shown}"
    if report.differences:
        return f"differs: logs in {shown}"
    if report.seconds > slow:
        return f"slower than {slow:g} s: logs in {shown}"
    return None


def keep_logs(logs: Path, kept: Path) -> None:
    """The services' own logs of a single-node run, next to its end states."""
    if logs.is_dir():
        shutil.copytree(logs, kept / "logs", dirs_exist_ok=True)


def keep_replicated(where: Path, kept: Path, outcomes: dict[str, replicas.Outcome]) -> None:
    """A replicated run that differs or failed: its services' logs, `cica up`'s and the demo's
    output, and the events of both runs, under `kept`."""
    kept.mkdir(parents=True, exist_ok=True)
    logs = where / "state" / "logs"
    if logs.is_dir():
        shutil.copytree(logs, kept / "logs", dirs_exist_ok=True)
    for output in where.glob("*.out"):
        shutil.copy(output, kept / output.name)
    (kept / "events.json").write_text(json.dumps(
        {name: {s: [[e["position"], e["stream_id"], e["event_type"], e["metadata"]]
                    for e in events] for s, events in outcome.events.items()}
         for name, outcome in outcomes.items()},
        indent=1, default=str,
    ))  # fmt: skip


def run_once(root: Path, fault: Callable[[FaultSystem, DemoRun], None] | None) -> Outcome:
    for system in harness.running_system(root):
        return harness.run_scenario(system, fault)
    raise AssertionError("unreachable")


def _rows(reports: list[RunReport]) -> list[str]:
    lines = [
        "| run | schedule | s | events (reg/doc/meet/notif) | reactions | parked | chains | "
        "differences |",
        "| ---: | --- | ---: | --- | --- | --- | --- | --- |",
    ]
    for r in reports:
        per = "/".join(str(r.events.get(name, "-")) for name in SERVICES)
        reacted = "/".join(str(r.reactions.get(name, "-")) for name in SERVICES)
        parked = "/".join(str(r.parked.get(name, "-")) for name in SERVICES)
        said = r.error or ("; ".join(r.differences) if r.differences else "none")
        if r.kept:
            said += f" ({r.kept})"
        said = said.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {r.run} | {'<br>'.join(r.schedule)} | {r.seconds} | {per} | {reacted} | "
            f"{parked} | {'verified' if r.chains_verified else 'NOT verified'} | {said} |"
        )
    return lines


def write_report(
    reports: list[RunReport],
    baseline: Outcome | None,
    replicated: list[RunReport],
    replicated_baseline: replicas.Outcome | None,
    seed: int,
    started: str,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    clean = sum(r.clean for r in reports)
    both = sum(r.clean for r in replicated)
    lines = [
        "# Soak: the October 2022 scenario under random fault schedules",
        "",
        f"Started {started}; seed {seed}.",
        "",
        "## One replica of each service, one NATS node",
        "",
        f"{len(reports)} runs; **{clean} of {len(reports)} ended as the undisturbed run** "
        "(nothing lost, nothing duplicated, nothing parked, every chain verified).",
        "",
    ]
    if baseline is not None:
        lines += [
            "Undisturbed run: "
            + ", ".join(f"{name} {len(events)} events" for name, events in baseline.logs.items()),
            "",
        ]
    lines += _rows(reports)
    lines += [
        "",
        "## Two replicas of each service on three NATS nodes",
        "",
        "`cica up --replicas 2 --nats-cluster 3`, struck once during the demo (everything named "
        "killed with SIGKILL at once, the supervisor restarting it), judged against an "
        "undisturbed run on one replica and one node as `tests/system/test_replicas.py` judges "
        "its own strike (delivery attempts aside: a replica killed mid-attempt leaves one "
        "unanswered, attempted again).",
        "",
        f"{len(replicated)} runs; **{both} of {len(replicated)} ended as the undisturbed run**.",
        "",
    ]
    if replicated_baseline is not None:
        lines += [
            "Undisturbed run: "
            + ", ".join(
                f"{name} {len(events)} events"
                for name, events in replicated_baseline.events.items()
            ),
            "",
        ]
    lines += _rows(replicated)
    markdown = RESULTS / "soak.md"
    markdown.write_text("\n".join(lines) + "\n")
    (RESULTS / "soak.json").write_text(json.dumps(
        {"started": started, "seed": seed, "runs": [r.__dict__ for r in reports],
         "replicated_runs": [r.__dict__ for r in replicated]}, indent=1
    ) + "\n")  # fmt: skip
    return markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--replicated-runs", type=int, default=10,
                        help="runs on two replicas and three NATS nodes, each struck once")
    parser.add_argument("--seed", type=int, default=None,
                        help="the random schedules' seed (default: drawn, and reported)")
    parser.add_argument("--only", type=int, action="append", default=[],
                        help="run only these of the seed's runs (repeatable): to replay one")
    parser.add_argument("--keep-slower-than", type=float, default=SLOW_RUN_SECONDS,
                        metavar="SECONDS",
                        help="keep the logs of a run that ends as the undisturbed one but takes "
                        f"longer than this (default {SLOW_RUN_SECONDS:g}); a run that differs "
                        "or fails keeps them always")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="cica-soak-") as scratch:
        root = Path(scratch)
        slow = args.keep_slower_than
        baseline, reports = single_node_runs(
            root, args.runs, args.only, random.Random(seed), slow
        )
        replicated_baseline, replicated = replicated_runs(
            root, args.replicated_runs, args.only, random.Random(f"{seed} replicated"), slow
        )
        path = write_report(reports, baseline, replicated, replicated_baseline, seed, started)
    counts = Counter(r.clean for r in reports)
    both = Counter(r.clean for r in replicated)
    print(f"soak: {counts[True]} of {len(reports)} runs as undisturbed, "
          f"{both[True]} of {len(replicated)} replicated ones; report {path}")  # fmt: skip
    return 0 if counts[False] == 0 and both[False] == 0 else 1


def single_node_runs(
    root: Path, runs: int, only: list[int], rng: random.Random, slow: float
) -> tuple[Outcome | None, list[RunReport]]:
    if runs < 1:
        return None, []
    print(f"soak: {runs} runs; the undisturbed run first", flush=True)
    baseline = run_once(root / "baseline", None)
    reports = []
    for run in range(1, runs + 1):
        schedule = draw_schedule(rng)
        if only and run not in only:
            continue
        print(f"soak: run {run}/{runs}: " + "; ".join(map(str, schedule)), flush=True)
        kept = RESULTS / "kept" / str(run)
        os.environ["CICA_FAULTS_KEEP"] = str(kept)
        kept.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()

        def fault(system: FaultSystem, demo: DemoRun, schedule: list[Fault] = schedule) -> None:
            for each in schedule:
                each.inject(system, demo)

        try:
            outcome = run_once(root / f"run-{run}", fault)
            report = report_of(run, schedule, time.monotonic() - began, outcome, baseline)
            report.kept = why_kept(report, slow, kept)
            if report.kept is None:
                shutil.rmtree(kept, ignore_errors=True)
            else:
                harness.keep_for_inspection(outcome, baseline)
                keep_logs(root / f"run-{run}" / "logs", kept)
        except Exception as error:  # a run that could not finish is reported, not hidden
            report = RunReport(run, [str(f) for f in schedule],
                               round(time.monotonic() - began, 1), error=_brief(error))  # fmt: skip
            (kept / "error.txt").write_text(f"{type(error).__name__}: {error}")
            report.kept = why_kept(report, slow, kept)
            keep_logs(root / f"run-{run}" / "logs", kept)
        reports.append(report)
        verdict = "as undisturbed" if report.clean else "DIFFERS"
        print(f"soak: run {run}: {verdict} ({report.seconds}s)", flush=True)
    return baseline, reports


def replicated_runs(
    root: Path, runs: int, only: list[int], rng: random.Random, slow: float
) -> tuple[replicas.Outcome | None, list[RunReport]]:
    if runs < 1:
        return None, []
    print(f"soak: {runs} replicated runs; the undisturbed run first", flush=True)
    baseline = replicas.run_system(root / "replicated-baseline", replicas=1, nats_cluster=1,
                                   strike=None)  # fmt: skip
    reports = []
    nodes = struck_nodes(rng, runs)
    for run in range(1, runs + 1):
        strike = draw_strike(rng, nodes[run - 1])
        if only and run not in only:
            continue
        print(f"soak: replicated run {run}/{runs}: {strike}", flush=True)
        where = root / f"replicated-{run}"
        kept = RESULTS / "kept" / f"replicated-{run}"
        began = time.monotonic()
        try:
            outcome = replicas.run_system(where, replicas=2, nats_cluster=3, strike=strike)
            report = replicated_report(run, strike, time.monotonic() - began, outcome, baseline)
            report.kept = why_kept(report, slow, kept)
            if report.kept is not None:
                keep_replicated(where, kept, {"struck": outcome, "undisturbed": baseline})
        except Exception as error:  # a run that could not finish is reported, not hidden
            report = RunReport(run, [str(strike)], round(time.monotonic() - began, 1),
                               error=_brief(error))  # fmt: skip
            keep_replicated(where, kept, {"undisturbed": baseline})
            (kept / "error.txt").write_text(f"{type(error).__name__}: {error}")
            report.kept = why_kept(report, slow, kept)
        reports.append(report)
        verdict = "as undisturbed" if report.clean else "DIFFERS"
        print(f"soak: replicated run {run}: {verdict} ({report.seconds}s)", flush=True)
    return baseline, reports


def _brief(error: BaseException) -> str:
    """The head says what failed; the tail (the demo's last steps) says where."""
    said = f"{type(error).__name__}: {error}"
    return said if len(said) <= 900 else f"{said[:300]} … {said[-600:]}"


if __name__ == "__main__":
    sys.exit(main())
