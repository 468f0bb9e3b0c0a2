"""The demo's HTTP client on its own (no system started): what it sends and how it reports a
problem. Its answers come from an in-process handler standing in for a service."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.system.demo.client import DemoClient, DemoError, idempotency_key
from shared.system.demo.scenario import agenda_documents, scenario

URLS = {"meetings": "http://meetings.test"}


def client_with(handler) -> DemoClient:  # type: ignore[no-untyped-def]
    return DemoClient(URLS, "T", auditor_token="A", transport=httpx.MockTransport(handler))


def test_a_step_sends_the_same_key_for_the_same_body_and_another_for_another() -> None:
    first = idempotency_key("meetings:decision", {"a": 1, "b": 2})
    again = idempotency_key("meetings:decision", {"b": 2, "a": 1})
    changed = idempotency_key("meetings:decision", {"a": 1, "b": 3})

    assert first == again
    assert first != changed
    assert first.startswith("cica-demo:meetings:decision:")


def test_a_problem_is_reported_with_its_status_title_detail_and_type() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        problem = {"type": "/problems/not-found", "title": "Not found", "status": 422,
                   "detail": "The agenda has no item 9."}  # fmt: skip
        return httpx.Response(
            422, json=problem, headers={"content-type": "application/problem+json"}
        )

    with client_with(handler) as client, pytest.raises(DemoError) as raised:
        client.post("meetings", "/meetings/SOC-2022-III/decisions", {"item": "9"}, step="d",
                    source="status=example")

    assert str(raised.value) == (
        "meetings: POST /meetings/SOC-2022-III/decisions answered 422 Not found: "
        "The agenda has no item 9. (/problems/not-found)"
    )


def test_a_version_conflict_is_sent_again_under_a_key_of_its_own_and_other_409s_are_not() -> None:
    seen: list[tuple[str, str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["Idempotency-Key"],
                     request.headers["Authorization"]))  # fmt: skip
        body = json.loads(request.content)
        if body.get("conflict") and len(seen) == 1:
            return httpx.Response(409, json={"type": "/problems/version-conflict", "status": 409})
        if body.get("refused"):
            return httpx.Response(409, json={"type": "/problems/no-consensus", "status": 409})
        return httpx.Response(201, json={"recorded": ["DecisionRecorded"]})

    with client_with(handler) as client:
        answer = client.post("meetings", "/x", {"conflict": True}, step="s",
                             source="status=example")
        with pytest.raises(DemoError):
            client.post("meetings", "/y", {"refused": True}, step="r", source="status=example")

    assert answer == {"recorded": ["DecisionRecorded"]}
    assert [path for path, _, _ in seen] == ["/x", "/x", "/y"]
    assert seen[1][1] == seen[0][1] + ":again1"
    assert {auth for _, _, auth in seen} == {"Bearer T"}


def test_an_unreachable_service_says_so_and_names_make_up() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with client_with(handler) as client, pytest.raises(DemoError, match="make up"):
        client.read("meetings", "/meetings")


def test_the_scenario_imports_every_agenda_document_and_keeps_notifications_apart() -> None:
    symbols = [symbol for symbol, _title, _dated, _item in agenda_documents()]
    base = scenario()
    with_notifications = scenario(notifications=True)

    assert "SUM/2022/DRAFT/1/Rev.8" in symbols
    assert "SUM/2022/DRAFT/5" in symbols
    assert len(symbols) == len(set(symbols)) == 6
    assert all(step.service != "notifications" for step in base)
    assert [s for s in with_notifications if s.service != "notifications"] == base
    services = [s.service for s in with_notifications]
    first_note = services.index("notifications")
    # The note SOC/OI/1280 is issued before its enclosures' circulation is recorded (whose
    # notice goes to the members the service has learnt by then), and both before the SOC
    # decides.
    assert with_notifications[first_note + 3].title.startswith("note verbale SOC/OI/1280")
    assert with_notifications[first_note + 4].title.endswith("circulated by SOC/OI/1280")
    assert with_notifications[first_note + 5].title.startswith("the SOC recommends")
