"""`endpoint_of`, which the access gate asks before a body is read: the router's own choice
of route, kept per path so that it is not matched again on every request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from shared.access import rules


def scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


@pytest.fixture
def matched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each (method, path) the router's routes were tried against, from now on."""
    seen: list[tuple[str, str]] = []
    real = rules._match_endpoint

    def match(app: Any, scope: dict[str, Any]) -> Any:
        seen.append((scope["method"], scope["path"]))
        return real(app, scope)

    monkeypatch.setattr(rules, "_match_endpoint", match)
    return seen


def app_with_documents() -> FastAPI:
    app = FastAPI()

    @app.get("/documents/{symbol:path}")
    async def read_document(symbol: str) -> None: ...

    @app.post("/documents/{symbol:path}/revisions")
    async def revise(symbol: str) -> None: ...

    return app


def test_the_endpoint_is_the_routers_choice_and_a_path_is_matched_once(matched):
    app = app_with_documents()
    by_name = {route.name: route.endpoint for route in app.routes if hasattr(route, "endpoint")}

    for _ in range(3):
        assert rules.endpoint_of(app, scope("POST", "/documents/A/1/revisions")) is by_name[
            "revise"
        ]
        assert rules.endpoint_of(app, scope("GET", "/documents/A/1/revisions")) is by_name[
            "read_document"
        ]
        assert rules.endpoint_of(app, scope("DELETE", "/documents/A/1")) is None

    assert matched == [
        ("POST", "/documents/A/1/revisions"),
        ("GET", "/documents/A/1/revisions"),
        ("DELETE", "/documents/A/1"),
    ]


def test_a_route_added_later_is_found(matched):
    app = app_with_documents()
    assert rules.endpoint_of(app, scope("DELETE", "/documents/A/1")) is None

    @app.delete("/documents/{symbol:path}")
    async def withdraw(symbol: str) -> None: ...

    assert rules.endpoint_of(app, scope("DELETE", "/documents/A/1")) is withdraw


def test_what_is_kept_is_bounded(matched, monkeypatch):
    monkeypatch.setattr(rules, "ENDPOINTS_KEPT", 3)
    app = app_with_documents()
    long = "/documents/" + "A" * rules.KEPT_PATH_LENGTH
    paths = [f"/documents/A/{n}" for n in range(4)]

    for path in [long, long, *paths, paths[3], paths[0]]:
        rules.endpoint_of(app, scope("GET", path))

    # The long path is matched every time; the fourth short one pushed out the first.
    assert matched == [("GET", path) for path in [long, long, *paths, paths[0]]]
    assert len(app.state.cica_endpoints) == 3
