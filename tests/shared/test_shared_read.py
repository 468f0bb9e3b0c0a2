"""`SharedRead`, how reads over HTTP learn the log's head before they wait for the read models:
callers who ask while a read is out share the next one, and no caller gets the result of a
read made before it asked (a write it made just before would be missing from it)."""

from __future__ import annotations

import asyncio

import pytest

from shared.projections import SharedRead


class Head:
    """A log's head whose reads the test lets through one at a time: each read answers the
    head as it is when the read is let through."""

    def __init__(self) -> None:
        self.position = 0
        self.reads = 0
        self.gate = asyncio.Semaphore(0)

    async def read(self) -> int:
        self.reads += 1
        await self.gate.acquire()
        return self.position


async def test_callers_who_ask_while_a_read_is_out_share_the_next_read() -> None:
    head = Head()
    shared = SharedRead(head.read)
    first = asyncio.create_task(shared())
    await asyncio.sleep(0)  # the first read is out
    head.position = 5  # a write, then three callers who must see it
    later = [asyncio.create_task(shared()) for _ in range(3)]
    await asyncio.sleep(0)

    head.gate.release()  # the first read answers what it saw when let through: 5 here too
    assert await first == 5
    await asyncio.sleep(0)
    assert head.reads == 2, "one more read, for all three"
    head.position = 7
    head.gate.release()

    assert await asyncio.gather(*later) == [7, 7, 7]
    assert head.reads == 2


async def test_no_caller_gets_a_read_made_before_it_asked() -> None:
    head = Head()
    shared = SharedRead(head.read)
    first = asyncio.create_task(shared())
    await asyncio.sleep(0)
    head.gate.release()  # the first read answers 0 as soon as it can run
    await asyncio.sleep(0)
    head.position = 3  # written after the first read answered, before the second caller asks
    second = asyncio.create_task(shared())
    await asyncio.sleep(0)
    head.gate.release()

    assert (await first, await second) == (0, 3)
    assert head.reads == 2


async def test_a_failed_read_fails_its_callers_and_the_next_caller_reads_again() -> None:
    calls = 0

    async def read() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise ConnectionError("the server went away")
        return 9

    shared = SharedRead(read)
    waiting = [asyncio.create_task(shared()) for _ in range(2)]
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert await shared() == 9


async def test_a_cancelled_caller_leaves_the_read_to_the_others() -> None:
    head = Head()
    shared = SharedRead(head.read)
    leaving, staying = asyncio.create_task(shared()), asyncio.create_task(shared())
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    head.position = 4
    head.gate.release()

    assert await staying == 4
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_read_cancelled_under_its_callers_does_not_leave_them_waiting() -> None:
    head = Head()
    shared = SharedRead(head.read)
    waiting = asyncio.create_task(shared())
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the read is out, its task waiting at the gate
    reading = shared._reading
    assert reading is not None and not reading.done()
    reading.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, timeout=5)
