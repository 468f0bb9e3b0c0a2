"""Event types: pydantic models registered by name and schema version, with upcasters that
turn the stored shape of an older version into the current one when read."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic_core import from_json

from shared.eventstore.errors import UnknownEventTypeError
from shared.eventstore.hashing import format_instant

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound="DomainEvent")


class DomainEvent(BaseModel):
    """Something that happened, in the past tense. Subclasses are registered with an
    `EventTypes` registry, which sets `event_type` and `schema_version`."""

    # Stored events are validated from their JSON text (`EventTypes.decode_text`) caching
    # the keys' strings only: pydantic-core's default looks every string of up to 64
    # characters up in its cache, and an event's values (names, texts, ids) are seldom two
    # alike. Over 50,000 different small events: 1.1 us an event against 1.3-1.6.
    model_config = ConfigDict(frozen=True, extra="forbid", cache_strings="keys")

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 0


class EventTypes:
    """A service's catalogue of event types: name → current model, and the upcasters that
    lead from every older schema version to the current one."""

    def __init__(self) -> None:
        self._models: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(
        self, name: str | None = None, *, version: int = 1
    ) -> Callable[[type[E]], type[E]]:
        if version < 1:
            raise ValueError("schema versions start at 1")

        def decorate(model: type[E]) -> type[E]:
            event_type = name or model.__name__
            if event_type in self._models:
                raise ValueError(f"event type {event_type!r} is already registered")
            model.event_type = event_type
            model.schema_version = version
            self._models[event_type] = model
            return model

        return decorate

    def upcaster(self, name: str, *, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function that turns the data of `from_version` into `from_version + 1`."""

        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = function
            return function

        return decorate

    def __iter__(self) -> Iterator[type[DomainEvent]]:
        return iter(self._models.values())

    def __contains__(self, name: str) -> bool:
        return name in self._models

    def model(self, name: str) -> type[DomainEvent]:
        try:
            return self._models[name]
        except KeyError:
            raise UnknownEventTypeError(f"unknown event type {name!r}") from None

    def upcast(self, name: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        """The data of `name` stored at `schema_version`, brought to the current version."""
        current = self.model(name).schema_version
        if schema_version > current:
            raise UnknownEventTypeError(
                f"{name} v{schema_version} is newer than this service knows (v{current})"
            )
        for version in range(schema_version, current):
            try:
                step = self._upcasters[(name, version)]
            except KeyError:
                raise UnknownEventTypeError(
                    f"no upcaster for {name} from v{version} to v{version + 1}"
                ) from None
            data = step(dict(data))
        return data

    def decode(self, name: str, schema_version: int, data: dict[str, Any]) -> DomainEvent:
        # The model's validator itself: `model_validate` is the same call with its defaults,
        # and its wrapper cost a quarter of validating a small event.
        model = self.model(name)
        return model.__pydantic_validator__.validate_python(  # type: ignore[no-any-return]
            self.upcast(name, schema_version, data)
        )

    def decode_text(self, name: str, schema_version: int, data_text: str) -> DomainEvent:
        """`decode` of data given as its stored JSON text: at the current schema version, the
        text validated straight into the model (one pass, not a parse and a validation)."""
        model = self.model(name)
        if schema_version == model.schema_version:
            return model.__pydantic_validator__.validate_json(data_text)  # type: ignore[no-any-return]
        return self.decode(name, schema_version, from_json(data_text))

    def decode_record(self, record: RecordedEvent) -> DomainEvent:
        """The record's event as the current model: from its stored text where the store read
        it so (`stored_event`), else from its data."""
        data_text = getattr(record, "data_text", None)
        if data_text is not None:
            return self.decode_text(record.event_type, record.schema_version, data_text)
        return self.decode(record.event_type, record.schema_version, record.data)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append, with the id it will be known by (chosen by the caller, so that a
    retried command appends nothing new) and metadata beyond the current context's."""

    payload: DomainEvent
    event_id: UUID | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class RecordedEvent:
    """A row of the log, as stored (data in its stored schema version). Equal to another with
    the same fields, whichever way each was made (`recorded_event`, `stored_event`)."""

    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: bytes
    hash: bytes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordedEvent):
            return NotImplemented
        return _fields_of(self) == _fields_of(other)

    __hash__ = None  # type: ignore[assignment]  # its data and metadata are dicts

    def as_feed_item(self) -> dict[str, Any]:
        """The record as a service's ``GET /events`` feed serves it: the instant as the hash
        chain writes it (UTC, microseconds), the hashes in hex."""
        return {
            "position": self.position,
            "event_id": self.event_id,
            "stream_id": self.stream_id,
            "stream_type": self.stream_type,
            "version": self.version,
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "data": self.data,
            "metadata": self.metadata,
            "recorded_at": format_instant(self.recorded_at),
            "prev_hash": self.prev_hash.hex(),
            "hash": self.hash.hex(),
        }

    @classmethod
    def from_feed_item(cls, item: Mapping[str, Any]) -> RecordedEvent:
        """The record a feed item (`as_feed_item`, as JSON) was stored as; KeyError,
        ValueError or TypeError when the item is not one."""
        return cls(
            position=int(item["position"]),
            event_id=UUID(str(item["event_id"])),
            stream_id=str(item["stream_id"]),
            stream_type=str(item["stream_type"]),
            version=int(item["version"]),
            event_type=str(item["event_type"]),
            schema_version=int(item["schema_version"]),
            data=item["data"],
            metadata=item["metadata"],
            recorded_at=datetime.fromisoformat(str(item["recorded_at"]).replace("Z", "+00:00")),
            prev_hash=bytes.fromhex(item["prev_hash"]),
            hash=bytes.fromhex(item["hash"]),
        )


