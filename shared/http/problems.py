"""Every error an app answers is an RFC 9457 problem (``application/problem+json``).

Two vocabularies meet here. A domain's refusals are `shared.domain.DomainError`s, plain
exceptions that know nothing of HTTP: `DOMAIN_STATUSES` gives each kind its status, and its
`rule` becomes the problem's type (``/problems/<rule>``), in this one place. Errors of the HTTP
layer itself (a bad If-Match, a missing token) are `ProblemError`s, naming their status, title
and problem type. The handlers installed here render both. Errors raised by
the framework itself (request validation, unknown routes, wrong methods) are rendered the same
way, so a client meets one shape of error everywhere:

    {"type": "/problems/version-conflict", "title": "Version conflict", "status": 409,
     "detail": "...", "instance": "/documents/SUM-2022-DRAFT-1/revisions",
     "request_id": "...", ...extension members}

Unexpected exceptions are not rendered here: `shared.http.requests.RequestContextMiddleware`
logs them with their traceback and answers `internal_error_response`, which says nothing of
the exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import sqlalchemy.exc
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from shared import context
from shared.domain import (
    DomainError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
    RefusedError,
)
from shared.eventstore.errors import (
    EventIdConflictError,
    InvalidEventError,
    StreamTypeMismatchError,
)
from shared.eventstore.postgres import DRIVER_ERRORS, LOST_CONNECTION_ERRORS
from shared.http.routes import route_candidates

PROBLEM_JSON = "application/problem+json"

# Members every problem has; an error's extension members never replace them.
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "request_id"})


class ProblemError(Exception):
    """An error that has a place in the API's vocabulary.

    Subclasses name their status, title and problem type as class keywords; an instance
    carries the `detail` (what went wrong this time, for a human) and any extension members
    (for a program)::

        class ProofRangeError(
            ProblemError, status=422, title="No such proof", type_="/problems/no-such-proof"
        ):
            def __init__(self, first: int, last: int) -> None:
                super().__init__(f"No proof from {first} to {last}.", first=first, last=last)

    `headers` are added to the response (``WWW-Authenticate``, ``Retry-After``...).
    """

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad Request"
    type_: ClassVar[str] = "about:blank"

    def __init_subclass__(
        cls,
        *,
        status: int | None = None,
        title: str | None = None,
        type_: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A subclass names its status, title and problem type as class keywords (and
        inherits those it does not name)."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if title is not None:
            cls.title = title
        if type_ is not None:
            cls.type_ = type_

    def __init__(self, detail: str | None = None, /, **members: Any) -> None:
        self.detail: str = detail if detail is not None else self.title
        self.members: dict[str, Any] = members
        self.headers: dict[str, str] = {}
        super().__init__(self.detail)


class InternalError(
    ProblemError, status=500, title="Internal Server Error", type_="/problems/internal-error"
):
    """What the client learns of an unexpected failure: that it happened, and its request id."""


    def __init__(self) -> None:
        super().__init__("The request failed unexpectedly; quote the request id when reporting it.")


def problem_body(
    scope: Scope,
    *,
    status: int,
    title: str,
    type_: str,
    detail: str,
    members: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON object of a problem answered to the request `scope` describes."""
    body: dict[str, Any] = {
        key: value for key, value in (members or {}).items() if key not in _STANDARD_MEMBERS
    }
    body.update(
        type=type_,
        title=title,
        status=status,
        detail=detail,
        instance=scope.get("path", ""),
        request_id=context.request_id.get(),
    )
    return jsonable_encoder(body)


def problem_response(
    scope: Scope,
    error: ProblemError,
    *,
    status: int | None = None,
    title: str | None = None,
    type_: str | None = None,
) -> JSONResponse:
    """`error` as a problem+json response; `status`, `title` and `type_` override the class's
    (a handler that answers the same error differently depending on the request uses them)."""
    status = status or error.status
    return JSONResponse(
        problem_body(
            scope,
            status=status,
            title=title or error.title,
            type_=type_ or error.type_,
            detail=error.detail,
            members=error.members,
        ),
        status_code=status,
        headers=error.headers or None,
        media_type=PROBLEM_JSON,
    )


def internal_error_response(scope: Scope) -> JSONResponse:
    return problem_response(scope, InternalError())


async def problem_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(request.scope, exc)


# A domain refusal's status, by its kind (the first that matches). A `DomainError` of no kind
# is a refusal by the rules.
DOMAIN_STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (GoneError, 410),
    (InvalidError, 422),
    (RefusedError, 409),
    (DomainError, 409),
)


