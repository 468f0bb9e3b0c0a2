"""The event catalogue: AsyncAPI 3.0 documents generated from event models and reactions,
valid against the official AsyncAPI 3.0.0 JSON Schema (vendored from `@asyncapi/specs`, see
tests/shared/schemas/README.md), describing what actually goes on the wire."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from shared.asyncapi import (
    CatalogueError,
    ServiceCatalogue,
    dumps,
    service_document,
    system_document,
)
from shared.envelope import to_cloudevent
from shared.eventstore import DomainEvent, EventTypes, RecordedEvent
from shared.system.asyncapi import SYSTEM_DOCUMENT

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "asyncapi-3.0.0.json").read_text())


def validate(document: dict[str, Any]) -> None:
    """Valid against the AsyncAPI 3.0.0 schema, and every local $ref resolves."""
    jsonschema.Draft7Validator(SCHEMA).validate(document)
    for ref in refs(document):
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
            target = target[part]


def refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in refs(v)]
    return []


# ----------------------------------------------------------------- test services' catalogues

registry_types = EventTypes()
documents_types = EventTypes()
meetings_types = EventTypes()


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    KK = "kk"


class Names(BaseModel):
    language: Language
    short: str
    formal: str | None = None


@registry_types.register("MemberAdmitted", version=2)
class MemberAdmitted(DomainEvent):
    """A state became a member of CICA, by a decision of the Summit."""

    stream_type: ClassVar[str] = "member_state"

    state: str = Field(pattern=r"^[A-Z]{3}$")
    names: list[Names]
    admitted_on: datetime
    decision: uuid.UUID


@registry_types.register("BodyRenamed")
class BodyRenamed(DomainEvent):
    body: str
    new_name: str


class DocumentSubject(BaseModel):
    kind: Literal["document"] = "document"
    symbol: str


class ApplicationSubject(BaseModel):
    kind: Literal["membership_application"] = "membership_application"
    state: str


class Paragraph(BaseModel):
    number: str
    text: dict[Language, str]


def _documents_names() -> type[BaseModel]:
    class Names(BaseModel):
        """Documents has a model named as one of the registry's: the two must not clash."""

        words: int

    return Names


DocumentNames = _documents_names()


@documents_types.register("DraftRevised")
class DraftRevised(DomainEvent):
    symbol: str
    revision: int = Field(ge=1)
    paragraphs: list[Paragraph]
    incorporates: list[uuid.UUID] = Field(default_factory=list)
    title: DocumentNames  # type: ignore[valid-type]
    considered_under: Annotated[
        DocumentSubject | ApplicationSubject, Field(discriminator="kind")
    ] = DocumentSubject(symbol="SUM/2022/DRAFT/1")


def catalogues() -> list[ServiceCatalogue]:
    return [
        ServiceCatalogue("registry", registry_types),
        ServiceCatalogue("documents", documents_types, [("registry", "MemberAdmitted")]),
        ServiceCatalogue(
            "meetings",
            meetings_types,
            [("registry", "MemberAdmitted"), ("documents", "DraftRevised")],
        ),
    ]


# ------------------------------------------------------------------------------------ tests


def test_the_system_document_is_valid_asyncapi_3_with_every_event_its_producer_and_consumers():
    document = system_document(catalogues())
    validate(document)

    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == {
        "registry.MemberAdmitted",
        "registry.BodyRenamed",
        "documents.DraftRevised",
        "registry.checkpoints",
        "documents.checkpoints",
        "meetings.checkpoints",
    }
    signed = document["channels"]["documents.checkpoints"]
    assert signed["address"] == "cica.documents.checkpoints"
    checkpoint = document["components"]["messages"]["documents.checkpoints"]["payload"]
    assert {"tree_size", "root_hash", "chain_hash", "key_id", "signature"} <= set(
        checkpoint["required"]
    )
    admitted = document["channels"]["registry.MemberAdmitted"]
    assert admitted["address"] == "cica.registry.member_state.MemberAdmitted"
    assert "parameters" not in admitted, "the model names its stream type"
    assert admitted["x-cica-producer"] == "registry"
    assert admitted["x-cica-consumers"] == ["documents", "meetings"]
    renamed = document["channels"]["registry.BodyRenamed"]
    assert renamed["address"] == "cica.registry.{streamType}.BodyRenamed"
    assert set(renamed["parameters"]) == {"streamType"}
    assert renamed["x-cica-consumers"] == []

    operations = {
        name: op for name, op in document["operations"].items() if "checkpoints" not in name
    }
    assert {name: (op["action"], op["channel"]["$ref"]) for name, op in operations.items()} == {
        "registry.send.MemberAdmitted": ("send", "#/channels/registry.MemberAdmitted"),
        "registry.send.BodyRenamed": ("send", "#/channels/registry.BodyRenamed"),
        "documents.send.DraftRevised": ("send", "#/channels/documents.DraftRevised"),
        "documents.receive.registry.MemberAdmitted": (
            "receive",
            "#/channels/registry.MemberAdmitted",
        ),
        "meetings.receive.registry.MemberAdmitted": (
            "receive",
            "#/channels/registry.MemberAdmitted",
        ),
        "meetings.receive.documents.DraftRevised": (
            "receive",
            "#/channels/documents.DraftRevised",
        ),
    }

    message = document["components"]["messages"]["registry.MemberAdmitted"]
    assert message["contentType"] == "application/cloudevents+json"
    assert message["summary"] == "A state became a member of CICA, by a decision of the Summit."
    envelope, specific = message["payload"]["allOf"]
    assert envelope == {"$ref": "#/components/schemas/CloudEvent"}
    assert specific["properties"]["type"]["const"] == "int.cica.registry.MemberAdmitted.v2"
    assert specific["properties"]["source"]["const"] == "/cica/registry"
    assert specific["properties"]["data"] == {
        "$ref": "#/components/schemas/registry.MemberAdmitted"
    }
    schemas = document["components"]["schemas"]
    data = schemas["registry.MemberAdmitted"]
    assert set(data["required"]) == {"state", "names", "admitted_on", "decision"}
    assert data["properties"]["names"]["items"] == {"$ref": "#/components/schemas/registry.Names"}
    assert {"registry.Names", "registry.Language", "documents.Paragraph"} <= set(schemas)
    assert set(schemas["registry.Names"]["properties"]) == {"language", "short", "formal"}
    assert set(schemas["documents.Names"]["properties"]) == {"words"}
    union = schemas["documents.DraftRevised"]["properties"]["considered_under"]
    assert union["discriminator"] == "kind", "AsyncAPI's discriminator is the property name"
    assert union["x-discriminator-mapping"]["membership_application"] == (
        "#/components/schemas/documents.ApplicationSubject"
    )
    envelope_fields = set(schemas["CloudEvent"]["properties"])
    assert {
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
        "correlationid",
        "causationid",
    } <= envelope_fields


