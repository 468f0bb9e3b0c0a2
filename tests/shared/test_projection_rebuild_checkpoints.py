"""A batch's checkpoint, on the real PostgreSQL the test session starts: a batch that starts
just after the checkpoint moves it in the statement that locks it, and every other batch (one
that overlaps what is applied, one behind the checkpoint, one whose handler fails) leaves the
rows and the checkpoint as applying each event exactly once gives them."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.projections import (
    _BehindError,
    apply_batch,
    projection_state,
    read_checkpoint,
    replay_digest,
)
from tests.shared.member_list import (
    Switches,
    code,
    member_list,
    member_list_batched,
    rows,
    state_history,
    states,
    tallies,
)
from tests.shared.test_projections import store

__all__ = ["store"]


async def checkpoint_of(store, name: str = "test_member_list") -> int | None:
    async with store.engine.connect() as connection:
        checkpoint = await read_checkpoint(connection, name)
    return None if checkpoint is None else checkpoint.position


def tally_of(records) -> list[tuple[str, int]]:
    counts = Counter(r.event_type for r in records if r.event_type != "Unrelated")
    return sorted(counts.items())


@pytest.mark.parametrize("make", [member_list, member_list_batched])
async def test_batches_that_overlap_what_is_applied_apply_each_event_once(store, make):
    for _ in range(3):
        await state_history(store, code(), renames=2)
    records = await store.read_all(after=0)
    projection = make()

    assert await apply_batch(store.engine, projection, records[:5], store.decode) == 5
    assert await apply_batch(store.engine, projection, records[2:9], store.decode) == 9
    assert await apply_batch(store.engine, projection, records[4:9], store.decode) == 9
    assert await apply_batch(store.engine, projection, records[9:], store.decode) == len(records)

    assert await checkpoint_of(store) == records[-1].position
    assert await rows(store.engine, tallies) == tally_of(records)
    replayed = await replay_digest(store, projection, until=records[-1].position, batch_size=4)
    assert (await projection_state(store.engine, projection)).digest == replayed


async def test_a_batch_behind_the_checkpoint_writes_nothing_and_says_where_to_read_from(store):
    for _ in range(2):
        await state_history(store, code(), renames=1)
    records = await store.read_all(after=0)
    projection = member_list()

    with pytest.raises(_BehindError) as behind:
        await apply_batch(store.engine, projection, records[3:], store.decode)

    assert behind.value.position == 0
    assert await checkpoint_of(store) in (None, 0)
    assert await rows(store.engine, states) == []


async def test_a_failing_handler_leaves_a_checkpoint_that_was_just_before_its_batch_there(store):
    good, bad = code(), code()
    await state_history(store, good, renames=1)
    await state_history(store, bad, renames=1)
    records = await store.read_all(after=0)
    first = records[: 1 + max(i for i, r in enumerate(records) if r.stream_id == good)]
    projection = member_list(switches=Switches(fail_on_code=bad))
    await apply_batch(store.engine, projection, first, store.decode)
    applied = await rows(store.engine, states)

    with pytest.raises(RuntimeError, match=f"cannot project {bad}"):
        await apply_batch(store.engine, projection, records[len(first) :], store.decode)

    assert await checkpoint_of(store) == first[-1].position
    assert await rows(store.engine, states) == applied
    assert await rows(store.engine, tallies) == tally_of(first)
