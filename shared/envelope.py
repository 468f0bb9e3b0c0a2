"""Events on the wire: CloudEvents 1.0 in structured JSON mode.

    {"specversion": "1.0", "id": <event_id>, "source": "/cica/<service>",
     "type": "int.cica.<service>.<EventType>.v<N>", "subject": <stream id>,
     "time": <recorded_at>, "datacontenttype": "application/json", "data": {...},
     "sequence": <position>, "hash": <hex>, "prevhash": <hex>, "streamtype": ...,
     "streamversion": <version>, "correlationid": ..., "causationid": ..., "actor": ...,
     "provenance": "<the metadata's source, as compact JSON>"}

The extensions carry everything a consumer needs to place the event in its producer's log
(`sequence` is the position: gapless, so a consumer notices what it has not received) and
everything an auditor needs to recompute its hash. A consumer recomputes it (`link_break`)
before applying a message: the producer's metadata is what the envelope carries (actor,
correlation and causation ids, and the source of the facts, `shared.http.provenance`, in the
``provenance`` extension: CloudEvents' own ``source`` names the producer, and an extension's
value is a string, so the object travels as JSON), so the hash of a genuine message always
comes out the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.eventstore.hashing import ChainBreak, chain_break, format_instant
from shared.eventstore.types import RecordedEvent

SPEC_VERSION = "1.0"
_TYPE = re.compile(
    r"^int\.cica\.(?P<service>[a-z]{1,64})\.(?P<event_type>[A-Za-z0-9_]{1,128})\.v(?P<v>\d{1,6})$"
)
"""An event type of this system: bounded, as every part of a message that reaches a log line."""
_QUOTED = 200
"""How much of a refused value an EnvelopeError quotes."""
_SUBJECT_TOKEN = re.compile(r"[^A-Za-z0-9_-]")
_METADATA_EXTENSIONS = {
    "correlation_id": "correlationid",
    "causation_id": "causationid",
    "actor": "actor",
}


_PROVENANCE = "provenance"
"""The extension that carries the metadata's ``source`` (an object of strings), as JSON."""
_MAX_EXTENSION = 4096
"""The longest text a metadata extension may hold: ids and actors are short, a provenance a
small object; anything longer would only be copied into every log line of its handling."""
MAX_DEPTH = 64
"""How deep a message may nest arrays and objects. Python's JSON decoder and the hash's
canonical encoder recurse for each level, against a stack limit of about a thousand frames: a
message a few hundred levels deep raises RecursionError there, where nothing says "not a
message of this system". The producers' events are a few levels deep."""
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
"""A JSON string, or an unterminated one up to the end (so that no match fails and is tried
again from a later quote: the search stays linear in the text)."""
_BRACKET = re.compile(r"[\[\]{}]")


class EnvelopeError(ValueError):
    """A message that is not a CloudEvent of this system."""


def stream_name(service: str) -> str:
    return f"CICA_{service.upper()}"


def subject_token(value: str) -> str:
    """`value` as one NATS subject token (no dots, spaces or wildcards)."""
    return _SUBJECT_TOKEN.sub("_", value) or "_"


def subject(service: str, stream_type: str, event_type: str) -> str:
    return f"cica.{service}.{subject_token(stream_type)}.{subject_token(event_type)}"


def event_type_uri(service: str, event_type: str, schema_version: int) -> str:
    return f"int.cica.{service}.{event_type}.v{schema_version}"


@dataclass(frozen=True, slots=True)
class ForeignEvent:
    """An event of another service, as a consumer receives it."""

    producer: str
    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str
    hash: str
    prev_hash: str

    def as_feed_item(self) -> dict[str, Any]:
        """The event as its producer's feed served it, as JSON (`from_feed_item` reads it)."""
        item = {field.name: getattr(self, field.name) for field in fields(self)}
        del item["producer"]
        return {**item, "event_id": str(self.event_id)}


def to_cloudevent(record: RecordedEvent, service: str) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(record.event_id),
        "source": f"/cica/{service}",
        "type": event_type_uri(service, record.event_type, record.schema_version),
        "subject": record.stream_id,
        "time": format_instant(record.recorded_at),
        "datacontenttype": "application/json",
        "data": record.data,
        "sequence": record.position,
        "hash": record.hash.hex(),
        "prevhash": record.prev_hash.hex(),
        "streamtype": record.stream_type,
        "streamversion": record.version,
    }
    for key, extension in _METADATA_EXTENSIONS.items():
        value = record.metadata.get(key)
        if value is not None:
            envelope[extension] = str(value)
    source = record.metadata.get("source")
    if source is not None:
        envelope[_PROVENANCE] = json.dumps(source, separators=(",", ":"), ensure_ascii=False)
    return envelope


