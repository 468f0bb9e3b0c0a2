"""Closing the NATS connection ends its connecting task even when that task swallows a
cancellation (as nats-py's connect loop can, through asyncio.wait_for on Python 3.11), so a
service stops while NATS is away instead of hanging."""

from __future__ import annotations

import asyncio

from shared.messaging import NatsConnection


async def test_close_ends_a_connect_loop_that_swallowed_its_first_cancellation() -> None:
    connection = NatsConnection(["nats://127.0.0.1:1"], name="probe")
    swallowed = 0

    async def stubborn_connect_loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # lost, as a cancellation racing a finished wait_for is

    connection._connecting = asyncio.create_task(stubborn_connect_loop())
    await asyncio.sleep(0)
    closing = asyncio.create_task(connection.close())
    await asyncio.wait({closing}, timeout=5)  # a deadline, not a measurement
    finished = closing.done()
    if not finished:
        closing.cancel()

    assert finished, "close() still waiting for a connect loop that swallowed its cancellation"
    assert swallowed == 1
    assert connection._connecting.cancelled()
