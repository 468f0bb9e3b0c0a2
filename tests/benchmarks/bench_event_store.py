"""The event store: appends under 64 concurrent writers against plain inserts and a peer library,
and how its costs grow with the log.

Appends. WRITERS writers, each on a stream of its own, append ROWS_PER_WRITER events one at a
time (one event per `append`, its expected version checked) through `PostgresEventStore`,
which commits them in groups under the log's table lock and chains their hashes. The same rows
(the same JSON payload, the same columns and indexes, in a copy of the `events` table whose
positions come from a sequence) are written by

- (a) asyncpg, one INSERT and one commit per row, each writer on its own connection;
- (b) asyncpg, 100 rows per commit (executemany in a transaction), each writer on its own
  connection (issue 11 aims at half of this rate or better);
- (c) the `eventsourcing` library's PostgreSQL persistence (psycopg 3, a pool of WRITERS
  connections): each writer thread creates an aggregate and saves it after each event, so
  every save writes one event, as each of our appends does (issue 11 aims at ten times it).

How cost grows. Two logs, of LOG_SMALL and of LOG_BIG events, are filled by a bulk path
(COPY of rows whose positions, versions and hash chain the benchmark computes with the store's
own hashing, so the chain verifies, as the test checks on the small log, and the head the store
reads is a real one), then measured:

- append latency, p50 and p99 of single sequential appends to each log, interleaved in blocks
  of ten so both meet the same load on a shared machine (it should not grow with the log);
  baseline: an asyncpg INSERT and commit of the same row, sequential, interleaved too;
- reading one stream of 10, 1,000 and 10,000 events from the big log (`read_stream`), each
  record's data asked for (the store parses it then), against asyncpg fetching the same rows and
  decoding their JSON (the mean time of a read);
- a command (`shared.commands.run_command`: read the stream, decide, append) on the stream of
  10,000 events, against the same command on the stream of 10: COMMANDS of each, interleaved,
  one at a time, p50 (it should not grow with the stream: a command reads and decodes only
  what it has not seen; the first command on each stream, which reads it whole, is reported
  apart);
- rebuilding a projection over the first REBUILD_SMALL and all LOG_BIG events (the rebuild
  benchmark's batch-handler projection, and the one whose handlers write nothing): the rate
  should stay flat, i.e. the time grow linearly.

All of it with the garbage collector as a service runs it (`shared.collector`: what the
process made so far frozen, the young generation collected after 50,000 new objects).

Sizes: CICA_BENCH_PROFILE=quick (``run.py --quick``) or the variables below.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from shared.commands import History, run_command
from shared.eventstore import PostgresEventStore
from shared.eventstore import create_engine as create_store_engine
from shared.eventstore.hashing import GENESIS_HASH, canonical_document, chain_hash
from shared.eventstore.schema import events as events_table
from shared.projections import rebuild
from tests.benchmarks.bench_projection_rebuild import (
    BenchMemberApplied,
    BenchMemberRenamed,
    event_types,
    member_rows_batched,
    names,
    nothing,
    tables,
)

if TYPE_CHECKING:
    from tests.benchmarks.run import BenchEnvironment, Measurement

QUICK = os.environ.get("CICA_BENCH_PROFILE", "full") == "quick"


def _size(name: str, quick: int, full: int) -> int:
    return int(os.environ.get(name, str(quick if QUICK else full)))


WRITERS = 64
ROWS_PER_WRITER = _size("CICA_BENCH_WRITER_ROWS", 100, 200)  # a multiple of 100
APPEND_REPEATS = _size("CICA_BENCH_APPEND_REPEATS", 1, 3)
LOG_SMALL = _size("CICA_BENCH_LOG_SMALL", 10_000, 10_000)
LOG_BIG = _size("CICA_BENCH_LOG_BIG", 100_000, 1_000_000)
REBUILD_SMALL = _size("CICA_BENCH_REBUILD_SMALL", 10_000, 100_000)
LATENCY_APPENDS = _size("CICA_BENCH_LATENCY_APPENDS", 300, 1000)
WARM_UP = 50
READ_SIZES = (10, 1_000, 10_000)
COMMANDS = _size("CICA_BENCH_COMMANDS", 100, 300)
COPY_CHUNK = 20_000
STREAM_TYPE = "member_state"
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
AIM_VS_BATCHED = 0.5
AIM_VS_EVENTSOURCING = 10.0
AIM_GROWTH = 1.5  # latency or time per event at the bigger size, over the smaller: ≤ 1.5

RAW_TABLE = """
CREATE TABLE raw_events (LIKE events INCLUDING ALL);
CREATE SEQUENCE raw_events_position OWNED BY raw_events.position;
ALTER TABLE raw_events ALTER COLUMN position SET DEFAULT nextval('raw_events_position');
"""
RAW_INSERT = (
    "INSERT INTO raw_events (event_id, stream_id, stream_type, version, event_type, "
    "schema_version, data, metadata, recorded_at, prev_hash, hash) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9, $10)"
)
READ_ROWS = (
    "SELECT position, event_id, stream_id, stream_type, version, event_type, schema_version, "
    "data::text, metadata::text, recorded_at, prev_hash, hash FROM events "
    "WHERE stream_id = $1 ORDER BY version"
)
COPY_COLUMNS = [column.name for column in events_table.c]
"""The log's columns, in the order `Log.add` builds its rows."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def renamed(stream: str, n: int) -> BenchMemberRenamed:
    return BenchMemberRenamed(names=names(stream, n), reason="Decision of the SOC, item 4(b)")


