"""The soak's schedules and judgement (tests/soak/run.py), without running a system: the runs
themselves are `make soak`'s, not the suite's."""

from __future__ import annotations

import copy
import random
from pathlib import Path

from tests.faults.harness import Event, Outcome
from tests.soak.run import (
    STEPS,
    RunReport,
    differences,
    draw_schedule,
    draw_strike,
    struck_nodes,
    why_kept,
)
from tests.system.test_replicas import SERVICES, Strike


def test_a_schedule_is_two_to_four_faults_after_distinct_steps_inside_the_scenario():
    for seed in range(200):
        schedule = draw_schedule(random.Random(seed))
        steps = [fault.after_step for fault in schedule]
        assert 2 <= len(schedule) <= 4
        assert steps == sorted(set(steps)), "in order, one fault a step"
        assert all(2 <= step < STEPS - 1 for step in steps)
        assert all(0.5 <= fault.outage <= 2.5 for fault in schedule)
    assert draw_schedule(random.Random(7)) == draw_schedule(random.Random(7)), "a seed, a draw"
    kinds = {f.kind for seed in range(200) for f in draw_schedule(random.Random(seed))}
    assert kinds == {"nats", "postgres", "service:registry", "service:documents",
                     "service:meetings", "service:notifications"}  # fmt: skip


def test_a_strike_kills_a_node_or_none_and_a_leader_or_follower_of_some_services():
    strikes = [draw_strike(random.Random(seed)) for seed in range(300)]
    for strike in strikes:
        assert 2 <= strike.step < STEPS - 1
        assert strike.nats_node in (0, 1, 2, 3)
        assert 1 <= len(strike.replicas) <= len(SERVICES)
        assert set(strike.replicas) <= set(SERVICES)
        assert set(strike.replicas.values()) <= {"leader", "follower"}
    assert draw_strike(random.Random(7)) == draw_strike(random.Random(7)), "a seed, a draw"
    assert {s.nats_node for s in strikes} == {0, 1, 2, 3}
    assert {w for s in strikes for w in s.replicas.values()} == {"leader", "follower"}
    assert {len(s.replicas) for s in strikes} == {1, 2, 3, 4}
    said = str(Strike(9, 0, {"documents": "follower"}))
    assert said == "after step 9: follower of documents"


def test_ten_replicated_runs_strike_every_nats_node_and_none_at_least_twice():
    for seed in range(100):
        rng = random.Random(seed)
        nodes = struck_nodes(rng, 10)
        assert len(nodes) == 10
        assert all(nodes.count(node) >= 2 for node in (0, 1, 2, 3)), nodes
    assert struck_nodes(random.Random(7), 10) == struck_nodes(random.Random(7), 10)
    assert sorted(struck_nodes(random.Random(3), 4)) == [0, 1, 2, 3]
    assert draw_strike(random.Random(5), 2).nats_node == 2


def _outcome() -> Outcome:
    events = [
        Event(1, "e1", "state-KAZ", "FoundingMemberRegistered", 1, {"source": {}}),
        Event(2, "e2", "state-KWT", "MemberAdmitted", 1, {"causation_id": "c1"}),
    ]
    return Outcome(
        demo_code=0, demo_output="Every chain verified.", logs={"registry": events},
        state={"logs": {"registry": {"MemberAdmitted": 1}}, "read_models": {"members": 28}},
        chains={"registry": {"ok": True, "head_position": 2}}, digests={},
        parked={"registry": []}, answered_500={"registry": []},
    )  # fmt: skip


def test_a_run_like_the_undisturbed_one_has_no_difference_and_each_kind_of_loss_is_named():
    baseline = _outcome()
    assert differences(copy.deepcopy(baseline), baseline) == []

    lost = copy.deepcopy(baseline)
    lost.state["logs"]["registry"] = {"MemberAdmitted": 0}
    parked = copy.deepcopy(baseline)
    parked.parked["registry"] = [("meetings", 7, "outside-competence")]
    twice = copy.deepcopy(baseline)
    twice.logs["registry"].append(
        Event(3, "e3", "state-KWT", "MemberAdmitted", 2, {"causation_id": "c1"}))
    broken = copy.deepcopy(baseline)
    broken.chains["registry"] = {"ok": False}

    assert "log differs" in differences(lost, baseline)[0]
    assert "parked" in differences(parked, baseline)[0]
    assert any("twice" in said for said in differences(twice, baseline))
    assert any("chain broken" in said for said in differences(broken, baseline))


def test_a_run_keeps_its_logs_when_it_fails_differs_or_runs_slow_and_only_then():
    kept = Path("results") / "kept" / "replicated-4"
    clean = RunReport(4, ["kill registry after step 3"], seconds=18.2)
    slow = RunReport(4, [], seconds=72.6)
    differs = RunReport(4, [], seconds=12.0, differences=["registry: 1 event lost"])
    failed = RunReport(4, [], seconds=90.0, error="TimeoutError: the demo did not finish")

    assert why_kept(clean, 45.0, kept) is None
    assert why_kept(slow, 45.0, kept) == "slower than 45 s: logs in kept/replicated-4"
    assert why_kept(slow, 80.0, kept) is None
    assert why_kept(differs, 45.0, kept) == "differs: logs in kept/replicated-4"
    assert why_kept(failed, 45.0, kept) == "failed: logs in kept/replicated-4"
