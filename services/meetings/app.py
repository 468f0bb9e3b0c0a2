"""The meetings service's composition root: the kit's app, and one task of its own that
concludes silence procedures whose deadline has come (at start-up, then every
`silence_check_interval` seconds). Replicas may all run it: a conclusion is recorded once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import structlog
from fastapi import FastAPI

from services.meetings import commands, queries
from services.meetings.api import router
from services.meetings.events import event_types
from services.meetings.projections import projections
from services.meetings.reactions import reactions
from services.meetings.settings import MeetingsSettings
from shared.access import MEMBER_STATES_ONLY, every_stream
from shared.app import create_service_app
from shared.consumers import UNAVAILABLE

log = structlog.get_logger("cica.meetings")

DESCRIPTION = """Meetings of CICA's bodies (Summit, Ministerial Council, Senior Officials
Committee, Special Working Group): schedules in local time with an IANA zone, agendas from the
draft as circulated to the agenda as adopted (items, lettered sub-items, the documents they
consider at their newest revision), decisions by consensus, and decisions by silence procedure,
concluded by the service at the deadline. Distributed to member states only; a document a
member state may not see (a restricted one that does not name it) is absent from what it reads,
its feed and its live stream included."""


async def conclude_due(app: FastAPI) -> None:
    settings = app.state.settings
    while True:
        try:
            concluded = await commands.conclude_due_silence_procedures(
                store=app.state.store, now=datetime.now(UTC), seat_time_zone=settings.seat_time_zone
            )
            for recorded in concluded:
                log.info("meetings.silence_procedure_concluded", stream_id=recorded.stream_id)
        except UNAVAILABLE as error:  # the database is away: try again at the next check
            log.warning("meetings.silence_check_failed", error=str(error))
        await asyncio.sleep(settings.silence_check_interval)


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or MeetingsSettings(),
        event_types=event_types,
        routers=[router],
        reactions=reactions,
        projections=projections,
        description=DESCRIPTION,
        asyncapi=Path(__file__).with_name("asyncapi.json"),
        # Every stream is a meeting's (member states only); an event that names a document
        # requires the document's distribution besides, read from the service's own log.
        stream_distributions=every_stream(
            MEMBER_STATES_ONLY, narrowed_by=queries.distributions_required_by_events
        ),
    )
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(app):
            task = asyncio.create_task(conclude_due(app), name="meetings-silence-procedures")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
    return app
