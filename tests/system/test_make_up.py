"""`cica up` (what `make up` runs), as a user runs it: a process of its own, stopped by a signal.

Every run gets a temporary state dir and free ports, never the defaults a developer's own
`make up` may be holding, and no CICA_* variable from the test session's environment, so it
always starts its own PostgreSQL and NATS.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import httpx
import nats
import pytest

from shared.system.devservers import _die_with_parent, free_port, port_is_open
from tests.polling import eventually_sync

pytestmark = pytest.mark.slow

SERVICES = ("registry", "documents", "meetings", "notifications")
DEFAULT_PORTS = {55432, 4222, 8001, 8002, 8003, 8004}
START_DEADLINE = 60.0
STOP_DEADLINE = 45.0
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ports:
    postgres: int
    nats: int
    services: dict[str, int]

    def all(self) -> list[int]:
        return [self.postgres, self.nats, *self.services.values()]


def distinct_free_ports() -> Ports:
    chosen: list[int] = []
    while len(chosen) < 2 + len(SERVICES):
        port = free_port()
        if port not in chosen and port not in DEFAULT_PORTS:
            chosen.append(port)
    return Ports(chosen[0], chosen[1], dict(zip(SERVICES, chosen[2:], strict=True)))


def wait_until_healthy(
    process: subprocess.Popen[bytes],
    output: Callable[[], str],
    urls: dict[Any, str],
    *,
    within: float = START_DEADLINE,
) -> None:
    """Until every `cica up` service at `urls` (by key: a service's name, or (name, replica))
    answers its /healthz, naming itself; fails if `cica up` exits or `within` seconds pass."""
    deadline = time.monotonic() + within
    waiting = dict(urls)
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while waiting:
            if process.poll() is not None:
                pytest.fail(f"cica up exited with {process.returncode}:\n{output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{sorted(waiting)} not healthy in time:\n{output()}")
            for key, url in list(waiting.items()):
                try:
                    response = client.get(f"{url}/healthz")
                except httpx.TransportError:
                    continue
                if response.status_code == 200:
                    service = key[0] if isinstance(key, tuple) else key
                    assert response.json()["service"] == service
                    del waiting[key]
            time.sleep(0.1)


@dataclass
class CicaUp:
    """One `cica up` process and what it printed."""

    state_dir: Path
    ports: Ports
    output_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    settings: ClassVar[dict[str, str]] = {}
    """CICA_* variables this `cica up` runs with (none: the defaults)."""

    def start(self) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
        environment["PYTHONUNBUFFERED"] = "1"
        environment.update(self.settings)
        command = [
            sys.executable, "-m", "shared.system.cli", "up",
            "--state-dir", str(self.state_dir),
            "--pg-port", str(self.ports.postgres),
            "--nats-port", str(self.ports.nats),
        ]  # fmt: skip
        for service, port in self.ports.services.items():
            command += ["--port", f"{service}={port}"]
        with self.output_path.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # a killed test session leaves nothing running
            )

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        wait_until_healthy(
            self.process,
            lambda: self.output,
            {service: f"http://127.0.0.1:{port}" for service, port in self.ports.services.items()},
        )

    def token(self, role: str) -> str:
        """`cica token`, as the printout tells a user to run it."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
        return subprocess.run(
            [sys.executable, "-m", "shared.system.cli", "token", "--state-dir", str(self.state_dir),
             "--role", role],
            cwd=REPO, env=environment, capture_output=True, text=True, check=True,
        ).stdout.strip()

    def stop(self, sig: signal.Signals) -> int:
        """Send `sig` and return the exit status, failing if it takes too long."""
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            return self.process.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"cica up still running {STOP_DEADLINE}s after {sig.name}:\n{self.output}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def cica_up(tmp_path: Path) -> Iterator[CicaUp]:
    run = CicaUp(tmp_path / "state", distinct_free_ports(), tmp_path / "cica-up.out")
    try:
        yield run
    finally:
        run.kill()


def open_ports(ports: Ports) -> list[int]:
    return [port for port in ports.all() if port_is_open("127.0.0.1", port)]


async def write_probe(pg_port: int) -> str:
    probe = str(uuid.uuid4())
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg_port}/cica_registry")
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS make_up_probe (probe uuid PRIMARY KEY, written_at "
            "timestamptz NOT NULL DEFAULT now())"
        )
        await connection.execute("INSERT INTO make_up_probe (probe) VALUES ($1)", uuid.UUID(probe))
    finally:
        await connection.close()
    return probe


async def read_probes(pg_port: int) -> set[str]:
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg_port}/cica_registry")
    try:
        rows = await connection.fetch("SELECT probe FROM make_up_probe")
    finally:
        await connection.close()
    return {str(row["probe"]) for row in rows}


async def anonymous_nats_refused(port: int) -> bool:
    try:
        client = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False,
                                    connect_timeout=2)  # fmt: skip
    except nats.errors.Error as error:
        return "Authorization Violation" in str(error)
    await client.close()
    return False