# ------------------------------------------------------------------ 64 writers: the contenders


async def _ours(url: str, streams: list[str]) -> float:
    engine = create_store_engine(url)
    store = PostgresEventStore(engine, event_types)
    batches = {s: [renamed(s, n) for n in range(ROWS_PER_WRITER)] for s in streams}

    async def writer(stream: str) -> None:
        for version, event in enumerate(batches[stream]):
            await store.append(stream, [event], stream_type=STREAM_TYPE, expected_version=version)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer(s) for s in streams))
        return time.perf_counter() - started
    finally:
        await store.close()
        await engine.dispose()


def _raw_rows(stream: str) -> list[tuple[Any, ...]]:
    return [
        (
            uuid.uuid4(),
            stream,
            STREAM_TYPE,
            n + 1,
            "BenchMemberRenamed",
            1,
            json.dumps(renamed(stream, n).model_dump(mode="json"), ensure_ascii=False),
            "{}",
            os.urandom(32),
            os.urandom(32),
        )
        for n in range(ROWS_PER_WRITER)
    ]


async def _asyncpg(url: str, streams: list[str], rows_per_commit: int) -> float:
    rows = {s: _raw_rows(s) for s in streams}
    pool = await asyncpg.create_pool(url, min_size=len(streams), max_size=len(streams))
    assert pool is not None

    async def writer(stream: str) -> None:
        async with pool.acquire() as connection:
            mine = rows[stream]
            if rows_per_commit == 1:
                for row in mine:
                    await connection.execute(RAW_INSERT, *row)
                return
            for start in range(0, len(mine), rows_per_commit):
                async with connection.transaction():
                    await connection.executemany(RAW_INSERT, mine[start : start + rows_per_commit])

    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer(s) for s in streams))
        return time.perf_counter() - started
    finally:
        await pool.close()


def _eventsourcing_application(url: str) -> Any:
    from eventsourcing.application import Application
    from sqlalchemy.engine import make_url

    parts = make_url(url)

    class BenchStates(Application):  # type: ignore[type-arg]
        pass

    return BenchStates(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.database,
            "POSTGRES_HOST": parts.host,
            "POSTGRES_PORT": str(parts.port),
            "POSTGRES_USER": parts.username,
            "POSTGRES_PASSWORD": parts.password or "",
            "POSTGRES_POOL_SIZE": str(WRITERS),
            "POSTGRES_MAX_OVERFLOW": "0",
            "POSTGRES_MAX_WAITING": "0",
        }
    )


def _member_state_class() -> type:
    from eventsourcing.domain import Aggregate, event

    class MemberState(Aggregate):
        @event("Applied")
        def __init__(self, names: dict[str, str], reason: str) -> None:
            self.names = names
            self.reason = reason

        @event("Renamed")
        def rename(self, names: dict[str, str], reason: str) -> None:
            self.names = names
            self.reason = reason

    return MemberState


