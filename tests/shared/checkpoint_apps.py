"""Small services for the checkpoint and audit tests: the kit's app with a probe event type,
under a service name of the test's choosing, signing with a key file the test makes."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.app import create_service_app
from shared.checkpoints import ensure_signing_key_file
from shared.eventstore import DomainEvent, EventTypes
from shared.settings import ServiceSettings
from tests.access import token_settings

probe_types = EventTypes()


@probe_types.register()
class Noted(DomainEvent):
    note: str


def probe_app(service: str, database_url: str, nats_url: str, key_file: Path, **options: object):  # type: ignore[no-untyped-def]
    class ProbeSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="CICA_PROBE_", extra="ignore")
        service_name: ClassVar[str] = service
        default_port: ClassVar[int] = 0

    options.setdefault("relay_enabled", False)
    options.setdefault("consumers_enabled", False)
    settings = ProbeSettings(
        database_url=database_url,
        nats_url=nats_url,
        tokens=token_settings(),
        signing_key_file=ensure_signing_key_file(key_file),
        **options,
    )
    return create_service_app(settings, event_types=probe_types)


async def note(app, stream: str, *notes: str) -> None:  # type: ignore[no-untyped-def]
    from shared.eventstore import ANY_VERSION

    await app.state.store.append(
        stream, [Noted(note=n) for n in notes], stream_type="probe", expected_version=ANY_VERSION
    )
