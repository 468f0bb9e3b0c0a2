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

import functools
import hashlib
import json
import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

import rfc8785

from shared.eventstore.errors import InvalidEventError

if TYPE_CHECKING:
    from shared.eventstore.types import RecordedEvent

GENESIS_HASH = bytes(32)
_SAFE_LIMIT = 2**53


def format_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Refused(Exception):
    pass


def check_storable(value: Any, where: str = "$") -> bool:
    """Raise InvalidEventError if `value` would not survive JSONB and JCS unchanged. Returns
    whether the standard JSON encoder writes it exactly as JCS does (`canonical_text`)."""
    try:
        return _storable(value)
    except _Refused:
        _check_with_paths(value, where)  # raises, saying where
        raise AssertionError("a refused value passed the check") from None


def _storable(value: Any) -> bool:
    """`_check_with_paths` without building paths, raising _Refused; returns `_plain(value)`."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _Refused
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Refused from None
        return True
    if isinstance(value, dict):
        plain = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Refused
            _storable(key)
            if not key.isascii() and max(key) > "\uffff":
                plain = False
            if not _storable(item):
                plain = False
        return plain
    if isinstance(value, list):
        plain = True
        for item in value:
            if not _storable(item):
                plain = False
        return plain
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        if abs(value) >= _SAFE_LIMIT:
            raise _Refused
        return True
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _SAFE_LIMIT:
            raise _Refused
        return False
    raise _Refused


def _check_with_paths(value: Any, where: str = "$") -> None:
    """`check_storable` the slow way, naming where the refused part is."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventError(f"{where}: keys must be strings")
            _check_with_paths(key, where)
            _check_with_paths(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_with_paths(item, f"{where}[{index}]")
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
    """JCS(document(p)): the bytes the chain hashes for one event."""
    parts = document_parts(
        event_id=event_id,
        stream_id=stream_id,
        stream_type=stream_type,
        event_type=event_type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
    )
    return finish_document(parts, position, version, instant_json(recorded_at))


def reference_document(**fields: Any) -> bytes:
    """`canonical_document` by the reference implementation (the rfc8785 package) alone: what
    the fast path must equal byte for byte (tests/properties/test_canonical_json.py)."""
    document = dict(fields)
    document["event_id"] = str(document["event_id"])
    document["recorded_at"] = format_instant(document["recorded_at"])
    return rfc8785.dumps(document)


# --------------------------------------------------------------------- canonical JSON, fast
#
# RFC 8785 for the values events hold, by the standard library's C encoder where that is
# byte-identical to JCS, and by the rfc8785 package (pure Python, ten times slower) elsewhere.
# ``json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` equals JCS for
# None, booleans, integers of magnitude below 2**53, strings (both escape exactly '"', '\\'
# and U+0000..U+001F, with the same short forms and lowercase \u00xx), lists and dicts with
# string keys, with two exceptions: numbers that are floats (JCS writes them the ECMAScript way)
# and the order of keys when a key holds a character beyond U+FFFF (JCS sorts by UTF-16 code
# units, Python by code points; the two orders differ only there). A value with either goes to
# the reference implementation, and so does anything else (it raises there as it always did).


def _plain(value: Any) -> bool:
    """Whether the standard encoder writes `value` exactly as JCS does."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_LIMIT < value < _SAFE_LIMIT
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or (not key.isascii() and max(key) > "\uffff"):
                return False
            if not _plain(item):
                return False
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_text(value: Any, plain: bool | None = None) -> tuple[str, bool]:
    """JCS(`value`) as text, and whether it came by the fast path (then it is also what
    ``json.dumps`` gives with sorted keys, so it can be stored as it is). `plain` is what
    `check_storable` returned for `value`, if it was checked."""
    if _plain(value) if plain is None else plain:
        text = _ENCODER.encode(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the reference raises its own error
            return rfc8785.dumps(value).decode("utf-8"), False
        return text, True
    return rfc8785.dumps(value).decode("utf-8"), False


def canonical_json(value: Any) -> bytes:
    """JCS(`value`) (RFC 8785), byte-identical to the rfc8785 package's, usually faster."""
    if _plain(value):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the reference raises its own error
            pass
    return rfc8785.dumps(value)


def _integer(value: Any) -> bytes:
    if type(value) is int and -_SAFE_LIMIT < value < _SAFE_LIMIT:
        return str(value).encode("ascii")
    return rfc8785.dumps(value)


def instant_json(instant: datetime) -> bytes:
    """`recorded_at` as it appears in the document (with its quotes)."""
    return b'"' + format_instant(instant).encode("ascii") + b'"'


def document_parts(
    *,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    event_type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
    data_json: bytes | None = None,
    metadata_json: bytes | None = None,
) -> tuple[bytes, bytes]:
    """The document of an event without its position, version and instant, in two pieces of
    canonical bytes: everything before the position and everything from the position to the
    version (the document's keys are ASCII, so their JCS order is the plain one). The store
    makes them before it takes the log's lock; `finish_document` completes them under it."""
    head = b"".join(
        (
            b'{"data":',
            canonical_json(data) if data_json is None else data_json,
            b',"event_id":"',
            # An id's hyphenated hex needs no escape: JCS writes it as it is, in quotes.
            str(event_id).encode("ascii"),
            b'","event_type":',
            _canonical_name(event_type),
            b',"metadata":',
            canonical_json(metadata) if metadata_json is None else metadata_json,
            b',"position":',
        )
    )
    tail = b"".join(
        (
            b',"schema_version":',
            _integer(schema_version),
            b',"stream_id":',
            _canonical_name(stream_id),
            b',"stream_type":',
            _canonical_name(stream_type),
            b',"version":',
        )
    )
    return head, tail


@functools.lru_cache(maxsize=4096)
def _canonical_name(name: str) -> bytes:
    """`canonical_json` of an event type, a stream id or a stream type, kept per name: every
    event of a group says the same few again (the cache holds names, never data)."""
    return canonical_json(name)


def finish_document(
    parts: tuple[bytes, bytes], position: int, version: int, recorded_at: bytes
) -> bytes:
    """The whole document from `document_parts`, the position, the version and `instant_json`."""
    head, tail = parts
    return b"".join(
        (
            head,
            _integer(position),
            b',"recorded_at":',
            recorded_at,
            tail,
            _integer(version),
            b"}",
        )
    )


def chain_hash(prev_hash: bytes, document: bytes) -> bytes:
    return hashlib.sha256(prev_hash + document).digest()


class ChainBreak(StrEnum):
    """How a row of the log breaks the hash chain, at the position where it was expected."""

    MISSING = "missing"
    """The row at this position is not there (the next one has a later position)."""
    PREV_HASH = "prev_hash"
    """Its prev_hash is not the hash of the row before it."""
    CONTENT = "content"
    """Its content does not give its hash: it was altered after it was written."""


def chain_break(
    record: RecordedEvent, expected_position: int, prev_hash: bytes
) -> ChainBreak | None:
    """The one check of a chain link, for the store's verification and the auditors' alike:
    whether `record`, read where position `expected_position` was expected after a row whose
    hash is `prev_hash`, continues the chain (None) or how it breaks it."""
    if record.position != expected_position:
        return ChainBreak.MISSING
    if record.prev_hash != prev_hash:
        return ChainBreak.PREV_HASH
    document = canonical_document(
        position=record.position,
        event_id=record.event_id,
        stream_id=record.stream_id,
        stream_type=record.stream_type,
        version=record.version,
        event_type=record.event_type,
        schema_version=record.schema_version,
        data=record.data,
        metadata=record.metadata,
        recorded_at=record.recorded_at,
    )
    if chain_hash(prev_hash, document) != record.hash:
        return ChainBreak.CONTENT
    return None
