"""``make bench``: run every benchmark in this folder against servers of its own, and write each
one's results, with the machine they ran on, as JSON and as a Markdown table under
``tests/benchmarks/results/``.

A benchmark is a module ``tests/benchmarks/bench_<name>.py`` with

    async def run(env: BenchEnvironment) -> list[Measurement]

Each measurement states its rate *and* a baseline measured in the same run on the same data
(the ratio is what to compare across machines), and the aim the project sets for that ratio.

    .venv/bin/python -m tests.benchmarks.run                 # every benchmark
    .venv/bin/python -m tests.benchmarks.run projection_rebuild

Like the tests, it starts its own PostgreSQL and NATS from the wheels on free ports, unless
CICA_DATABASE_URL / CICA_NATS_URL name servers to use.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from shared.devservers import LocalNats, LocalPostgres, free_port
from shared.migrate import prepare

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PACKAGES = ("sqlalchemy", "asyncpg", "pydantic", "fastapi", "nats-py", "rfc8785")


@dataclass
class Measurement:
    name: str
    unit: str
    value: float
    baseline_name: str
    baseline_value: float
    aim_ratio: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    @property
    def meets_aim(self) -> bool | None:
        return None if self.aim_ratio is None else self.ratio >= self.aim_ratio


@dataclass
class BenchEnvironment:
    server_url: str
    nats_url: str
    postgres_version: str = ""

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
        "packages": versions,
        "commit": commit or None,
    }


def markdown(name: str, when: str, host: dict[str, Any], results: list[Measurement]) -> str:
    lines = [
        f"# Benchmark: {name}",
        "",
        f"Run {when} at commit `{host['commit']}`.",
        "",
        "| measurement | rate | baseline | baseline rate | ratio | aim |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for m in results:
        aim = (
            ""
            if m.aim_ratio is None
            else f"≥ {m.aim_ratio:g} " + ("(met)" if m.meets_aim else "(**not met**)")
        )
        lines.append(
            f"| {m.name} | {m.value:,.0f} {m.unit} | {m.baseline_name} | "
            f"{m.baseline_value:,.0f} {m.unit} | {m.ratio:.2f} | {aim} |"
        )
    packages = ", ".join(f"{k} {v}" for k, v in host["packages"].items())
    lines += [
        "",
        f"Machine: {host['cores']} cores ({host['cores_usable']} usable), {host['cpu']}, "
        f"{host['memory_gib']} GiB memory; {host['platform']}; Python {host['python']}; "
        f"PostgreSQL {host['postgresql']}; {packages}.",
        "",
    ]
    for m in results:
        if m.details:
            lines.append(f"- {m.name}: " + ", ".join(f"{k} {v}" for k, v in m.details.items()))
    return "\n".join(lines).rstrip() + "\n"


def write(name: str, host: dict[str, Any], results: list[Measurement]) -> tuple[Path, Path]:
    RESULTS.mkdir(exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "benchmark": name,
        "run_at": when,
        "machine": host,
        "measurements": [
            {**asdict(m), "ratio": round(m.ratio, 4), "meets_aim": m.meets_aim} for m in results
        ],
    }
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path.write_text(markdown(name, when, host, results))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    chosen = benchmarks(args.names)
    workdir = Path(tempfile.mkdtemp(prefix="cica-bench-"))
    postgres = nats = None
    try:
        server_url = os.environ.get("CICA_DATABASE_URL")
        if not server_url:
            postgres = LocalPostgres(workdir / "postgres", free_port())
            postgres.start()
            server_url = postgres.url
        nats_url = os.environ.get("CICA_NATS_URL")
        if not nats_url:
            nats = LocalNats(workdir / "nats", free_port())
            nats.start()
            nats_url = nats.url
        env = BenchEnvironment(server_url, nats_url)
        env.postgres_version = asyncio.run(_postgres_version(server_url))
        host = machine(env)
        for name, run in chosen.items():
            print(f"== {name}", flush=True)
            results = asyncio.run(run(env))
            json_path, md_path = write(name, host, results)
            for m in results:
                verdict = "" if m.meets_aim is None else "  aim met" if m.meets_aim else "  NOT MET"
                print(
                    f"{m.name}: {m.value:,.0f} {m.unit} vs {m.baseline_name} "
                    f"{m.baseline_value:,.0f} {m.unit}: ratio {m.ratio:.2f}{verdict}"
                )
            print(f"-> {json_path}, {md_path}", flush=True)
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
