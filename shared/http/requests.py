"""Request ids and the access log, as a pure ASGI middleware (the outermost one of an app).

Each request gets an id: the client's ``X-Request-ID`` when it is a sane token, a fresh
UUID4 otherwise. It is set in `shared.context.request_id` (from there it reaches event
metadata and problem bodies) and in structlog's context variables (every log line of the
request carries it), and it is echoed on the response.

Each request writes one access log line: method, path (never the query string, which may
hold a token), status, duration_ms and request_id; never a header.

An exception that nothing below handled is logged here, with its traceback, and answered as
a 500 problem that says nothing of it.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import context
from shared.http.problems import (
    database_unavailable,
    internal_error_response,
    unavailable_response,
)

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = structlog.get_logger("cica.access")
error_log = structlog.get_logger("cica.http")


def accepted_request_id(value: str | None) -> str | None:
    """`value` if it is a request id this service will repeat in its logs, else None."""
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = accepted_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        request_id = request_id or str(uuid.uuid4())
        raw_request_id = request_id.encode("ascii")
        status: int | None = None
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), raw_request_id))
                message = {**message, "headers": headers}
            await send(message)

        token = context.request_id.set(request_id)
        try:
            # The request id is the correlation id of what the request appends (and of what
            # other services do about it): its lines carry both, to be found by either.
            with structlog.contextvars.bound_contextvars(
                request_id=request_id, correlation_id=request_id
            ):
                try:
                    await self.app(scope, receive, send_with_request_id)
                except Exception as error:
                    if database_unavailable(error):
                        # Raised outside the app's handlers (e.g. by the idempotency middleware,
                        # or by a handler that re-raised it).
                        error_log.warning("database unavailable", error=repr(error))
                        if status is not None:
                            raise
                        await unavailable_response(scope)(scope, receive, send_with_request_id)
                    else:
                        error_log.exception(
                            "unhandled exception", method=scope["method"], path=scope["path"]
                        )
                        if status is not None:
                            raise  # the answer has begun: the server can only drop it
                        await internal_error_response(scope)(scope, receive, send_with_request_id)
                finally:
                    access_log.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 3),
                        request_id=request_id,
                    )
        finally:
            context.request_id.reset(token)
