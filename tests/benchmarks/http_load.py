"""The HTTP benchmark's load generator, run as a process of its own so that the clients do not
share an interpreter (and a core's worth of GIL) with the server under test.

    python -m tests.benchmarks.http_load SPEC.json

SPEC holds the base URL, the number of seconds to warm up and to measure, and one entry per
client: the draft it revises (its symbol and current ETag) and the headers to send. Each client
revises its own draft in a loop, sending the ETag of its last answer as If-Match, over a
connection of its own. A client whose entry names a path to `get` instead (and its headers)
reads that path in a loop, and only its 200s count. Prints one JSON object: requests
answered within the measured window, their latencies' p50 and p99, the answers by status over
the whole run (warm-up included), and this process's peak resident size and CPU time (if it
is near its wall time, the generator, not the server, set the pace).
"""

from __future__ import annotations

import asyncio
import json
import resource
import ssl
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx


def text_of(n: int) -> dict[str, Any]:
    return {
        "title": {"en": f"Draft statement, revision {n}"},
        "paragraphs": [
            {"id": "pp-a", "part": "preamble", "text": {"en": "Recognizing change " * 8}},
            {"id": "op-a", "part": "operative", "text": {"en": f"We act, form {n}. " * 8}},
            {"id": "op-b", "part": "operative", "text": {"en": "We request the Secretariat. "}},
        ],
    }


def peak_rss_mib() -> float:
    """This process's peak resident size: VmHWM, which exec resets (Linux keeps ru_maxrss of
    the parent that forked us across exec, so that would report the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    clients = spec["clients"]
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    began = loop.time()
    window_start = began + spec["warmup_seconds"]
    window_end = window_start + spec["seconds"]

    async def client(http: httpx.AsyncClient, mine: dict[str, Any]) -> None:
        etag = mine["etag"]
        n = 0
        while loop.time() < window_end:
            n += 1
            started = time.perf_counter()
            sent_at = loop.time()
            try:
                response = await http.post(
                    f"/documents/{mine['symbol']}/revisions",
                    json={"text": text_of(n), "basis": "Bench", "incorporates": [],
                          "dated": time.strftime("%Y-%m-%d", time.gmtime()),
                          "originator": "Secretariat"},
                    headers={**mine["headers"], "If-Match": etag},
                )
            except httpx.TransportError as error:  # counted and reported, not fatal
                statuses[type(error).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            statuses[str(response.status_code)] += 1
            if response.status_code == 201:
                etag = response.headers["ETag"]
                if window_start <= sent_at and loop.time() <= window_end:
                    latencies.append(elapsed)

    async def reader(http: httpx.AsyncClient, mine: dict[str, Any]) -> None:
        while loop.time() < window_end:
            started = time.perf_counter()
            sent_at = loop.time()
            try:
                response = await http.get(mine["get"], headers=mine["headers"])
            except httpx.TransportError as error:  # counted and reported, not fatal
                statuses[type(error).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            statuses[str(response.status_code)] += 1
            answered_in_window = window_start <= sent_at and loop.time() <= window_end
            if response.status_code == 200 and answered_in_window:
                latencies.append(elapsed)

    # A client object (one connection) per client: httpx's shared pool spends CPU per request
    # that grows with its number of connections, which would make the generator the
    # bottleneck. One TLS context for all, made once (the URL is plain HTTP anyway).
    tls = ssl.create_default_context()

    async def own_connection(mine: dict[str, Any]) -> None:
        async with httpx.AsyncClient(
            base_url=spec["url"], limits=limits, timeout=httpx.Timeout(60.0), verify=tls
        ) as http:
            await (reader(http, mine) if "get" in mine else client(http, mine))

    await asyncio.gather(*(own_connection(mine) for mine in clients))
    latencies.sort()

    def pick(q: float) -> float | None:
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": spec["seconds"],
        "throughput": len(latencies) / spec["seconds"],
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "statuses": dict(sorted(statuses.items())),
        "peak_rss_mib": peak_rss_mib(),
        "cpu_seconds": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
        "wall_seconds": round(loop.time() - began, 2),
    }


if __name__ == "__main__":
    result = asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
    print(json.dumps(result))
