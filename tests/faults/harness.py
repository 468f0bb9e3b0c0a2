"""A whole system whose parts a fault test stops, kills and restarts one at a time.

`cica up` (shared/system/supervisor.py) treats the system as one: a child that dies stops
everything. A fault test needs the opposite: PostgreSQL, NATS and each of the four services as
processes of its own, on free ports, with their data in a temporary directory, each stopped,
killed with SIGKILL or restarted while the rest keeps running. `FaultSystem` starts them the way
the supervisor does (shared/system/devservers for the servers, `prepare_databases` for the
databases, uvicorn with each service's app factory, the same environment: ``CICA_DATABASE_URL``,
``CICA_NATS_URL``, the peers' ``CICA_<SERVICE>_URL``, the HMAC secret's file and each
service's checkpoint key), and runs `cica demo --notifications` as a subprocess whose output
tells the test which step the scenario has reached, so a fault is injected at a chosen step.

`end_state` reads, through the HTTP APIs only, what an undisturbed run and a disturbed one
must share; `duplicated_reactions` and `chains` what must hold in any run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.access.tokens import SECRET_FILE_NAME, ensure_secret_file, mint_token
from shared.checkpoints import ensure_signing_key_file
from shared.settings import read_secret_file
from shared.system.devservers import LocalNats, LocalPostgres, _die_with_parent, free_port
from shared.system.migrate import prepare_databases
from shared.system.services import SERVICE_NAMES as SERVICES
from tests.feed import consumers_caught_up, projections_caught_up, read_feed, with_token

REPO = Path(__file__).resolve().parents[2]
START_DEADLINE = 60.0
DEMO_DEADLINE = 180.0
SETTLE_DEADLINE = 60.0
_STEP_LINE = re.compile(r"^\[\s*(\d+)/(\d+)\]")


class HarnessError(AssertionError):
    """Something the harness waited for did not happen in time (an assertion: the test fails)."""


def _without_cica_variables() -> dict[str, str]:
    """The test session's environment without its CICA_* settings (they name its servers)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}


