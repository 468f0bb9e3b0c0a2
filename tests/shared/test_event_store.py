"""The event store's contract, on the real PostgreSQL the test session starts.

Concurrency, idempotency, gapless commit-ordered positions, the hash chain and its tamper
detection, the append-only trigger, schema evolution and reads through time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from structlog.testing import capture_logs

from shared import context
from shared.eventstore import (
    NO_STREAM,
    ConcurrencyError,
    DomainEvent,
    EventIdConflictError,
    EventTypes,
    InvalidEventError,
    NewEvent,
    PostgresEventStore,
    StreamTypeMismatchError,
    create_engine,
)
from shared.eventstore.postgres import ANY_VERSION, LOCKED_GROUPS_AFTER_REFUSAL, NOTIFY_CHANNEL
from tests.database import as_superuser_without_triggers, opened_store

event_types = EventTypes()


@event_types.register("ParagraphAdded")
class ParagraphAdded(DomainEvent):
    number: int
    text: str


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    async with opened_store(database_url, event_types) as store:
        yield store


async def replica(database_url: str) -> PostgresEventStore:
    """Another store on its own engine: a second process of the same service, in effect."""
    return PostgresEventStore(create_engine(database_url, pool_size=5), event_types)


async def close(*stores: PostgresEventStore) -> None:
    for s in stores:
        await s.close()
        await s.engine.dispose()


def stream() -> str:
    return f"draft-{uuid.uuid4()}"


def paragraph(n: int = 1) -> ParagraphAdded:
    return ParagraphAdded(number=n, text=f"OP{n}. Reaffirm the commitment to dialogue.")


async def count_rows(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM events")
    finally:
        await connection.close()


# ------------------------------------------------------------------------------ concurrency


async def test_of_fifty_racing_appends_at_one_version_exactly_one_commits(database_url):
    stores = [await replica(database_url) for _ in range(5)]
    stream_id = stream()
    try:
        results = await asyncio.gather(
            *(
                stores[i % 5].append(
                    stream_id, [paragraph(i)], stream_type="draft", expected_version=NO_STREAM
                )
                for i in range(50)
            ),
            return_exceptions=True,
        )
    finally:
        await close(*stores)

    committed = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, ConcurrencyError)]
    assert len(committed) == 1
    assert len(conflicts) == 49
    assert all(c.expected_version == 0 and c.actual_version == 1 for c in conflicts)
    assert await count_rows(database_url) == 1


async def test_a_conflicting_append_fails_alone_and_the_others_of_its_batch_commit(
    store, database_url
):
    stale = stream()
    await store.append(stale, [paragraph()], stream_type="draft", expected_version=NO_STREAM)
    fresh = [stream() for _ in range(10)]

    results = await asyncio.gather(
        store.append(stale, [paragraph(2)], stream_type="draft", expected_version=0),
        *(store.append(s, [paragraph()], stream_type="draft", expected_version=0) for s in fresh),
        return_exceptions=True,
    )

    assert isinstance(results[0], ConcurrencyError)
    assert all(not isinstance(r, BaseException) for r in results[1:])
    connection = await asyncpg.connect(database_url)
    try:
        transactions = await connection.fetchval(
            "SELECT count(DISTINCT xmin::text) FROM events WHERE stream_id = ANY($1)", fresh
        )
    finally:
        await connection.close()
    assert transactions == 1, "the ten appends queued together commit in one transaction"
    assert await count_rows(database_url) == 11


async def test_a_group_the_server_refuses_is_tried_request_by_request_on_a_clean_connection(
    database_url,
):
    """A group goes to the driver in a transaction of its own. When the server refuses it as a
    whole (here a trigger refuses one stream's rows, which no check of the store foresees),
    each request is tried alone: the refused one fails, the others commit. The group's
    connection, left in an aborted transaction, is not handed back to the pool: with a pool of
    one connection, every append after it would fail "current transaction is aborted"."""
    refused = f"refused-{uuid.uuid4()}"
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "CREATE FUNCTION refuse_one_stream() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.stream_id = '{refused}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
            "RETURN NEW; END $$; "
            "CREATE TRIGGER refuse_one_stream BEFORE INSERT ON events "
            "FOR EACH ROW EXECUTE FUNCTION refuse_one_stream()"
        )
    finally:
        await connection.close()
    lonely = PostgresEventStore(
        create_engine(database_url, pool_size=1, max_overflow=0), event_types
    )
    try:
        accepted = [stream() for _ in range(5)]
        results = await asyncio.gather(
            *(lonely.append(s, [paragraph()], stream_type="draft", expected_version=0)
              for s in accepted[:2]),
            lonely.append(refused, [paragraph()], stream_type="draft", expected_version=0),
            *(lonely.append(s, [paragraph()], stream_type="draft", expected_version=0)
              for s in accepted[2:]),
            return_exceptions=True,
        )
        assert "refused by the test" in str(results[2])
        assert all(not isinstance(r, BaseException) for r in results[:2] + results[3:])
        after = stream()
        await lonely.append(after, [paragraph()], stream_type="draft", expected_version=0)
        assert await lonely.stream_version(after) == 1
        assert await count_rows(database_url) == 6
        assert (await lonely.verify_chain()).ok
    finally:
        await close(lonely)


# A store that committed the last group plans the next on the head and versions it left and
# writes it in one statement, without the log's lock; the statement refuses when the log is
# not as planned. Each of these fails without one of its checks.


async def positions_and_chain(store: PostgresEventStore, database_url: str) -> list[int]:
    assert (await store.verify_chain()).ok
    connection = await asyncpg.connect(database_url)
    try:
        return [r["position"] for r in await connection.fetch("SELECT position FROM events")]
    finally:
        await connection.close()


async def test_each_group_notifies_its_head_whichever_way_it_is_written(store, database_url):
    """The followers (projections, the relay, live streams) wake on the log's notice: a group
    written in one statement at the known head sends it as the locked way does."""
    listener = await asyncpg.connect(database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)
        mine = stream()
        await store.append(mine, [paragraph()], stream_type="draft", expected_version=0)
        await store.append(mine, [paragraph(2)], stream_type="draft", expected_version=1)
        payloads = [await asyncio.wait_for(heard.get(), 5) for _ in range(3)]
    finally:
        await listener.close()
    assert payloads == ["1", "2", "3"]


async def test_a_head_gone_back_is_not_written_after_with_a_gap(store, database_url):
    """The log restored to an earlier state (here its last row taken away): the store's next
    group goes at the position after the head as it is now, not after the one it knew."""
    await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)
    await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)
    await as_superuser_without_triggers(database_url, "DELETE FROM events WHERE position = 2")

    result = await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)

    assert result.first_position == 2
    assert sorted(await positions_and_chain(store, database_url)) == [1, 2]


async def test_a_head_rewritten_by_another_writer_is_chained_on_as_it_is(store, database_url):
    """The head at the position the store knows, but another row there (the last row taken
    away and the position written again by another process): the next group chains on the
    hash that row has, not on the one the store remembers."""
    await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)
    await as_superuser_without_triggers(database_url, "DELETE FROM events WHERE position = 1")
    other = await replica(database_url)
    try:
        await other.append(stream(), [paragraph(7)], stream_type="draft", expected_version=0)
    finally:
        await close(other)

    result = await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)

    assert result.first_position == 2
    assert sorted(await positions_and_chain(store, database_url)) == [1, 2]


async def test_a_version_expected_beyond_the_streams_is_refused(store, database_url):
    stream_id = stream()
    await store.append(stream_id, [paragraph()], stream_type="draft", expected_version=0)

    with pytest.raises(ConcurrencyError):
        await store.append(stream_id, [paragraph(2)], stream_type="draft", expected_version=5)

    assert await store.stream_version(stream_id) == 1
    assert await count_rows(database_url) == 1


async def test_a_store_writes_on_after_another_process_moved_the_head(store, database_url):
    """Another process of the service appends between two of this store's groups: this one's
    next group still goes after the other's, and a stale expected version is refused."""
    mine = stream()
    await store.append(mine, [paragraph()], stream_type="draft", expected_version=0)
    other = await replica(database_url)
    try:
        await other.append(mine, [paragraph(2)], stream_type="draft", expected_version=1)
        with pytest.raises(ConcurrencyError):
            await store.append(mine, [paragraph(3)], stream_type="draft", expected_version=1)
        result = await store.append(mine, [paragraph(3)], stream_type="draft", expected_version=2)
    finally:
        await close(other)

    assert (result.first_position, result.version) == (3, 3)
    assert sorted(await positions_and_chain(store, database_url)) == [1, 2, 3]


async def test_a_stream_written_by_another_process_before_the_head_is_not_appended_twice(
    store, database_url
):
    """The store wrote a stream, another process wrote it after, then the store wrote other
    streams: its head is the log's again, but what it remembers of that stream is stale. The
    one-statement write does not check streams the store left itself (the (stream_id,
    version) index refuses a version written already): a stale expected version is still
    refused, an append at any version goes after the other's, and nothing is written twice."""
    mine, others = stream(), stream()
    await store.append(mine, [paragraph()], stream_type="draft", expected_version=0)
    other = await replica(database_url)
    try:
        await other.append(mine, [paragraph(2)], stream_type="draft", expected_version=1)
    finally:
        await close(other)
    # The store's next groups find the head moved, take the lock, and leave the store at the
    # log's head again, having written only `others`.
    for n in range(LOCKED_GROUPS_AFTER_REFUSAL + 1):
        await store.append(others, [paragraph(n)], stream_type="draft", expected_version=n)

    with capture_logs() as logs:
        with pytest.raises(ConcurrencyError) as refused:
            await store.append(mine, [paragraph(3)], stream_type="draft", expected_version=1)
        # The groups after a refusal take the lock; the refused group wrote nothing, so the
        # one after it does too without counting (the store learns the head from it).
        for n in range(LOCKED_GROUPS_AFTER_REFUSAL + 1):
            await store.append(others, [paragraph(n)], stream_type="draft",
                               expected_version=LOCKED_GROUPS_AFTER_REFUSAL + 1 + n)  # fmt: skip
        appended = await store.append(mine, [paragraph(3)], stream_type="draft",
                                      expected_version=ANY_VERSION)  # fmt: skip

    assert refused.value.actual_version == 2
    assert appended.version == 3
    moved = [entry.get("error") for entry in logs if entry["event"] == "event_store.head_moved"]
    assert moved == ["UniqueViolationError", "UniqueViolationError"], "tried at the head, twice"
    events_of_mine = await store.read_stream(mine)
    assert [e.version for e in events_of_mine] == [1, 2, 3]
    total = 3 + 2 * (LOCKED_GROUPS_AFTER_REFUSAL + 1)
    assert sorted(await positions_and_chain(store, database_url)) == list(range(1, total + 1))


async def test_after_a_refused_write_at_the_head_the_next_groups_take_the_lock_at_once(
    store, database_url
):
    """Another process writing in turn with this store: once this store's one-statement write
    is refused (the other wrote since its last group), its next LOCKED_GROUPS_AFTER_REFUSAL
    groups take the lock without trying it again; the group after those tries it again."""
    mine, theirs = stream(), stream()
    await store.append(mine, [paragraph()], stream_type="draft", expected_version=0)
    other = await replica(database_url)
    groups = LOCKED_GROUPS_AFTER_REFUSAL + 3
    try:
        with capture_logs() as logs:
            for n in range(1, groups + 1):
                async with other.engine.begin() as connection:  # the locked way, always
                    await other.append_in(connection, theirs, [paragraph(n)],
                                          stream_type="draft", expected_version=n - 1)  # fmt: skip
                await store.append(mine, [paragraph(n + 1)], stream_type="draft",
                                   expected_version=n)  # fmt: skip
    finally:
        await close(other)

    refused = [entry for entry in logs if entry["event"] == "event_store.head_moved"]
    assert len(refused) == 2, "the first group after the other's, then the tenth"
    assert sorted(await positions_and_chain(store, database_url)) == list(range(1, 2 * groups + 2))


async def test_a_caller_cancelled_while_its_append_waits_leaves_the_others_answered(store):
    """A caller that gives up (its request cancelled) does not withdraw what it queued: its
    events are written with their group, every other caller gets its answer, and the store
    goes on."""
    streams = [stream() for _ in range(5)]
    tasks = [
        asyncio.create_task(
            store.append(s, [paragraph()], stream_type="draft", expected_version=0)
        )
        for s in streams
    ]
    await asyncio.sleep(0)  # each has queued its request and waits for its answer
    tasks[2].cancel()

    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(results[2], asyncio.CancelledError)
    assert [r.version for r in results[:2] + results[3:]] == [1, 1, 1, 1]
    assert await store.stream_version(streams[2]) == 1
    after = await store.append(stream(), [paragraph()], stream_type="draft", expected_version=0)
    assert after.version == 1


async def test_concurrent_appends_are_group_committed(store, database_url):
    streams = [stream() for _ in range(64)]
    await asyncio.gather(
        *(store.append(s, [paragraph()], stream_type="draft", expected_version=0) for s in streams)
    )
    connection = await asyncpg.connect(database_url)
    try:
        transactions = await connection.fetchval("SELECT count(DISTINCT xmin::text) FROM events")
    finally:
        await connection.close()
    assert transactions < 64


async def test_a_tailing_reader_sees_every_position_once_in_order_while_twenty_writers_append(
    database_url,
):
    writers = [await replica(database_url) for _ in range(4)]
    reader = await replica(database_url)
    streams = [stream() for _ in range(200)]
    events_per_stream = 5
    total = len(streams) * events_per_stream

    async def write(task: int) -> None:
        own = streams[task::20]
        for n in range(1, events_per_stream + 1):
            for s in own:
                await writers[task % 4].append(
                    s, [paragraph(n)], stream_type="draft", expected_version=n - 1
                )

    seen: list[int] = []

    async def tail() -> None:
        deadline = asyncio.get_running_loop().time() + 120
        while len(seen) < total:
            assert asyncio.get_running_loop().time() < deadline, f"reader stuck at {len(seen)}"
            page = await reader.read_all(after=seen[-1] if seen else 0, limit=97)
            for record in page:
                assert record.position == (seen[-1] if seen else 0) + 1, "a gap or a repeat"
                seen.append(record.position)
            if not page:
                await asyncio.sleep(0.005)

    try:
        await asyncio.gather(tail(), *(write(t) for t in range(20)))
    finally:
        await close(*writers, reader)

    assert seen == list(range(1, total + 1))
    check = await replica(database_url)
    try:
        for s in streams[:10]:
            assert [r.version for r in await check.read_stream(s)] == [1, 2, 3, 4, 5]
        assert (await check.verify_chain()).ok
    finally:
        await close(check)


# ------------------------------------------------------------------------------ idempotency


async def test_the_same_event_id_twice_appends_once(store, database_url):
    stream_id = stream()
    event_id = uuid.uuid4()
    first = await store.append(
        stream_id,
        [NewEvent(paragraph(), event_id=event_id)],
        stream_type="draft",
        expected_version=NO_STREAM,
    )
    retry = await store.append(
        stream_id,
        [NewEvent(paragraph(), event_id=event_id)],
        stream_type="draft",
        expected_version=NO_STREAM,
    )

    assert not first.duplicate
    assert retry.duplicate
    assert (retry.first_position, retry.version) == (first.first_position, first.version)
    assert [r.event_id for r in await store.read_stream(stream_id)] == [event_id]
    assert await count_rows(database_url) == 1


async def test_the_same_event_id_in_concurrent_appends_appends_once(store, database_url):
    stream_id = stream()
    event_id = uuid.uuid4()
    results = await asyncio.gather(
        *(
            store.append(
                stream_id,
                [NewEvent(paragraph(), event_id=event_id)],
                stream_type="draft",
                expected_version=NO_STREAM,
            )
            for _ in range(5)
        )
    )
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    assert {r.first_position for r in results} == {1}
    assert await count_rows(database_url) == 1


async def test_an_event_id_already_used_in_another_stream_is_refused(store, database_url):
    event_id = uuid.uuid4()
    await store.append(
        stream(), [NewEvent(paragraph(), event_id=event_id)], stream_type="draft",
        expected_version=NO_STREAM,
    )
    with pytest.raises(EventIdConflictError):
        await store.append(
            stream(), [NewEvent(paragraph(), event_id=event_id)], stream_type="draft",
            expected_version=NO_STREAM,
        )
    assert await count_rows(database_url) == 1


async def test_a_stream_keeps_its_type(store):
    stream_id = stream()
    await store.append(stream_id, [paragraph()], stream_type="draft", expected_version=0)
    with pytest.raises(StreamTypeMismatchError):
        await store.append(stream_id, [paragraph(2)], stream_type="agenda", expected_version=1)
    assert await store.stream_version(stream_id) == 1


@pytest.mark.parametrize(
    "text",
    ["nul \x00 inside", "lone surrogate \ud800"],
)
async def test_text_jsonb_cannot_keep_is_refused_before_anything_is_written(
    store, database_url, text
):
    with pytest.raises(InvalidEventError):
        await store.append(
            stream(), [ParagraphAdded(number=1, text=text)], stream_type="draft",
            expected_version=0,
        )
    assert await count_rows(database_url) == 0


async def test_a_number_beyond_two_to_the_fifty_third_is_refused(store, database_url):
    with pytest.raises(InvalidEventError, match="2\\*\\*53"):
        await store.append(
            stream(), [ParagraphAdded(number=2**53, text="x")], stream_type="draft",
            expected_version=0,
        )
    assert await count_rows(database_url) == 0


# ------------------------------------------------------------------------ the hash chain


async def _append_some(store: PostgresEventStore, n: int = 6) -> str:
    stream_id = stream()
    for i in range(n):
        await store.append(stream_id, [paragraph(i + 1)], stream_type="draft", expected_version=i)
    return stream_id


async def test_the_chain_verifies(store):
    await _append_some(store)
    report = await store.verify_chain()
    assert report.ok
    assert report.checked == report.head_position == 6
    assert report.first_bad_position is None


async def test_the_chain_can_be_recomputed_from_the_documented_recipe(store):
    """hash = sha256(prev_hash || JCS(document)), written out here without the kit's helpers."""
    import hashlib
    import json

    import rfc8785

    await _append_some(store, 3)
    prev = bytes(32)
    for record in await store.read_all():
        document = {
            "position": record.position,
            "event_id": str(record.event_id),
            "stream_id": record.stream_id,
            "stream_type": record.stream_type,
            "version": record.version,
            "event_type": record.event_type,
            "schema_version": record.schema_version,
            "data": json.loads(json.dumps(record.data)),
            "metadata": record.metadata,
            "recorded_at": record.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        assert record.prev_hash == prev
        assert hashlib.sha256(prev + rfc8785.dumps(document)).digest() == record.hash
        prev = record.hash


@pytest.mark.parametrize(
    ("tampering", "first_bad_position", "reason"),
    [
        (
            [
                "UPDATE events SET data = jsonb_set(data, '{text}', '\"OP4. Altered.\"') "
                "WHERE position = 4"
            ],
            4,
            "content",
        ),
        (["DELETE FROM events WHERE position = 3"], 3, "missing"),
        (
            [
                "UPDATE events SET position = position + 1000 WHERE position IN (2, 5)",
                "UPDATE events SET position = CASE position WHEN 1002 THEN 5 ELSE 2 END "
                "WHERE position > 1000",
            ],
            2,
            "prev_hash",
        ),
    ],
    ids=["an-altered-row", "a-deleted-row", "reordered-rows-at-the-first-moved"],
)
async def test_a_tampered_row_is_found_at_its_position(
    store, database_url, tampering: list[str], first_bad_position: int, reason: str
):
    await _append_some(store)
    await as_superuser_without_triggers(database_url, *tampering)
    report = await store.verify_chain()
    assert not report.ok
    assert report.first_bad_position == first_bad_position
    assert reason in report.reason


async def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(store, database_url):
    """An editor who recomputes the edited row's own hash still breaks the row after it."""
    await _append_some(store)
    from shared.eventstore.hashing import canonical_document, chain_hash

    record = (await store.read_all(after=2, limit=1))[0]
    forged = {**record.data, "text": "OP3. Forged."}
    document = canonical_document(
        position=record.position, event_id=record.event_id, stream_id=record.stream_id,
        stream_type=record.stream_type, version=record.version, event_type=record.event_type,
        schema_version=record.schema_version, data=forged, metadata=record.metadata,
        recorded_at=record.recorded_at,
    )
    new_hash = chain_hash(record.prev_hash, document).hex()
    await as_superuser_without_triggers(
        database_url,
        "UPDATE events SET data = jsonb_set(data, '{text}', '\"OP3. Forged.\"'), "
        f"hash = '\\x{new_hash}'::bytea WHERE position = 3",
    )
    report = await store.verify_chain()
    assert not report.ok
    assert report.first_bad_position == 4


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
    ],
)
async def test_the_log_refuses_update_delete_and_truncate(store, database_url, statement):
    await _append_some(store, 2)
    connection = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await connection.execute(statement)
    finally:
        await connection.close()
    assert await count_rows(database_url) == 2
    assert (await store.verify_chain()).ok


# ------------------------------------------------------------------------ schema evolution


async def test_an_event_stored_as_version_one_is_read_as_version_two(database_url):
    old_types = EventTypes()

    @old_types.register("DraftCreated", version=1)
    class DraftCreatedV1(DomainEvent):
        symbol: str
        title: str

    new_types = EventTypes()

    @new_types.register("DraftCreated", version=2)
    class DraftCreated(DomainEvent):
        symbol: str
        title: dict[str, str]

    @new_types.upcaster("DraftCreated", from_version=1)
    def title_per_language(data: dict) -> dict:
        return {**data, "title": {"en": data["title"]}}

    engine = create_engine(database_url)
    old = PostgresEventStore(engine, old_types)
    new = PostgresEventStore(engine, new_types)
    try:
        await old.append(
            "SUM/2022/DRAFT/1",
            [DraftCreatedV1(symbol="SUM/2022/DRAFT/1", title="Astana Statement")],
            stream_type="document",
            expected_version=NO_STREAM,
        )
        events_, version = await new.load("SUM/2022/DRAFT/1")
        stored = await new.read_stream("SUM/2022/DRAFT/1")
    finally:
        await close(old, new)

    assert version == 1
    assert events_ == [DraftCreated(symbol="SUM/2022/DRAFT/1", title={"en": "Astana Statement"})]
    assert stored[0].schema_version == 1
    assert stored[0].data["title"] == "Astana Statement", "the log keeps what was written"


# ----------------------------------------------------------------------------------- reads


async def test_a_stream_is_read_between_versions(store):
    stream_id = await _append_some(store, 6)
    middle = await store.read_stream(stream_id, from_version=2, to_version=4)
    assert [r.version for r in middle] == [2, 3, 4]
    assert [store.decode(r).number for r in middle] == [2, 3, 4]


async def test_a_stream_is_read_as_it_stood_at_an_instant(store):
    stream_id = stream()
    await store.append(stream_id, [paragraph(1)], stream_type="draft", expected_version=0)
    await store.append(stream_id, [paragraph(2)], stream_type="draft", expected_version=1)
    first, second = await store.read_stream(stream_id)
    assert first.recorded_at <= second.recorded_at
    await asyncio.sleep(0.002)  # so that a third append lands at a later instant
    await store.append(stream_id, [paragraph(3)], stream_type="draft", expected_version=2)

    as_of = await store.read_stream_as_of(stream_id, second.recorded_at)
    assert [r.version for r in as_of] == [1, 2]
    assert await store.read_stream_as_of(stream_id, datetime(2022, 10, 7, tzinfo=UTC)) == []


async def test_the_whole_log_is_read_after_a_position(store):
    await _append_some(store, 5)
    assert [r.position for r in await store.read_all(after=2, limit=2)] == [3, 4]
    assert await store.read_all(after=5) == []
    assert await store.head_position() == 5


async def test_metadata_carries_actor_correlation_and_causation(store):
    stream_id = stream()
    cause = str(uuid.uuid4())
    tokens = [
        context.request_id.set("req-7"),
        context.actor.set("secretariat:officer-1"),
        context.causation_id.set(cause),
    ]
    try:
        await store.append(stream_id, [paragraph()], stream_type="draft", expected_version=0)
    finally:
        context.causation_id.reset(tokens[2])
        context.actor.reset(tokens[1])
        context.request_id.reset(tokens[0])
    await store.append(
        stream_id, [paragraph(2)], stream_type="draft", expected_version=1,
        metadata={"actor": "auditor:x"},
    )
    first, second = await store.read_stream(stream_id)
    assert first.metadata == {
        "actor": "secretariat:officer-1",
        "correlation_id": "req-7",
        "causation_id": cause,
    }
    assert second.metadata == {"actor": "auditor:x"}
