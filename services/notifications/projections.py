"""The notifications service's read models: the messages it sent (notes verbales and
notices) and, for each, one row per recipient state with its delivery id and its receipt; the
notes known by reference (kind ``note_on_record``, with no recipients); the registers of
notes; the member states and the documents' distributions as the service knows them.
Every row comes from the log alone, so a rebuild from position 0 gives the same digest as the
live tables.

``notifications_member_states`` has a row for every state the registry ever recorded as a
member: the changes of its membership noted (founding, admitted, suspended, reinstated,
withdrawn, each with its effective date, in the order recorded), folded as
`shared.access.Membership` folds them: the first day it was a member, and its status as its
last change (by effective date) leaves it (``member``, ``suspended``, ``withdrawn``) and since
when. A suspended or withdrawn state is listed as such, not left out.

``notifications_recipients`` is where a delivery worker finds what to send: one row per
(message, state), keyed by ``delivery_id`` (`events.delivery_id(message_id, state)`), in log
order by ``position``; the message itself is the ``notifications_messages`` row of the same
``message_id``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.events import (
    DocumentDistributionNoted,
    MembershipNoted,
    MemberStateAdmitted,
    MemberStatesRegistered,
    NoteRecordedByReference,
    NoteRegisterOpened,
    NoteSeriesOpened,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    ReceiptAcknowledged,
    delivery_id,
)
from shared.access import Membership, MembershipChange, distribution_columns
from shared.eventstore import RecordedEvent
from shared.projections import Projection, projection_metadata

tables = projection_metadata()

# ------------------------------------------------------------------------------ messages

messages_table = Table(
    "notifications_messages",
    tables,
    Column("message_id", Text, primary_key=True),  # a note's note_id, a notice's notice_id
    Column("position", BigInteger, nullable=False, unique=True),
    Column("stream_id", Text, nullable=False),
    Column("kind", Text, nullable=False),  # note_verbale, document_revised, ...
    Column("number", Text),  # SOC/OI/1280 (notes only; a count restarted each year repeats it)
    Column("office", Text),  # a note's prefix
    Column("register", Text),  # the register that numbers a note
    Column("sequence", Integer),
    Column("reference", Text, nullable=False),  # a note's number, a notice's reference
    Column("place", Text),
    Column("dated", Date),
    Column("subject", JSONB, nullable=False),
    Column("text", JSONB, nullable=False),
    Column("languages", JSONB, nullable=False),
    Column("enclosures", JSONB, nullable=False),
    Column("recipients", JSONB, nullable=False),
    Column("addressed_to_all_members", Boolean, nullable=False),
    Column("corrects", Text),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("causation_id", Text),  # the foreign event a notice answers
    Column("pages", Integer),  # a note's pages enclosed in all
    Column("cited_in", JSONB),  # where a source cites a note on record
    UniqueConstraint("register", "sequence"),
)

recipients_table = Table(
    "notifications_recipients",
    tables,
    Column("message_id", Text, primary_key=True),
    Column("state", Text, primary_key=True),
    Column("delivery_id", Text, nullable=False, unique=True),
    Column("position", BigInteger, nullable=False),  # the message's position in the log
    Column("kind", Text, nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("receipt_reference", Text),
    Index("ix_notifications_recipients_state_position", "state", "position"),
)

messages = Projection(
    "notifications_messages",
    version=2,
    tables=[messages_table, recipients_table],
    description="Notes verbales and notices as sent, and one row per recipient state with its "
    "delivery id and receipt: the inbox of every state, and the worklist of deliveries.",
)


async def _message(
    connection: AsyncConnection,
    record: RecordedEvent,
    *,
    message_id: UUID,
    kind: str,
    recipients: tuple[str, ...],
    **columns: Any,
) -> None:
    """A message's row (the columns it has no value for are null) and a row per recipient,
    with its delivery id."""
    row = dict.fromkeys(c.name for c in messages_table.columns) | columns
    row |= {
        "message_id": str(message_id),
        "position": record.position,
        "stream_id": record.stream_id,
        "kind": kind,
        "recipients": list(recipients),
    }
    await connection.execute(insert(messages_table).values(**row))
    if recipients:
        await connection.execute(
            insert(recipients_table),
            [
                {
                    "message_id": str(message_id),
                    "state": state,
                    "delivery_id": str(delivery_id(message_id, state)),
                    "position": record.position,
                    "kind": kind,
                    "acknowledged_at": None,
                    "receipt_reference": None,
                }
                for state in recipients
            ],
        )


NOTE_COLUMNS = {
    "number", "office", "sequence", "place", "dated", "subject", "text",
    "languages", "enclosures", "pages", "addressed_to_all_members", "corrects", "issued_at",
}  # fmt: skip
"""What a note's row holds of its event, as the event has it."""


