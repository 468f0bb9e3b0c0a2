"""Idempotency-Key claims and their lease, on real PostgreSQL: a claim is kept alive while its
request runs, so a handler slower than the lease runs once; a claim whose process is gone is
still taken over; a request whose claim was taken over anyway (its process paused past
the lease) neither stores its answer over the new claim's nor releases the new claim's key;
and an answer to keep or a key to give up that the database missed (it was away for a moment)
is written once it is back, not left to the lease."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from shared.eventstore import create_engine
from shared.eventstore.schema import idempotency_keys
from shared.http import idempotency, install_http_conventions
from shared.http.idempotency import request_fingerprint
from shared.http.problems import ProblemError
from tests.cuttable_link import CuttableLink
from tests.polling import eventually

SHORT_LEASE = timedelta(seconds=2)
"""A lease a test can wait out twice; its beats (every third of it) have room to be late on a
loaded machine."""
LONG_LEASE = timedelta(minutes=1)
"""A lease with no beat within a test (the first comes after 20 s): a claim made old by hand is
then what a process paused past its lease leaves."""
PATH = "/admissions"
BODY = json.dumps({"state": "KWT"}).encode()
HEARTBEAT_TASK = "idempotency-heartbeat"


class AdmissionIn(BaseModel):
    state: str


class UnavailableError(ProblemError, status=503, title="Unavailable", type_="/problems/unavail"):
    ...


@dataclass
class Runs:
    """The handler's runs, numbered from 1 as they start; run n answers once its gate opens,
    with a 503 if it is among `failing`."""

    started: list[str] = field(default_factory=list)
    gates: defaultdict[int, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    failing: set[int] = field(default_factory=set)

    def open(self, *runs: int) -> None:
        for run in runs:
            self.gates[run].set()


def leased_app(engine: AsyncEngine, runs: Runs, lease: timedelta) -> FastAPI:
    app = FastAPI()
    install_http_conventions(app, idempotency_lease=lease)
    app.state.engine = engine

    @app.post(PATH, status_code=201)
    async def admit(body: AdmissionIn) -> dict[str, Any]:
        runs.started.append(body.state)
        run = len(runs.started)
        await runs.gates[run].wait()
        if run in runs.failing:
            raise UnavailableError("the registry is busy")
        return {"state": body.state, "run": run}

    return app


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def runs() -> Runs:
    return Runs()


@asynccontextmanager
async def client_of(
    engine: AsyncEngine, runs: Runs, lease: timedelta
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=leased_app(engine, runs, lease))
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        yield client


def admit(client: httpx.AsyncClient, key: str) -> asyncio.Task[httpx.Response]:
    """The admission request with `key`, running as a task of its own."""
    return asyncio.create_task(
        client.post(
            PATH,
            content=BODY,
            headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        )
    )


def a_key() -> str:
    return f"key-{uuid.uuid4()}"


async def database_now(engine: AsyncEngine) -> datetime:
    """The database's clock, the one leases are measured by."""
    async with engine.connect() as connection:
        return (await connection.execute(select(func.now()))).scalar_one()


async def wait_out(engine: AsyncEngine, lease: timedelta, *, times: int) -> None:
    """Wait until `times` leases have passed on the database's clock."""
    since = await database_now(engine)
    await eventually(
        lambda: database_now(engine),
        until=lambda now: now - since > times * lease,
        within=times * lease.total_seconds() + 30,
        every=0.2,
        what=f"{times} leases passed",
    )


@dataclass
class Row:
    state: str
    created_at: datetime
    since_refreshed: timedelta
    body: bytes | None


async def row_of(engine: AsyncEngine, key: str) -> Row | None:
    table = idempotency_keys
    query = select(
        table.c.state, table.c.created_at, func.now() - table.c.updated_at, table.c.body
    ).where(table.c.key == key)
    async with engine.connect() as connection:
        found = (await connection.execute(query)).one_or_none()
    return None if found is None else Row(*found)


