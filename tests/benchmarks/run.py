"""``make bench``: run every benchmark in this folder against servers of its own, and write ONE
report for the run, with the machine it ran on and the versions used, as JSON and as a Markdown
table under ``tests/benchmarks/results/`` (``full.json``/``full.md``, or ``quick.*`` with
``--quick``; a run of chosen benchmarks only adds their names to the file name).

A benchmark is a module ``tests/benchmarks/bench_<name>.py`` with

    async def run(env: BenchEnvironment) -> list[Measurement]

Each measurement states its figure *and* a baseline measured in the same run on the same data
(the ratio is what to compare across machines), and the aim the project sets for that ratio:
at least ``aim_ratio`` for rates, at most ``aim_ratio`` where lower is better (latencies).

    .venv/bin/python -m tests.benchmarks.run                 # every benchmark, full sizes
    .venv/bin/python -m tests.benchmarks.run --quick         # small sizes, a few minutes
    .venv/bin/python -m tests.benchmarks.run event_store http

``--quick`` sets CICA_BENCH_PROFILE=quick, which each benchmark reads for its sizes (any size
variable set in the environment still wins). Like the tests, it starts its own PostgreSQL and
NATS from the wheels on free ports, unless CICA_DATABASE_URL / CICA_NATS_URL name servers to
use. The peak resident memory of every process the benchmarks start (and of the runner itself,
which hosts the in-process event stores) is reported with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import nats
from sqlalchemy.engine import make_url

from shared.collector import YOUNG_THRESHOLD
from shared.system.devservers import LocalNats, LocalPostgres
from shared.system.migrate import prepare
from tests.servers import own_servers

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PACKAGES = (
    "sqlalchemy",
    "asyncpg",
    "pydantic",
    "fastapi",
    "uvicorn",
    "httpx",
    "nats-py",
    "rfc8785",
    "eventsourcing",
    "psycopg",
)

# What `--quick` gives the benchmarks that predate the profile (their own size variables).
QUICK_SIZES = {
    # The rebuild's log: at 10,000 events and one run, a rebuild took about 70 ms, and whether
    # one young collection (10-20 ms) fell in it moved the batch handler's ratio from 0.41 to
    # 0.60 between runs of the same code; 30,000 events and the median of three runs.
    "CICA_BENCH_EVENTS": "30000",
    "CICA_BENCH_REPEATS": "3",
    # The relay's backlog stays at the full profile's 20,000: 4,000 took about 0.2 s to
    # publish, and start-up and warm-up then decided the ratio (1.2 alone, 0.3 after another
    # run in the same process); at 20,000 it is 0.7 either way.
    "CICA_BENCH_SECONDS": "3",
}


def quick() -> bool:
    """Whether this run is the quick profile (small sizes)."""
    return os.environ.get("CICA_BENCH_PROFILE", "full") == "quick"


@contextlib.contextmanager
def collector_as_the_services_run_it() -> Iterator[None]:
    """The garbage collector as `shared.collector.settle` leaves it in a service and in `cica
    rebuild` (what the process made so far frozen, the young generation's threshold raised),
    for a measurement of the kit in this process; undone after, for the next one."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def peak_rss_kib(pid: int) -> int | None:
    """The peak resident set size of process `pid` so far (Linux: VmHWM), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Measurement:
    name: str
    unit: str
    value: float
    baseline_name: str
    baseline_value: float
    aim_ratio: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    lower_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    @property
    def meets_aim(self) -> bool | None:
        if self.aim_ratio is None:
            return None
        if self.lower_is_better:
            return self.ratio <= self.aim_ratio
        return self.ratio >= self.aim_ratio


@dataclass
class BenchEnvironment:
    server_url: str
    nats_url: str
    postgres_version: str = ""
    nats_version: str = ""
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    peak_memory_mib: dict[str, float] = field(default_factory=dict)

    def record_peak_memory(self, name: str, pid: int) -> None:
        """Note the peak resident size of process `pid` (call it just before it ends)."""
        kib = peak_rss_kib(pid)
        if kib is not None:
            previous = self.peak_memory_mib.get(name, 0.0)
            self.peak_memory_mib[name] = max(previous, round(kib / 1024, 1))

    async def new_database(self, service: str = "registry") -> str:
        """A new database on the server, migrated like `service`'s; its URL."""
        name = f"cica_bench_{uuid.uuid4().hex[:12]}"
        url = make_url(self.server_url).set(database=name).render_as_string(False)
        await prepare(service, url)
        return url

    async def drop_database(self, url: str) -> None:
        name = make_url(url).database
        admin = make_url(self.server_url).set(database="postgres").render_as_string(False)
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


def machine(env: BenchEnvironment) -> dict[str, Any]:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count()
    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    cpu_model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "cpu": cpu_model,
        "memory_gib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": env.postgres_version,
        "nats_server": env.nats_version,
        "packages": versions,
        "commit": commit or None,
    }


def figure(value: float, unit: str) -> str:
    """A value with as many digits as tell something: 12,345 events/s, 3.42 ms, 0.087 ms."""
    magnitude = abs(value)
    if magnitude >= 100 or magnitude == 0:
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}"


def aim_text(m: Measurement) -> str:
    if m.aim_ratio is None:
        return ""
    sign = "≤" if m.lower_is_better else "≥"
    return f"{sign} {m.aim_ratio:.3g} " + ("(met)" if m.meets_aim else "(**not met**)")


