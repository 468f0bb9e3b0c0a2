"""A write command through HTTP: revising a draft in the documents service, under CLIENTS
concurrent clients, against a bare FastAPI endpoint on the same route (issue 11).

The documents service runs under uvicorn in a process of its own (one worker, as `cica up` runs
it) on the benchmark's PostgreSQL and NATS: its relay publishes every revision to JetStream, its
projections follow the log; only its consumers of other services' streams are off (no other
service runs). The baseline, `http_baseline.py`, is served by uvicorn the same way. The load
comes from another process (`http_load.py`, httpx): each client revises a draft of its own with
its latest ETag as If-Match, for WARMUP then SECONDS seconds; throughput, p50 and p99 count the
requests sent and answered inside the measured window. Afterwards every 201 is checked against
the log: one DraftRevised event per accepted revision, no more, no less.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from shared.access import register_founding_members
from shared.eventstore import create_engine
from shared.system.devservers import free_port
from tests.access import SECRET, bearer
from tests.documents.helpers import FOUNDED, MEMBERS_BEFORE_KUWAIT, draft

if TYPE_CHECKING:
    from tests.benchmarks.run import BenchEnvironment, Measurement

QUICK = os.environ.get("CICA_BENCH_PROFILE", "full") == "quick"
CLIENTS = int(os.environ.get("CICA_BENCH_HTTP_CLIENTS", "100"))
SECONDS = float(os.environ.get("CICA_BENCH_HTTP_SECONDS", "6" if QUICK else "30"))
WARMUP = float(os.environ.get("CICA_BENCH_HTTP_WARMUP", "2" if QUICK else "5"))
ROOT = Path(__file__).resolve().parents[2]
AIM_THROUGHPUT = 0.3  # issue 22: at least 0.3 of the bare endpoint's throughput
AIM_CPU = 5.0  # issue 22: at most 5 times its server CPU per request


class Server:
    """A uvicorn process serving `target` on a free port."""

    def __init__(self, target: str, environment: dict[str, str], log: Path, factory: bool):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--no-access-log", "--no-use-colors"]
        if factory:
            args.append("--factory")
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                args,
                env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.log = log

    async def ready(self, path: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    tail = self.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{self.url} exited:\n{tail}")
                try:
                    if (await http.get(path)).status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.url} not ready after {within} s")

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _load(
    env: BenchEnvironment, server: Server, clients: list[dict[str, Any]], name: str, memory: str
) -> dict[str, Any]:
    """The load generator's run against `server`, with the server's CPU seconds spent in it;
    the server's peak memory is recorded under `memory`."""
    cpu_before = server.cpu_seconds()
    url = server.url
    spec = {"url": url, "warmup_seconds": WARMUP, "seconds": SECONDS, "clients": clients}
    path = env.workdir / f"http-load-{name}.json"
    path.write_text(json.dumps(spec))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.http_load",
        str(path),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{err.decode()[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    env.peak_memory_mib["http load generator (httpx, 100 clients)"] = max(
        env.peak_memory_mib.get("http load generator (httpx, 100 clients)", 0.0),
        result["peak_rss_mib"],
    )
    result["server_cpu_seconds"] = round(server.cpu_seconds() - cpu_before, 2)
    env.record_peak_memory(memory, server.process.pid)
    return result


async def _drafts(url: str) -> list[dict[str, Any]]:
    headers = bearer("secretariat")
    clients = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(CLIENTS):
            response = await http.post("/documents", json=draft(), headers=headers)
            assert response.status_code == 201, response.text
            clients.append(
                {
                    "symbol": response.json()["symbol"],
                    "etag": response.headers["ETag"],
                    "headers": headers,
                }
            )
    return clients


def _cpu(result: dict[str, Any]) -> str:
    return f"{result['server_cpu_seconds']} / {result['cpu_seconds']} / {result['wall_seconds']}"


def _cpu_per_request(result: dict[str, Any]) -> float:
    """The server's CPU milliseconds per answered request over the whole load (warm-up too)."""
    answered = sum(v for k, v in result["statuses"].items() if k.isdigit())
    return result["server_cpu_seconds"] * 1000 / max(answered, 1)


async def _revisions_in_log(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM events WHERE event_type = 'DraftRevised'"
            )
        )
    finally:
        await connection.close()


async def run(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import Measurement

    database_url = await env.new_database("documents")
    engine = create_engine(database_url)
    try:
        await register_founding_members(engine, MEMBERS_BEFORE_KUWAIT, admitted_at=FOUNDED)
    finally:
        await engine.dispose()
    service = Server(
        "services.documents.app:create_app",
        {
            "CICA_DOCUMENTS_DATABASE_URL": database_url,
            "CICA_DOCUMENTS_NATS_URL": env.nats_url,
            "CICA_DOCUMENTS_CONSUMERS_ENABLED": "false",
            "CICA_JWT_SECRET": SECRET,
        },
        env.workdir / "documents.log",
        factory=True,
    )
    try:
        await service.ready("/readyz")
        clients = await _drafts(service.url)
        ours = await _load(
            env, service, clients, "documents", "documents service (uvicorn, 1 process)"
        )
    finally:
        service.stop()
    if set(ours["statuses"]) != {"201"}:
        tail = service.log.read_text(errors="replace")[-4000:]
        print(f"  answers {ours['statuses']}; the service's log ends:\n{tail}", flush=True)
    accepted = ours["statuses"].get("201", 0)
    in_log = await _revisions_in_log(database_url)
    await env.drop_database(database_url)
    assert in_log == accepted, f"{accepted} revisions accepted, {in_log} in the log"
    assert set(ours["statuses"]) == {"201"}, ours["statuses"]

    bare = Server("tests.benchmarks.http_baseline:app", {}, env.workdir / "bare.log", factory=False)
    try:
        await bare.ready("/openapi.json")
        baseline = await _load(
            env, bare, clients, "bare", "bare FastAPI endpoint (uvicorn, 1 process)"
        )
    finally:
        bare.stop()

    common = {
        "clients": CLIENTS,
        "measured seconds": SECONDS,
        "warm-up seconds": WARMUP,
        "requests measured": ours["requests"],
        "baseline requests measured": baseline["requests"],
        "answers (whole run)": ours["statuses"],
        "revisions in the log": in_log,
        "CPU s (server / load generator / wall)": _cpu(ours),
        "baseline CPU s (server / load generator / wall)": _cpu(baseline),
    }
    title = f"revise a draft over HTTP, {CLIENTS} clients"
    return [
        Measurement(
            name=f"{title}: throughput",
            unit="requests/s",
            value=ours["throughput"],
            baseline_name="bare FastAPI endpoint, same load",
            baseline_value=baseline["throughput"],
            aim_ratio=AIM_THROUGHPUT,
            details=common,
        ),
        Measurement(
            name=f"{title}: server CPU per request",
            unit="ms",
            value=_cpu_per_request(ours),
            baseline_name="bare FastAPI endpoint, CPU per request",
            baseline_value=_cpu_per_request(baseline),
            lower_is_better=True,
            aim_ratio=AIM_CPU,
            details={
                "why": "the load generator's CPU nears its wall time in the baseline run, so "
                "the bare endpoint's throughput is a floor; CPU per request is not capped so"
            },
        ),
        *(
            Measurement(
                name=f"{title}: {quantile}",
                unit="ms",
                value=ours[f"{quantile}_ms"],
                baseline_name=f"bare FastAPI endpoint, {quantile}",
                baseline_value=baseline[f"{quantile}_ms"],
                lower_is_better=True,
            )
            for quantile in ("p50", "p99")
        ),
    ]