def test_each_service_document_shows_its_own_channels_and_those_it_consumes():
    documents = service_document("documents", catalogues())
    registry = service_document("registry", catalogues())
    validate(documents)
    validate(registry)

    assert set(documents["channels"]) == {
        "documents.DraftRevised",
        "registry.MemberAdmitted",
        "documents.checkpoints",
    }
    assert set(documents["operations"]) == {
        "documents.send.DraftRevised",
        "documents.receive.registry.MemberAdmitted",
        "documents.send.checkpoints",
    }
    assert set(registry["channels"]) == {
        "registry.MemberAdmitted",
        "registry.BodyRenamed",
        "registry.checkpoints",
    }
    assert {op["action"] for op in registry["operations"].values()} == {"send"}


def test_what_the_relay_puts_on_the_wire_matches_the_documented_message():
    document = system_document(catalogues())
    event = MemberAdmitted(
        state="KWT",
        names=[Names(language=Language.EN, short="Kuwait", formal="State of Kuwait")],
        admitted_on=datetime(2024, 10, 13, tzinfo=UTC),
        decision=uuid.uuid4(),
    )
    record = RecordedEvent(
        position=42,
        event_id=uuid.uuid4(),
        stream_id="KWT",
        stream_type="member_state",
        version=3,
        event_type="MemberAdmitted",
        schema_version=2,
        data=event.model_dump(mode="json"),
        metadata={"correlation_id": "req-1", "causation_id": str(uuid.uuid4())},
        recorded_at=datetime.now(UTC),
        prev_hash=bytes(32),
        hash=bytes(range(32)),
    )
    wire = to_cloudevent(record, "registry")
    # The whole document as the root schema, so its "#/components/..." references resolve.
    schema = {**document, "$ref": "#/components/messages/registry.MemberAdmitted/payload"}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(wire)

    wrong = {**wire, "type": "int.cica.registry.MemberAdmitted.v1"}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(wrong)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**wire, "data": {**wire["data"], "state": "Kuwait"}})


def test_empty_catalogues_still_give_valid_documents():
    empty = [ServiceCatalogue(s, EventTypes()) for s in ("registry", "documents")]
    validate(system_document(empty))
    validate(service_document("registry", empty))
    assert set(system_document(empty)["channels"]) == {
        "registry.checkpoints",
        "documents.checkpoints",
    }, "no events, but each service still signs its (empty) log's checkpoints"


def test_reacting_to_an_event_no_producer_sends_is_refused():
    wrong = [
        ServiceCatalogue("registry", registry_types),
        ServiceCatalogue("documents", documents_types, [("registry", "MemberAdmited")]),
    ]
    with pytest.raises(CatalogueError, match="documents reacts to registry MemberAdmited"):
        system_document(wrong)


def test_the_document_is_the_same_every_time_it_is_generated():
    assert dumps(system_document(catalogues())) == dumps(system_document(catalogues()))


def test_the_committed_system_document_is_valid_and_up_to_date():
    """deploy/asyncapi.json is what `cica asyncapi` generates from the services' models now
    (in a fresh interpreter: other tests register probe events into the services' registries).
    """
    validate(json.loads(SYSTEM_DOCUMENT.read_text()))
    result = subprocess.run(
        [sys.executable, "-m", "shared.system.cli", "asyncapi", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + "\nrun `cica asyncapi` and commit the file"
