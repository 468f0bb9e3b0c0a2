"""The delivery side's read model: what must be delivered, where, and how far each delivery has
got. Folded from the log alone (the notes and notices issued, the endpoints, the deliveries'
own events), with no other projection's tables, so a rebuild from position 0 gives the same
digest as the live tables.

- ``notifications_delivery_messages``: each note verbale and notice, as issued (its event's
  data), the body of every webhook sent for it.
- ``notifications_webhook_endpoints``: the ministries' endpoints, with the log position of
  their registration (an endpoint receives the messages issued after it; earlier ones by
  redelivery, or the inbox).
- ``notifications_deliveries``: one row per message and recipient state, from the moment of
  issue: its status (``pending``, ``attempting``, ``failed``, ``succeeded``,
  ``dead_lettered``), its attempts, and when it is next due. The worker picks due rows here;
  the delivery's own stream decides whether an attempt is really made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    Table,
    Text,
    insert,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.domain import ATTEMPTING, DEAD_LETTERED, FAILED, PENDING, SUCCEEDED
from services.notifications.events import (
    DeliveryAttempted,
    DeliveryDeadLettered,
    DeliveryFailed,
    DeliveryRequeued,
    DeliverySucceeded,
    EndpointRegistered,
    EndpointRemoved,
    EndpointSecretRotated,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    delivery_id,
)
from shared.eventstore import RecordedEvent
from shared.projections import Projection, projection_metadata

tables = projection_metadata()

messages = Table(
    "notifications_delivery_messages",
    tables,
    Column("message_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

endpoints = Table(
    "notifications_webhook_endpoints",
    tables,
    Column("endpoint_id", Text, primary_key=True),
    Column("state", Text, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("languages", JSONB, nullable=False),
    Column("kinds", JSONB, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("previous_until", DateTime(timezone=True)),
    Column("removed", Boolean, nullable=False),
    Column("registered_position", BigInteger, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)

deliveries = Table(
    "notifications_deliveries",
    tables,
    Column("delivery_id", Text, primary_key=True),
    Column("message_id", Text, nullable=False, index=True),
    Column("state", Text, nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("message_position", BigInteger, nullable=False),
    Column("status", Text, nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("requeued", Boolean, nullable=False),
    Column("endpoint_id", Text),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_attempted_at", DateTime(timezone=True)),
    Column("last_outcome", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)

delivery_state = Projection(
    "notifications_deliveries",
    version=1,
    tables=[messages, endpoints, deliveries],
    description="Every note and notice, each ministry endpoint, and each delivery of a "
    "message to a recipient state with its status and when it is next due.",
)


async def _issued(
    connection: AsyncConnection,
    record: RecordedEvent,
    *,
    message_id: Any,
    kind: str,
    recipients: tuple[str, ...],
    issued_at: Any,
) -> None:
    await connection.execute(
        insert(messages).values(
            message_id=str(message_id),
            kind=kind,
            position=record.position,
            data=record.data,
            issued_at=issued_at,
        )
    )
    rows = [
        {
            "delivery_id": str(delivery_id(message_id, state)),
            "message_id": str(message_id),
            "state": state,
            "kind": kind,
            "message_position": record.position,
            "status": PENDING,
            "attempts": 0,
            "requeued": False,
            "endpoint_id": None,
            "next_attempt_at": record.recorded_at,
            "last_attempted_at": None,
            "last_outcome": None,
            "updated_at": record.recorded_at,
            "version": 0,
        }
        for state in dict.fromkeys(recipients)
    ]
    if rows:
        await connection.execute(insert(deliveries), rows)


@delivery_state.on(NoteVerbaleIssued)
async def when_note_issued(
    connection: AsyncConnection, record: RecordedEvent, event: NoteVerbaleIssued
) -> None:
    await _issued(
        connection,
        record,
        message_id=event.note_id,
        kind=NoticeKind.NOTE_VERBALE,
        recipients=event.recipients,
        issued_at=event.issued_at,
    )


@delivery_state.on(NoticeIssued)
async def when_notice_issued(
    connection: AsyncConnection, record: RecordedEvent, event: NoticeIssued
) -> None:
    await _issued(
        connection,
        record,
        message_id=event.notice_id,
        kind=event.kind,
        recipients=event.recipients,
        issued_at=event.issued_at,
    )


# ------------------------------------------------------------------------------ endpoints


def _endpoint_id(record: RecordedEvent) -> str:
    return record.stream_id.removeprefix("endpoint-")


@delivery_state.on(EndpointRegistered)
async def when_endpoint_registered(
    connection: AsyncConnection, record: RecordedEvent, event: EndpointRegistered
) -> None:
    await connection.execute(
        insert(endpoints).values(
            endpoint_id=str(event.endpoint_id),
            state=event.state,
            url=event.url,
            languages=list(event.languages),
            kinds=[str(k) for k in event.kinds],
            generation=event.secret_generation,
            previous_until=None,
            removed=False,
            registered_position=record.position,
            registered_at=record.recorded_at,
            version=record.version,
        )
    )


@delivery_state.on(EndpointSecretRotated)
async def when_secret_rotated(
    connection: AsyncConnection, record: RecordedEvent, event: EndpointSecretRotated
) -> None:
    await connection.execute(
        update(endpoints)
        .where(endpoints.c.endpoint_id == _endpoint_id(record))
        .values(
            generation=event.secret_generation,
            previous_until=event.previous_until,
            version=record.version,
        )
    )


@delivery_state.on(EndpointRemoved)
async def when_endpoint_removed(
    connection: AsyncConnection, record: RecordedEvent, event: EndpointRemoved
) -> None:
    await connection.execute(
        update(endpoints)
        .where(endpoints.c.endpoint_id == _endpoint_id(record))
        .values(removed=True, version=record.version)
    )


# ------------------------------------------------------------------------------ deliveries


async def _delivery(connection: AsyncConnection, record: RecordedEvent, **values: Any) -> None:
    await connection.execute(
        update(deliveries)
        .where(deliveries.c.delivery_id == record.stream_id.removeprefix("delivery-"))
        .values(version=record.version, updated_at=record.recorded_at, **values)
    )


@delivery_state.on(DeliveryAttempted)
async def when_attempted(
    connection: AsyncConnection, record: RecordedEvent, event: DeliveryAttempted
) -> None:
    await _delivery(
        connection,
        record,
        status=ATTEMPTING,
        attempts=event.attempt,
        endpoint_id=str(event.endpoint_id),
        next_attempt_at=None,
        last_attempted_at=event.attempted_at,
    )


@delivery_state.on(DeliverySucceeded)
async def when_succeeded(
    connection: AsyncConnection, record: RecordedEvent, event: DeliverySucceeded
) -> None:
    await _delivery(
        connection,
        record,
        status=SUCCEEDED,
        next_attempt_at=None,
        last_outcome=f"status {event.status_code}",
    )


@delivery_state.on(DeliveryFailed)
async def when_failed(
    connection: AsyncConnection, record: RecordedEvent, event: DeliveryFailed
) -> None:
    await _delivery(
        connection,
        record,
        status=FAILED,
        next_attempt_at=event.next_attempt_at,
        last_outcome=event.reason,
    )


@delivery_state.on(DeliveryDeadLettered)
async def when_dead_lettered(
    connection: AsyncConnection, record: RecordedEvent, event: DeliveryDeadLettered
) -> None:
    await _delivery(connection, record, status=DEAD_LETTERED, next_attempt_at=None)


@delivery_state.on(DeliveryRequeued)
async def when_requeued(
    connection: AsyncConnection, record: RecordedEvent, event: DeliveryRequeued
) -> None:
    await _delivery(
        connection,
        record,
        status=PENDING,
        attempts=0,
        requeued=True,
        next_attempt_at=event.requeued_at,
    )


projections = [delivery_state]
