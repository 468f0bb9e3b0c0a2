"""Every bad input a 4xx, never a 5xx, and never a change to the log.

Each of the four services, started as its tests start it (the real app, on a fresh database
and the session's NATS, with a little of the seed), is walked route by route along its own
OpenAPI document: every operation gets the corpus of tests/hostile_corpus.py (numbers beyond a
BIGINT, NUL, lone surrogates, bytes that are not UTF-8, huge strings, bodies of the wrong type
or nested 10,000 deep, unknown methods, headers far too long), sent by the Secretariat, by a
member state, by nobody and with a signed token whose claims have the wrong types. No answer
may be a 5xx, and the service's log must stand at the same head position after as before (but
for values of the right type at the edge of their range, which the rules may accept: those
must then be read back, every read model applying them).
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.meetings import examples
from shared.access import Role
from shared.http.params import BIGINT_MAX, BIGINT_MIN
from tests.access import SECRET, bearer
from tests.documents.helpers import documents_app, draft
from tests.hostile_corpus import Attempt, attempts, operations, refused_request
from tests.meetings.support import meetings, soc_meeting_with_adopted_agenda
from tests.notifications.support import notifications, the_27_and_the_register_of_2022
from tests.polling import eventually
from tests.registry.support import register_founding_members, registry


def _signed(claims: dict[str, Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"iss": "cica", "aud": "cica", "sub": "hostile", "iat": now,
         "exp": now + timedelta(hours=12), **claims},
        SECRET,
        algorithm="HS256",
    )
    return {"Authorization": f"Bearer {token}"}


CALLERS: dict[str, dict[str, str]] = {
    "secretariat": bearer(Role.SECRETARIAT),
    "member state KAZ": bearer(Role.MEMBER_STATE, "KAZ"),
    "nobody": {},
}
WRONGLY_TYPED_TOKENS: dict[str, dict[str, str]] = {
    "a role that is a list": _signed({"role": ["secretariat"]}),
    "a role that is an object": _signed({"role": {"secretariat": True}}),
    "a subject that is a list": _signed({"role": "secretariat", "sub": ["hostile"]}),
    "a state that is a list": _signed({"role": "member_state", "state": ["KAZ"]}),
    "a subject holding a NUL": _signed({"role": "secretariat", "sub": "a\x00b"}),
    "a subject holding a lone surrogate": _signed({"role": "secretariat", "sub": "\ud800"}),
    "an expiry beyond any float": _signed({"role": "secretariat", "exp": 10**400}),
}
"""Sent once per route each: every one of them is refused (401) before the route runs."""

NOT_SWEPT = frozenset({"GET /live", "POST /endpoints"})
"""``GET /live``: a stream that does not end (tests/shared/test_live.py and
tests/fuzz/test_findings.py hold its parameters to 422s). ``POST /endpoints``: it resolves the
name it is given, so the corpus would go out to DNS (tests/notifications/test_endpoints.py)."""

# Values of path parameters the documents give no example of: the seed's draft.
DEFAULTS: dict[str, dict[str, str]] = {
    "documents": {
        "symbol": "SUM/2022/DRAFT/1",
        "amendment_id": "00000000-0000-4000-8000-000000000001",
    },
}


def seeded(
    start: Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]],
    seed: Callable[[httpx.AsyncClient], Awaitable[object]],
    **settings: Any,
) -> Callable[[str, str], AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]:
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


SERVICES = {
    "registry": seeded(registry, register_founding_members, consumers_enabled=False),
    "documents": seeded_documents,
    "meetings": seeded(meetings, soc_meeting_with_adopted_agenda, consumers_enabled=False),
    "notifications": seeded(
        notifications, the_27_and_the_register_of_2022, delivery_enabled=False, webhook_key="k" * 32
    ),
}


async def _send(client: httpx.AsyncClient, attempt: Attempt, caller: dict[str, str]) -> int:
    headers = [(name.encode(), value.encode()) for name, value in caller.items()]
    names = {name for name, _ in attempt.headers}
    headers = [h for h in headers if h[0] not in names] + attempt.headers
    request = client.build_request(
        attempt.method, attempt.url, headers=headers, content=attempt.content
    )
    response = await client.send(request)
    return response.status_code


@pytest.mark.timeout(180)
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_no_bad_input_gets_a_5xx_or_changes_the_log(service, database_url, servers):
    failures: list[str] = []
    accepted = 0  # events recorded for values the rules may accept (`Attempt.may_be_accepted`)
    defaults = DEFAULTS.get(service, {})
    async with SERVICES[service](database_url, servers.nats_url) as (app, client):
        store = app.state.store
        head = first = await store.head_position()
        for operation in operations(app.openapi(), skipped=NOT_SWEPT):
            for attempt in attempts(operation, defaults=defaults):
                for caller, headers in CALLERS.items():
                    status = await _send(client, attempt, headers)
                    if status >= 500:
                        failures.append(f"{operation.label} [{caller}] {attempt.what} -> {status}")
                moved = await store.head_position()
                if moved != head and not attempt.may_be_accepted:  # to name who moved it
                    failures.append(f"{operation.label} {attempt.what}: the log moved to {moved}")
                accepted += moved - head if attempt.may_be_accepted else 0
                head = moved
            probe = refused_request(operation, defaults=defaults)
            for what, headers in WRONGLY_TYPED_TOKENS.items():
                status = await _send(client, probe, headers)
                if status != 401:
                    failures.append(f"{operation.label} [token with {what}] -> {status}")
        # What was accepted is read back: every read model applies it, none is stuck on it.
        projections = await _caught_up(client)
    if head - first != accepted:
        failures.append(f"the log moved from position {first} to {head}")
    failures += [
        f"projection {p['name']} is stuck at {p['position']}: {p['error']}"
        for p in projections["projections"]
        if p["error"] or p["position"] != projections["head"]
    ]
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures)


async def _caught_up(client: httpx.AsyncClient) -> dict[str, Any]:
    """GET /projections once every read model has applied the whole log, or (failing) as it
    stands when one has an error or the deadline passes."""

    async def read() -> dict[str, Any]:
        answer = await client.get("/projections", headers=CALLERS["secretariat"])
        assert answer.status_code == 200, answer.text
        return answer.json()

    def settled(state: dict[str, Any]) -> bool:
        return all(
            p["error"] or p["position"] == state["head"] for p in state["projections"]
        )

    return await eventually(read, until=settled, within=15, what="the read models catch up")


# Each as it was reported (issue 19), and the instants that overflowed in UTC.
REPORTED = [
    ("documents", "/documents?q=%00", {}),
    ("documents", "/documents?offset=9223372036854775808", {}),
    ("meetings", "/agenda-items?document=%00", CALLERS["member state KAZ"]),
    ("notifications", "/inbox?after=9223372036854775808", CALLERS["member state KAZ"]),
    ("notifications", "/inbox?after=9223372036854775808", CALLERS["secretariat"]),
    ("registry", "/member-states?as_of=0001-01-01T00:00:00%2B14:00", {}),
    ("meetings", "/meetings/SOC-2022-III?as_of=9999-12-31T23:59:59-14:00", CALLERS["secretariat"]),
    ("registry", "/live?types=%00", bearer(Role.AUDITOR)),
]


@pytest.mark.parametrize(("service", "url", "headers"), REPORTED)
async def test_what_was_reported_as_a_500_is_a_422_problem(
    service, url, headers, database_url, servers
):
    async with SERVICES[service](database_url, servers.nats_url) as (_, client):
        response = await client.get(url, headers=headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    text_no_store_can_hold = "%00" in url
    assert response.json()["type"] == (
        "/problems/unstorable-text" if text_no_store_can_hold else "/problems/validation-error"
    )


async def test_a_silence_procedure_due_after_the_year_9999_in_utc_is_refused(
    database_url, servers
):
    procedure = copy.deepcopy(examples.SILENCE_PROCEDURE_IN)
    procedure["deadline"] = "9999-12-31T23:59:59-14:00"  # 10000-01-01T13:59:59Z
    async with SERVICES["meetings"](database_url, servers.nats_url) as (app, client):
        head = await app.state.store.head_position()
        response = await client.post(
            "/silence-procedures", json=procedure, headers=CALLERS["secretariat"]
        )
        assert await app.state.store.head_position() == head

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "deadline"]


async def test_a_signed_token_whose_role_is_a_list_is_an_invalid_token(database_url, servers):
    async with SERVICES["documents"](database_url, servers.nats_url) as (_, client):
        response = await client.get(
            "/documents", headers=WRONGLY_TYPED_TOKENS["a role that is a list"]
        )

    assert response.status_code == 401, response.text
    assert response.json()["type"] == "/problems/unauthorized"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def _integer_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema] if schema.get("type") == "integer" else []
    for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += _integer_schemas(alternative)
    return found


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_integer_parameter_is_bounded_within_a_bigint(service):
    schema = importlib.import_module(f"services.{service}.app").create_app().openapi()
    unbounded = [
        f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        for integer in _integer_schemas(parameter.get("schema", {}))
        if not (
            integer.get("minimum", BIGINT_MIN - 1) >= BIGINT_MIN
            and integer.get("maximum", BIGINT_MAX + 1) <= BIGINT_MAX
        )
    ]
    assert not unbounded, "integer parameters a BIGINT cannot hold:\n" + "\n".join(unbounded)
