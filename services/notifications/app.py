"""The notifications service's composition root: the kit's app with the routers, reactions and
projections below. The delivery side adds its router to `ROUTERS`, its projections to
`PROJECTIONS`, and its worker to the lifespan (see `create_app`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.notifications.api import router
from services.notifications.delivery import install_delivery
from services.notifications.delivery_api import router as delivery_router
from services.notifications.delivery_projections import projections as delivery_projections
from services.notifications.events import event_types
from services.notifications.projections import projections
from services.notifications.reactions import reactions
from services.notifications.settings import NotificationsSettings
from shared.app import create_service_app
from shared.projections import Projection

DESCRIPTION = """Notes verbales and notices to the member states' foreign ministries: notes
numbered in registers, one count a year that several prefixes share (`IO/1256`, then
`SOC/OI/1280` and 1281), with the notes the service did not issue but a source cites recorded
by reference (`SOC/OI/88` of 3 February 2022), issued notes written from
templates with the diplomatic formulas in English, Russian and Kazakh or given in full, to all
the member states on the day the note is dated or to the states named, never with an enclosure
a recipient may not read; corrections as new notes; notices of the service's own, to the
members on the day of what they tell, when a document distributed to member states is revised,
an agenda is adopted or a member is admitted (a restricted document's revision is told to the
states it names only). Who is a member on a day comes from the registry's events alone
(founding, admission, suspension, reinstatement, withdrawal: `GET /member-states`). Ministries
pull what is addressed to them (`GET /inbox`) and acknowledge receipt for their own state; the
Secretariat sees who has and has not acknowledged. A note is named in paths by its number with
`-` for `/`: `/notes/SOC-OI-1280`. Ministries that register an endpoint (`POST /endpoints`) are
sent each note and notice by webhook, signed per the Standard Webhooks specification, retried
with backoff, dead-lettered after the last attempt and sent again by hand; every attempt is in
the delivery's history (`GET /deliveries/{id}`)."""

ROUTERS: list[APIRouter] = [router, delivery_router]
PROJECTIONS: tuple[Projection, ...] = (*projections, *delivery_projections)


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or NotificationsSettings(),
        event_types=event_types,
        routers=ROUTERS,
        reactions=reactions,
        projections=PROJECTIONS,
        description=DESCRIPTION,
        asyncapi=Path(__file__).with_name("asyncapi.json"),
    )
    install_delivery(app)  # the webhook delivery worker, started and stopped with the app
    return app
