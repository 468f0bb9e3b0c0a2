"""HTTP conventions every service follows: problem+json errors (`problems`), request ids and
the access log (`requests`), idempotency keys (`idempotency`), ETag / If-Match (`etag`).
`install_http_conventions` wires them into an app.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from shared.eventstore.errors import ConcurrencyError
from shared.http.etag import version_conflict_handler
from shared.http.idempotency import DEFAULT_LEASE, IdempotencyMiddleware
from shared.http.problems import install_problem_documentation, install_problem_handlers
from shared.http.requests import RequestContextMiddleware

__all__ = ["install_http_conventions"]


def install_http_conventions(app: FastAPI, *, idempotency_lease: timedelta = DEFAULT_LEASE) -> None:
    """Errors as problems, idempotency keys on POST, and, outermost, the request id and the
    access log (so that every answer, problems and replays included, carries the request id).

    `idempotency_lease`: how long a claimed Idempotency-Key stays with a request that has not
    answered yet before another request may take it over.
    """
    install_problem_handlers(app)
    install_problem_documentation(app)
    app.add_exception_handler(ConcurrencyError, version_conflict_handler)
    # add_middleware puts each new middleware outside the ones before it.
    app.add_middleware(IdempotencyMiddleware, lease=idempotency_lease)
    app.add_middleware(RequestContextMiddleware)
