"""The one declaration of the system's services: who they are, where they listen by default,
how their app is made, where their migrations live, what they record and what they react to.

Everything in the system layer that needs to know the services reads `SERVICES`: the
supervisor (`cica up`), `cica migrate`, `cica rebuild`, `cica audit`, `cica asyncapi` and the
demo. Their modules are imported here as any other; no service is named in a string.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI

import services.documents.app
import services.documents.events
import services.documents.migrations
import services.documents.reactions
import services.meetings.app
import services.meetings.events
import services.meetings.migrations
import services.meetings.reactions
import services.notifications.app
import services.notifications.events
import services.notifications.migrations
import services.notifications.reactions
import services.registry.app
import services.registry.events
import services.registry.migrations
import services.registry.reactions
from services.documents.settings import DocumentsSettings
from services.meetings.settings import MeetingsSettings
from services.notifications.settings import NotificationsSettings
from services.registry.settings import RegistrySettings
from shared.asyncapi import ServiceCatalogue
from shared.consumers import Reactions
from shared.eventstore import EventTypes
from shared.projections import Projection
from shared.settings import ServiceSettings


@dataclass(frozen=True, slots=True)
class Service:
    """One service of the system."""

    name: str
    default_port: int
    """The port ``cica up`` gives it (replica 1), and where the others look for it by default."""
    create_app: Callable[..., FastAPI]
    """Its composition root: what uvicorn runs (see `app_target`)."""
    settings: type[ServiceSettings]
    migrations: Path
    """Its own alembic versions, applied after the kit's (`shared.system.migrate`)."""
    event_types: EventTypes
    reactions: Reactions

    def __post_init__(self) -> None:
        declared = (self.settings.service_name, self.settings.default_port)
        if declared != (self.name, self.default_port) or self.reactions.service != self.name:
            raise ValueError(
                f"the declaration of {self.name} (port {self.default_port}) disagrees with its "
                f"settings ({declared[0]}, port {declared[1]}) or its reactions "
                f"({self.reactions.service})"
            )

    @property
    def app_target(self) -> str:
        """The app factory as uvicorn names it: ``services.registry.app:create_app``."""
        return f"{self.create_app.__module__}:{self.create_app.__qualname__}"

    @property
    def asyncapi_file(self) -> Path:
        """Its AsyncAPI document, beside its app (`cica asyncapi` writes it, the app serves it
        at ``GET /asyncapi.json``)."""
        return Path(inspect.getfile(self.create_app)).resolve().with_name("asyncapi.json")

    @property
    def catalogue(self) -> ServiceCatalogue:
        """What it produces and what it consumes, for the AsyncAPI documents."""
        return ServiceCatalogue(self.name, self.event_types, self.reactions.subscriptions())

    def projections(self) -> list[Projection]:
        """The read models its app keeps, read from the app itself, so that a projection added
        in `app.py` (notifications' deliveries) is never missed. Nothing connects: the app is
        built, not started."""
        return list(self.create_app().state.projections)


def _declare(package: ModuleType, settings: type[ServiceSettings]) -> Service:
    """A service from its package, which has the house shape (`app.create_app`,
    `events.event_types`, `reactions.reactions`, `migrations/versions`); its name and port are
    those its settings declare."""
    return Service(
        name=settings.service_name,
        default_port=settings.default_port,
        create_app=package.app.create_app,
        settings=settings,
        migrations=Path(next(iter(package.migrations.__path__))).resolve() / "versions",
        event_types=package.events.event_types,
        reactions=package.reactions.reactions,
    )


REGISTRY = _declare(services.registry, RegistrySettings)
DOCUMENTS = _declare(services.documents, DocumentsSettings)
MEETINGS = _declare(services.meetings, MeetingsSettings)
NOTIFICATIONS = _declare(services.notifications, NotificationsSettings)

SERVICES: tuple[Service, ...] = (REGISTRY, DOCUMENTS, MEETINGS, NOTIFICATIONS)
"""Every service, in the order they are started, migrated, audited and listed."""
SERVICE_NAMES: tuple[str, ...] = tuple(service.name for service in SERVICES)
DEFAULT_PORTS: dict[str, int] = {service.name: service.default_port for service in SERVICES}


def service_named(name: str) -> Service:
    """The service called `name`; KeyError naming the known ones if there is none."""
    for candidate in SERVICES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no service {name!r} (the services: {', '.join(SERVICE_NAMES)})")
