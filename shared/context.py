"""What the current request (or reaction) is: carried in context variables so that the
request id reaches event metadata and every log line without being passed by hand.

In a request the request id is also the correlation id of the events it appends (and of
everything other services do in reaction to them); while a consumer handles another
service's event (`caused_by`), that event's id is the causation id of what it appends, and
its correlation id is carried on. Log lines carry the same ids: ``request_id`` and
``correlation_id`` in a request, ``causation_id`` and ``correlation_id`` in a reaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

request_id: ContextVar[str | None] = ContextVar("cica_request_id", default=None)
actor: ContextVar[str | None] = ContextVar("cica_actor", default=None)
causation_id: ContextVar[str | None] = ContextVar("cica_causation_id", default=None)
source: ContextVar[dict[str, str] | None] = ContextVar("cica_source", default=None)
"""Where the facts the current request records come from (`shared.http.provenance`)."""


@contextmanager
def caused_by(event_id: str, correlation: object | None = None) -> Iterator[None]:
    """While handling the event `event_id` (of correlation id `correlation`): what is appended
    names it as its cause, and every log line carries both ids."""
    ids = {"causation_id": event_id}
    if correlation is not None:
        ids["correlation_id"] = str(correlation)
    token = causation_id.set(event_id)
    try:
        with structlog.contextvars.bound_contextvars(**ids):
            yield
    finally:
        causation_id.reset(token)
