"""The registry service's composition root."""

from pathlib import Path

from fastapi import FastAPI

from services.registry.api import router
from services.registry.events import event_types
from services.registry.projections import projections
from services.registry.reactions import reactions
from services.registry.settings import RegistrySettings
from shared.app import create_service_app

DESCRIPTION = """The single owner of who belongs to CICA: member states (applications,
admissions), observers and partners, chairmanships, coordinators of the priority areas, and the
organisation's bodies and their names over time. Every read takes `?effective=<date>` and
`?as_of=<instant>`. The record is public, but for pending membership applications, which only
member states (and the applicant) see until the admission. Other services learn of members
only from `MemberAdmitted` and its kin."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        settings or RegistrySettings(),
        event_types=event_types,
        routers=[router],
        reactions=reactions,
        projections=projections,
        description=DESCRIPTION,
        asyncapi=Path(__file__).with_name("asyncapi.json"),
    )
