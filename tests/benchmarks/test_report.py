"""The benchmark report's arithmetic and layout (no servers): aims in both directions, and one
Markdown report carrying the machine, every benchmark's table and the peak memory."""

from __future__ import annotations

from tests.benchmarks.run import BenchEnvironment, Measurement, figure, markdown


def test_an_aim_reads_upwards_for_rates_and_downwards_for_latencies():
    rate = Measurement("appends", "events/s", 30, "batched inserts", 100, aim_ratio=0.5)
    latency = Measurement("p50", "ms", 3, "p50 at 10k", 2, aim_ratio=1.5, lower_is_better=True)
    slower = Measurement("p50", "ms", 4, "p50 at 10k", 2, aim_ratio=1.5, lower_is_better=True)

    assert rate.ratio == 0.3 and rate.meets_aim is False
    assert latency.meets_aim is True
    assert slower.meets_aim is False
    assert Measurement("x", "ms", 1, "y", 1).meets_aim is None


def test_figures_keep_the_digits_that_tell_something():
    assert figure(43392.4, "events/s") == "43,392 events/s"
    assert figure(3.583, "ms") == "3.58 ms"
    assert figure(0.17234, "ms") == "0.172 ms"


def test_one_report_holds_the_machine_every_table_and_the_memory():
    env = BenchEnvironment("postgresql://db", "nats://n", postgres_version="18.6")
    env.peak_memory_mib["documents service"] = 153.9
    host = {
        "commit": "abc1234",
        "cores": 2,
        "cores_usable": 2,
        "cpu": "AMD EPYC",
        "memory_gib": 23.5,
        "platform": "Linux",
        "python": "3.11.7",
        "postgresql": "18.6",
        "nats_server": "2.15.1",
        "packages": {"asyncpg": "0.32.0", "eventsourcing": None},
    }
    results = {
        "event_store": [
            Measurement("appends", "events/s", 3682, "(b) asyncpg", 43392, aim_ratio=0.5),
        ],
        "http": [Measurement("p99", "ms", 1975, "bare p99", 359, lower_is_better=True)],
    }
    report = {
        "profile": "quick",
        "run_at": "2026-11-27T03:24:15Z",
        "seconds": 90.0,
        "machine": host,
        "benchmarks": {"event_store": {"seconds": 28.0}, "http": {"seconds": 23.0}},
        "peak_memory_mib": env.peak_memory_mib,
    }

    text = markdown(report, results)

    assert "2 cores (2 usable), AMD EPYC, 23.5 GiB memory" in text
    assert "PostgreSQL 18.6; NATS server 2.15.1; asyncpg 0.32.0." in text
    assert "## event_store (28 s)" in text and "## http (23 s)" in text
    assert "| 3,682 events/s | (b) asyncpg | 43,392 events/s | 0.08 | ≥ 0.5 (**not met**) |" in text
    assert "| documents service | 153.9 MiB |" in text
