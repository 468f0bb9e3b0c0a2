"""Regression (found while making the PostgreSQL restart fault test deterministic): a reaction
whose transaction met PostgreSQL shutting down (asyncpg's ``CannotConnectNowError``, 57P03, or
``AdminShutdownError``, 57P01, both wrapped by SQLAlchemy in a plain ``DBAPIError``) counted as
a failing handler: after `max_attempts` such failures its event was parked, a reaction lost
until someone retried it by hand. The database being away is now retried for as long as it
lasts, and only a handler's own failure is parked."""

from __future__ import annotations

import asyncpg
import asyncpg.exceptions

from tests.faults.test_unavailable_errors import wrapped
from tests.shared.test_transport import pair, see_paragraph_any_order

__all__ = ["pair"]


async def test_a_reaction_meeting_the_database_shutting_down_is_retried_never_parked(
    pair,  # type: ignore[no-untyped-def]
) -> None:
    shutdowns = {"left": 4}  # more than max_attempts

    async def meets_a_shutdown(ctx, event):  # type: ignore[no-untyped-def]
        if event.data["number"] == 3 and shutdowns["left"] > 0:
            shutdowns["left"] -= 1
            cause = asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")
            raise wrapped(cause)
        await see_paragraph_any_order(ctx, event)

    p = await pair(handler=meets_a_shutdown)
    await p.start_relay()
    await p.start_consumer(max_attempts=3)
    await p.append_paragraphs("SUM/2022/DRAFT/1", 5)
    await p.wait_until_tracked(5)

    parked, outcomes = await p.parked_and_outcomes()
    assert parked == []
    assert [(r["position"], r["outcome"]) for r in outcomes] == [
        (n, "applied") for n in range(1, 6)
    ]
    assert sorted(r.data["number"] for r in await p.consumer.read_all()) == [1, 2, 3, 4, 5]
    assert shutdowns["left"] == 0
