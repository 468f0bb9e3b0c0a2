"""Security headers on every answer, as a pure ASGI middleware (outside the request context, so
that problems and 500s carry them too):

- ``X-Content-Type-Options: nosniff``: a browser takes each answer for its declared type;
- ``Referrer-Policy: no-referrer``: links followed from an answer tell nothing of its URL;
- ``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors 'none'``: no page
  frames an answer (the API serves no page meant to be framed);
- ``Cache-Control: no-store`` on the answers to requests that carry credentials (an
  Authorization header), unless the route set its own ``Cache-Control``: no shared or browser
  cache keeps what a token was shown. ETags and conditional requests are untouched: a client
  still sends the ETag it read as If-Match;
- ``Strict-Transport-Security`` only when the service is served over https (its ``https``
  setting, ``CICA_<SERVICE>_HTTPS=true``, off by default so that plain http on one machine keeps
  working).

A header the app set itself is never replaced.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "frame-ancestors 'none'"),
)
NO_STORE = "no-store"
HSTS = "max-age=31536000"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = "authorization" in Headers(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS:
                    headers.setdefault(name, value)
                if credentials:
                    headers.setdefault("cache-control", NO_STORE)
                if self.https:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
