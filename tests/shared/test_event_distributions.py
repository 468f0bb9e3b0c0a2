"""A service's distribution hook narrowing single events (shared/access/distribution.py): under
an event's position the hook's mapping gives what that event requires besides its stream's
distribution, and `visible_records` shows it only to a viewer who sees both (each of several);
`every_stream(..., narrowed_by=...)` still declares its streams' distribution, so the public is
still known never to see a member-states-only service's events, and the feed does not wait
for projections the hook does not read (`shared.ops.reads_projections`). No I/O: the hooks
here read nothing, so they are given no engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from shared.access import (
    GENERAL,
    MEMBER_STATES_ONLY,
    Distribution,
    Principal,
    Role,
    Viewer,
    every_stream,
    may_show_the_public,
    visible_records,
)
from shared.access.distribution import Required
from shared.eventstore import RecordedEvent
from shared.ops import reads_projections

KAZ_ONLY = Distribution.restricted("KAZ")
CHN_AND_KAZ = Distribution.restricted("CHN", "KAZ")

INDIA = Viewer(Principal(Role.MEMBER_STATE, state="IND"), is_member=True)
KAZAKHSTAN = Viewer(Principal(Role.MEMBER_STATE, state="KAZ"), is_member=True)
CHINA = Viewer(Principal(Role.MEMBER_STATE, state="CHN"), is_member=True)
KAZAKHSTAN_SUSPENDED = Viewer(Principal(Role.MEMBER_STATE, state="KAZ"), is_member=False)
PUBLIC = Viewer(Principal.public())
AUDITOR = Viewer(Principal(Role.AUDITOR))


def record(position: int, stream_id: str = "meeting-SOC-2022-III") -> RecordedEvent:
    return RecordedEvent(
        position=position,
        event_id=uuid4(),
        stream_id=stream_id,
        stream_type="meeting",
        version=position,
        event_type="AgendaRevised",
        schema_version=1,
        data={},
        metadata={},
        recorded_at=datetime(2022, 10, 7, tzinfo=UTC),
        prev_hash=b"\0" * 32,
        hash=b"\0" * 32,
    )


RECORDS = [record(1), record(2), record(3), record(4)]
"""1 names nothing; 2 a document for Kazakhstan only; 3 one for China and Kazakhstan and one
for Kazakhstan only (both required); 4 a general document."""


async def narrowing(_engine: Any, records: Sequence[RecordedEvent]) -> Mapping[int, Required]:
    required: dict[int, Required] = {2: KAZ_ONLY, 3: (CHN_AND_KAZ, KAZ_ONLY), 4: GENERAL}
    return {r.position: required[r.position] for r in records if r.position in required}


async def shown(viewer: Viewer, hook: Any, records: Sequence[RecordedEvent] = RECORDS) -> list[int]:
    visible = await visible_records(
        viewer,
        records,
        engine=None,  # type: ignore[arg-type]
        stream_distributions=hook,
    )
    return [r.position for r in visible]


async def test_an_event_is_shown_only_to_who_sees_its_stream_and_what_it_requires_besides():
    hook = every_stream(MEMBER_STATES_ONLY, narrowed_by=narrowing)

    assert await shown(KAZAKHSTAN, hook) == [1, 2, 3, 4]
    assert await shown(CHINA, hook) == [1, 4], "3 requires Kazakhstan-only as well"
    assert await shown(INDIA, hook) == [1, 4]
    assert await shown(KAZAKHSTAN_SUSPENDED, hook) == [], "named, but the stream is members'"
    assert await shown(PUBLIC, hook) == [], "a general document does not open a members' stream"
    assert await shown(AUDITOR, hook) == [1, 2, 3, 4]


async def test_without_narrowing_every_event_of_a_visible_stream_is_shown():
    assert await shown(INDIA, every_stream(MEMBER_STATES_ONLY)) == [1, 2, 3, 4]


async def test_a_hooks_own_mapping_may_require_of_single_events_by_position():
    """Any hook, not only `every_stream`'s, may give requirements under positions: a stream id
    is a str, a position an int, and neither is taken for the other."""

    async def hook(_engine: Any, records: Sequence[RecordedEvent]) -> Mapping[str | int, Required]:
        return {"meeting-SOC-2022-III": GENERAL, "2": KAZ_ONLY, 3: KAZ_ONLY}

    assert await shown(PUBLIC, hook) == [1, 2, 4]
    assert await shown(KAZAKHSTAN, hook) == [1, 2, 3, 4]


async def test_an_event_of_a_stream_the_hook_leaves_out_stays_unseen_whatever_it_requires():
    async def hook(_engine: Any, records: Sequence[RecordedEvent]) -> Mapping[str | int, Required]:
        return {1: GENERAL}

    assert await shown(KAZAKHSTAN, hook, [record(1, "elsewhere")]) == []


def test_narrowing_keeps_the_declaration_so_the_public_is_refused_and_no_projection_awaited():
    narrowed = every_stream(MEMBER_STATES_ONLY, narrowed_by=narrowing)
    public_service = every_stream(GENERAL, narrowed_by=narrowing)

    assert not may_show_the_public(narrowed)
    assert may_show_the_public(public_service)
    assert not reads_projections(narrowed), "it judges from the records and the log alone"