def test_cica_up_serves_every_service_and_says_where(cica_up: CicaUp) -> None:
    cica_up.start()
    cica_up.wait_until_healthy()

    output = cica_up.output
    for port in cica_up.ports.services.values():
        assert f"http://127.0.0.1:{port}/docs" in output
    assert f"127.0.0.1:{cica_up.ports.postgres}" in output
    assert f"nats://127.0.0.1:{cica_up.ports.nats}" in output
    assert "Ctrl-C stops everything" in output
    secret = cica_up.state_dir / "jwt-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert f"token --state-dir {cica_up.state_dir} --role auditor" in output
    assert secret.read_text().strip() not in output
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        registry = f"http://127.0.0.1:{cica_up.ports.services['registry']}"
        ready = client.get(f"{registry}/readyz")
        assert ready.json() == {
            "status": "ready",
            "service": "registry",
            "checks": {"database": True, "nats": True},
        }
    for service in SERVICES:
        log = (cica_up.state_dir / "logs" / f"{service}.log").read_text()
        assert "Application startup complete" in log
    # NATS: a user per service, its password in a file of its own that only we read, written
    # nowhere else but the server's own configuration (0600 too); no anonymous client.
    passwords = {s: cica_up.state_dir / "keys" / "nats" / f"{s}.password" for s in SERVICES}
    config = cica_up.state_dir / "nats.conf"
    for service, path in passwords.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        password = path.read_text().strip()
        assert password in config.read_text()
        assert password not in cica_up.output
        for log in (cica_up.state_dir / "logs").iterdir():
            assert password not in log.read_text(), f"{service}'s password in {log.name}"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert asyncio.run(anonymous_nats_refused(cica_up.ports.nats))

    assert cica_up.stop(signal.SIGINT) == 0
    assert open_ports(cica_up.ports) == []
    assert "stopped." in cica_up.output


def test_data_survives_a_sigterm_and_a_restart_on_the_same_state_dir(cica_up: CicaUp) -> None:
    cica_up.start()
    cica_up.wait_until_healthy()
    probe = asyncio.run(write_probe(cica_up.ports.postgres))

    assert cica_up.stop(signal.SIGTERM) == 0
    assert open_ports(cica_up.ports) == []

    cica_up.start()
    cica_up.wait_until_healthy()
    assert probe in asyncio.run(read_probes(cica_up.ports.postgres))
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        registry = f"http://127.0.0.1:{cica_up.ports.services['registry']}"
        anonymous = client.get(f"{registry}/events", params={"after": 0, "limit": 10})
        auditor = {"Authorization": f"Bearer {cica_up.token('auditor')}"}
        feed = client.get(f"{registry}/events", params={"after": 0, "limit": 10},
                          headers=auditor)
        assert anonymous.status_code == 401
        assert feed.status_code == 200
        assert isinstance(feed.json()["events"], list)

    assert cica_up.stop(signal.SIGINT) == 0
    assert open_ports(cica_up.ports) == []


def test_a_stop_signal_during_start_up_stops_what_was_started(cica_up: CicaUp) -> None:
    cica_up.start()

    def output() -> str:
        assert cica_up.process is not None and cica_up.process.poll() is None, cica_up.output
        return cica_up.output

    eventually_sync(
        output,
        until=lambda printed: "starting PostgreSQL" in printed,
        within=START_DEADLINE,
        every=0.01,
        what="cica up starting PostgreSQL",
    )

    assert cica_up.stop(signal.SIGTERM) == 0, cica_up.output
    assert open_ports(cica_up.ports) == []
    assert "SIGTERM received" in cica_up.output


def test_a_busy_port_is_refused_before_anything_starts(cica_up: CicaUp) -> None:
    registry_port = cica_up.ports.services["registry"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", registry_port))
        squatter.listen()
        cica_up.start()
        assert cica_up.process is not None
        status = cica_up.process.wait(STOP_DEADLINE)

    assert status == 1
    assert f"port {registry_port} for registry is in use" in cica_up.output
    assert not (cica_up.state_dir / "postgres").exists()


def test_a_service_that_dies_stops_everything_and_is_named(cica_up: CicaUp) -> None:
    cica_up.start()
    cica_up.wait_until_healthy()
    meetings = uvicorn_pid(cica_up.ports.services["meetings"])

    os.kill(meetings, signal.SIGKILL)
    assert cica_up.process is not None
    try:
        status = cica_up.process.wait(STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"cica up kept running after meetings died:\n{cica_up.output}")

    assert status == 1
    assert "meetings was killed by SIGKILL on its own" in cica_up.output
    assert open_ports(cica_up.ports) == []


def pid_of(what: str, runs: Callable[[list[str]], bool]) -> int:
    """The pid of the process whose command line `runs` accepts (Linux: read from /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if runs(argv):
            return int(entry.name)
    raise AssertionError(f"no process {what}")


def uvicorn_pid(port: int) -> int:
    """The pid of the uvicorn serving `port`."""
    wanted = ["--port", str(port)]

    def serves(argv: list[str]) -> bool:
        pairs = [argv[i : i + 2] for i in range(len(argv) - 1)]
        return "uvicorn" in argv and wanted in pairs

    return pid_of(f"uvicorn serves port {port}", serves)
