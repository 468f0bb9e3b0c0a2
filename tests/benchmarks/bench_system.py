"""The whole system as a user runs it: `cica up` on free ports and a temporary state dir, then
`cica demo --ministries <receiver>` (the October 2022 scenario, with the webhook deliveries to the
28 ministries), and the peak resident memory of each of the four services over that run (issue
11), against a bare uvicorn + FastAPI process measured in the same run.

`cica up` starts its own PostgreSQL and NATS (not the benchmark's), as `make up` does; the
services are found as descendants of the `cica up` process and told apart by their command line
(``services.<name>.app:create_app`` and ``--port <port>``). Their peak (VmHWM in
/proc/<pid>/status) is read after the demo, before `cica up` is stopped. The baseline is
`http_baseline.py` under uvicorn, one process, after it has answered a few requests. The demo's
wall time is reported against the time `cica up` took to start (until all four answer /healthz).
The size is the same in both profiles: the scenario is what it is.
"""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.benchmarks.bench_http import Server
from tests.system.test_demo import CicaUpForDevelopment, Ministries, cica_demo
from tests.system.test_make_up import SERVICES, distinct_free_ports

if TYPE_CHECKING:
    from tests.benchmarks.run import BenchEnvironment, Measurement

BASELINE = "bare FastAPI endpoint (uvicorn, 1 process, a few requests answered)"
MEMORY_AIM = 2.0  # issue 22: a service at most twice a bare endpoint's peak


def service_pids(up_pid: int, ports: dict[str, int]) -> dict[str, int]:
    """The pid of each service's uvicorn among the descendants of `cica up` (process `up_pid`),
    read from /proc."""
    from tests.benchmarks.run import children_of

    descendants, frontier = [], [up_pid]
    while frontier:
        children = [child for pid in frontier for child in children_of(pid)]
        descendants += children
        frontier = children
    found: dict[str, int] = {}
    for pid in descendants:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        pairs = [argv[i : i + 2] for i in range(len(argv) - 1)]
        for service, port in ports.items():
            if f"services.{service}.app:create_app" in argv and ["--port", str(port)] in pairs:
                found[service] = pid
    missing = set(ports) - set(found)
    if missing:
        raise RuntimeError(f"no uvicorn process found for {sorted(missing)} under cica up")
    return found


async def _baseline_peak(env: BenchEnvironment) -> float:
    """The peak resident size (MiB) of the bare endpoint under uvicorn after a few requests."""
    from tests.benchmarks.run import peak_rss_kib

    bare = Server("tests.benchmarks.http_baseline:app", {}, env.workdir / "bare-system.log", False)
    try:
        await bare.ready("/openapi.json")
        async with httpx.AsyncClient(base_url=bare.url, timeout=10) as http:
            for number in range(20):
                body = {"text": {"title": {"en": f"draft {number}"}}}
                response = await http.post(f"/documents/X/{number}/revisions", json=body)
                assert response.status_code == 201, response.text
        kib = peak_rss_kib(bare.process.pid)
        env.record_peak_memory("bare FastAPI endpoint, idle (uvicorn, 1 process)", bare.process.pid)
    finally:
        bare.stop()
    assert kib is not None
    return kib / 1024


async def run(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import Measurement, peak_rss_kib

    baseline_mib = await _baseline_peak(env)

    root = Path(tempfile.mkdtemp(prefix="system-", dir=env.workdir))
    system = CicaUpForDevelopment(root / "state", distinct_free_ports(), root / "cica-up.out")
    try:
        began = time.perf_counter()
        system.start()
        system.wait_until_healthy()
        start_seconds = time.perf_counter() - began
        assert system.process is not None
        pids = service_pids(system.process.pid, system.ports.services)
        with Ministries() as ministries:
            began = time.perf_counter()
            demo = cica_demo(system, ministries.url, root / "ministry-secrets.json")
            demo_seconds = time.perf_counter() - began
            webhooks = len(ministries.received)
        if demo.returncode != 0 or "Every chain verified." not in demo.stdout:
            raise RuntimeError(f"cica demo failed:\n{demo.stdout[-3000:]}{demo.stderr[-3000:]}")
        assert webhooks > 0, "the ministries got no webhook"
        peaks: dict[str, float] = {}
        for service, pid in pids.items():
            kib = peak_rss_kib(pid)
            if kib is None:
                raise RuntimeError(f"{service} (pid {pid}) ended before its peak was read")
            peaks[service] = kib / 1024
            env.record_peak_memory(f"{service} service (cica up, through cica demo)", pid)
        assert system.stop(signal.SIGINT) == 0, system.output[-3000:]
    finally:
        system.kill()

    measurements = [
        Measurement(
            name=f"{service} service, peak resident memory through cica up + cica demo",
            unit="MiB",
            value=peaks[service],
            baseline_name=BASELINE,
            baseline_value=baseline_mib,
            lower_is_better=True,
            aim_ratio=MEMORY_AIM,
            details={"pid": pids[service], "port": system.ports.services[service]},
        )
        for service in SERVICES
    ]
    measurements.append(
        Measurement(
            name="cica demo (October 2022, webhooks to the ministries), wall time",
            unit="s",
            value=demo_seconds,
            baseline_name="cica up, start until all four answer /healthz",
            baseline_value=start_seconds,
            lower_is_better=True,
            details={
                "webhooks received by the ministries": webhooks,
                "why this baseline": "the same machine's time to start the same four "
                "processes, for scale only; no aim",
            },
        )
    )
    return measurements
