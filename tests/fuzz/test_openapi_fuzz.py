"""Fuzzing every service's OpenAPI document with schemathesis: for each operation, a bounded
number of requests drawn from its documented parameters and body (valid ones, and ones that
break the schema on purpose), sent by each kind of caller (the Secretariat, a member state,
an auditor, nobody) to the real app on a real database and NATS. Every answer must be no 5xx,
and must match what the document says of it: a documented status, its content type, its
schema.

Adding a service is one entry in SERVICES: a function that starts it with a little seed data.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.access import Role
from tests.access import bearer
from tests.documents.helpers import documents_app, draft
from tests.meetings.support import meetings, soc_meeting_with_adopted_agenda
from tests.notifications.support import notifications, the_27_and_the_soc_oi_series
from tests.registry.support import register_founding_members, registry

SCALE = int(os.environ.get("CICA_FUZZ_SCALE", "1"))
"""Multiplies every count below: ``CICA_FUZZ_SCALE=10`` for a deeper run by hand."""
CASES_PER_OPERATION = {GenerationMode.POSITIVE: 6 * SCALE, GenerationMode.NEGATIVE: 4 * SCALE}
"""Per operation and mode: bounded so the three services fuzz in well under a minute."""
EXAMPLE_CASES = 4 * SCALE
"""Per operation, drawn from its documented examples, each sent by one of the callers."""

CALLERS: dict[str, dict[str, str]] = {
    "secretariat": bearer(Role.SECRETARIAT),
    "member state KAZ": bearer(Role.MEMBER_STATE, "KAZ"),
    "auditor": bearer(Role.AUDITOR),
    "nobody": {},
}

NOT_FUZZED = {"GET /live", "POST /endpoints"}
"""``GET /live``: server-sent events, a stream that does not end, so no response to check.
``POST /endpoints``: it resolves the host name it is given, and fuzzed names would go out to
DNS (tests/notifications/test_endpoints.py holds it to its answers instead)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

Started = Callable[[str, str], AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


def seeded(
    start: Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]],
    seed: Callable[[httpx.AsyncClient], Awaitable[object]],
    **settings: Any,
) -> Started:
    """A service `start`ed with its relay off and `settings`, then given `seed` data."""

    @asynccontextmanager
    async def started(url: str, nats_url: str) -> AsyncIterator[tuple[FastAPI, Any]]:
        async with start(url, nats_url, relay_enabled=False, **settings) as (app, client):
            await seed(client)
            yield app, client

    return started


@asynccontextmanager
async def seeded_documents(url: str, nats_url: str) -> AsyncIterator[tuple[FastAPI, Any]]:
    async with documents_app(url, nats_url, relay_enabled=False) as documents:
        created = await documents.create(draft())
        assert created.status_code == 201, created.text
        yield documents.app, documents.http


SERVICES: dict[str, Started] = {
    "registry": seeded(registry, register_founding_members, consumers_enabled=False),
    "documents": seeded_documents,
    "meetings": seeded(meetings, soc_meeting_with_adopted_agenda, consumers_enabled=False),
    "notifications": seeded(
        notifications,
        the_27_and_the_soc_oi_series,
        delivery_enabled=False,
        webhook_key="k" * 32,
    ),
}


def _request(case: schemathesis.Case, caller: dict[str, str]) -> dict[str, Any]:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    request: dict[str, Any] = {
        "method": case.method,
        "url": case.formatted_path,
        "params": case.query or None,
        "headers": {**headers, **caller},
    }
    if not isinstance(case.body, NotSet):
        kwargs = case.as_transport_kwargs(base_url="http://cica.test")
        request["headers"].setdefault("Content-Type", case.media_type)
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        else:
            request["content"] = kwargs.get("data")
    return request


def fuzz(schema: Any, send: Callable[[dict[str, Any]], httpx.Response]) -> list[str]:
    """Runs every operation's cases (in a worker thread: hypothesis drives, the app answers on
    the test's event loop) and returns one line per distinct failure."""
    failures: dict[tuple[str, str, int], str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in NOT_FUZZED:
            continue
        for mode, count in CASES_PER_OPERATION.items():
            strategy = operation.as_strategy(generation_mode=mode)
            _fuzz_operation(operation, mode.value, strategy, count, send, failures)
        # The document's own examples name what the seed holds (SOC-2022-III,
        # SUM/2022/DRAFT/1...): they reach the answers of resources that exist.
        examples = schema.get_strategies_from_examples(operation)
        if examples:
            count = min(EXAMPLE_CASES, len(examples) * len(CALLERS))
            _fuzz_operation(operation, "examples", st.one_of(examples), count, send, failures)
    return sorted(failures.values())


def _fuzz_operation(
    operation: Any,
    mode: str,
    cases: st.SearchStrategy[schemathesis.Case],
    count: int,
    send: Callable[[dict[str, Any]], httpx.Response],
    failures: dict[tuple[str, str, int], str],
) -> None:
    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases, st.sampled_from(sorted(CALLERS)))
    def run(case: schemathesis.Case, caller: str) -> None:
        request = _request(case, CALLERS[caller])
        response = send(request)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, failure.title, response.status_code)
                failures.setdefault(
                    key,
                    f"{operation.label} [{mode}, {caller}] -> {response.status_code}: "
                    f"{failure.title}: {failure.message[:300]}\n"
                    f"    {_request(case, {})}\n    {response.text[:300]}",
                )

    try:
        run()
    except Unsatisfiable:
        # Negative cases of an operation with nothing to break (no parameters, no body).
        assert mode == GenerationMode.NEGATIVE.value, operation.label


@pytest.mark.timeout(240 * SCALE)
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_every_operation_answers_as_documented_and_never_with_a_5xx(
    service, database_url, servers
):
    async with SERVICES[service](database_url, servers.nats_url) as (app, client):
        schema = schemathesis.openapi.from_dict(app.openapi())
        loop = asyncio.get_running_loop()

        def send(request: dict[str, Any]) -> httpx.Response:
            future = asyncio.run_coroutine_threadsafe(client.request(**request), loop)
            return future.result(timeout=60)

        failures = await asyncio.to_thread(fuzz, schema, send)

    assert not failures, f"{len(failures)} finding(s):\n" + "\n".join(failures)
