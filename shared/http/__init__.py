"""HTTP conventions every service follows (problem+json errors, request ids, idempotency keys,
ETag / If-Match). `install_http_conventions` wires them into an app."""

from __future__ import annotations

from fastapi import FastAPI


def install_http_conventions(app: FastAPI) -> None:
    """Placeholder until the conventions land: installs nothing yet."""
