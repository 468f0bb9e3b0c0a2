"""What the current request (or reaction) is: carried in context variables so that the
request id reaches event metadata and every log line without being passed by hand."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("cica_request_id", default=None)
actor: ContextVar[str | None] = ContextVar("cica_actor", default=None)
causation_id: ContextVar[str | None] = ContextVar("cica_causation_id", default=None)
