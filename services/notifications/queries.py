"""Reads of the notifications service's read models (`projections`, `delivery_projections`):
the member states, the registers of notes, the notes (issued and on record), the notices sent
and their recipients, a state's inbox, and the delivery side's endpoints and deliveries. Each
opens a connection of its own.

`reader` is the state whose messages alone a caller may see (a member state's own), None for
a caller who sees them all: its filter is part of the query, so a page holds only what the
reader may see, and is short only when it is the last.

The lists of notes, notices and registers are paged by keyset (`shared.http.pages`): `after` is
the decoded cursor of the previous page, `limit` the size of a page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.delivery_projections import deliveries as deliveries_table
from services.notifications.delivery_projections import endpoints as endpoints_table
from services.notifications.delivery_projections import messages as delivered_messages
from services.notifications.events import (
    NoteRecordedByReference,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
)
from services.notifications.projections import (
    NOTE_ON_RECORD,
    member_states_table,
    membership_of,
    messages_table,
    recipients_table,
    registers_table,
)
from shared.http.pages import Keys, Keyset, Page

M = TypeVar("M", NoteVerbaleIssued, NoticeIssued)

MESSAGES_ORDER = Keyset(messages_table.c.position)
"""`/notes` and `/notices`: in the order of issue (each message's position in the log)."""
NOTES_ORDER = Keyset(messages_table.c.register, messages_table.c.sequence)
"""`/notes`: in register order (by register, then by number), issued and on record alike."""
REGISTERS_ORDER = Keyset(registers_table.c.name)
"""`/registers`: by name."""
ENDPOINTS_ORDER = Keyset(endpoints_table.c.state, endpoints_table.c.registered_position)
"""`/endpoints`: by state, then in the order they were registered."""
DELIVERIES_ORDER = Keyset(deliveries_table.c.message_position, deliveries_table.c.state)
"""`/deliveries`: in the order the messages were issued, then by recipient state."""


async def _all(engine: AsyncEngine, query: Select[Any]) -> Sequence[Any]:
    async with engine.connect() as connection:
        return (await connection.execute(query)).all()


# ------------------------------------------------------------------------------ notes side


async def member_states(engine: AsyncEngine, *, on: date | None = None) -> Sequence[Any]:
    """Every state the registry recorded as a member, by code (only the members on `on`, when
    given, as their changes of membership fold)."""
    rows = await _all(engine, select(member_states_table).order_by(member_states_table.c.state))
    if on is None:
        return rows
    return [row for row in rows if membership_of(row).is_member(row.state, on)]


async def registers(engine: AsyncEngine, *, after: Keys | None, limit: int) -> Page[Any]:
    """A page of the registers, by name (`REGISTERS_ORDER`), after the cursor's."""
    rows = await _all(engine, REGISTERS_ORDER.seek(select(registers_table), after, limit))
    return REGISTERS_ORDER.page(rows, limit)


async def _page_of_messages(
    engine: AsyncEngine,
    query: Select[Any],
    *,
    reader: str | None,
    after: Keys | None,
    limit: int,
    shape: Callable[[Any], M],
) -> Page[M]:
    """A page of the messages `query` selects (those to `reader` only, when given), in the
    order of issue (`MESSAGES_ORDER`) after the cursor's, each `shape`d into its event."""
    if reader is not None:
        query = query.where(messages_table.c.recipients.contains([reader]))
    rows = await _all(engine, MESSAGES_ORDER.seek(query, after, limit))
    return MESSAGES_ORDER.page(rows, limit, shape)


async def notes(
    engine: AsyncEngine,
    *,
    office: str | None,
    register: str | None = None,
    reader: str | None,
    after: Keys | None,
    limit: int,
) -> Page[NoteVerbaleIssued | NoteRecordedByReference]:
    """A page of the notes, issued and on record, in register order (`NOTES_ORDER`; of
    `office` or `register` only, when given). A reader sees the notes addressed to it: none on
    record (the log holds no recipients of those)."""
    m = messages_table
    query = select(m).where(m.c.kind.in_([NoticeKind.NOTE_VERBALE.value, NOTE_ON_RECORD]))
    if office is not None:
        query = query.where(m.c.office == office)
    if register is not None:
        query = query.where(m.c.register == register)
    if reader is not None:
        query = query.where(m.c.recipients.contains([reader]))
    rows = await _all(engine, NOTES_ORDER.seek(query, after, limit))
    return NOTES_ORDER.page(rows, limit, _note_of_row)


def _note_of_row(row: Any) -> NoteVerbaleIssued | NoteRecordedByReference:
    if row.kind == NOTE_ON_RECORD:
        values = {
            **row._mapping,
            "note_id": row.message_id,
            "recorded_at": row.issued_at,
            "register_name": row.register,
        }
        return NoteRecordedByReference.model_validate(
            {name: values[name] for name in NoteRecordedByReference.model_fields}
        )
    return _message_of_row(NoteVerbaleIssued, row, "note_id")


def _message_of_row(model: type[M], row: Any, id_field: str) -> M:
    """The note's or notice's event as the read model holds it (its id is the row's
    ``message_id``)."""
    values = {**row._mapping}
    values.setdefault("register_name", values.get("register"))
    fields = {name: values[name] for name in model.model_fields if name in values}
    return model.model_validate({**fields, id_field: values["message_id"]})


async def notices(
    engine: AsyncEngine,
    *,
    kind: NoticeKind | None,
    reader: str | None,
    after: Keys | None,
    limit: int,
) -> Page[NoticeIssued]:
    """A page of the notices the service sent by itself, in the order of issue (of `kind`
    only, when given)."""
    m = messages_table
    query = select(m).where(m.c.kind.not_in([NoticeKind.NOTE_VERBALE.value, NOTE_ON_RECORD]))
    if kind is not None:
        query = query.where(m.c.kind == kind.value)
    return await _page_of_messages(
        engine,
        query,
        reader=reader,
        after=after,
        limit=limit,
        shape=lambda row: _message_of_row(NoticeIssued, row, "notice_id"),
    )


async def recipients(engine: AsyncEngine, message_id: UUID) -> Sequence[Any]:
    """A message's recipient states, with their receipts, by state."""
    r = recipients_table
    query = select(r).where(r.c.message_id == str(message_id)).order_by(r.c.state)
    return await _all(engine, query)


async def inbox(
    engine: AsyncEngine, state: str, *, after: int, limit: int, endpoint_languages: bool
) -> tuple[Sequence[Any], set[str] | None]:
    """The messages to `state` after the cursor `after`, in log order; and, when asked, the
    languages of its webhook endpoints (none when it has no endpoint)."""
    m, r = messages_table, recipients_table
    query = (
        select(m, r.c.delivery_id, r.c.acknowledged_at)
        .join(r, r.c.message_id == m.c.message_id)
        .where(r.c.state == state, r.c.position > after)
        .order_by(r.c.position)
        .limit(limit)
    )
    e = endpoints_table
    languages = select(e.c.languages).where(e.c.state == state, e.c.removed.is_(False))
    async with engine.connect() as connection:
        known = (
            {lang for row in (await connection.execute(languages)).scalars() for lang in row}
            if endpoint_languages
            else None
        )
        rows = (await connection.execute(query)).all()
    return rows, known


# ------------------------------------------------------------------------------ delivery side


async def endpoints(
    engine: AsyncEngine,
    *,
    reader: str | None,
    state: str | None,
    include_removed: bool,
    after: Keys | None,
    limit: int,
) -> Page[Any]:
    """A page of the ministries' endpoints (`ENDPOINTS_ORDER`), after the cursor's."""
    e = endpoints_table
    query = select(e)
    for only in (reader, state):
        if only is not None:
            query = query.where(e.c.state == only)
    if not include_removed:
        query = query.where(e.c.removed.is_(False))
    rows = await _all(engine, ENDPOINTS_ORDER.seek(query, after, limit))
    return ENDPOINTS_ORDER.page(rows, limit)


def _deliveries() -> Select[Any]:
    d, m = deliveries_table, delivered_messages
    return select(d, m.c.data["number"].astext.label("number")).join(
        m, m.c.message_id == d.c.message_id
    )


async def deliveries(
    engine: AsyncEngine,
    *,
    reader: str | None,
    message_id: UUID | None,
    state: str | None,
    status: str | None,
    after: Keys | None,
    limit: int,
) -> Page[Any]:
    """A page of the deliveries, one per message and recipient state (`DELIVERIES_ORDER`),
    after the cursor's."""
    d = deliveries_table
    query = _deliveries()
    for only in (reader, state):
        if only is not None:
            query = query.where(d.c.state == only)
    if message_id is not None:
        query = query.where(d.c.message_id == str(message_id))
    if status is not None:
        query = query.where(d.c.status == status)
    rows = await _all(engine, DELIVERIES_ORDER.seek(query, after, limit))
    return DELIVERIES_ORDER.page(rows, limit)


async def delivery(engine: AsyncEngine, delivery_id: UUID) -> Any | None:
    query = _deliveries().where(deliveries_table.c.delivery_id == str(delivery_id))
    rows = await _all(engine, query)
    return rows[0] if rows else None
