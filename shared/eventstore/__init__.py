"""The event-sourcing kit's log: event types, the PostgreSQL event store, its hash chain.

Event types (`DomainEvent`, `EventTypes`) and the store's errors are pure (pydantic only), and
every service's events module uses them. The store itself (`PostgresEventStore`, in
`shared.eventstore.postgres`) is the PostgreSQL adapter, on SQLAlchemy and asyncpg: its names
are resolved on first use (PEP 562), so that importing an events or domain module loads no
driver.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shared.eventstore.errors import (
    ConcurrencyError,
    EventIdConflictError,
    EventStoreError,
    InvalidEventError,
    StreamTypeMismatchError,
    UnknownEventTypeError,
)
from shared.eventstore.types import (
    AppendResult,
    ChainReport,
    DomainEvent,
    EventTypes,
    NewEvent,
    RecordedEvent,
)

_ADAPTER = ("ANY_VERSION", "NO_STREAM", "PostgresEventStore", "create_engine")

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


def __getattr__(name: str) -> Any:
    if name not in _ADAPTER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.postgres"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from shared.eventstore.postgres import (
        ANY_VERSION,
        NO_STREAM,
        PostgresEventStore,
        create_engine,
    )
