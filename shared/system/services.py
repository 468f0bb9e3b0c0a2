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

from services.documents import migrations as documents_migrations
from services.documents.app import create_app as documents_app
from services.documents.events import event_types as documents_events
from services.documents.reactions import reactions as documents_reactions
from services.documents.settings import DocumentsSettings
from services.meetings import migrations as meetings_migrations
from services.meetings.app import create_app as meetings_app
from services.meetings.events import event_types as meetings_events
from services.meetings.reactions import reactions as meetings_reactions
from services.meetings.settings import MeetingsSettings
from services.notifications import migrations as notifications_migrations
from services.notifications.app import create_app as notifications_app
from services.notifications.events import event_types as notifications_events
from services.notifications.reactions import reactions as notifications_reactions
from services.notifications.settings import NotificationsSettings
from services.registry import migrations as registry_migrations
from services.registry.app import create_app as registry_app
from services.registry.events import event_types as registry_events
from services.registry.reactions import reactions as registry_reactions
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


def _versions(migrations: ModuleType) -> Path:
    """The alembic versions directory of a service's `migrations` package."""
    return Path(next(iter(migrations.__path__))).resolve() / "versions"


REGISTRY = Service(
    name="registry",
    default_port=8001,
    create_app=registry_app,
    settings=RegistrySettings,
    migrations=_versions(registry_migrations),
    event_types=registry_events,
    reactions=registry_reactions,
)
DOCUMENTS = Service(
    name="documents",
    default_port=8002,
    create_app=documents_app,
    settings=DocumentsSettings,
    migrations=_versions(documents_migrations),
    event_types=documents_events,
    reactions=documents_reactions,
)
MEETINGS = Service(
    name="meetings",
    default_port=8003,
    create_app=meetings_app,
    settings=MeetingsSettings,
    migrations=_versions(meetings_migrations),
    event_types=meetings_events,
    reactions=meetings_reactions,
)
NOTIFICATIONS = Service(
    name="notifications",
    default_port=8004,
    create_app=notifications_app,
    settings=NotificationsSettings,
    migrations=_versions(notifications_migrations),
    event_types=notifications_events,
    reactions=notifications_reactions,
)

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
