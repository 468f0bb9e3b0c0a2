"""The event catalogue as AsyncAPI 3.0: every event type, its JSON schema, its producer and its
consumers, generated from the event models and the reactions, never written by hand.

- Channels are NATS subjects ``cica.<service>.<stream_type>.<EventType>`` (one channel per
  event type; the stream type is a parameter unless the model names it in a class variable
  ``stream_type``), in the producer's JetStream stream ``CICA_<SERVICE>``.
- Messages are CloudEvents 1.0 in structured JSON mode (`shared.envelope`); the schema of
  ``data`` is the event model's, current schema version.
- The producer *sends* on its channels; each consumer *receives* on the channels its
  reactions subscribe to. Channels and messages also carry ``x-cica-producer`` and
  ``x-cica-consumers``.

`system_document` describes the whole system (`deploy/asyncapi.json`, written by ``cica
asyncapi``, see `shared.system.asyncapi`); `service_document` one service: its own channels and
the ones it consumes (`GET /asyncapi.json`, see `shared.introspection`). Both are built from
the catalogues they are given; this module names no service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.envelope import SPEC_VERSION, event_type_uri, stream_name, subject_token
from shared.eventstore.types import DomainEvent, EventTypes

ASYNCAPI_VERSION = "3.0.0"
CONTENT_TYPE = "application/cloudevents+json"
ENVELOPE = "CloudEvent"
HEADERS = "NatsHeaders"

_DESCRIPTION = """\
Every event a CICA service records in its log is published, after commit, by that service's
outbox relay to its JetStream stream `CICA_<SERVICE>` on the subject
`cica.<service>.<stream_type>.<EventType>`, with the NATS header `Nats-Msg-Id` set to the
event id (JetStream drops duplicates). Messages are CloudEvents 1.0 in structured JSON mode:
`type` is `int.cica.<service>.<EventType>.v<N>` (N the schema version), `source`
`/cica/<service>`, `subject` the stream id, `sequence` the event's gapless position in its
producer's log, `hash` and `prevhash` its link in the producer's hash chain. Delivery is at
least once: consumers apply each event once by its id and heal gaps in `sequence` from the
producer's `GET /events` feed. NATS is the transport, not the record: the producer's log is.
"""


@dataclass(frozen=True, slots=True)
class ServiceCatalogue:
    """What one service produces (its event types) and consumes ((producer, event type))."""

    service: str
    event_types: EventTypes
    subscriptions: Sequence[tuple[str, str]] = field(default=())


class CatalogueError(ValueError):
    """The catalogue contradicts itself: a consumer subscribes to what no producer sends."""


# ----------------------------------------------------------------------------- the pieces


def envelope_schema() -> dict[str, Any]:
    """The CloudEvents 1.0 structured envelope every message carries (`shared.envelope`)."""
    text = {"type": "string"}
    return {
        "type": "object",
        "title": "CloudEvents 1.0 structured envelope",
        "description": "One event of a producer's log. The context attributes and extensions "
        "carry everything a consumer needs to place it in its producer's log, and an auditor "
        "to recompute its hash.",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "data",
            "sequence",
            "hash",
        ],
        "properties": {
            "specversion": {"type": "string", "const": SPEC_VERSION},
            "id": {**text, "format": "uuid", "description": "The event id (`Nats-Msg-Id`)."},
            "source": {
                **text,
                "pattern": "^/cica/[a-z]+$",
                "description": "`/cica/<service>`: the producer.",
            },
            "type": {
                **text,
                "pattern": r"^int\.cica\.[a-z]+\.[A-Za-z0-9_]+\.v[0-9]+$",
                "description": "`int.cica.<service>.<EventType>.v<N>`, N the schema version.",
            },
            "subject": {**text, "description": "The stream id (the aggregate it belongs to)."},
            "time": {
                **text,
                "format": "date-time",
                "description": "When the producer recorded it: UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ.",
            },
            "datacontenttype": {"type": "string", "const": "application/json"},
            "data": {"type": "object", "description": "The event, in its schema version."},
            "sequence": {
                "type": "integer",
                "minimum": 1,
                "description": "Extension: the event's position in its producer's log, gapless.",
            },
            "hash": {
                **text,
                "pattern": "^[0-9a-f]{64}$",
                "description": "Extension: SHA-256(prevhash || JCS(event)), hex.",
            },
            "prevhash": {
                **text,
                "pattern": "^[0-9a-f]{64}$",
                "description": "Extension: the hash of the producer's previous event, hex.",
            },
            "streamtype": {**text, "description": "Extension: the stream's type."},
            "streamversion": {
                "type": "integer",
                "minimum": 1,
                "description": "Extension: the event's version within its stream.",
            },
            "correlationid": {
                **text,
                "description": "Extension: the request or flow this event belongs to.",
            },
            "causationid": {
                **text,
                "description": "Extension: the id of the event or command that caused it.",
            },
            "actor": {**text, "description": "Extension: who acted."},
            "provenance": {
                "type": "string",
                "maxLength": 4096,
                "description": "Extension: where the event's facts come from, the metadata's "
                "`source` as compact JSON (an object of strings: status, cites, passage, "
                "note; see the CICA-Source header of the HTTP APIs).",
            },
        },
    }


def headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["Nats-Msg-Id"],
        "properties": {
            "Nats-Msg-Id": {
                "type": "string",
                "format": "uuid",
                "description": "The event id: JetStream drops a repeat within its window.",
            }
        },
    }


def _stream_type(model: type[DomainEvent]) -> str | None:
    value = getattr(model, "stream_type", None)
    return value if isinstance(value, str) and value else None


def _channel_id(service: str, event_type: str) -> str:
    return f"{service}.{event_type}"


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True, slots=True)
class _Event:
    producer: str
    model: type[DomainEvent]
    consumers: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.model.event_type

    @property
    def channel_id(self) -> str:
        return _channel_id(self.producer, self.name)


def _events(catalogues: Sequence[ServiceCatalogue]) -> list[_Event]:
    by_service = {c.service: c for c in catalogues}
    if len(by_service) != len(catalogues):
        raise CatalogueError("a service appears twice in the catalogue")
    consumers: dict[tuple[str, str], set[str]] = {}
    for catalogue in catalogues:
        for producer, event_type in catalogue.subscriptions:
            source = by_service.get(producer)
            if source is None or event_type not in source.event_types:
                raise CatalogueError(
                    f"{catalogue.service} reacts to {producer} {event_type}, "
                    f"which {producer} does not produce"
                )
            consumers.setdefault((producer, event_type), set()).add(catalogue.service)
    return [
        _Event(c.service, model, tuple(sorted(consumers.get((c.service, model.event_type), ()))))
        for c in sorted(catalogues, key=lambda c: c.service)
        for model in sorted(c.event_types, key=lambda m: m.event_type)
    ]


def _data_schemas(events: Sequence[_Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each event's data schema (by channel id), and the schemas they share, under
    components/schemas, named `<service>.<Model>` so two services' models never collide."""
    shared: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for producer in sorted({e.producer for e in events}):
        mine = [e for e in events if e.producer == producer]
        keys, definitions = models_json_schema(
            [(e.model, "serialization") for e in mine],
            ref_template=f"#/components/schemas/{producer}.{{model}}",
        )
        for name, schema in definitions.get("$defs", {}).items():
            shared[f"{producer}.{name}"] = _asyncapi_schema(schema)
        for event in mine:
            data[event.channel_id] = keys[(event.model, "serialization")]
    return data, shared


