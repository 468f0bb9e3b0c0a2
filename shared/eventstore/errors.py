"""What can go wrong when appending to or reading the log. The HTTP layer maps each to a
problem+json answer; the store itself knows nothing of HTTP."""

from __future__ import annotations

from uuid import UUID


class EventStoreError(Exception):
    """Base of the store's errors."""


class ConcurrencyError(EventStoreError):
    """The stream is not at the version the append expected; nothing was appended."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual_version}, not {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class EventIdConflictError(EventStoreError):
    """Some of the append's event ids are already in the log with other content or stream."""

    def __init__(self, stream_id: str, event_ids: list[UUID]) -> None:
        super().__init__(
            f"event ids already recorded elsewhere, append to {stream_id!r} refused: "
            + ", ".join(str(i) for i in event_ids)
        )
        self.stream_id = stream_id
        self.event_ids = event_ids


class InvalidEventError(EventStoreError):
    """The event cannot be stored faithfully (e.g. a NUL character, a number beyond 2**53)."""


class StreamTypeMismatchError(EventStoreError):
    """The stream exists with another stream type."""

    def __init__(self, stream_id: str, expected: str, actual: str) -> None:
        super().__init__(f"stream {stream_id!r} is a {actual!r}, not a {expected!r}")
        self.stream_id = stream_id


class UnknownEventTypeError(EventStoreError):
    """An event type or schema version this service has no model or upcaster for."""