@dataclass
class Service:
    """One service run by uvicorn, its output appended to `log_path`."""

    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, environment: Mapping[str, str]) -> None:
        """As `shared.system.supervisor.ServiceProcess.spawn`, with the output going to a file (no
        log pump thread: the harness forks again and again while the test runs)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", f"services.{self.name}.app:create_app",
                 "--factory", "--host", "127.0.0.1", "--port", str(self.port),
                 "--no-access-log", "--no-use-colors"],
                cwd=REPO, env=dict(environment), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, connections are cut where they are."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class DemoRun:
    """`cica demo --notifications` as a subprocess; `reached(n)` once step n has printed."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _step: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        self._reader = threading.Thread(target=self._read, name="demo-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                match = _STEP_LINE.match(line)
                if match:
                    self._step = int(match.group(1))
                self._changed.notify_all()
        with self._changed:
            self._step = 10**6  # ended: whoever waits for a step stops waiting
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def reached(self, step: int, within: float = DEMO_DEADLINE) -> None:
        """Wait until step `step` has printed its outcome; fail if the demo ended before."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._step >= step, timeout=within):
                raise HarnessError(f"the demo did not reach step {step}:\n{self.output}")
            if self._step == 10**6 and not any(
                (m := _STEP_LINE.match(line)) and int(m.group(1)) >= step for line in self.lines
            ):
                raise HarnessError(f"the demo ended before step {step}:\n{self.output}")

    def finish(self, within: float = DEMO_DEADLINE) -> int:
        try:
            code = self.process.wait(within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise HarnessError(f"the demo did not finish in {within:g}s:\n{self.output}") from None
        if self._reader is not None:
            self._reader.join(10)
        return code


class FaultSystem:
    """PostgreSQL, NATS and the four services, each a process the test controls."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "logs").mkdir(exist_ok=True)
        ports: list[int] = []
        while len(ports) < 2 + len(SERVICES):
            port = free_port()
            if port not in ports:
                ports.append(port)
        self.postgres = LocalPostgres(root / "postgres", ports[0], fsync=False)
        self.nats = LocalNats(root / "nats", ports[1])
        self.services = {
            name: Service(name, port, root / "logs" / f"{name}.log")
            for name, port in zip(SERVICES, ports[2:], strict=True)
        }
        self.secret_file = root / SECRET_FILE_NAME
        self._secret: bytes | None = None
        self.database_urls: dict[str, str] = {}

    # ------------------------------------------------------------------ the whole system

    def start(self) -> None:
        self.postgres.start()
        self.nats.start()
        self.database_urls = prepare_databases(self.postgres.url)
        self._secret = read_secret_file(ensure_secret_file(self.secret_file))
        for service in self.services.values():
            service.spawn(self.environment(service.name))
        for name in self.services:
            self.wait_healthy(name)

    def stop(self) -> None:
        for service in self.services.values():  # all at once: each takes a while to drain
            if service.process is not None and service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            service.stop()
        self.nats.stop()
        self.postgres.stop()

    def environment(self, name: str) -> dict[str, str]:
        """What `Supervisor._service_environment` gives a service, with this system's values."""
        environment = _without_cica_variables()
        environment["CICA_DATABASE_URL"] = self.postgres.url
        environment["CICA_NATS_URL"] = self.nats.url
        environment["CICA_JWT_SECRET_FILE"] = str(self.secret_file)
        key_file = self.root / "keys" / f"{name}-checkpoints.pem"
        environment[f"CICA_{name.upper()}_SIGNING_KEY_FILE"] = str(
            ensure_signing_key_file(key_file)
        )
        for other in self.services.values():
            environment[f"CICA_{other.name.upper()}_URL"] = other.url
        environment["PYTHONUNBUFFERED"] = "1"
        return environment

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    def token(self, role: str, state: str | None = None) -> str:
        assert self._secret is not None, "start the system first"
        return mint_token(self._secret, role=role, state=state)

    # ------------------------------------------------------------------ one part at a time

    def wait_healthy(self, name: str, within: float = START_DEADLINE) -> None:
        service = self.services[name]
        deadline = time.monotonic() + within
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if service.process is None or service.process.poll() is not None:
                    raise HarnessError(f"{name} exited while starting:\n{service.log_tail()}")
                try:
                    if client.get(f"{service.url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise HarnessError(f"{name} not healthy within {within:g}s:\n{service.log_tail()}")

    def kill_service(self, name: str) -> None:
        self.services[name].kill()

    def start_service(self, name: str) -> None:
        self.services[name].spawn(self.environment(name))
        self.wait_healthy(name)

    def kill_nats(self) -> None:
        self.nats.kill()

    def start_nats(self) -> None:
        self.nats.start()

    def stop_postgres(self) -> None:
        """A fast shutdown: every client's connection is cut, as in a restart."""
        self.postgres.stop()

    def start_postgres(self) -> None:
        self.postgres.start()

    def check_alive(self) -> None:
        """Every service still running (none died of a fault it should have ridden out)."""
        for name, service in self.services.items():
            if service.process is None or service.process.poll() is not None:
                raise HarnessError(f"{name} is not running:\n{service.log_tail()}")

    # ------------------------------------------------------------------ the scenario

    def start_demo(self) -> DemoRun:
        command = [sys.executable, "-m", "shared.system.cli", "demo", "--notifications",
                   "--state-dir", str(self.root)]  # fmt: skip
        for name, url in self.urls.items():
            command += ["--url", f"{name}={url}"]
        process = subprocess.Popen(
            command, cwd=REPO, env=_without_cica_variables(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        run = DemoRun(process)
        run.start_reading()
        return run


Fault = Callable[["FaultSystem", DemoRun], None]


@dataclass(frozen=True)
class Event:
    position: int
    event_id: str
    stream_id: str
    event_type: str
    version: int
    metadata: dict[str, Any]


def read_log(client: httpx.Client, url: str, token: str) -> list[Event]:
    """A service's whole log through ``GET /events``."""
    return [
        Event(
            raw["position"],
            raw["event_id"],
            raw["stream_id"],
            raw["event_type"],
            raw["version"],
            raw["metadata"],
        )
        for raw in read_feed(client, url, token, page=500)
    ]


def settled_logs(system: FaultSystem, within: float = SETTLE_DEADLINE) -> dict[str, list[Event]]:
    """Every service's log once no reaction is still landing: every consumer has handled its
    producers' logs to their heads (not merely "nothing changed for a while": a consumer
    waiting for a redelivery after NATS came back changes nothing for seconds), every head
    the same in two reads a second apart, and every projection caught up with its log."""
    auditor = system.token("auditor")
    deadline = time.monotonic() + within
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        last: dict[str, list[Event]] | None = None
        while True:
            logs = {name: read_log(client, url, auditor) for name, url in system.urls.items()}
            caught_up = all(
                projections_caught_up(client, url, auditor) for url in system.urls.values()
            )
            if (
                last is not None
                and caught_up
                and _heads(logs) == _heads(last)
                and consumers_caught_up(client, system.urls, auditor, _heads(logs))
            ):
                return logs
            if time.monotonic() > deadline:
                behind = {
                    name: [
                        (p["name"], p["position"], p["error"])
                        for p in client.get(
                            f"{url}/projections", headers=with_token(auditor)
                        ).json()["projections"]
                    ]
                    for name, url in system.urls.items()
                }
                raise HarnessError(
                    f"the logs did not settle within {within:g}s: heads {_heads(logs)}, "
                    f"projections {behind}"
                )
            last = logs
            time.sleep(1.0)


def _heads(logs: Mapping[str, list[Event]]) -> dict[str, int]:
    return {name: (events[-1].position if events else 0) for name, events in logs.items()}


def answered_500(system: FaultSystem) -> dict[str, list[str]]:
    """Each service's requests answered 500 (the request middleware logs each as an
    "unhandled exception"), over the whole run, the demo's requests included."""
    found: dict[str, list[str]] = {}
    for name, service in system.services.items():
        lines = service.log_path.read_text(errors="replace").splitlines()
        found[name] = [line[:300] for line in lines if '"unhandled exception"' in line]
    return found


def parked(system: FaultSystem) -> dict[str, list[tuple[str, int, str]]]:
    """Every service's parked reactions (``GET /admin/parked``): each one a reaction not made."""
    auditor = system.token("auditor")
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        found = {
            name: client.get(f"{url}/admin/parked", headers=with_token(auditor)).json()["parked"]
            for name, url in system.urls.items()
        }
    return {
        name: [(p["producer"], p["position"], p["error"]) for p in rows]
        for name, rows in found.items()
    }


def projection_digests(system: FaultSystem) -> dict[str, dict[str, str]]:
    auditor = system.token("auditor")
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        return {
            name: {
                p["name"]: p["digest"]
                for p in client.get(f"{url}/projections", headers=with_token(auditor)).json()[
                    "projections"
                ]
            }
            for name, url in system.urls.items()
        }


def chains(system: FaultSystem) -> dict[str, dict[str, Any]]:
    """Every service's ``GET /events/verify``."""
    auditor = system.token("auditor")
    with httpx.Client(timeout=30.0, trust_env=False) as client:
        return {
            name: client.get(f"{url}/events/verify", headers=with_token(auditor)).json()
            for name, url in system.urls.items()
        }


# ------------------------------------------------------------------------------ the end state


def log_summary(events: list[Event]) -> dict[str, Any]:
    """What of a log is the same in any run of the scenario: which events each stream holds
    (a multiset of (stream_id, event_type)), each stream's length, and the count of each event
    type. Not the positions, ids and times, and not each event's version within its stream:
    a reaction and a command landing on one stream (Kuwait added to the Summit's participants
    while the demo records the Summit's decisions) take their versions in whichever order they
    arrive, in an undisturbed run as much as in a disturbed one."""
    lengths = Counter(without_uuids(event.stream_id) for event in events)
    return {
        "events": sorted(
            Counter((without_uuids(e.stream_id), e.event_type) for e in events).items()
        ),
        "stream_lengths": sorted(lengths.items()),
        "types": dict(sorted(Counter(e.event_type for e in events).items())),
    }


def gaps_in_versions(events: list[Event]) -> dict[str, list[int]]:
    """Streams whose versions are not exactly 1..n (a lost or a doubled append)."""
    versions: dict[str, list[int]] = {}
    for event in events:
        versions.setdefault(event.stream_id, []).append(event.version)
    return {
        stream: sorted(found)
        for stream, found in versions.items()
        if sorted(found) != list(range(1, len(found) + 1))
    }


def duplicated_reactions(events: list[Event]) -> list[tuple[str, str, str]]:
    """(causation_id, event_type, stream_id) recorded more than once: one cause reacted to
    twice on the same stream (a redelivered message applied again)."""
    seen = Counter(
        (str(e.metadata["causation_id"]), e.event_type, e.stream_id)
        for e in events
        if e.metadata.get("causation_id") and e.metadata.get("causation_id") != e.event_id
    )
    return sorted(key for key, count in seen.items() if count > 1)


_VOLATILE_KEYS = re.compile(
    r"(^|_)(at|as_of|id|ids|position|positions|etag|hash|version_tag|recorded|updated|created)$"
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def without_uuids(text: str) -> str:
    """Ids made from another event's id (a notice's stream is uuid5 of the event that caused
    it) differ from run to run: the same text with every uuid as ``<uuid>``."""
    return _UUID.sub("<uuid>", text)


def normalised(value: Any) -> Any:
    """A read model without what differs from run to run: times, positions, generated ids."""
    if isinstance(value, dict):
        return {
            key: normalised(item)
            for key, item in sorted(value.items())
            if not _VOLATILE_KEYS.search(key)
        }
    if isinstance(value, list):
        items = [normalised(item) for item in value]
        return sorted(items, key=repr)
    if isinstance(value, str):
        return without_uuids(value)
    return value


READ_MODELS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("registry", "/members", {}),
    ("registry", "/member-states", {}),
    ("registry", "/bodies", {}),
    ("registry", "/chairmanships", {}),
    ("documents", "/documents", {}),
    ("documents", "/documents/SUM/2022/DRAFT/1", {}),
    ("documents", "/documents/SUM/2022/DRAFT/1", {"lang": "ru"}),
    ("meetings", "/meetings", {}),
    ("meetings", "/meetings/SOC-2022-III/agenda", {}),
    ("meetings", "/meetings/SUM-2022/agenda", {}),
    ("meetings", "/meetings/SUM-2022", {}),
    ("meetings", "/decisions", {}),
    ("meetings", "/member-states", {}),
    ("notifications", "/member-states", {}),
    ("notifications", "/notes", {}),
    ("notifications", "/notices", {}),
)


def read_models(system: FaultSystem) -> dict[str, Any]:
    """The read models the scenario fills, read as the Secretariat, normalised."""
    secretariat = system.token("secretariat")
    found: dict[str, Any] = {}
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        for service, path, params in READ_MODELS:
            response = client.get(f"{system.urls[service]}{path}", params=params,
                                  headers=with_token(secretariat))  # fmt: skip
            key = f"{service} {path} {params or ''}".rstrip()
            found[key] = (response.status_code, normalised(response.json()))
    return found


def end_state(system: FaultSystem, logs: Mapping[str, list[Event]]) -> dict[str, Any]:
    return {
        "logs": {name: log_summary(events) for name, events in logs.items()},
        "read_models": read_models(system),
    }


@dataclass
class Outcome:
    """What a run of the scenario left: the demo's output and exit code, the settled logs."""

    demo_code: int
    demo_output: str
    logs: dict[str, list[Event]]
    state: dict[str, Any]
    chains: dict[str, dict[str, Any]]
    digests: dict[str, dict[str, str]]
    parked: dict[str, list[tuple[str, int, str]]]
    answered_500: dict[str, list[str]]


def keep_for_inspection(outcome: Outcome, baseline: Outcome) -> None:
    """Both end states and the disturbed run's logs as JSON next to the system's own logs (a
    failing comparison is read there)."""
    where = os.environ.get("CICA_FAULTS_KEEP")
    if not where:
        return
    path = Path(where) / f"end-state-{time.time_ns()}.json"
    logs = {
        name: [[e.position, e.stream_id, e.event_type, e.version, e.metadata] for e in events]
        for name, events in outcome.logs.items()
    }
    both = {"outcome": outcome.state, "baseline": baseline.state, "logs": logs,
            "demo": outcome.demo_output}  # fmt: skip
    path.write_text(json.dumps(both, indent=1, default=str))


def run_scenario(system: FaultSystem, fault: Fault | None = None) -> Outcome:
    """The demo, with `fault` injected while it runs (the fault waits for the step it wants),
    then the probes, then the end state once every log has settled."""
    demo = system.start_demo()
    try:
        if fault is not None:
            fault(system, demo)
    except BaseException:
        demo.process.kill()  # the fault itself failed: no waiting for the demo
        demo.process.wait()
        raise
    code = demo.finish()
    send_probes_until_recorded(system)
    system.check_alive()
    logs = settled_logs(system)
    return Outcome(code, demo.output, logs, end_state(system, logs), chains(system),
                   projection_digests(system), parked(system),
                   answered_500(system))  # fmt: skip


def running_system(root: Path) -> Iterator[FaultSystem]:
    system = FaultSystem(root)
    try:
        system.start()
        yield system
    finally:
        system.stop()


# ------------------------------------------------------------------------------ probes

PROBES = tuple(f"FAULT-PROBE-{n}" for n in range(1, 4))
"""Bodies the test itself records in the registry, in every run (the baseline too), so that the
commands a fault test sends during an outage count in the compared end state."""
PROBE_DEADLINE = 60.0


def probe_request(client: httpx.Client, system: FaultSystem, code: str) -> httpx.Response:
    """One command: record the body `code`, under a key of its own (a repeat is answered,
    not run twice)."""
    body = {"code": code, "names": {"en": f"Fault probe {code}"}, "effective_on": "2022-10-13"}
    headers = {**with_token(system.token("secretariat")), "Idempotency-Key": f"fault-probe:{code}"}
    return client.post(f"{system.urls['registry']}/bodies", json=body, headers=headers)


def send_probes_until_recorded(system: FaultSystem) -> None:
    """Each probe sent (again, with its key) until it is recorded, waiting as Retry-After
    says; any other answer than 201 or 503 fails the test."""
    with httpx.Client(timeout=15.0, trust_env=False) as client:
        for code in PROBES:
            deadline = time.monotonic() + PROBE_DEADLINE
            while True:
                response = probe_request(client, system, code)
                if response.status_code == 201:
                    break
                assert_unavailable(response)
                if time.monotonic() > deadline:
                    raise HarnessError(f"{code} not recorded within {PROBE_DEADLINE:g}s")
                time.sleep(float(response.headers["Retry-After"]))


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem+json with Retry-After: what a command gets while the database is away."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["status"] == 503
