"""The demo client rides out an outage as a real client would: a 503 (or a 409 for its key
still in progress) is sent again after Retry-After, with the same Idempotency-Key; a service
that answered before and stops answering (restarting) is tried again within the client's
bound; one that never answered fails at once, naming `make up`."""

from __future__ import annotations

import httpx
import pytest

from shared.system.demo.client import DemoClient, DemoError

URLS = {"registry": "http://registry.test"}
SOURCE = "status=example"
"""Test requests: an example, which no source records."""


def client_with(handler: object, retry_within: float = 5.0) -> DemoClient:
    transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
    return DemoClient(URLS, "T", transport=transport, retry_within=retry_within)


def unavailable(status: int = 503, kind: str = "/problems/unavailable") -> httpx.Response:
    return httpx.Response(status, json={"type": kind, "status": status},
                          headers={"Retry-After": "0"})  # fmt: skip


def test_a_503_is_sent_again_with_the_same_key_until_it_is_answered() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        return unavailable() if len(keys) < 3 else httpx.Response(201, json={"ok": True})

    with client_with(handler) as client:
        answer = client.post("registry", "/bodies", {"code": "X"}, step="s", source=SOURCE)
        assert answer == {"ok": True}

    assert len(keys) == 3 and len(set(keys)) == 1


def test_a_key_still_in_progress_is_waited_for_and_other_409s_are_not() -> None:
    answers = [unavailable(409, "/problems/idempotency-key-in-progress"),
               httpx.Response(201, json={"ok": True})]  # fmt: skip

    with client_with(lambda request: answers.pop(0)) as client:
        assert client.post("registry", "/x", {}, step="s", source=SOURCE) == {"ok": True}

    refused = httpx.Response(409, json={"type": "/problems/no-consensus"},
                             headers={"Retry-After": "0"})  # fmt: skip
    with client_with(lambda request: refused) as client, pytest.raises(DemoError):
        client.post("registry", "/y", {}, step="r", source=SOURCE)


def test_a_service_that_stops_answering_is_tried_again_one_never_seen_is_not() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) in (2, 3):
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"n": len(calls)})

    with client_with(handler) as client:
        assert client.read("registry", "/a") == {"n": 1}
        assert client.read("registry", "/b") == {"n": 4}

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with client_with(refused) as client, pytest.raises(DemoError, match="make up"):
        client.read("registry", "/a")


def test_an_outage_longer_than_the_bound_ends_in_the_problem() -> None:
    with client_with(lambda request: unavailable(), retry_within=0.3) as client:
        response = client.get("registry", "/a")

    assert response.status_code == 503
