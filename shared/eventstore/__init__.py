"""The event-sourcing kit's log: event types, the PostgreSQL event store, its hash chain."""

from shared.eventstore.errors import (
    ConcurrencyError,
    EventIdConflictError,
    EventStoreError,
    InvalidEventError,
    StreamTypeMismatchError,
    UnknownEventTypeError,
)
from shared.eventstore.postgres import ANY_VERSION, NO_STREAM, PostgresEventStore, create_engine
from shared.eventstore.types import (
    AppendResult,
    ChainReport,
    DomainEvent,
    EventTypes,
    NewEvent,
    RecordedEvent,
)

__all__ = [
    "ANY_VERSION",
    "NO_STREAM",
    "AppendResult",
    "ChainReport",
    "ConcurrencyError",
    "DomainEvent",
    "EventIdConflictError",
    "EventStoreError",
    "EventTypes",
    "InvalidEventError",
    "NewEvent",
    "PostgresEventStore",
    "RecordedEvent",
    "StreamTypeMismatchError",
    "UnknownEventTypeError",
    "create_engine",
]
