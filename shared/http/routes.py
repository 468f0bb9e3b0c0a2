"""An app's routes as its router matches them, whatever the FastAPI version keeps in
``app.routes``: since FastAPI includes routers lazily, an included router is one entry there,
and its routes are reached through `fastapi.routing.iter_route_contexts`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def route_candidates(app: Any) -> Iterator[tuple[BaseRoute, Any]]:
    """Each route of `app` in the router's order, with what matches a scope for it (the route
    itself, or its context within a router included lazily: ``matches``, ``methods``,
    ``path_format``)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:  # FastAPI before lazily included routers: app.routes is flat
        for route in app.routes:
            yield route, route
        return
    for route_context in iterate(app.routes):
        yield route_context.original_route, route_context


def api_routes(app: Any) -> Iterator[tuple[str, APIRoute]]:
    """Each API route of `app`, with its path as the app serves it (an included router's
    prefix in front)."""
    for route, candidate in route_candidates(app):
        if isinstance(route, APIRoute):
            yield candidate.path_format, route
