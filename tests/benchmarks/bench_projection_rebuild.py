"""Projection rebuild: events per second replayed from position 0 into a projection, against
the baseline of reading the same rows with asyncpg and decoding their JSON (issue 3 aims at
half the baseline's rate or better).

Three projections are rebuilt over the same log: one whose handlers write nothing (what the
kit costs: reading, decoding through the event models, the checkpoint transaction of each
batch); one that keeps a row per member state with a statement per event (an insert or an
update: the plain shape of a read model, bound by one database round trip per event); and the
same rows written by a batch handler (`Projection.on_batch`: fold the batch in memory, write it
with a few set-based statements). Each is measured REPEATS times, interleaved with the
baseline, and the median taken, with the garbage collector as a service and `cica rebuild` run
it (`shared.collector`: start-up objects frozen, the young generation collected after 50,000
new objects); the projection that writes nothing is measured with the default collector too.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import Column, Integer, Table, Text, bindparam, insert, update

from shared.eventstore import ANY_VERSION, DomainEvent, EventTypes, PostgresEventStore
from shared.eventstore import create_engine as create_store_engine
from shared.projections import Projection, projection_metadata, rebuild

if TYPE_CHECKING:
    from tests.benchmarks.run import BenchEnvironment, Measurement

EVENTS = int(os.environ.get("CICA_BENCH_EVENTS", "50000"))
REPEATS = int(os.environ.get("CICA_BENCH_REPEATS", "3"))
BATCH = 1000
EVENTS_PER_STREAM = 10
AIM = 0.5

event_types = EventTypes()


@event_types.register("BenchMemberApplied")
class BenchMemberApplied(DomainEvent):
    code: str
    names: dict[str, str]
    note: str


@event_types.register("BenchMemberRenamed")
class BenchMemberRenamed(DomainEvent):
    names: dict[str, str]
    reason: str


tables = projection_metadata()
members = Table(
    "bench_members",
    tables,
    Column("code", Text, primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ru", Text, nullable=False),
    Column("renames", Integer, nullable=False),
    Column("last_position", Integer, nullable=False),
)


def member_rows() -> Projection:
    projection = Projection("bench_members", version=1, tables=[members])

    @projection.on(BenchMemberApplied)
    async def applied(connection, record, event) -> None:
        await connection.execute(
            insert(members).values(
                code=event.code,
                name_en=event.names["en"],
                name_ru=event.names["ru"],
                renames=0,
                last_position=record.position,
            )
        )

    @projection.on(BenchMemberRenamed)
    async def renamed(connection, record, event) -> None:
        await connection.execute(
            update(members)
            .where(members.c.code == record.stream_id)
            .values(
                name_en=event.names["en"],
                name_ru=event.names["ru"],
                renames=members.c.renames + 1,
                last_position=record.position,
            )
        )

    return projection


def member_rows_batched() -> Projection:
    """The same rows as `member_rows`, folded per batch: one multi-row insert for the states
    applied in the batch, one pipelined update (executemany) for the others."""
    projection = Projection("bench_members", version=1, tables=[members])
    changes = (
        update(members)
        .where(members.c.code == bindparam("b_code"))
        .values(
            name_en=bindparam("b_en"),
            name_ru=bindparam("b_ru"),
            renames=members.c.renames + bindparam("b_renames"),
            last_position=bindparam("b_position"),
        )
    )

    @projection.on_batch(BenchMemberApplied, BenchMemberRenamed)
    async def fold(connection, items) -> None:
        new: dict[str, dict[str, Any]] = {}
        changed: dict[str, dict[str, Any]] = {}
        for record, event in items:
            if isinstance(event, BenchMemberApplied):
                new[event.code] = {
                    "code": event.code,
                    "name_en": event.names["en"],
                    "name_ru": event.names["ru"],
                    "renames": 0,
                    "last_position": record.position,
                }
                continue
            if record.stream_id in new:
                row = new[record.stream_id]
                row["renames"] += 1
                row.update(name_en=event.names["en"], name_ru=event.names["ru"])
                row["last_position"] = record.position
            else:
                row = changed.setdefault(
                    record.stream_id, {"b_code": record.stream_id, "b_renames": 0}
                )
                row["b_renames"] += 1
                row.update(b_en=event.names["en"], b_ru=event.names["ru"])
                row["b_position"] = record.position
        if new:
            await connection.execute(insert(members), list(new.values()))
        if changed:
            await connection.execute(changes, list(changed.values()))

    return projection


def nothing() -> Projection:
    projection = Projection("bench_nothing", version=1, tables=[])

    @projection.on(BenchMemberApplied, BenchMemberRenamed)
    async def ignore(connection, record, event) -> None:
        return None

    return projection


def names(code: str, n: int) -> dict[str, str]:
    return {
        "en": f"State of {code}, form {n}",
        "ru": f"Государство {code}, вариант {n}",
        "kk": f"{code} мемлекеті, {n}-нұсқа",
    }


async def fill(store: PostgresEventStore, events: int) -> None:
    streams = events // EVENTS_PER_STREAM

    async def one(i: int) -> None:
        code = f"S{i:07d}"
        batch: list[DomainEvent] = [
            BenchMemberApplied(code=code, names=names(code, 0), note="Application note " * 4)
        ]
        batch += [
            BenchMemberRenamed(names=names(code, n), reason="Decision of the SOC")
            for n in range(1, EVENTS_PER_STREAM)
        ]
        await store.append(code, batch, stream_type="member_state", expected_version=ANY_VERSION)

    for start in range(0, streams, 200):
        await asyncio.gather(*(one(i) for i in range(start, min(start + 200, streams))))


async def read_and_decode(database_url: str) -> tuple[int, float]:
    """The baseline: every row of the log, keyset-paged like the rebuild, JSON decoded."""
    connection = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        after, count = 0, 0
        while True:
            rows = await connection.fetch(
                "SELECT position, event_id, stream_id, stream_type, version, event_type, "
                "schema_version, data, metadata, recorded_at, prev_hash, hash "
                "FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after,
                BATCH,
            )
            if not rows:
                break
            for row in rows:
                json.loads(row["data"])
                json.loads(row["metadata"])
            count += len(rows)
            after = rows[-1]["position"]
        return count, time.perf_counter() - started
    finally:
        await connection.close()


async def run(env: BenchEnvironment) -> list[Measurement]:
    from tests.benchmarks.run import Measurement, collector_as_the_services_run_it

    url = await env.new_database()
    engine = create_store_engine(url)
    store = PostgresEventStore(engine, event_types)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(tables.create_all)
        started = time.perf_counter()
        await fill(store, EVENTS)
        print(f"  appended {EVENTS} events in {time.perf_counter() - started:.1f} s", flush=True)
        await read_and_decode(url)  # warm the cache: every run reads from memory

        # Default garbage collection first.
        default_gc = []
        for _ in range(REPEATS):
            report = await rebuild(store, nothing(), batch_size=BATCH)
            default_gc.append(report.events / report.seconds)
        # Then as a service and `cica rebuild` run: start-up objects frozen, the young
        # generation collected after 50,000 new objects (`shared.collector`).
        with collector_as_the_services_run_it():
            kinds = {
                "nothing": ("rebuild, handlers writing nothing (the kit's own cost)", nothing),
                "row_per_event": ("rebuild, a statement per event", member_rows),
                "batched": ("rebuild, a batch handler (set-based writes)", member_rows_batched),
            }
            rates: dict[str, list[float]] = {"baseline": [], **{kind: [] for kind in kinds}}
            for _ in range(REPEATS):
                count, seconds = await read_and_decode(url)
                assert count == EVENTS
                rates["baseline"].append(count / seconds)
                digests = set()
                for kind, (_, make) in kinds.items():
                    report = await rebuild(store, make(), batch_size=BATCH)
                    assert report.events == EVENTS
                    rates[kind].append(report.events / report.seconds)
                    if kind != "nothing":
                        digests.add(report.digest_after)
                assert len(digests) == 1, "both member-row projections must give the same rows"
        baseline = statistics.median(rates["baseline"])
        default = Measurement(
            name="rebuild, handlers writing nothing, default GC",
            unit="events/s",
            value=statistics.median(default_gc),
            baseline_name="asyncpg read + json.loads",
            baseline_value=baseline,
            aim_ratio=AIM,
            details={"runs (events/s)": [round(r) for r in default_gc]},
        )
        return [
            default,
            *[
                Measurement(
                    name=title,
                    unit="events/s",
                    value=statistics.median(rates[kind]),
                    baseline_name="asyncpg read + json.loads",
                    baseline_value=baseline,
                    aim_ratio=AIM,
                    details={
                        "events": EVENTS,
                        "batch": BATCH,
                        "runs (events/s)": [round(r) for r in rates[kind]],
                        "baseline runs (events/s)": [round(r) for r in rates["baseline"]],
                    },
                )
                for kind, (title, _) in kinds.items()
            ],
        ]
    finally:
        await store.close()
        await engine.dispose()
        await env.drop_database(url)