@messages.on(NoteVerbaleIssued)
async def when_note_issued(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _message(
        connection,
        record,
        message_id=event.note_id,
        kind=NoticeKind.NOTE_VERBALE.value,
        recipients=event.recipients,
        reference=event.number,
        register=event.register_name,
        **event.model_dump(include=NOTE_COLUMNS),
    )


NOTE_ON_RECORD = "note_on_record"
"""The `kind` of a note known by reference: a row with no recipients, nothing to deliver."""


@messages.on(NoteRecordedByReference)
async def when_note_recorded(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _message(
        connection,
        record,
        message_id=event.note_id,
        kind=NOTE_ON_RECORD,
        recipients=(),
        reference=event.number,
        subject=event.subject,
        text={},
        languages=list(event.subject),
        enclosures=[],
        addressed_to_all_members=False,
        issued_at=event.recorded_at,
        cited_in=event.cited_in.model_dump(mode="json"),
        register=event.register_name,
        **event.model_dump(include={"number", "office", "sequence", "dated"}),
    )


@messages.on(NoticeIssued)
async def when_notice_issued(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _message(
        connection,
        record,
        message_id=event.notice_id,
        kind=event.kind.value,
        recipients=event.recipients,
        reference=event.reference,
        subject=event.subject,
        text=event.text,
        languages=list(event.languages),
        enclosures=[],
        addressed_to_all_members=False,
        issued_at=event.issued_at,
        causation_id=record.metadata.get("causation_id"),
    )


@messages.on(ReceiptAcknowledged)
async def when_receipt_acknowledged(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await connection.execute(
        update(recipients_table)
        .where(
            recipients_table.c.message_id == str(event.message_id),
            recipients_table.c.state == event.state,
            recipients_table.c.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=event.acknowledged_at, receipt_reference=event.reference)
    )


# ------------------------------------------------------------------------------ registers

registers_table = Table(
    "notifications_registers",
    tables,
    Column("name", Text, primary_key=True),
    Column("stream_id", Text, nullable=False, unique=True),
    Column("prefixes", JSONB, nullable=False),
    Column("year", Integer),  # null: a count never restarted (a series of the logs before)
    Column("first_number", Integer, nullable=False),
    Column("next_number", Integer, nullable=False),
    Column("issued", Integer, nullable=False),
    Column("on_record", Integer, nullable=False),
    Column("last_number", Text),  # the last note issued
    Column("version", Integer, nullable=False),
)

registers = Projection(
    "notifications_registers",
    version=1,
    tables=[registers_table],
    description="The registers of notes: their prefixes and year, where each began, the number "
    "it issues next, and how many notes it holds, issued and on record.",
)


async def _opened(
    connection: AsyncConnection,
    record: RecordedEvent,
    *,
    name: str,
    prefixes: list[str],
    year: int | None,
    next_number: int,
) -> None:
    await connection.execute(
        insert(registers_table).values(
            name=name,
            stream_id=record.stream_id,
            prefixes=prefixes,
            year=year,
            first_number=next_number,
            next_number=next_number,
            issued=0,
            on_record=0,
            last_number=None,
            version=record.version,
        )
    )


@registers.on(NoteRegisterOpened)
async def when_register_opened(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _opened(
        connection,
        record,
        name=event.name,
        prefixes=list(event.prefixes),
        year=event.year,
        next_number=event.next_number,
    )


@registers.on(NoteSeriesOpened)
async def when_series_opened(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _opened(
        connection,
        record,
        name=event.office,
        prefixes=[event.office],
        year=None,
        next_number=event.next_number,
    )


@registers.on(NoteVerbaleIssued)
async def when_register_note_issued(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    r = registers_table
    await connection.execute(
        update(r)
        .where(r.c.stream_id == record.stream_id)
        .values(
            next_number=event.sequence + 1,
            issued=r.c.issued + 1,
            last_number=event.number,
            version=record.version,
        )
    )


@registers.on(NoteRecordedByReference)
async def when_register_note_recorded(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    r = registers_table
    await connection.execute(
        update(r)
        .where(r.c.stream_id == record.stream_id)
        .values(on_record=r.c.on_record + 1, version=record.version)
    )


# ------------------------------------------------------------------------------ what it learns

member_states_table = Table(
    "notifications_member_states",
    tables,
    Column("state", Text, primary_key=True),
    Column("member_since", Date),  # the first day a member; None: never (yet)
    Column("admitted", Boolean, nullable=False),  # by a MemberAdmitted; false: founding member
    Column("status", Text, nullable=False),  # member, suspended, withdrawn
    Column("status_since", Date, nullable=False),
    Column("changes", JSONB, nullable=False),  # [{"change": ..., "effective_on": ...}, ...]
    Column("position", BigInteger, nullable=False),
)

documents_table = Table(
    "notifications_documents",
    tables,
    Column("symbol", Text, primary_key=True),  # the base symbol: SUM/2022/DRAFT/1
    *distribution_columns(),
    Column("version", Integer, nullable=False),
)

knowledge = Projection(
    "notifications_knowledge",
    version=2,
    tables=[member_states_table, documents_table],
    description="The member states (the default recipients of a note), each with the changes "
    "of its membership and its status, and each document's distribution (who is told of its "
    "revisions, who may be sent it enclosed), as the service learnt them.",
)


MEMBER, SUSPENDED, WITHDRAWN = "member", "suspended", "withdrawn"
"""A state's status in `member_states_table`."""


def _facts(state: str, changes: list[dict[str, str]]) -> list[tuple[str, MembershipChange, date]]:
    return [
        (state, MembershipChange(c["change"]), date.fromisoformat(c["effective_on"]))
        for c in changes
    ]


def membership_of(row: Any) -> Membership:
    """The membership of a row of `member_states_table` (its state's periods)."""
    return Membership.of(_facts(row.state, row.changes))


def membership_row(state: str, changes: list[dict[str, str]]) -> dict[str, Any]:
    """A state's row, from the changes of its membership noted (in the order recorded)."""
    facts = _facts(state, changes)
    periods = Membership.of(facts).periods.get(state, ())
    _, (_, last, day) = max(enumerate(facts), key=lambda fact: (fact[1][2], fact[0]))
    if last.makes_a_member:
        status, since = MEMBER, periods[-1].since if periods else day
    else:
        status, since = (WITHDRAWN if last is MembershipChange.WITHDRAWN else SUSPENDED), day
    return {
        "member_since": periods[0].since if periods else None,
        "admitted": any(change is MembershipChange.ADMITTED for _, change, _ in facts),
        "status": status,
        "status_since": since,
        "changes": changes,
    }


async def _member(
    connection: AsyncConnection,
    record: RecordedEvent,
    state: str,
    change: MembershipChange,
    effective_on: date,
) -> None:
    """Add a change to the state's row (a change noted twice counts once)."""
    table = member_states_table
    found = await connection.execute(select(table.c.changes).where(table.c.state == state))
    changes = list(found.scalar_one_or_none() or [])
    noted = {"change": change.value, "effective_on": effective_on.isoformat()}
    if noted in changes:
        return
    values = membership_row(state, [*changes, noted]) | {"position": record.position}
    statement = pg_insert(table).values(state=state, **values)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[table.c.state], set_=values)
    )


@knowledge.on(MembershipNoted)
async def when_membership_noted(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _member(connection, record, event.state, event.change, event.effective_on)


@knowledge.on(MemberStatesRegistered)
async def when_members_registered(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    for state in event.states:
        await _member(connection, record, state, MembershipChange.FOUNDING, event.member_since)


@knowledge.on(MemberStateAdmitted)
async def when_member_admitted(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    await _member(connection, record, event.state, MembershipChange.ADMITTED, event.admitted_on)


@knowledge.on(DocumentDistributionNoted)
async def when_distribution_noted(connection, record, event) -> None:  # type: ignore[no-untyped-def]
    values = {**event.distribution.as_row(), "version": record.version}
    statement = pg_insert(documents_table).values(symbol=event.symbol, **values)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[documents_table.c.symbol], set_=values)
    )


projections = [messages, registers, knowledge]
