"""``cica asyncapi``: the whole system's event catalogue as AsyncAPI 3.0, written to
`deploy/asyncapi.json` from the services' event models and reactions as `shared.system.services`
declares them (the document itself is built by the kit's `shared.asyncapi`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from shared.asyncapi import ServiceCatalogue, dumps, system_document
from shared.system.services import SERVICES, Service

SYSTEM_DOCUMENT = Path(__file__).resolve().parents[2] / "deploy" / "asyncapi.json"


def load_catalogues(services: Sequence[Service] = SERVICES) -> list[ServiceCatalogue]:
    """Each service's catalogue: its event types and the subscriptions of its reactions."""
    return [service.catalogue for service in services]


def asyncapi_command(
    output: Path = SYSTEM_DOCUMENT,
    *,
    check: bool = False,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    """What ``cica asyncapi`` does: write the whole system's document to `output`, or, with
    `check`, fail when the file there is not what the event models give now."""
    document = system_document(load_catalogues())
    text = dumps(document)
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output} is stale: run `cica asyncapi` and commit it", file=stderr)
            return 1
        print(f"{output} is up to date", file=stdout)
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(
        f"wrote {output}: {len(document['channels'])} channels, "
        f"{len(document['operations'])} operations",
        file=stdout,
    )
    return 0