def domain_status(error: DomainError) -> int:
    return next(status for kind, status in DOMAIN_STATUSES if isinstance(error, kind))


def domain_problem_type(error: DomainError) -> str:
    """The problem type of a domain refusal: the rule it applies, as ``/problems/<rule>``."""
    return f"/problems/{error.rule}"


def domain_error_response(scope: Scope, error: DomainError) -> JSONResponse:
    status = domain_status(error)
    body = problem_body(
        scope,
        status=status,
        title=error.title,
        type_=domain_problem_type(error),
        detail=error.detail,
        members=error.members,
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return domain_error_response(request.scope, exc)


INVALID_CURSOR = "invalid_cursor"
RULES_OF_VALIDATION: dict[str, tuple[str, str]] = {
    INVALID_CURSOR: ("/problems/invalid-cursor", "Invalid cursor"),
}
"""Validation errors that apply a rule the OpenAPI document cannot state (a cursor of the
right syntax that no page of this list gave): their error type, and the problem's type and
title. A request refused only for these gets that problem, not ``/problems/validation-error``,
which says the request breaks its documented schema."""


def _is_missing_if_match(error: Mapping[str, Any]) -> bool:
    location = [str(part).lower() for part in error["loc"]]
    return error["type"] == "missing" and location == ["header", "if-match"]


async def request_validation_handler(request: Request, exc: Exception) -> Response:
    """422 with one entry per invalid field: where it is, what is wrong, and the error's type.
    The offending input is not echoed back (it may be a password or a token)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    if any(_is_missing_if_match(error) for error in errors):
        body = problem_body(
            request.scope,
            status=428,
            title="Precondition Required",
            type_="/problems/precondition-required",
            detail="Send If-Match with the ETag you read (e.g. If-Match: \"9\"): this write "
            "applies only to the version it was decided on.",
        )
        return JSONResponse(body, status_code=428, media_type=PROBLEM_JSON)
    rules = {RULES_OF_VALIDATION.get(error["type"]) for error in errors}
    type_, title = rules.pop() if len(rules) == 1 and None not in rules else (None, None)
    body = problem_body(
        request.scope,
        status=422,
        title=title or "Unprocessable Content",
        type_=type_ or "/problems/validation-error",
        detail=f"The request is not valid: {len(errors)} error(s), listed in `errors`.",
        members={"errors": errors},
    )
    return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route of the app takes at the request's path, sorted: what ``Allow``
    lists on a 405. Starlette lists only the methods of the first route whose path matched,
    where one path has a route per method (GET and POST on ``/checkpoints``)."""
    methods: set[str] = set()
    probe = {**scope, "fastapi": {}}  # matching reads (and may write) FastAPI's scope entry
    for _, candidate in route_candidates(scope["app"]):
        match, _ = candidate.matches(probe)
        if match is not Match.NONE and candidate.methods:
            methods |= candidate.methods
    return sorted(methods)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's and FastAPI's `HTTPException` (404 for an unknown route, 405 for a method
    the route does not have, or one raised by hand) as a problem of type ``about:blank``."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers) if exc.headers else None
    if status == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request.scope))}
    if status < 200 or status in (204, 304):  # these answers have no body
        return Response(status_code=status, headers=headers)
    phrase = _phrase(status)
    members: dict[str, Any] = {}
    if isinstance(exc.detail, str) and exc.detail:
        detail = exc.detail
    else:
        detail = phrase
        if exc.detail:
            members["errors"] = exc.detail
    body = problem_body(
        request.scope,
        status=status,
        title=phrase,
        type_="about:blank",
        detail=detail,
        members=members,
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


@dataclass(frozen=True)
class ForeignProblem:
    """How an error that is not a `ProblemError` (the event store's: the store knows nothing of
    HTTP) is answered. Its message is the detail; `members` picks extension members from it."""

    status: int
    title: str
    type_: str
    members: Callable[[Any], Mapping[str, Any]] = lambda _: {}

    async def handle(self, request: Request, exc: Exception) -> Response:
        body = problem_body(
            request.scope,
            status=self.status,
            title=self.title,
            type_=self.type_,
            detail=str(exc),
            members=self.members(exc),
        )
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM_JSON)


# The event store's errors. ConcurrencyError is answered by `shared.http.etag` (409 or 412,
# depending on If-Match); UnknownEventTypeError is a fault of the service: a 500.
STORE_ERRORS: dict[type[Exception], ForeignProblem] = {
    EventIdConflictError: ForeignProblem(
        409,
        "Event id conflict",
        "/problems/event-id-conflict",
        lambda exc: {"stream_id": exc.stream_id, "event_ids": exc.event_ids},
    ),
    StreamTypeMismatchError: ForeignProblem(
        409,
        "Stream type mismatch",
        "/problems/stream-type-mismatch",
        lambda exc: {"stream_id": exc.stream_id},
    ),
    InvalidEventError: ForeignProblem(422, "Invalid event", "/problems/invalid-event"),
}