def _provenance(envelope: dict[str, Any]) -> dict[str, Any]:
    """The metadata's ``source`` the envelope carries, if any: an object of strings."""
    if _PROVENANCE not in envelope:
        return {}
    text = envelope[_PROVENANCE]
    if not isinstance(text, str) or len(text) > _MAX_EXTENSION:
        raise EnvelopeError("a provenance that is not a bounded string")
    try:
        source = json.loads(text)
    except (ValueError, RecursionError):
        raise EnvelopeError("a provenance that is not JSON") from None
    if not isinstance(source, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in source.items()
    ):
        raise EnvelopeError("a provenance that is not an object of strings")
    return {"source": source}


def _metadata_extensions(envelope: dict[str, Any]) -> dict[str, str]:
    """The correlation id, causation id and actor the envelope carries: short strings, as
    `to_cloudevent` writes them (they are bound into the log lines of the event's handling)."""
    metadata: dict[str, str] = {}
    for key, extension in _METADATA_EXTENSIONS.items():
        if extension not in envelope:
            continue
        value = envelope[extension]
        if not isinstance(value, str) or len(value) > _MAX_EXTENSION:
            raise EnvelopeError(f"a {extension} that is not a bounded string")
        metadata[key] = value
    return metadata


def encode(record: RecordedEvent, service: str) -> bytes:
    return json.dumps(to_cloudevent(record, service), separators=(",", ":")).encode()


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON `text` nests arrays and objects more than `limit` deep, counted
    without parsing it (brackets within strings are no structure)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if bracket[0] in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def decode(payload: bytes) -> ForeignEvent:
    """The event a message carries; EnvelopeError for anything else, whatever its bytes: the
    consumer terminates such a message as poison, and any other exception would abort its
    whole batch and bring the message back for ever."""
    try:
        text = payload.decode("utf-8")
        if _nested_deeper_than(text, MAX_DEPTH):
            raise EnvelopeError(f"nested more than {MAX_DEPTH} deep")
        return from_cloudevent(json.loads(text))
    except EnvelopeError:
        raise
    except ValueError as error:  # not UTF-8, not JSON, an integer too long to convert
        raise EnvelopeError(f"not JSON: {error}") from None
    except Exception as error:  # what else hostile bytes make a parser raise
        raise EnvelopeError(f"unreadable: {type(error).__name__}") from None


def from_cloudevent(envelope: Any) -> ForeignEvent:
    if not isinstance(envelope, dict) or envelope.get("specversion") != SPEC_VERSION:
        raise EnvelopeError("not a CloudEvents 1.0 structured message")
    match = _TYPE.match(str(envelope.get("type", "")))
    source = str(envelope.get("source", ""))
    if match is None or source != f"/cica/{match['service']}":
        raise EnvelopeError(
            f"not an event of this system: {str(envelope.get('type'))[:_QUOTED]!r}"
        )
    try:
        return ForeignEvent(
            producer=match["service"],
            position=int(envelope["sequence"]),
            event_id=UUID(str(envelope["id"])),
            stream_id=str(envelope["subject"]),
            stream_type=str(envelope["streamtype"]),
            version=int(envelope["streamversion"]),
            event_type=match["event_type"],
            schema_version=int(match["v"]),
            data=dict(envelope.get("data") or {}),
            metadata={**_metadata_extensions(envelope), **_provenance(envelope)},
            recorded_at=str(envelope["time"]),
            hash=str(envelope["hash"]),
            prev_hash=str(envelope.get("prevhash", "")),
        )
    except (KeyError, ValueError, TypeError, OverflowError) as error:  # Overflow: Infinity
        raise EnvelopeError(f"incomplete envelope: {error}") from None


def from_feed_item(item: dict[str, Any], producer: str) -> ForeignEvent:
    """An event as a producer's `GET /events` feed serves it (`RecordedEvent.as_feed_item`);
    KeyError, ValueError or TypeError when the item is not one."""
    return ForeignEvent(producer=producer, **RecordedEvent.from_feed_item(item).as_feed_item())


def link_break(event: ForeignEvent, previous_hash: bytes | None) -> str | None:
    """Whether `event` continues its producer's hash chain (DESIGN.md: ``hash = sha256(prev_hash
    || canonical bytes)``) after the event before it, whose hash the consumer recorded as
    `previous_hash` (the genesis hash before position 1; None where it is not known, as for
    positions tracked before hashes were, and then only the event's own hash is checked).
    None when it does; else why not, in a few words. A link that cannot be checked is broken:
    whatever recomputing the hash raises (RecursionError for content nested too deep for the
    encoder, among others) says the message is not the producer's, never that the consumer
    should try again, park it, or stop."""
    try:
        record = RecordedEvent.from_feed_item(event.as_feed_item())
        expected = record.prev_hash if previous_hash is None else previous_hash
        broken = chain_break(record, event.position, expected)
    except Exception as error:
        return f"its hash cannot be recomputed: {error!r}"
    match broken:
        case None:
            return None
        case ChainBreak.PREV_HASH:
            return "its prevhash is not the hash of the event before it"
        case ChainBreak.CONTENT:
            return "its content does not give its hash"
        case ChainBreak.MISSING:  # not for a record read where it says it belongs
            return "it is not where it says it is"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