def _asyncapi_schema(value: Any) -> Any:
    """A pydantic JSON schema as an AsyncAPI Schema Object. They differ in one keyword:
    pydantic writes OpenAPI's ``discriminator`` object (``propertyName`` and ``mapping``),
    AsyncAPI's is the property name alone; the mapping is kept as an extension (the variants'
    ``const`` values already say which is which)."""
    if isinstance(value, list):
        return [_asyncapi_schema(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {key: _asyncapi_schema(item) for key, item in value.items()}
    discriminator = converted.get("discriminator")
    if isinstance(discriminator, dict) and "propertyName" in discriminator:
        converted["discriminator"] = discriminator["propertyName"]
        if "mapping" in discriminator:
            converted["x-discriminator-mapping"] = discriminator["mapping"]
    return converted


def _message(event: _Event, data_schema: dict[str, Any]) -> dict[str, Any]:
    model = event.model
    summary = " ".join((model.__doc__ or "").split()) or f"{model.event_type} happened."
    ce_type = event_type_uri(event.producer, model.event_type, model.schema_version)
    return {
        "name": model.event_type,
        "title": f"{model.event_type} (v{model.schema_version})",
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": _pointer("components", "schemas", HEADERS)},
        "payload": {
            "allOf": [
                {"$ref": _pointer("components", "schemas", ENVELOPE)},
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "const": ce_type},
                        "source": {"type": "string", "const": f"/cica/{event.producer}"},
                        "data": data_schema,
                    },
                },
            ]
        },
        "x-cica-producer": event.producer,
        "x-cica-consumers": list(event.consumers),
        "x-cica-schema-version": model.schema_version,
    }


def _channel(event: _Event) -> dict[str, Any]:
    stream_type = _stream_type(event.model)
    stream_token = subject_token(stream_type) if stream_type else "{streamType}"
    channel: dict[str, Any] = {
        "address": f"cica.{event.producer}.{stream_token}.{subject_token(event.name)}",
        "title": f"{event.producer}: {event.name}",
        "description": f"{event.name} events of {event.producer}, in the JetStream stream "
        f"{stream_name(event.producer)}. Produced by {event.producer}; consumed by "
        + (", ".join(event.consumers) if event.consumers else "no service yet")
        + ".",
        "messages": {event.name: {"$ref": _pointer("components", "messages", event.channel_id)}},
        "x-cica-producer": event.producer,
        "x-cica-consumers": list(event.consumers),
        "x-cica-stream": stream_name(event.producer),
    }
    if stream_type is None:
        channel["parameters"] = {
            "streamType": {
                "description": "The type of the stream the event belongs to (its aggregate).",
            }
        }
    return channel