# A frozen dataclass's __init__ sets each field through `object.__setattr__`, looked up again
# for every field: 1.8 us for a record's twelve, on every row every read makes (a rebuild's,
# a feed's, a stream's). `recorded_event` sets the slots through their descriptors, bound
# once: the same object, a quarter of the time.
_SLOT_SETTERS = tuple(getattr(RecordedEvent, name).__set__ for name in RecordedEvent.__slots__)
(
    _set_position, _set_event_id, _set_stream_id, _set_stream_type, _set_version,
    _set_event_type, _set_schema_version, _set_data, _set_metadata, _set_recorded_at,
    _set_prev_hash, _set_hash,
) = _SLOT_SETTERS  # fmt: skip
_new = object.__new__
_fields_of = operator.attrgetter(*RecordedEvent.__slots__)


def recorded_event(
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
    prev_hash: bytes,
    hash_: bytes,
) -> RecordedEvent:
    """``RecordedEvent(...)`` with its fields in their order, made faster (see above): for the
    store's reads of rows."""
    record = _new(RecordedEvent)
    _set_data(record, data)
    return _filled(
        record, position, event_id, stream_id, stream_type, version, event_type,
        schema_version, metadata, recorded_at, prev_hash, hash_,
    )  # fmt: skip


class _DataAsStored(RecordedEvent):
    """A record whose data is parsed from its stored JSON text when first asked for: a reader
    that decodes the event (a projection, `EventTypes.decode_record`) validates the text
    straight into the event's model, one pass where parsing and validating the parsed value
    took two (1.1 us against 1.5 for a small event), and a reader that never looks at the
    data parses none. Made by `stored_event`; otherwise a `RecordedEvent` like any other."""

    __slots__ = ("data_text",)
    data_text: str

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        try:
            return _get_data(self)  # type: ignore[no-any-return]
        except AttributeError:  # not parsed yet
            value: dict[str, Any] = from_json(self.data_text, cache_strings="keys")
            _set_data(self, value)
            return value

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        # The dataclass's own __init__, `dataclasses.replace` and a copy set the field so; the
        # record is as frozen as any other (the dataclass's __setattr__ refuses).
        _set_data(self, value)


_get_data = RecordedEvent.__dict__["data"].__get__
_set_data_text = _DataAsStored.__dict__["data_text"].__set__


def stored_event(
    position: int,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    data_text: str,
    metadata: dict[str, Any],
    recorded_at: datetime,
    prev_hash: bytes,
    hash_: bytes,
) -> RecordedEvent:
    """`recorded_event` with the data as its stored JSON text, parsed when first asked for
    (`_DataAsStored`): for the store's reads of rows."""
    record = _new(_DataAsStored)
    _set_data_text(record, data_text)
    return _filled(
        record, position, event_id, stream_id, stream_type, version, event_type,
        schema_version, metadata, recorded_at, prev_hash, hash_,
    )  # fmt: skip


def _filled(
    record: RecordedEvent,
    position: int,
    event_id: UUID,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    metadata: dict[str, Any],
    recorded_at: datetime,
    prev_hash: bytes,
    hash_: bytes,
) -> RecordedEvent:
    """`record` with every field but its data set."""
    _set_position(record, position)
    _set_event_id(record, event_id)
    _set_stream_id(record, stream_id)
    _set_stream_type(record, stream_type)
    _set_version(record, version)
    _set_event_type(record, event_type)
    _set_schema_version(record, schema_version)
    _set_metadata(record, metadata)
    _set_recorded_at(record, recorded_at)
    _set_prev_hash(record, prev_hash)
    _set_hash(record, hash_)
    return record


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed. `duplicate` is true when every event was already recorded (a
    retry): nothing new was written and the positions are those of the first append."""

    stream_id: str
    first_position: int
    last_position: int
    version: int
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of recomputing the hash chain. `first_bad_position` names the first position
    whose row is missing, out of place or altered."""

    ok: bool
    checked: int
    head_position: int
    head_hash: bytes
    first_bad_position: int | None = None
    reason: str | None = None