def markdown(report: dict[str, Any], results: dict[str, list[Measurement]]) -> str:
    host = report["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in host["packages"].items() if v)
    lines = [
        f"# Benchmarks ({report['profile']} profile)",
        "",
        f"Run {report['run_at']} at commit `{host['commit']}`, {report['seconds']:.0f} s in all.",
        "",
        f"Machine: {host['cores']} cores ({host['cores_usable']} usable), {host['cpu']}, "
        f"{host['memory_gib']} GiB memory; {host['platform']}; Python {host['python']}; "
        f"PostgreSQL {host['postgresql']}; NATS server {host['nats_server']}; {packages}.",
        "",
        "Every ratio is the figure divided by its baseline, both measured in this run on this "
        "machine; the aim is on the ratio (≤ where lower is better).",
    ]
    for name, measurements in results.items():
        seconds = report["benchmarks"][name]["seconds"]
        lines += [
            "",
            f"## {name} ({seconds:.0f} s)",
            "",
            "| measurement | figure | baseline | baseline figure | ratio | aim |",
            "| --- | ---: | --- | ---: | ---: | --- |",
        ]
        for m in measurements:
            lines.append(
                f"| {m.name} | {figure(m.value, m.unit)} | {m.baseline_name} | "
                f"{figure(m.baseline_value, m.unit)} | {m.ratio:.2f} | {aim_text(m)} |"
            )
        details = [m for m in measurements if m.details]
        if details:
            lines.append("")
        for m in details:
            lines.append(f"- {m.name}: " + "; ".join(f"{k} {v}" for k, v in m.details.items()))
    if report["peak_memory_mib"]:
        lines += [
            "",
            "## Peak resident memory",
            "",
            "| process | peak RSS |",
            "| --- | ---: |",
        ]
        for process, mib in report["peak_memory_mib"].items():
            lines.append(f"| {process} | {mib:,.1f} MiB |")
    return "\n".join(lines).rstrip() + "\n"


def write(
    stem: str,
    profile: str,
    host: dict[str, Any],
    results: dict[str, list[Measurement]],
    seconds: dict[str, float],
    env: BenchEnvironment,
    total_seconds: float,
) -> tuple[Path, Path]:
    RESULTS.mkdir(exist_ok=True)
    report = {
        "profile": profile,
        "run_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(total_seconds, 1),
        "machine": host,
        "benchmarks": {
            name: {
                "seconds": round(seconds[name], 1),
                "measurements": [
                    {**asdict(m), "ratio": round(m.ratio, 4), "meets_aim": m.meets_aim}
                    for m in measurements
                ],
            }
            for name, measurements in results.items()
        },
        "peak_memory_mib": env.peak_memory_mib,
    }
    json_path = RESULTS / f"{stem}.json"
    md_path = RESULTS / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(markdown(report, results))
    return json_path, md_path


def benchmarks(selected: list[str]) -> dict[str, Callable[[BenchEnvironment], Awaitable[Any]]]:
    found = {}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"tests.benchmarks.{path.stem}")
        found[name] = module.run
    missing = set(selected) - set(found)
    if missing:
        raise SystemExit(f"no such benchmark: {', '.join(sorted(missing))}")
    return found


async def _postgres_version(server_url: str) -> str:
    connection = await asyncpg.connect(server_url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def _nats_version(nats_url: str) -> str:
    client = await nats.connect(nats_url)
    try:
        return str(client._server_info.get("version", ""))
    finally:
        await client.close()


def _record_server_memory(
    env: BenchEnvironment, postgres: LocalPostgres | None, nats_server: LocalNats | None
) -> None:
    env.record_peak_memory("benchmark runner (in-process stores, load of its own)", os.getpid())
    if nats_server is not None and nats_server.process is not None:
        env.record_peak_memory("nats-server", nats_server.process.pid)
    if postgres is not None and postgres.process is not None:
        backends = [peak_rss_kib(pid) or 0 for pid in children_of(postgres.process.pid)]
        if backends:
            env.peak_memory_mib["PostgreSQL, largest process (counts shared buffers touched)"] = (
                round(max(backends) / 1024, 1)
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: the whole run in a few minutes"
    )
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["CICA_BENCH_PROFILE"] = "quick"
        for key, value in QUICK_SIZES.items():
            os.environ.setdefault(key, value)
    profile = "quick" if quick() else "full"
    stem = "-".join([profile, *args.names])
    chosen = benchmarks(args.names)
    began = time.perf_counter()
    with own_servers("cica-bench-") as servers:
        env = BenchEnvironment(servers.server_url, servers.nats_url, workdir=servers.workdir)
        env.postgres_version = asyncio.run(_postgres_version(servers.server_url))
        env.nats_version = asyncio.run(_nats_version(servers.nats_url))
        host = machine(env)
        results: dict[str, list[Measurement]] = {}
        seconds: dict[str, float] = {}
        for name, run in chosen.items():
            print(f"== {name} ({profile})", flush=True)
            started = time.perf_counter()
            results[name] = asyncio.run(run(env))
            seconds[name] = time.perf_counter() - started
            for m in results[name]:
                verdict = "" if m.meets_aim is None else "  aim met" if m.meets_aim else "  NOT MET"
                print(
                    f"{m.name}: {figure(m.value, m.unit)} vs {m.baseline_name} "
                    f"{figure(m.baseline_value, m.unit)}: ratio {m.ratio:.2f}{verdict}"
                )
            print(f"   ({seconds[name]:.0f} s)", flush=True)
        _record_server_memory(env, servers.postgres, servers.nats)
        json_path, md_path = write(
            stem, profile, host, results, seconds, env, time.perf_counter() - began
        )
        print(f"-> {json_path}, {md_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
