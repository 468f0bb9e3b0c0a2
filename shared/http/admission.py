"""Who may call is decided before the request's body is read: a pure ASGI middleware that asks
the app's access gate (``app.state.access_gate``, installed by `shared.access.install_access`)
whether the route the request goes to admits its caller, judged from the route's declared rule
and the request's headers alone.

Why here and not in a dependency: FastAPI reads (and parses) the body of a route before it
solves the route's dependencies, and the idempotency middleware reads it before the app runs at
all; so a caller without a token sent malformed JSON and got 422, or had an Idempotency-Key
claimed and its 401 stored. Placed outside the body limit and the idempotency middleware, the
gate answers a caller the route does not admit with its 401 or 403 (problem+json) before any of
that: the body is never read, nothing is claimed, the route never runs.

An app with no access control (no gate) passes every request through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.domain import DomainError
from shared.http.problems import ProblemError, domain_error_response, problem_response

AccessGate = Callable[[Scope], None]
"""Raises the refusal (a `ProblemError` or a `DomainError`) of a request it does not admit."""


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            gate: Any = getattr(scope["app"].state, "access_gate", None)
            if gate is not None:
                try:
                    gate(scope)
                except ProblemError as refusal:
                    await problem_response(scope, refusal)(scope, receive, send)
                    return
                except DomainError as refusal:
                    await domain_error_response(scope, refusal)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