async def make_claim_old(engine: AsyncEngine, key: str) -> None:
    """What a claim looks like whose process has not beaten for five minutes."""
    statement = (
        update(idempotency_keys)
        .where(idempotency_keys.c.key == key)
        .values(updated_at=func.now() - timedelta(minutes=5))
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


def heartbeats() -> list[asyncio.Task[Any]]:
    return [
        task for task in asyncio.all_tasks()
        if task.get_name() == HEARTBEAT_TASK and not task.done()
    ]  # fmt: skip


def logged(logs: list[dict[str, Any]], event: str) -> list[str]:
    """When (`when`) each `event` of the middleware's was logged, in order."""
    return [entry["when"] for entry in logs if entry["event"] == event]


def claims_lost(logs: list[dict[str, Any]]) -> list[str]:
    return logged(logs, "idempotency.claim_lost")


async def test_a_handler_slower_than_the_lease_keeps_its_key_and_runs_once(
    engine: AsyncEngine, runs: Runs
) -> None:
    key = a_key()
    async with client_of(engine, runs, SHORT_LEASE) as client:
        first = admit(client, key)
        await eventually(lambda: runs.started, what="the first request runs")
        await wait_out(engine, SHORT_LEASE, times=2)
        kept_alive = await row_of(engine, key)

        retry = admit(client, key)
        await eventually(
            lambda: retry.done() or len(runs.started) > 1, what="the retry answered or ran"
        )
        runs.open(1, 2)
        answered, meanwhile = await first, await retry
        later = await admit(client, key)

    assert runs.started == ["KWT"]
    assert meanwhile.status_code == 409, meanwhile.text
    assert meanwhile.json()["type"] == "/problems/idempotency-key-in-progress"
    assert answered.status_code == 201
    assert answered.json() == {"state": "KWT", "run": 1}
    assert later.json() == answered.json()
    assert later.headers["idempotent-replayed"] == "true"
    assert kept_alive is not None and kept_alive.state == "pending"
    assert kept_alive.since_refreshed < SHORT_LEASE, "refreshed while its request ran"


async def test_a_claim_whose_process_is_gone_is_taken_over_and_kept_alive_by_its_new_request(
    engine: AsyncEngine, runs: Runs
) -> None:
    key = a_key()
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    async with engine.begin() as connection:
        await connection.execute(
            insert(idempotency_keys).values(
                key=key,
                fingerprint=request_fingerprint("POST", PATH, b"", BODY),
                state="pending",
                created_at=long_ago,
                updated_at=long_ago,  # no beat since: its process is gone
            )
        )

    async with client_of(engine, runs, SHORT_LEASE) as client:
        taking_over = admit(client, key)
        await eventually(lambda: runs.started, what="the request taking over runs")
        taken = await row_of(engine, key)
        await wait_out(engine, SHORT_LEASE, times=2)

        retry = admit(client, key)
        await eventually(
            lambda: retry.done() or len(runs.started) > 1, what="the retry answered or ran"
        )
        runs.open(1, 2)
        answered, meanwhile = await taking_over, await retry

    assert runs.started == ["KWT"]
    assert meanwhile.status_code == 409, meanwhile.text
    assert answered.status_code == 201
    assert answered.json() == {"state": "KWT", "run": 1}
    stored = await row_of(engine, key)
    assert stored is not None and stored.state == "done"
    assert stored.body == answered.content
    assert taken is not None and taken.state == "pending"
    assert taken.created_at > long_ago, "a takeover is a new claim, with a token of its own"


async def test_a_request_that_lost_its_claim_does_not_store_its_answer_over_the_new_one(
    engine: AsyncEngine, runs: Runs
) -> None:
    key = a_key()
    async with client_of(engine, runs, LONG_LEASE) as client:
        with capture_logs() as logs:
            paused = admit(client, key)
            await eventually(lambda: runs.started, what="the first request runs")
            await make_claim_old(engine, key)  # as if its process had been stopped for 5 min

            taking_over = admit(client, key)
            await eventually(lambda: len(runs.started) == 2, what="the takeover runs")
            runs.open(2)
            answered = await taking_over
            runs.open(1)
            late = await paused
            replayed = await admit(client, key)

    # Fencing keeps the stored answer right; it cannot undo the first run (the docstring says
    # what the log then holds).
    assert runs.started == ["KWT", "KWT"]
    assert answered.status_code == late.status_code == 201
    assert answered.json() == {"state": "KWT", "run": 2}
    assert late.json() == {"state": "KWT", "run": 1}, "its own client still gets its answer"
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == answered.json()
    assert claims_lost(logs) == ["storing its answer"]


async def test_a_request_that_lost_its_claim_and_fails_does_not_release_the_new_claims_key(
    engine: AsyncEngine, runs: Runs
) -> None:
    key = a_key()
    runs.failing = {1}
    async with client_of(engine, runs, LONG_LEASE) as client:
        with capture_logs() as logs:
            paused = admit(client, key)
            await eventually(lambda: runs.started, what="the first request runs")
            await make_claim_old(engine, key)

            taking_over = admit(client, key)
            await eventually(lambda: len(runs.started) == 2, what="the takeover runs")
            runs.open(1)
            failed = await paused
            meanwhile = await admit(client, key)
            runs.open(2)
            answered = await taking_over
            replayed = await admit(client, key)

    assert failed.status_code == 503
    assert meanwhile.status_code == 409, "the key is still the running takeover's"
    assert runs.started == ["KWT", "KWT"]
    assert answered.json() == {"state": "KWT", "run": 2}
    assert replayed.json() == answered.json()
    assert claims_lost(logs) == ["releasing its key"]


async def test_the_heartbeat_ends_with_its_request_even_a_cancelled_one(
    engine: AsyncEngine, runs: Runs
) -> None:
    key = a_key()
    async with client_of(engine, runs, SHORT_LEASE) as client:
        cancelled = admit(client, key)
        await eventually(lambda: runs.started, what="the request runs")
        beating = len(heartbeats())
        cancelled.cancel()  # the client went away
        await asyncio.wait({cancelled})
        after_cancel = len(heartbeats())
        released = await row_of(engine, key)

        runs.open(2)
        answered = await admit(client, key)

    assert (beating, after_cancel) == (1, 0)
    assert released is None, "a cancelled request releases its key"
    assert answered.status_code == 201
    assert heartbeats() == []


# ------------------------------------------------------------ the database away at the end

BACK_WITHIN = 15.0
"""Seconds a retry may take to get through once the database is back: well within LONG_LEASE,
which is what it took when the outcome was left to the lease."""


@asynccontextmanager
async def through_link(database_url: str) -> AsyncIterator[tuple[CuttableLink, AsyncEngine]]:
    """An engine whose connections to the database go through a link the test can cut."""
    async with CuttableLink(database_url) as link:
        engine = create_engine(link.url)
        try:
            yield link, engine
        finally:
            await engine.dispose()


async def retried_while_in_progress(client: httpx.AsyncClient, key: str) -> httpx.Response:
    """The request with `key` sent again, as Retry-After says, while its key is in progress."""
    deadline = asyncio.get_running_loop().time() + BACK_WITHIN
    while True:
        answer = await admit(client, key)
        in_progress = answer.status_code == 409
        if not in_progress or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(float(answer.headers["Retry-After"]))


async def running(
    client: httpx.AsyncClient, runs: Runs, key: str
) -> tuple[asyncio.Task[httpx.Response], int]:
    """The request with `key`, once its handler runs, and the number of its run."""
    before = len(runs.started)
    request = admit(client, key)
    await eventually(lambda: len(runs.started) > before, what=f"run {before + 1} starts")
    return request, before + 1


async def answered_while_cut(
    client: httpx.AsyncClient, runs: Runs, link: CuttableLink, key: str
) -> httpx.Response:
    """The answer to a request with `key` whose handler runs on, and answers, while the link
    to the database is cut (it stays cut)."""
    request, run = await running(client, runs, key)
    link.cut()
    runs.open(run)
    return await request


async def test_a_key_the_database_could_not_release_is_released_once_it_is_back(
    database_url: str, runs: Runs
) -> None:
    """A 503 answered while the database is away, then a retry with the same key: it runs as
    soon as the database is back, not a lease later (the release used to fail with it)."""
    key, runs.failing = a_key(), {1}
    async with through_link(database_url) as (link, engine), client_of(
        engine, runs, LONG_LEASE
    ) as client:
        with capture_logs() as logs:
            failed = await answered_while_cut(client, runs, link, key)
            claim_refused = await admit(client, a_key())  # a new key meanwhile
            link.mend()
            runs.open(2)
            retried = await retried_while_in_progress(client, key)

    assert failed.status_code == 503, failed.text
    assert claim_refused.status_code == 503, claim_refused.text
    assert retried.status_code == 201, retried.text
    assert retried.json() == {"state": "KWT", "run": 2}
    assert logged(logs, "idempotency.outcome_deferred") == ["releasing its key"]
    assert logged(logs, "idempotency.outcome_written") == ["releasing its key"]


async def test_an_answer_the_database_could_not_keep_is_kept_once_it_is_back(
    database_url: str, runs: Runs
) -> None:
    """The command's answer reaches its client while the database is away; a retry with the
    key gets that answer replayed once the database is back, and the command ran once."""
    key = a_key()
    async with through_link(database_url) as (link, engine), client_of(
        engine, runs, LONG_LEASE
    ) as client:
        with capture_logs() as logs:
            answered = await answered_while_cut(client, runs, link, key)
            link.mend()
            runs.open(2)
            retried = await retried_while_in_progress(client, key)

    assert answered.status_code == 201, answered.text
    assert answered.json() == {"state": "KWT", "run": 1}
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json() == answered.json()
    assert runs.started == ["KWT"]
    assert logged(logs, "idempotency.outcome_written") == ["storing its answer"]


async def test_an_outcome_the_database_missed_too_long_is_left_to_the_lease(
    database_url: str, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tried again for `DEFERRED_OUTCOME_LIMIT` only: then the claim stays pending, and the
    lease (the takeover) is what frees it, as for a process that died."""
    monkeypatch.setattr(idempotency, "DEFERRED_OUTCOME_LIMIT", timedelta(seconds=0.5))
    key, runs.failing = a_key(), {1}
    async with through_link(database_url) as (link, engine), client_of(
        engine, runs, LONG_LEASE
    ) as client:
        with capture_logs() as logs:
            failed = await answered_while_cut(client, runs, link, key)
            await eventually(
                lambda: logged(logs, "idempotency.outcome_abandoned"), what="the release given up"
            )
            link.mend()
            left = await row_of(engine, key)
            retried = await admit(client, key)

    assert failed.status_code == 503
    assert left is not None and left.state == "pending", "left to its lease"
    assert retried.status_code == 409
    assert logged(logs, "idempotency.outcome_written") == []


async def test_outcomes_past_the_most_kept_waiting_leave_the_oldest_to_the_lease(
    database_url: str, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most `_DEFERRED_MOST` outcomes wait for the database: the oldest gives way to a new
    one, and its claim is left to its lease; the newer is written once the database is back."""
    monkeypatch.setattr(idempotency, "_DEFERRED_MOST", 1)
    older, newer = a_key(), a_key()
    runs.failing = {1, 2}
    async with through_link(database_url) as (link, engine), client_of(
        engine, runs, LONG_LEASE
    ) as client:
        with capture_logs() as logs:
            first, first_run = await running(client, runs, older)
            second, second_run = await running(client, runs, newer)
            link.cut()
            runs.open(first_run)
            failed_first = await first
            runs.open(second_run)
            failed_second = await second
            link.mend()
            runs.open(3)
            retried_newer = await retried_while_in_progress(client, newer)
            retried_older = await admit(client, older)
            left = await row_of(engine, older)

    assert (failed_first.status_code, failed_second.status_code) == (503, 503)
    assert retried_newer.status_code == 201, retried_newer.text
    assert retried_older.status_code == 409, "the older claim waits out its lease"
    assert left is not None and left.state == "pending"
    abandoned = [e for e in logs if e["event"] == "idempotency.outcome_abandoned"]
    assert [(e["when"], e["reason"]) for e in abandoned] == [
        ("releasing its key", "too many waiting")
    ]
