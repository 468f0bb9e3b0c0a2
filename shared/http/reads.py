"""Reads over HTTP that see the request's own writes: a read model is a projection of the log,
applied moments after an append, so a read waits, briefly, until the app's read models have
applied what was appended before it arrived."""

from __future__ import annotations

import contextlib

from fastapi import Request

from shared.projections import ProjectionRunner

CAUGHT_UP_WITHIN = 2.0
"""Seconds a read waits for the read models before it answers from them as they are."""


async def caught_up(request: Request) -> None:
    """Wait until the app's read models show what was written before this request, when that
    is quick (`CAUGHT_UP_WITHIN`); a read never fails for it."""
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=CAUGHT_UP_WITHIN)
