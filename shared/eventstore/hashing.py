"""The hash chain over canonical bytes, so that anyone can recompute it in any language.

For the event at position p:

    hash(p) = SHA-256( hash(p-1) || JCS(document(p)) )        hash(0) = 32 zero bytes

where JCS is the JSON Canonicalization Scheme (RFC 8785) and document(p) is the JSON object

    {"position", "event_id", "stream_id", "stream_type", "version", "event_type",
     "schema_version", "data", "metadata", "recorded_at"}

with `event_id` in its lowercase hyphenated form and `recorded_at` as
"YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds). `data` and `metadata` are hashed exactly as
stored: to keep that stable, the store refuses values PostgreSQL's JSONB would not give back
unchanged (NUL characters, non-finite numbers, numbers of magnitude 2**53 or more).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import rfc8785

from shared.eventstore.errors import InvalidEventError

GENESIS_HASH = bytes(32)
_SAFE_LIMIT = 2**53


def format_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_storable(value: Any, where: str = "$") -> None:
    """Raise InvalidEventError if `value` would not survive JSONB and JCS unchanged."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventError(f"{where}: keys must be strings")
            check_storable(key, where)
            check_storable(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable(item, f"{where}[{index}]")
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidEventError(f"{where}: text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidEventError(f"{where}: text is not valid Unicode") from None
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) >= _SAFE_LIMIT:
            raise InvalidEventError(f"{where}: integers must be smaller than 2**53 in magnitude")
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _SAFE_LIMIT:
            raise InvalidEventError(f"{where}: numbers must be finite and below 2**53")
    else:
        raise InvalidEventError(f"{where}: {type(value).__name__} is not a JSON value")


def canonical_document(
    *,
    position: int,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: datetime,
) -> bytes:
    return rfc8785.dumps(
        {
            "position": position,
            "event_id": str(event_id),
            "stream_id": stream_id,
            "stream_type": stream_type,
            "version": version,
            "event_type": event_type,
            "schema_version": schema_version,
            "data": data,
            "metadata": metadata,
            "recorded_at": format_instant(recorded_at),
        }
    )


def chain_hash(prev_hash: bytes, document: bytes) -> bytes:
    return hashlib.sha256(prev_hash + document).digest()