UNAVAILABLE_RETRY_AFTER_SECONDS = 2


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    return unavailable_response(request.scope)


def unavailable_response(scope: Scope) -> JSONResponse:
    """The service's database does not answer (down, restarting, unreachable): 503 with
    `Retry-After`, never a 500. Nothing was written: an append commits whole or not at all."""
    body = problem_body(
        scope,
        status=503,
        title="Service Unavailable",
        type_="/problems/unavailable",
        detail="The service's database is not answering; retry the request shortly.",
    )
    return JSONResponse(
        body,
        status_code=503,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        media_type=PROBLEM_JSON,
    )


# A server that is down or restarting shows as one of these: refused or reset connections,
# timeouts, and the driver's operational and interface errors (a dropped connection).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    # The same from the statements the store sends to the driver itself, unwrapped.
    *LOST_CONNECTION_ERRORS,
)
# A server shutting down or starting up refuses with SQLSTATE class 57P (admin or crash
# shutdown, "the database system is shutting down", "... is starting up") or 08 (connection
# exception); SQLAlchemy wraps asyncpg's error for it in a plain DBAPIError.
UNAVAILABLE_SQLSTATES = ("08", "57P")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database does not answer (rather than that a statement is
    wrong): one of `UNAVAILABLE_ERRORS`, or a driver error with an unavailable SQLSTATE."""
    if isinstance(error, UNAVAILABLE_ERRORS):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    seen: list[BaseException | None] = [error]
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        seen.append(error.orig)
    seen += [candidate.__cause__ for candidate in list(seen) if candidate is not None]
    if any(isinstance(candidate, LOST_CONNECTION_ERRORS) for candidate in seen):
        return True  # the driver's own, under SQLAlchemy's wrapping
    states = [getattr(candidate, "sqlstate", None) for candidate in seen]
    return any(isinstance(s, str) and s.startswith(UNAVAILABLE_SQLSTATES) for s in states)


async def driver_error_handler(request: Request, exc: Exception) -> Response:
    """A driver error the narrower handlers did not take: 503 if it says the database does
    not answer; anything else goes on to be logged and answered 500."""
    if database_unavailable(exc):
        return unavailable_response(request.scope)
    raise exc


def install_problem_handlers(app: FastAPI) -> None:
    """Render domain refusals, `ProblemError`s, validation errors, `HTTPException`s and the
    event store's errors (but its `ConcurrencyError`: see `shared.http.etag`) as problems."""
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(ProblemError, problem_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(HTTPException, http_exception_handler)
    for error, problem in STORE_ERRORS.items():
        app.add_exception_handler(error, problem.handle)
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, unavailable_handler)
    app.add_exception_handler(sqlalchemy.exc.DBAPIError, driver_error_handler)
    for error in DRIVER_ERRORS:
        app.add_exception_handler(error, driver_error_handler)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# ------------------------------------------------------------------- in the OpenAPI document

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem; extension members may follow.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/version-conflict"]},
        "title": {"type": "string", "examples": ["Version conflict"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "examples": ["/documents/SUM/2022/DRAFT/1/revisions"]},
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "additionalProperties": True,
}
VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A 422 problem: for a request that does not match its schema, with one entry "
    "per invalid field in `errors` (the input is not echoed).",
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        },
                    },
                }
            },
        },
    ],
}


def _problem(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare in an OpenAPI document what every operation may answer besides its own
    responses: any 4xx as a problem (a bad body, a missing or refused token, an unknown
    resource, a conflict, a stale If-Match...), 422 as a validation problem (FastAPI documents
    its own shape, which this app never sends) and 503 when the database does not answer.
    Responses a route declares itself are kept. Idempotent."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
    fastapi_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            declared_422 = responses.get("422", {}).get("content", {})
            if (
                "422" not in responses
                or declared_422.get("application/json", {}).get("schema") == fastapi_422
            ):
                responses["422"] = _problem("Validation Error", "ValidationProblem")
            responses.setdefault("4XX", _problem("A problem with the request (RFC 9457)"))
            responses.setdefault(
                "503", _problem("The service's database is not answering; see Retry-After")
            )
    if not any(
        "HTTPValidationError" in str(path_item) for path_item in schema.get("paths", {}).values()
    ):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema
