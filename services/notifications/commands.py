"""The notifications service's use cases: one async function each, load the stream → decide →
append, in one transaction (the stream is read on the connection that appends, so a concurrent
writer makes the append fail with a version conflict and nothing is recorded).

Issuing a note appends to its series' stream at the version it read: two notes issued at once
cannot take the same number, and none is skipped. The loser of such a race reads the series
again and takes the next number (`MAX_ISSUE_ATTEMPTS` times at most), so a client sees a
conflict only when the series is contended beyond reason.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import domain
from services.notifications.events import (
    NAMESPACE,
    Enclosure,
    NoteVerbaleIssued,
    NoticeIssued,
    ReceiptAcknowledged,
    Texts,
    delivery_id,
    series_stream,
)
from shared.access import record_admission
from shared.eventstore import ConcurrencyError, DomainEvent, NewEvent, PostgresEventStore
from shared.eventstore.schema import events as events_table

NOTE_SERIES = "note_series"
NOTICE = "notice"
DELIVERY = "delivery"
MEMBERSHIP = "membership"
DOCUMENT = "document"
MEETING = "meeting"
MEMBERS_STREAM = "member-states"
MAX_ISSUE_ATTEMPTS = 100
"""How often an issue is tried again after losing the race for a number."""
MAX_RECEIPT_ATTEMPTS = 20


def notice_stream(notice_id: UUID) -> str:
    return f"notice-{notice_id}"


def delivery_stream(delivery: UUID) -> str:
    return f"delivery-{delivery}"


def document_stream(base_symbol: str) -> str:
    return f"document-{base_symbol}"


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the stream, its version now (the ETag), and the events."""

    stream_id: str
    version: int
    events: list[DomainEvent]


async def load_in(
    connection: AsyncConnection, store: PostgresEventStore, stream_id: str
) -> tuple[list[DomainEvent], int]:
    """A stream's events, decoded, and its version, read on `connection` (so that a reaction
    sees what its own transaction has appended)."""
    query = (
        select(
            events_table.c.event_type,
            events_table.c.schema_version,
            events_table.c.data,
            events_table.c.version,
        )
        .where(events_table.c.stream_id == stream_id)
        .order_by(events_table.c.version)
    )
    rows = (await connection.execute(query)).all()
    decoded = [store.event_types.decode(r.event_type, r.schema_version, r.data) for r in rows]
    return decoded, (rows[-1].version if rows else 0)


async def decide_and_append(
    connection: AsyncConnection,
    store: PostgresEventStore,
    stream_id: str,
    stream_type: str,
    decide: Callable[[list[DomainEvent]], Sequence[DomainEvent]],
    *,
    expected: int | None,
    metadata: dict[str, Any] | None = None,
    event_ids: Callable[[int, int], UUID] | None = None,
) -> Recorded:
    """`event_ids(version, i)`: the id of the i-th new event appended after `version`."""
    history, version = await load_in(connection, store, stream_id)
    if expected is not None and expected != version:
        raise ConcurrencyError(stream_id, expected, version)
    new = list(decide(history))
    if not new:
        return Recorded(stream_id, version, [])
    to_append: list[DomainEvent | NewEvent] = (
        [NewEvent(e, event_id=event_ids(version, i)) for i, e in enumerate(new)]
        if event_ids
        else list(new)
    )
    result = await store.append_in(
        connection,
        stream_id,
        to_append,
        stream_type=stream_type,
        expected_version=version,
        metadata=metadata,
    )
    if result.duplicate:  # a concurrent writer recorded the same events first
        return Recorded(stream_id, result.version, [])
    return Recorded(stream_id, result.version, new)


# ------------------------------------------------------------------------------ member states


async def known_members(connection: AsyncConnection, store: PostgresEventStore) -> dict[str, date]:
    history, _ = await load_in(connection, store, MEMBERS_STREAM)
    return domain.members(history)


async def register_member_states(
    *,
    store: PostgresEventStore,
    states: Sequence[str],
    member_since: date,
    expected: int | None = None,
) -> Recorded:
    """The member states before the log began, as the Secretariat registers them: recipients
    of every note to all members (and readers of the kit's member-states-only streams)."""
    async with store.engine.begin() as connection:
        recorded = await decide_and_append(
            connection,
            store,
            MEMBERS_STREAM,
            MEMBERSHIP,
            lambda history: domain.register_members(
                domain.members(history), states=states, member_since=member_since
            ),
            expected=expected,
        )
        for state in states:
            await record_admission(
                connection, state=state, admitted_at=datetime.combine(member_since, time.min, UTC)
            )
        return recorded


# ------------------------------------------------------------------------------ note series


async def open_series(*, store: PostgresEventStore, office: str, next_number: int) -> Recorded:
    stream_id = series_stream(office)
    async with store.engine.begin() as connection:
        return await decide_and_append(
            connection,
            store,
            stream_id,
            NOTE_SERIES,
            lambda history: domain.open_series(
                domain.series(office, history), next_number=next_number
            ),
            expected=None,
            event_ids=lambda version, i: uuid5(NAMESPACE, f"{stream_id}/opened"),
        )


@dataclass(frozen=True)
class Issued:
    """A note issued now (`new`), or found issued already under its id."""

    note: NoteVerbaleIssued
    version: int
    new: bool


async def _corrected_exists(
    connection: AsyncConnection, store: PostgresEventStore, number: str, own: domain.Series
) -> bool:
    office, sequence = domain.parse_number(number)
    if office == own.office:
        return own.note(sequence) is not None
    history, _ = await load_in(connection, store, series_stream(office))
    return domain.series(office, history).note(sequence) is not None


async def issue_note(
    *,
    store: PostgresEventStore,
    office: str,
    note_id: UUID,
    place: str,
    dated: date,
    subject: Texts,
    text: Texts,
    enclosures: Sequence[Enclosure],
    recipients: Sequence[str] | None,
    corrects: str | None,
    expected: int | None = None,
) -> Issued:
    """Issue the series' next note. Its recipients are the member states at the moment of
    issue unless the request names them. Losing the race for a number, read the series again
    and take the next one (bounded), unless the client expected a version of the series
    (If-Match): then the conflict is the answer."""
    stream_id = series_stream(office)
    for attempt in range(1, MAX_ISSUE_ATTEMPTS + 1):
        now = datetime.now(UTC)
        try:
            async with store.engine.begin() as connection:
                history, version = await load_in(connection, store, stream_id)
                if expected is not None and expected != version:
                    raise ConcurrencyError(stream_id, expected, version)
                state = domain.series(office, history)
                found = state.note_by_id(note_id)
                if found is not None:
                    return Issued(found, version, new=False)
                to_all = recipients is None
                chosen = (
                    domain.members_on(await known_members(connection, store), now.date())
                    if recipients is None
                    else list(recipients)
                )
                if to_all and not chosen:
                    raise domain.NoMembersError(
                        "No member states are known yet: register them (POST /member-states) "
                        "or name the recipients."
                    )
                corrected = corrects is not None and await _corrected_exists(
                    connection, store, corrects, state
                )
                new = domain.issue_note(
                    state,
                    note_id=note_id,
                    place=place,
                    dated=dated,
                    subject=subject,
                    text=text,
                    enclosures=enclosures,
                    recipients=chosen,
                    addressed_to_all_members=to_all,
                    corrects=corrects,
                    corrected_exists=corrected,
                    now=now,
                )
                result = await store.append_in(
                    connection,
                    stream_id,
                    [NewEvent(e, event_id=uuid5(NAMESPACE, f"note/{note_id}")) for e in new],
                    stream_type=NOTE_SERIES,
                    expected_version=version,
                )
                if result.duplicate:  # the same note, issued by a concurrent retry: answer it
                    history, version = await load_in(connection, store, stream_id)
                    found = domain.series(office, history).note_by_id(note_id)
                    assert found is not None
                    return Issued(found, version, new=False)
                return Issued(new[0], result.version, new=True)
        except ConcurrencyError:
            if expected is not None or attempt == MAX_ISSUE_ATTEMPTS:
                raise  # the client expected a version of the series: 412, no retry
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
    raise AssertionError("unreachable")


async def find_note(store: PostgresEventStore, number: str) -> NoteVerbaleIssued:
    """The note of `number`, from its series' stream; `NotFoundError` if never issued."""
    office, sequence = domain.parse_number(number)
    async with store.engine.connect() as connection:
        history, _ = await load_in(connection, store, series_stream(office))
    note = domain.series(office, history).note(sequence)
    if note is None:
        raise domain.NotFoundError(f"The note {number}", number=number)
    return note


async def find_notice(store: PostgresEventStore, notice_id: UUID) -> NoticeIssued:
    async with store.engine.connect() as connection:
        history, _ = await load_in(connection, store, notice_stream(notice_id))
    notice = next((e for e in history if isinstance(e, NoticeIssued)), None)
    if notice is None:
        raise domain.NotFoundError(f"The notice {notice_id}", notice_id=str(notice_id))
    return notice


# ------------------------------------------------------------------------------ receipts


@dataclass(frozen=True)
class Receipt:
    """A state's receipt of a message: recorded now (`new`), or the first one, found."""

    event: ReceiptAcknowledged
    new: bool


async def acknowledge_receipt(
    *,
    store: PostgresEventStore,
    message_id: UUID,
    recipients: Sequence[str],
    state: str,
    reference: str,
) -> Receipt:
    """`state` acknowledges the message, in its delivery's stream. The delivery worker appends
    its attempts to the same stream: a receipt that loses a race with one reads the stream
    again. A second receipt records nothing and answers the first."""
    delivery = delivery_id(message_id, state)
    stream_id = delivery_stream(delivery)
    for attempt in range(1, MAX_RECEIPT_ATTEMPTS + 1):
        try:
            async with store.engine.begin() as connection:
                history, version = await load_in(connection, store, stream_id)
                new = domain.acknowledge(
                    history,
                    delivery_id=delivery,
                    message_id=message_id,
                    state=state,
                    recipients=recipients,
                    reference=reference,
                    now=datetime.now(UTC),
                )
                if not new:
                    first = domain.receipt(history)
                    assert first is not None
                    return Receipt(first, new=False)
                result = await store.append_in(
                    connection,
                    stream_id,
                    [NewEvent(new[0], event_id=uuid5(NAMESPACE, f"receipt/{delivery}"))],
                    stream_type=DELIVERY,
                    expected_version=version,
                )
                if result.duplicate:  # a concurrent receipt got in first: answer it
                    history, _ = await load_in(connection, store, stream_id)
                    first = domain.receipt(history)
                    assert first is not None
                    return Receipt(first, new=False)
                return Receipt(new[0], new=True)
        except ConcurrencyError:
            if attempt == MAX_RECEIPT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")
