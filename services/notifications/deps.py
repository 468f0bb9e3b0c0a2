"""What the notifications service's routes share: their path and query parameters, the
service's settings, who may see which state's messages, and reading the read models once they
have caught up with the log."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications import domain, examples
from services.notifications.events import LanguageTag
from services.notifications.settings import NotificationsSettings
from shared.access import Principal
from shared.http.reads import caught_up


async def _settings(request: Request) -> NotificationsSettings:
    return request.app.state.settings


Settings = Annotated[NotificationsSettings, Depends(_settings)]
NoteKey = Annotated[
    str,
    Path(
        pattern=domain.NOTE_KEY,
        examples=[examples.NOTE_KEY_1280],
        description="the note's number with - for /: SOC-OI-1280 is note No. SOC/OI/1280",
    ),
]
NoticeId = Annotated[UUID, Path(examples=[examples.NOTICE_ID])]
EndpointId = Annotated[UUID, Path(examples=[examples.ENDPOINT_ID])]
DeliveryId = Annotated[UUID, Path(examples=[examples.DELIVERY_ID])]
Languages = Annotated[
    list[LanguageTag] | None,
    Query(
        alias="lang",
        description="only these languages of each text (repeat it: ?lang=en&lang=ru); all if "
        "absent",
        examples=[["en", "ru"]],
    ),
]


async def read_models(request: Request) -> AsyncEngine:
    """The read models, once `caught_up`."""
    await caught_up(request)
    return request.app.state.engine


def may_see(caller: Principal, states: Collection[str]) -> bool:
    """Whether `caller` sees what concerns `states` (a message's recipients, an endpoint's or
    a delivery's state): a member state what concerns it, any other caller everything. (A
    principal has a `state` exactly when it is a member state's: the reads of `queries` take
    it as the one state whose messages they show, None for all.)"""
    return caller.state is None or caller.state in states