def _operations(event: _Event, services: Iterable[str]) -> dict[str, Any]:
    wanted = set(services)
    channel = {"$ref": _pointer("channels", event.channel_id)}
    messages = [{"$ref": _pointer("channels", event.channel_id, "messages", event.name)}]
    operations: dict[str, Any] = {}
    if event.producer in wanted:
        operations[f"{event.producer}.send.{event.name}"] = {
            "action": "send",
            "channel": channel,
            "messages": messages,
            "title": f"{event.producer} publishes {event.name}",
            "summary": f"The outbox relay of {event.producer} publishes each committed "
            f"{event.name}.",
        }
    for consumer in event.consumers:
        if consumer in wanted:
            operations[f"{consumer}.receive.{event.channel_id}"] = {
                "action": "receive",
                "channel": channel,
                "messages": messages,
                "title": f"{consumer} reacts to {event.producer} {event.name}",
                "summary": f"A durable JetStream pull consumer of {consumer} on "
                f"{stream_name(event.producer)}; acked after {consumer} commits its reaction.",
            }
    return operations


def _checkpoints(service: str) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The channel on which `service` publishes its signed checkpoints (shared/checkpoints.py):
    not events of its log, but signed statements of its head that auditors keep."""
    from shared.checkpoints import CheckpointOut, checkpoint_subject

    channel_id = f"{service}.checkpoints"
    schema = _asyncapi_schema(CheckpointOut.model_json_schema())
    message = {
        "name": "Checkpoint",
        "title": f"{service}: signed checkpoint",
        "summary": "The head of the log (size, RFC 9162 Merkle root, chain hash, time) signed "
        "with the service's Ed25519 key; verify with GET /keys, prove with GET /proofs/*.",
        "contentType": "application/json",
        "payload": schema,
        "x-cica-producer": service,
    }
    channel = {
        "address": checkpoint_subject(service),
        "title": f"{service}: checkpoints",
        "description": f"Signed checkpoints of {service}'s log, captured by the JetStream "
        f"stream {stream_name(service)} too, so a copy lies beyond the database's reach. "
        "Consumers of events skip them.",
        "messages": {"Checkpoint": {"$ref": _pointer("components", "messages", channel_id)}},
        "x-cica-producer": service,
        "x-cica-stream": stream_name(service),
    }
    operation = {
        "action": "send",
        "channel": {"$ref": _pointer("channels", channel_id)},
        "messages": [{"$ref": _pointer("channels", channel_id, "messages", "Checkpoint")}],
        "title": f"{service} publishes its signed checkpoints",
        "summary": "At a regular interval when the log grew, and on demand (POST /checkpoints).",
    }
    return channel_id, channel, message, operation


def _document(
    catalogues: Sequence[ServiceCatalogue],
    *,
    title: str,
    description: str,
    services: Sequence[str],
    version: str,
) -> dict[str, Any]:
    events = _events(catalogues)
    wanted = set(services)
    shown = [e for e in events if e.producer in wanted or wanted & set(e.consumers)]
    data, shared = _data_schemas(shown)
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event in shown:
        channels[event.channel_id] = _channel(event)
        messages[event.channel_id] = _message(event, data[event.channel_id])
        operations.update(_operations(event, services))
    for service in services:
        channel_id, channel, message, operation = _checkpoints(service)
        channels[channel_id] = channel
        messages[channel_id] = message
        operations[f"{service}.send.checkpoints"] = operation
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": description + "\n\n" + _DESCRIPTION,
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "nats": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The NATS server `make up` starts; elsewhere, CICA_NATS_URL.",
            }
        },
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {
            "schemas": {
                ENVELOPE: envelope_schema(),
                HEADERS: headers_schema(),
                **dict(sorted(shared.items())),
            },
            "messages": messages,
        },
    }


# -------------------------------------------------------------------------------- documents


def system_document(
    catalogues: Sequence[ServiceCatalogue], *, version: str = "0.1.0"
) -> dict[str, Any]:
    """The whole system: every service's channels, and who sends and receives on each."""
    return _document(
        catalogues,
        title="CICA Secretariat events",
        description="Every event the four CICA services exchange.",
        services=[c.service for c in catalogues],
        version=version,
    )


def service_document(
    service: str, catalogues: Sequence[ServiceCatalogue], *, version: str = "0.1.0"
) -> dict[str, Any]:
    """One service: the channels it sends on (its own events) and those it receives on."""
    if service not in {c.service for c in catalogues}:
        raise CatalogueError(f"no catalogue for {service!r}")
    return _document(
        catalogues,
        title=f"CICA {service} events",
        description=f"The events {service} publishes and the events it consumes.",
        services=[service],
        version=version,
    )


def dumps(document: dict[str, Any]) -> str:
    """The document as committed: stable key order within each object as generated,
    two-space indents, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
