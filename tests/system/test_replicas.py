"""Several replicas on a NATS cluster: `cica up --replicas 2 --nats-cluster 3` runs the October
2022 scenario while one NATS node and one replica of each service are killed (SIGKILL) in the
middle, and ends where a single-node run of the same steps ends.

Both runs (the single-node baseline first, then the replicated one) do the same things through
the HTTP APIs: three ministries register webhook endpoints at a receiver of this test, `cica
demo --notifications` loads the scenario, and when it reaches its eighth step a silence
procedure is started with a deadline two seconds off (every meetings replica checks for due
procedures every half second, so they race to conclude it). In the replicated run, at that
moment, NATS node 2 and, of each service, the replica whose relay publishes its log (the
leader; its log says so) are killed, and the demo calls the other replica throughout; the
supervisor restarts what was killed, and the survivors' relays take over.

The end state must match the baseline's: 28 members, Rev.8 on the SOC's item 3(c), SOC/OI/1280
issued once to 27, the admission notice to 28, the same count of events of each type in every
log (delivery attempts aside: a replica killed mid-attempt leaves one unanswered, which is then
attempted again), every chain verifying, the silence procedure concluded once, and each
webhook received once — or again only after an attempt whose answer was never recorded;
nothing parked.

`make soak` (tests/soak/run.py) runs the same on strikes it draws: another step, another NATS
node or none, a leader or a follower of some of the services.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.meetings.seed import SILENCE_PROCEDURE
from shared.system import supervisor as supervisor_module
from shared.system.cli import build_parser, up_options
from shared.system.devservers import LocalNatsCluster, _die_with_parent
from shared.system.supervisor import Supervisor, UpOptions
from tests.feed import read_feed, settled_heads, with_token
from tests.polling import eventually_sync
from tests.system.test_demo import Ministries
from tests.system.test_make_up import REPO, SERVICES, pid_of, uvicorn_pid, wait_until_healthy

START_DEADLINE = 90.0
DEMO_DEADLINE = 180.0
SETTLE_DEADLINE = 60.0
REPLICA_STEP = 10  # replica r of a service listens on its port + 10 * (r - 1)
RECEIVING = ("KAZ", "IND", "TUR")
KINDS = ["note_verbale", "document_revised", "agenda_adopted", "member_admitted",
         "agenda_circulated", "document_circulated"]
# What each of them receives: SOC/OI/1280, the SOC's draft agenda and its annotated agenda
# circulated, the SOC's agenda adopted (the Summit's agenda is no source's: the demo records
# none), the circulation of SOC/OI/1280's two enclosures, Kuwait admitted. (After a NATS node
# dies a stream's new leader takes seconds to be elected, so the last of them may come well
# after the demo ends: a quiet moment alone does not mean done.)
NOTES_AND_NOTICES = 7
# The demo's step after which a silence procedure is started; it falls due two seconds later,
# while what the test kills at that step restarts.
SILENCE_AT_STEP = 8
SILENCE_SECONDS = 2
ENVIRONMENT = {
    "CICA_NOTIFICATIONS_WEBHOOK_KEY": "replica-test-webhook-key-of-forty-bytes!",
    "CICA_NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS": "true",
    "CICA_NOTIFICATIONS_DELIVERY_POLL_INTERVAL": "0.5",
    "CICA_NOTIFICATIONS_DELIVERY_TIMEOUT": "3",
    "CICA_NOTIFICATIONS_DELIVERY_BASE_DELAY": "0.2",
    "CICA_NOTIFICATIONS_DELIVERY_MAX_DELAY": "1",
    "CICA_MEETINGS_SILENCE_CHECK_INTERVAL": "0.5",
}


# ------------------------------------------------------------------------------ ports


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_block(ports: Callable[[int], list[int]], taken: set[int]) -> int:
    """A base port whose every derived port is free and not taken already."""
    for _ in range(500):
        # Below the kernel's ephemeral range (32768 and up on Linux), where the outgoing
        # connections of everything running could take a port between this check and the
        # bind (seen: a replica's port taken so, and cica up failing to start); the NATS block
        # reaches base + 4000 + nodes.
        base = random.randint(20000, 28000)
        wanted = ports(base)
        if not taken.intersection(wanted) and all(_bindable(p) for p in wanted):
            taken.update(wanted)
            return base
    raise AssertionError("no free block of ports found")


@dataclass(frozen=True)
class Ports:
    postgres: int
    nats: int
    service_base: int

    def service(self, name: str, replica: int = 1) -> int:
        return self.service_base + SERVICES.index(name) + REPLICA_STEP * (replica - 1)


def choose_ports(replicas: int, nats_nodes: int) -> Ports:
    taken: set[int] = set()
    service_base = _free_block(
        lambda b: [b + i + REPLICA_STEP * r for r in range(replicas) for i in range(4)], taken
    )
    nats = _free_block(
        lambda b: [b + i + offset for i in range(nats_nodes) for offset in (0, 2000, 4000)], taken
    )
    postgres = _free_block(lambda b: [b], taken)
    return Ports(postgres, nats, service_base)


# ------------------------------------------------------------------------------ the strike


@dataclass(frozen=True)
class Strike:
    """What is killed (SIGKILL), all at once, when the demo has done step `step`: NATS node
    `nats_node` (none: 0), and of each service in `replicas` its relay's leader (the replica
    that publishes its log) or the other one. The demo calls a replica that is not killed."""

    step: int
    nats_node: int
    replicas: dict[str, str]
    """By service: "leader" or "follower"."""

    def __str__(self) -> str:
        killed = [f"NATS node {self.nats_node}"] if self.nats_node else []
        killed += [f"{which} of {service}" for service, which in self.replicas.items()]
        return f"after step {self.step}: " + ", ".join(killed)


LEADERS_AND_NODE_2 = Strike(SILENCE_AT_STEP, 2, dict.fromkeys(SERVICES, "leader"))
"""The test's strike: NATS node 2 and every service's relay leader, as the procedure starts."""


def step_done(step: int) -> str:
    """What the demo prints once step `step` is done (`[ 8/22] registry ...`)."""
    return f"[{step:2}/"


# ------------------------------------------------------------------------------ the system


@dataclass
class System:
    """One `cica up` process, as a user runs it, with the test's notification settings."""

    state_dir: Path
    ports: Ports
    replicas: int = 1
    nats_cluster: int = 1
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    relay_leaders: dict[str, int] = field(default_factory=dict, init=False)
    """Which replica of each service publishes its log to NATS."""
    doomed: dict[str, int] = field(default_factory=dict, init=False)
    """Which replica of each service the strike kills."""

    def aim(self, strike: Strike) -> None:
        """Note which replica of each service `strike` kills (once the leaders are known)."""
        self.doomed = {
            service: leader if strike.replicas[service] == "leader" else 3 - leader
            for service, leader in self.relay_leaders.items()
            if service in strike.replicas
        }

    def demo_replica(self, service: str) -> int:
        """The replica the demo calls: one that is not killed."""
        doomed = self.doomed.get(service)
        return 1 if doomed is None else 3 - doomed

    def find_relay_leaders(self) -> None:
        """Wait until each service's relay has a leader, and note which replica it is: the one
        whose log says ``relay.leading`` (replica 1 logs to <service>.log, 2 to <service>-2)."""

        def leaders() -> dict[str, int]:
            found = {}
            for service in SERVICES:
                for replica, name in ((1, f"{service}.log"), (2, f"{service}-2.log")):
                    path = self.state_dir / "logs" / name
                    if path.exists() and '"relay.leading"' in path.read_text(errors="replace"):
                        found[service] = replica
            return found

        eventually_sync(
            leaders,
            until=lambda found: len(found) == len(SERVICES),
            within=SETTLE_DEADLINE,
            every=0.3,
            what="a relay leader in every service",
        )
        self.relay_leaders = leaders()

    @property
    def output_path(self) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}.out"

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def environment(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
        environment["PYTHONUNBUFFERED"] = "1"
        return environment

    def url(self, service: str, replica: int = 1) -> str:
        return f"http://127.0.0.1:{self.ports.service(service, replica)}"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "shared.system.cli", "up",
            "--state-dir", str(self.state_dir),
            "--pg-port", str(self.ports.postgres),
            "--nats-port", str(self.ports.nats),
            "--replicas", str(self.replicas),
            "--nats-cluster", str(self.nats_cluster),
            "--startup-timeout", str(START_DEADLINE),
        ]  # fmt: skip
        for service in SERVICES:
            command += ["--port", f"{service}={self.ports.service(service)}"]
        self.state_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.output_path.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**self.environment(), **ENVIRONMENT},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        wait_until_healthy(
            self.process,
            lambda: self.output,
            {(s, r): self.url(s, r) for s in SERVICES for r in range(1, self.replicas + 1)},
            within=START_DEADLINE,
        )

    def token(self, role: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "shared.system.cli", "token", "--state-dir", str(self.state_dir),
             "--role", role],
            cwd=REPO, env=self.environment(), capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    def demo(self, output: Path) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "shared.system.cli", "demo", "--notifications",
                   "--state-dir", str(self.state_dir)]  # fmt: skip
        for service in SERVICES:
            replica = self.demo_replica(service)
            command += ["--url", f"{service}={self.url(service, replica)}"]
        with output.open("wb") as out:
            return subprocess.Popen(
                command, cwd=REPO, env=self.environment(), stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )  # fmt: skip

    def nats_node_pid(self, node: int) -> int:
        config = str((self.state_dir / "nats-cluster" / f"nats-{node}.conf").resolve())
        return pid_of(
            f"nats-server runs {config}",
            lambda argv: config in argv and any(a.endswith("nats-server") for a in argv[:1]),
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ------------------------------------------------------------------------------ the run


@dataclass
class Outcome:
    demo_output: str
    events: dict[str, list[dict[str, Any]]]
    chains: dict[str, dict[str, Any]]
    members: dict[str, Any]
    agenda: dict[str, Any]
    note: dict[str, Any]
    admission: dict[str, Any]
    procedure_id: str
    procedure: dict[str, Any]
    deliveries: list[dict[str, Any]]
    histories: dict[str, list[dict[str, Any]]]
    received: Counter[str]
    parked: dict[str, list[dict[str, Any]]]

    def counts(self, service: str) -> Counter[str]:
        return Counter(e["event_type"] for e in self.events[service])


def run_scenario(system: System, receiver: Ministries, strike: Strike | None) -> Outcome:
    secretariat, auditor = system.token("secretariat"), system.token("auditor")
    # The replicas the strike spares, as the demo calls them (a load balancer in front of the
    # replicas would skip one that is down; the test has none).
    url = {s: system.url(s, system.demo_replica(s)) for s in SERVICES}
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        for state in RECEIVING:
            endpoint = client.post(
                f"{url['notifications']}/endpoints",
                headers=with_token(secretariat),
                json={"state": state, "url": f"{receiver.url}/{state}", "languages": ["en"],
                      "kinds": KINDS},
            )  # fmt: skip
            assert endpoint.status_code == 201, endpoint.text
        demo_path = system.state_dir.parent / f"{system.state_dir.name}-demo.out"
        demo = system.demo(demo_path)

        def reached(step: int) -> None:
            eventually_sync(
                lambda: step_done(step) in demo_path.read_text() or demo.poll() is not None,
                within=DEMO_DEADLINE,
                every=0.3,
                what=f"the demo's step {step}",
            )

        def start_the_procedure() -> str:
            procedure_id = str(uuid.uuid4())
            deadline = datetime.now(UTC) + timedelta(seconds=SILENCE_SECONDS)
            started = client.post(
                f"{url['meetings']}/silence-procedures",
                headers=with_token(secretariat),
                json={**SILENCE_PROCEDURE, "procedure_id": procedure_id,
                      "deadline": deadline.isoformat()},
            )  # fmt: skip
            assert started.status_code in (200, 201), started.text
            return procedure_id

        def kill(strike: Strike) -> None:
            if strike.nats_node:
                os.kill(system.nats_node_pid(strike.nats_node), signal.SIGKILL)
            for service, replica in system.doomed.items():
                os.kill(uvicorn_pid(system.ports.service(service, replica)), signal.SIGKILL)

        # The procedure first when both come after the same step (the test's strike).
        if strike is not None and strike.step < SILENCE_AT_STEP:
            reached(strike.step)
            kill(strike)
        reached(SILENCE_AT_STEP)
        procedure_id = start_the_procedure()
        if strike is not None and strike.step >= SILENCE_AT_STEP:
            reached(strike.step)
            kill(strike)
        try:
            demo.wait(DEMO_DEADLINE)
        except subprocess.TimeoutExpired:
            demo.kill()
            pytest.fail(f"the demo did not finish:\n{demo_path.read_text()}")
        demo_output = demo_path.read_text()
        assert demo.returncode == 0, demo_output
        assert "Every chain verified." in demo_output

        def procedure() -> dict[str, Any]:
            answer = client.get(f"{url['meetings']}/silence-procedures/{procedure_id}",
                                headers=with_token(secretariat))  # fmt: skip
            assert answer.status_code == 200, answer.text
            return answer.json()

        eventually_sync(
            procedure,
            until=lambda answer: answer["status"] != "running",
            within=SETTLE_DEADLINE,
            every=0.3,
            what="the silence procedure's conclusion",
        )

        def deliveries() -> list[dict[str, Any]]:
            answer = client.get(f"{url['notifications']}/deliveries", params={"limit": 500},
                                headers=with_token(secretariat))  # fmt: skip
            assert answer.status_code == 200, answer.text
            # Every member state has a delivery; those with no endpoint stay pending.
            return [d for d in answer.json()["deliveries"] if d["state"] in RECEIVING]

        eventually_sync(
            deliveries,
            until=lambda listed: len(listed) == len(RECEIVING) * NOTES_AND_NOTICES
            and all(d["status"] == "succeeded" for d in listed),
            within=SETTLE_DEADLINE,
            every=0.3,
            what="every delivery made and succeeded",
        )
        settled_heads(client, url, auditor, within=SETTLE_DEADLINE)

        listed = deliveries()
        histories = {}
        for delivery in listed:
            answer = client.get(f"{url['notifications']}/deliveries/{delivery['delivery_id']}",
                                headers=with_token(secretariat))  # fmt: skip
            histories[delivery["delivery_id"]] = answer.json()["history"]
        agenda = client.get(f"{url['meetings']}/meetings/SOC-2022-III/agenda",
                            headers=with_token(secretariat)).json()  # fmt: skip
        notices = client.get(f"{url['notifications']}/notices",
                             params={"kind": "member_admitted"},
                             headers=with_token(secretariat)).json()["notices"]  # fmt: skip
        return Outcome(
            demo_output=demo_output,
            events={s: read_feed(client, url[s], auditor) for s in SERVICES},
            chains={
                s: client.get(f"{url[s]}/events/verify", headers=with_token(auditor)).json()
                for s in SERVICES
            },
            members=client.get(f"{url['registry']}/members").json(),
            agenda=agenda,
            note=client.get(
                f"{url['notifications']}/notes/SOC-OI-1280", headers=with_token(secretariat)
            ).json(),
            admission=next(n for n in notices if n["reference"] == "KWT"),
            procedure_id=procedure_id,
            procedure=procedure(),
            deliveries=listed,
            histories=histories,
            received=Counter(h.headers.get("webhook-id", "") for h in list(receiver.received)),
            parked={
                s: client.get(f"{url[s]}/admin/parked", headers=with_token(auditor)).json()[
                    "parked"
                ]
                for s in SERVICES
            },
        )


def run_system(root: Path, *, replicas: int, nats_cluster: int, strike: Strike | None) -> Outcome:
    """`cica up` with `replicas` replicas of each service on `nats_cluster` NATS nodes, the
    scenario run on it with `strike` (none: undisturbed), and what it ended with; checks that
    the supervisor restarted what was killed."""
    system = System(root / "state", choose_ports(replicas, nats_cluster), replicas, nats_cluster)
    try:
        system.start()
        system.wait_until_healthy()
        if strike is not None:
            system.find_relay_leaders()
            system.aim(strike)
        with Ministries() as receiver:
            outcome = run_scenario(system, receiver, strike)
        if strike is not None:
            assert system.process is not None and system.process.poll() is None, system.output
            for service, replica in system.doomed.items():
                assert f"{service}-{replica} restarted" in system.output
            if strike.nats_node:
                assert f"NATS node {strike.nats_node} restarted" in system.output
        return outcome
    finally:
        system.stop()


def item_3c(agenda: dict[str, Any]) -> list[str]:
    [item3] = [item for item in agenda["items"] if item["number"] == "3"]
    [item3c] = [sub for sub in item3["sub_items"] if sub["letter"] == "c"]
    return [d["symbol"] for d in item3c["considers"]]


@pytest.mark.slow
def test_two_replicas_on_three_nats_nodes_survive_kills_and_end_as_one_node_does(
    tmp_path: Path,
) -> None:
    single = run_system(tmp_path / "single", replicas=1, nats_cluster=1, strike=None)
    replicated = run_system(
        tmp_path / "replicated", replicas=2, nats_cluster=3, strike=LEADERS_AND_NODE_2
    )
    assert_ends_as(single, replicated)


def assert_ends_as(single: Outcome, replicated: Outcome) -> None:
    """That the replicated run, struck, ended as the undisturbed single-node run (the test's
    judgement, and `make soak`'s on its drawn strikes)."""
    for outcome in (single, replicated):
        assert outcome.members["count"] == 28
        assert "KWT" in {state["code"] for state in outcome.members["member_states"]}
        assert item_3c(outcome.agenda) == ["SUM/2022/DRAFT/1/Rev.8"]
        assert outcome.note["number"] == "SOC/OI/1280"
        assert len(outcome.note["recipients"]) == 27
        assert len(outcome.admission["recipients"]) == 28
        for service, chain in outcome.chains.items():
            assert chain["ok"], (service, chain)
            assert chain["head_position"] == len(outcome.events[service])
        assert not any(outcome.parked.values()), outcome.parked

    # The same events, type by type, in every log (delivery attempts and failures aside).
    for service in SERVICES:
        expected, found = single.counts(service), replicated.counts(service)
        if service == "notifications":
            for counts in (expected, found):
                for kind in ("DeliveryAttempted", "DeliveryFailed", "DeliveryRequeued"):
                    counts.pop(kind, None)
        assert found == expected, (service, found - expected, expected - found)
    for outcome in (single, replicated):
        issued = [
            e for e in outcome.events["notifications"]
            if e["event_type"] == "NoteVerbaleIssued" and e["data"].get("number") == "SOC/OI/1280"
        ]  # fmt: skip
        assert len(issued) == 1

    # The silence procedure: concluded once, though every replica looked for it.
    for outcome in (single, replicated):
        conclusions = [
            e for e in outcome.events["meetings"]
            if e["event_type"] == "SilenceProcedureConcluded"
            and e["stream_id"] == f"silence-{outcome.procedure_id}"
        ]  # fmt: skip
        assert len(conclusions) == 1
        assert outcome.procedure["status"] != "running"

    # Webhooks: the same deliveries; each received once, or again only after an attempt
    # whose answer was never recorded.
    assert len(replicated.deliveries) == len(single.deliveries) > 0
    assert {d["state"] for d in replicated.deliveries} == set(RECEIVING)
    for outcome in (single, replicated):
        assert set(outcome.received) == {d["delivery_id"] for d in outcome.deliveries}
        for delivery_id, history in outcome.histories.items():
            kinds = [entry["event"] for entry in history]
            assert kinds.count("DeliverySucceeded") == 1, history
            unanswered = kinds.count("DeliveryAttempted") - (
                kinds.count("DeliverySucceeded") + kinds.count("DeliveryFailed")
            )
            assert 1 <= outcome.received[delivery_id] <= 1 + unanswered, history


# ------------------------------------------------------------------------------ the parts


def parsed(argv: list[str], environ: dict[str, str]) -> UpOptions:
    parser = build_parser()
    args = parser.parse_args(["up", *argv])
    return up_options(args.command_parser, args, environ)


def test_replicas_and_nats_cluster_come_from_flags_then_environment_then_default() -> None:
    assert (parsed([], {}).replicas, parsed([], {}).nats_cluster) == (1, 1)
    from_environment = parsed([], {"CICA_REPLICAS": "2", "CICA_NATS_CLUSTER": "3"})
    assert (from_environment.replicas, from_environment.nats_cluster) == (2, 3)
    flags = parsed(["--replicas", "3", "--nats-cluster", "5"], {"CICA_REPLICAS": "2"})
    assert (flags.replicas, flags.nats_cluster) == (3, 5)
    for bad in (["--replicas", "0"], ["--nats-cluster", "two"], ["--replicas", "10"]):
        with pytest.raises(SystemExit):
            parsed(bad, {})
    with pytest.raises(SystemExit):
        parsed([], {"CICA_NATS_CLUSTER": "0"})


def test_replicas_take_ports_ten_apart_and_peers_are_told_replica_one(tmp_path: Path) -> None:
    supervisor = Supervisor(UpOptions(state_dir=tmp_path, replicas=2, nats_cluster=3))
    layout = {(s.label, s.port, s.log_path.name) for s in supervisor.services}
    assert layout == {
        ("registry-1", 8001, "registry.log"), ("documents-1", 8002, "documents.log"),
        ("meetings-1", 8003, "meetings.log"), ("notifications-1", 8004, "notifications.log"),
        ("registry-2", 8011, "registry-2.log"), ("documents-2", 8012, "documents-2.log"),
        ("meetings-2", 8013, "meetings-2.log"), ("notifications-2", 8014, "notifications-2.log"),
    }  # fmt: skip
    supervisor.database_urls = {name: f"postgresql://db/cica_{name}" for name in SERVICES}
    supervisor.nats_cluster = LocalNatsCluster(3, tmp_path / "nats", 4222, 6222, 8222)
    supervisor.nats_url = supervisor.nats_cluster.url
    environment = supervisor._service_environment("meetings")
    assert environment["CICA_MEETINGS_NATS_URL"] == (
        "nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224"
    )
    assert environment["CICA_NATS_STREAM_REPLICAS"] == "3"
    assert environment["CICA_REGISTRY_URL"] == "http://127.0.0.1:8001"
    assert environment["CICA_NOTIFICATIONS_URL"] == "http://127.0.0.1:8004"
    single = Supervisor(UpOptions(state_dir=tmp_path / "single"))
    assert [s.label for s in single.services] == list(SERVICES)
    assert all(s.restart is None for s in single.services)  # one of each: a death stops all


def test_a_restart_waits_one_second_then_doubles_up_to_thirty_and_resets_once_stable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(supervisor_module.time, "monotonic", lambda: now[0])
    restart = supervisor_module._Restart()
    delays = []
    for _ in range(7):
        delays.append(restart.exited())
        assert not restart.is_due()
        now[0] += delays[-1]
        assert restart.is_due()
        restart.restarted()
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    now[0] += supervisor_module.RESTART_STABLE_AFTER
    assert restart.exited() == 1


def test_each_cluster_node_routes_to_the_others_and_fsyncs_only_when_asked(
    tmp_path: Path,
) -> None:
    cluster = LocalNatsCluster(3, tmp_path, 4222, 6222, 8222)
    second = cluster.node_config(1)
    assert "server_name: nats-2" in second
    assert "listen: 127.0.0.1:4223" in second and "http: 127.0.0.1:8223" in second
    assert "nats-route://127.0.0.1:6222" in second and "nats-route://127.0.0.1:6224" in second
    assert "nats-route://127.0.0.1:6223" not in second
    assert "sync_interval" not in second
    durable = LocalNatsCluster(3, tmp_path, 4222, 6222, 8222, sync_interval_always=True)
    assert "sync_interval: always" in durable.node_config(0)
