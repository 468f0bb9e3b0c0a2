"""A request body limit, enforced while the body is read: a pure ASGI middleware.

- A ``Content-Length`` above the limit is refused at once, before a byte of the body is read.
- Otherwise the bytes of the ``http.request`` messages are counted as whoever is inside (the
  idempotency middleware, FastAPI's body parsing, a route) receives them; the message that
  takes the count past the limit is never delivered: the reader gets `BodyTooLargeError`
  instead, and whatever the app then tries to answer is dropped for this middleware's own.

Either way the client gets 413 problem+json of type ``/problems/body-too-large``, and the route
never runs (FastAPI reads the whole body before it calls a route). The limit is the service's
``max_body_bytes`` setting (``CICA_<SERVICE>_MAX_BODY_BYTES``, 4 MiB by default).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import ProblemError, problem_response

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyTooLargeError(
    ProblemError,
    status=413,
    title="Content Too Large",
    type_="/problems/body-too-large",
):

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"A request body is at most {limit} bytes; nothing was done with this one.",
            limit=limit,
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_body_bytes < 1:
            raise ValueError("the body limit is at least one byte")
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(Headers(scope=scope))
        if declared is not None and declared > self.limit:
            await problem_response(scope, BodyTooLargeError(self.limit))(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLargeError(self.limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise BodyTooLargeError(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it could not read: ours goes instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await problem_response(scope, BodyTooLargeError(self.limit))(scope, receive, send)


def _content_length(headers: Headers) -> int | None:
    """The declared length of the body; None when absent or not one plain number (the server
    rejects a malformed one before the app runs; the counting still applies)."""
    value = headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())