def _eventsourcing_run(app: Any, member_state: type, streams: list[str]) -> float:
    payloads = {s: [renamed(s, n) for n in range(ROWS_PER_WRITER)] for s in streams}
    start = threading.Barrier(len(streams) + 1)

    def writer(stream: str) -> None:
        events = payloads[stream]
        start.wait()
        aggregate = member_state(names=events[0].names, reason=events[0].reason)
        app.save(aggregate)
        for event in events[1:]:
            aggregate.rename(names=event.names, reason=event.reason)
            app.save(aggregate)

    with ThreadPoolExecutor(max_workers=len(streams)) as pool:
        futures = [pool.submit(writer, s) for s in streams]
        start.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        return time.perf_counter() - started


async def _count(url: str, table: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


async def _writers(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import Measurement

    ours_url = await env.new_database()
    raw_url = await env.new_database()
    es_url = await env.new_database()
    connection = await asyncpg.connect(raw_url)
    await connection.execute(RAW_TABLE)
    await connection.close()
    app = _eventsourcing_application(es_url)
    member_state = _member_state_class()
    rows = WRITERS * ROWS_PER_WRITER
    times: dict[str, list[float]] = {"a": [], "b": [], "ours": [], "c": []}
    try:
        for repeat in range(APPEND_REPEATS):
            streams = [f"R{repeat}-W{w:02d}" for w in range(WRITERS)]
            times["a"].append(await _asyncpg(raw_url, [f"a-{s}" for s in streams], 1))
            times["b"].append(await _asyncpg(raw_url, [f"b-{s}" for s in streams], 100))
            times["ours"].append(await _ours(ours_url, streams))
            times["c"].append(
                await asyncio.to_thread(_eventsourcing_run, app, member_state, streams)
            )
            print(
                "  appends: " + ", ".join(f"{k} {rows / v[-1]:,.0f}/s" for k, v in times.items()),
                flush=True,
            )
        recorder = app.recorder
        es_table = getattr(recorder, "events_table_name", "benchstates_events")
        assert await _count(ours_url, "events") == rows * APPEND_REPEATS
        assert await _count(raw_url, "raw_events") == 2 * rows * APPEND_REPEATS
        assert await _count(es_url, es_table) == rows * APPEND_REPEATS
    finally:
        app.close()
        for url in (ours_url, raw_url, es_url):
            await env.drop_database(url)

    rate = {k: rows / statistics.median(v) for k, v in times.items()}
    sample = json.dumps(renamed("R0-W00", 1).model_dump(mode="json"), ensure_ascii=False)
    common = {
        "writers": WRITERS,
        "rows": rows,
        "payload bytes (JSON)": len(sample.encode()),
        "repeats (median taken)": APPEND_REPEATS,
    }

    def runs(key: str) -> list[int]:
        return [round(rows / t) for t in times[key]]

    ours = "appends, 64 writers, one event per append (this store)"
    return [
        Measurement(
            name=ours,
            unit="events/s",
            value=rate["ours"],
            baseline_name="(a) asyncpg, a commit per row",
            baseline_value=rate["a"],
            details={**common, "runs": runs("ours"), "baseline runs": runs("a")},
        ),
        Measurement(
            name=ours,
            unit="events/s",
            value=rate["ours"],
            baseline_name="(b) asyncpg, 100 rows per commit",
            baseline_value=rate["b"],
            aim_ratio=AIM_VS_BATCHED,
            details={"baseline runs": runs("b")},
        ),
        Measurement(
            name=ours,
            unit="events/s",
            value=rate["ours"],
            baseline_name="(c) eventsourcing library, PostgreSQL, a save per event",
            baseline_value=rate["c"],
            aim_ratio=AIM_VS_EVENTSOURCING,
            details={"baseline runs": runs("c"), "pool": f"{WRITERS} connections, threads"},
        ),
    ]


# ------------------------------------------------------------------------ how cost grows


class Log:
    """The bulk path: rows COPYed into `events` with positions, versions and a hash chain
    computed here with the store's own functions, continuing from the head."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.position = 0
        self.hash = GENESIS_HASH

    async def load_head(self) -> None:
        row = await self.connection.fetchrow(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
        )
        if row is not None:
            self.position, self.hash = row["position"], bytes(row["hash"])

    async def add(self, rows: Iterator[tuple[str, int, Any]]) -> None:
        """Append (stream, version, event) rows; the caller keeps versions consistent."""
        await self.load_head()
        chunk: list[tuple[Any, ...]] = []
        for stream, version, event in rows:
            self.position += 1
            event_id = uuid.uuid4()
            data = event.model_dump(mode="json")
            recorded_at = EPOCH + timedelta(microseconds=self.position)
            document = canonical_document(
                position=self.position,
                event_id=event_id,
                stream_id=stream,
                stream_type=STREAM_TYPE,
                version=version,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=data,
                metadata={},
                recorded_at=recorded_at,
            )
            digest = chain_hash(self.hash, document)
            chunk.append(
                (
                    self.position,
                    event_id,
                    stream,
                    STREAM_TYPE,
                    version,
                    event.event_type,
                    event.schema_version,
                    json.dumps(data, ensure_ascii=False),
                    "{}",
                    recorded_at,
                    self.hash,
                    digest,
                )
            )
            self.hash = digest
            if len(chunk) >= COPY_CHUNK:
                await self._copy(chunk)
                chunk = []
        if chunk:
            await self._copy(chunk)

    async def _copy(self, chunk: list[tuple[Any, ...]]) -> None:
        await self.connection.copy_records_to_table("events", records=chunk, columns=COPY_COLUMNS)


def member_streams(first: int, events: int) -> Iterator[tuple[str, int, Any]]:
    """Streams of ten events (an application, nine renames), as the rebuild benchmark's."""
    for i in range(first, first + events // 10):
        code = f"S{i:07d}"
        yield code, 1, BenchMemberApplied(code=code, names=names(code, 0), note="Note " * 12)
        for n in range(1, 10):
            yield code, n + 1, BenchMemberRenamed(names=names(code, n), reason="Decision")


def one_stream(stream: str, events: int) -> Iterator[tuple[str, int, Any]]:
    for n in range(events):
        yield stream, n + 1, renamed(stream, n)


async def _settle(connection: asyncpg.Connection) -> None:
    """After a bulk load: statistics, visibility map and a checkpoint, so the appends measured
    next do not pay for the load's dirty pages."""
    await connection.execute("VACUUM ANALYZE events")
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):  # an external server
        await connection.execute("CHECKPOINT")


async def _append_latencies(
    small: PostgresEventStore, big: PostgresEventStore, raw: asyncpg.Connection
) -> tuple[list[float], list[float], list[float]]:
    """Single sequential appends to the small log and to the big one, and single INSERT+commit
    rows with asyncpg, interleaved in blocks of ten so that all three meet the same load on a
    shared machine; the first WARM_UP of each are warm-up."""
    timings: dict[str, list[float]] = {"small": [], "big": [], "raw": []}
    streams = [f"lat-{k}" for k in range(10)]
    for block in range((LATENCY_APPENDS + WARM_UP) // 10):
        for label, store in (("small", small), ("big", big)):
            for stream in streams:
                event = renamed(stream, block)
                started = time.perf_counter()
                await store.append(stream, [event], stream_type=STREAM_TYPE, expected_version=block)
                timings[label].append(time.perf_counter() - started)
        for row in _raw_rows_for_latency(block):
            started = time.perf_counter()
            await raw.execute(RAW_INSERT, *row)
            timings["raw"].append(time.perf_counter() - started)
    return timings["small"][WARM_UP:], timings["big"][WARM_UP:], timings["raw"][WARM_UP:]


def _raw_rows_for_latency(block: int) -> list[tuple[Any, ...]]:
    return [
        (
            uuid.uuid4(),
            f"raw-lat-{k}",
            STREAM_TYPE,
            block + 1,
            "BenchMemberRenamed",
            1,
            json.dumps(renamed("x", block).model_dump(mode="json"), ensure_ascii=False),
            "{}",
            os.urandom(32),
            os.urandom(32),
        )
        for k in range(10)
    ]


async def _read_times(
    store: PostgresEventStore, raw: asyncpg.Connection, stream: str, size: int
) -> tuple[float, float, float]:
    """The mean time of a read of the stream, ours and asyncpg's, and the median of ours. The
    mean, not the median: a read that sets the collector off pays for the reads before it, and
    with a young generation of 50,000 objects one read of 1,000 events in ten does, every read
    of 10,000 each time; a median would leave the first out and keep the second. At least ten
    reads of each size: the full collections the reads set off come one in several reads, and
    a mean of three held one or none (per event, 1.15 to 1.75 times the 1,000-event read's)."""
    repeats = max(10, min(50, 20_000 // size))
    ours: list[float] = []
    plain: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        records = await store.read_stream(stream)
        for record in records:
            record.data  # noqa: B018  parsed when first asked for; asyncpg's rows are parsed too
        ours.append(time.perf_counter() - started)
        assert len(records) == size
        started = time.perf_counter()
        rows = await raw.fetch(READ_ROWS, stream)
        for row in rows:
            json.loads(row["data"])
            json.loads(row["metadata"])
        plain.append(time.perf_counter() - started)
        assert len(rows) == size
    return statistics.mean(ours), statistics.mean(plain), statistics.median(ours)


async def _command_latencies(store: PostgresEventStore, streams: list[str]) -> dict[str, Any]:
    """COMMANDS commands on each stream, interleaved, one at a time: each renames the member
    after reading the stream (the decision counts its events, so it folds them all)."""

    def rename(history: History) -> BenchMemberRenamed:
        return renamed(history.stream_id, len(history.events))

    timings: dict[str, list[float]] = {stream: [] for stream in streams}
    for _ in range(COMMANDS + 1):
        for stream in streams:
            started = time.perf_counter()
            await run_command(store, stream, STREAM_TYPE, rename)
            timings[stream].append(time.perf_counter() - started)
    return {
        stream: {"first": times[0], "p50": statistics.median(times[1:])}
        for stream, times in timings.items()
    }


async def _rebuild_rates(store: PostgresEventStore, until: int) -> dict[str, float]:
    rates = {}
    for kind, make in (("batched", member_rows_batched), ("nothing", nothing)):
        report = await rebuild(store, make(), until=until, batch_size=1000)
        assert report.events == until
        rates[kind] = report.events / report.seconds
    return rates


async def _growth(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import Measurement

    small_url = await env.new_database()
    big_url = await env.new_database()
    small_engine, big_engine = create_store_engine(small_url), create_store_engine(big_url)
    small = PostgresEventStore(small_engine, event_types)
    big = PostgresEventStore(big_engine, event_types)
    small_db = await asyncpg.connect(small_url)
    big_db = await asyncpg.connect(big_url)
    ms = 1000.0
    try:
        await small_db.execute(RAW_TABLE)
        async with big_engine.begin() as sa:
            await sa.run_sync(tables.create_all)

        started = time.perf_counter()
        await Log(small_db).add(member_streams(0, LOG_SMALL))
        print(f"  bulk-loaded {LOG_SMALL:,} events in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        big_log = Log(big_db)
        await big_log.add(member_streams(0, LOG_BIG))
        filled = time.perf_counter() - started
        print(f"  bulk-loaded {LOG_BIG:,} events in {filled:.1f} s", flush=True)
        await _settle(small_db)
        await _settle(big_db)
        head = await big.head_position()

        small_ours, big_ours, plain = await _append_latencies(small, big, small_db)
        chain = await small.verify_chain()
        assert chain.ok, chain.reason  # the bulk path and the store's appends make one chain
        checked_small = chain.checked

        reads = {}
        for size in READ_SIZES:
            await big_log.add(one_stream(f"read-{size}", size))
        for size in READ_SIZES:
            reads[size] = await _read_times(big, big_db, f"read-{size}", size)
        commands = await _command_latencies(big, ["read-10", "read-10000"])

        small_rebuild = await _rebuild_rates(big, REBUILD_SMALL)
        big_rebuild = await _rebuild_rates(big, LOG_BIG)
    finally:
        for connection in (small_db, big_db):
            await connection.close()
        for store in (small, big):
            await store.close()
            await store.engine.dispose()
        for url in (small_url, big_url):
            await env.drop_database(url)

    small_n, big_n = f"{LOG_SMALL:,}", f"{LOG_BIG:,}"
    results = [
        Measurement(
            name=f"append p50, {small_n} events in the log",
            unit="ms",
            value=statistics.median(small_ours) * ms,
            baseline_name="asyncpg INSERT + commit of the row, p50",
            baseline_value=statistics.median(plain) * ms,
            lower_is_better=True,
            details={"appends": len(small_ours), "chain verified over": checked_small},
        ),
        Measurement(
            name=f"append p99, {small_n} events in the log",
            unit="ms",
            value=percentile(small_ours, 0.99) * ms,
            baseline_name="asyncpg INSERT + commit of the row, p99",
            baseline_value=percentile(plain, 0.99) * ms,
            lower_is_better=True,
        ),
        Measurement(
            name=f"append p50, {big_n} events in the log",
            unit="ms",
            value=statistics.median(big_ours) * ms,
            baseline_name=f"append p50, {small_n} in the log",
            baseline_value=statistics.median(small_ours) * ms,
            aim_ratio=AIM_GROWTH,
            lower_is_better=True,
            details={
                "log head before": head,
                "bulk load": f"{LOG_BIG:,} events by COPY in {filled:.0f} s",
                "measured": "interleaved with the small log's appends, blocks of ten",
            },
        ),
        Measurement(
            name=f"append p99, {big_n} events in the log",
            unit="ms",
            value=percentile(big_ours, 0.99) * ms,
            baseline_name=f"append p99, {small_n} in the log",
            baseline_value=percentile(small_ours, 0.99) * ms,
            aim_ratio=AIM_GROWTH,
            lower_is_better=True,
        ),
    ]
    for size in READ_SIZES:
        ours, plain, _ = reads[size]
        results.append(
            Measurement(
                name=f"read_stream, one stream of {size:,} events",
                unit="ms",
                value=ours * ms,
                baseline_name="asyncpg fetch of its rows + json.loads",
                baseline_value=plain * ms,
                lower_is_better=True,
                details={"µs per event": round(ours / size * 1e6, 2)},
            )
        )
    per_event = {size: reads[size][0] / size for size in READ_SIZES}
    results.append(
        Measurement(
            name="read_stream of 10,000 events, time per event",
            unit="µs",
            value=per_event[10_000] * 1e6,
            baseline_name="read_stream of 1,000 events, time per event",
            baseline_value=per_event[1_000] * 1e6,
            aim_ratio=AIM_GROWTH,
            lower_is_better=True,
            details={
                "log head": head + sum(READ_SIZES),
                "measured": "mean time of a read, over its events",
                "medians instead (µs per event, 1,000 / 10,000)": (
                    f"{reads[1_000][2] / 1_000 * 1e6:.2f} / {reads[10_000][2] / 10_000 * 1e6:.2f}"
                ),
            },
        )
    )
    short, long = commands["read-10"], commands["read-10000"]
    results.append(
        Measurement(
            name="a command (read, decide, append) on a stream of 10,000 events, p50",
            unit="ms",
            value=long["p50"] * ms,
            baseline_name="the same on a stream of 10 events",
            baseline_value=short["p50"] * ms,
            aim_ratio=AIM_GROWTH,
            lower_is_better=True,
            details={
                "commands": COMMANDS,
                "first command, 10 / 10,000 events (ms)": (
                    f"{short['first'] * ms:.1f} / {long['first'] * ms:.1f}"
                ),
            },
        )
    )
    titles = {
        "batched": "a batch handler (set-based writes)",
        "nothing": "handlers writing nothing",
    }
    for kind, title in titles.items():
        small_time = REBUILD_SMALL / small_rebuild[kind]
        big_time = LOG_BIG / big_rebuild[kind]
        results.append(
            Measurement(
                name=f"rebuild rate over {LOG_BIG:,} events, {title}",
                unit="events/s",
                value=big_rebuild[kind],
                baseline_name=f"the same over {REBUILD_SMALL:,} events",
                baseline_value=small_rebuild[kind],
                aim_ratio=1 / AIM_GROWTH,
                details={
                    "seconds": f"{small_time:.2f} -> {big_time:.2f}",
                    "time ratio": round(big_time / small_time, 2),
                    "size ratio": round(LOG_BIG / REBUILD_SMALL, 2),
                },
            )
        )
    return results


async def run(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import collector_as_the_services_run_it

    # Every contender, ours and the baselines alike, with the garbage collector as the services
    # run it (`shared.collector`): with CPython's defaults, a full pass over what the runner's
    # process holds now and then fell inside one read or rebuild and not another (a read of
    # 10,000 events took 72 ms in one run and 97 ms in the next).
    with collector_as_the_services_run_it():
        return [*await _writers(env), *await _growth(env)]
