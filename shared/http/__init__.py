"""HTTP conventions every service follows: problem+json errors (`problems`), request ids and
the access log (`requests`), security headers (`headers`), access decided before the body is
read (`admission`), a body limit (`limits`), only text PostgreSQL can store (`text`),
idempotency keys (`idempotency`), ETag / If-Match (`etag`), the source of what a write records
(`provenance`). `install_http_conventions` wires
them into an app.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from shared.eventstore.errors import ConcurrencyError
from shared.http.admission import AdmissionMiddleware
from shared.http.etag import version_conflict_handler
from shared.http.headers import SecurityHeadersMiddleware
from shared.http.idempotency import DEFAULT_LEASE, IdempotencyMiddleware
from shared.http.limits import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
from shared.http.openapi import install_openapi_conventions
from shared.http.problems import install_problem_handlers
from shared.http.provenance import ProvenanceMiddleware
from shared.http.requests import RequestContextMiddleware
from shared.http.text import StorableTextMiddleware

__all__ = ["install_http_conventions"]


def install_http_conventions(
    app: FastAPI,
    *,
    idempotency_lease: timedelta = DEFAULT_LEASE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    https: bool = False,
) -> None:
    """Errors as problems, and around the app, from the outside in:

    1. security headers on every answer (`headers`; HSTS only when `https`);
    2. the request id and the access log (`requests`), so that every answer, refusals,
       problems and replays included, carries the request id;
    3. the access gate (`admission`): a caller the route does not admit is refused (401/403)
       before anything reads the body;
    4. the body limit (`limits`): at most `max_body_bytes`, counted as the body is read;
    5. storable text (`text`): a path, query or JSON body holding a NUL, a lone surrogate or
       (in the URL) bytes that are not UTF-8 is a 422 before any route parses it;
    6. the ``CICA-Source`` of a write (`provenance`), into the metadata of what it appends;
    7. Idempotency-Key on POST (`idempotency`): only callers admitted, bodies within the limit
       and of text that can be stored, sources that can be read.

    `idempotency_lease`: how long a claimed Idempotency-Key may go without its request's
    heartbeat (a beat every third of it while the request runs) before another request may take
    it over.
    """
    install_problem_handlers(app)
    install_openapi_conventions(app)
    app.add_exception_handler(ConcurrencyError, version_conflict_handler)
    # add_middleware puts each new middleware outside the ones before it.
    app.add_middleware(IdempotencyMiddleware, lease=idempotency_lease)
    app.add_middleware(ProvenanceMiddleware)
    app.add_middleware(StorableTextMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=max_body_bytes)
    app.add_middleware(AdmissionMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, https=https)
