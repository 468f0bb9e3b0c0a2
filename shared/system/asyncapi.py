"""``cica asyncapi``: the whole system's event catalogue as AsyncAPI 3.0, written to
`deploy/asyncapi.json`, and each service's own, written beside its app (which serves it at
``GET /asyncapi.json``), from the services' event models and reactions as
`shared.system.services` declares them (the documents themselves are built by the kit's
`shared.asyncapi`). A service's document names who consumes its events and the schemas of the
events it consumes: only the system knows both, so it is written here, not in the service."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from shared.asyncapi import ServiceCatalogue, dumps, service_document, system_document
from shared.system.services import SERVICES, Service

SYSTEM_DOCUMENT = Path(__file__).resolve().parents[2] / "deploy" / "asyncapi.json"


def load_catalogues(services: Sequence[Service] = SERVICES) -> list[ServiceCatalogue]:
    """Each service's catalogue: its event types and the subscriptions of its reactions."""
    return [service.catalogue for service in services]


def documents(system_output: Path = SYSTEM_DOCUMENT) -> dict[Path, dict[str, Any]]:
    """Every document `cica asyncapi` writes, by where it goes."""
    catalogues = load_catalogues()
    written: dict[Path, dict[str, Any]] = {system_output: system_document(catalogues)}
    for service in SERVICES:
        written[service.asyncapi_file] = service_document(service.name, catalogues)
    return written


def asyncapi_command(
    output: Path = SYSTEM_DOCUMENT,
    *,
    check: bool = False,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    """What ``cica asyncapi`` does: write the whole system's document to `output` and each
    service's beside its app, or, with `check`, fail when a file is not what the event models
    give now."""
    stale = 0
    for path, document in documents(output).items():
        text = dumps(document)
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                print(f"{path} is stale: run `cica asyncapi` and commit it", file=stderr)
                stale += 1
            else:
                print(f"{path} is up to date", file=stdout)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(
            f"wrote {path}: {len(document['channels'])} channels, "
            f"{len(document['operations'])} operations",
            file=stdout,
        )
    return 1 if stale else 0
