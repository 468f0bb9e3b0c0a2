"""The meetings service's policies on other services' events. Each appends the meetings
service's own events in the reaction's transaction, with the foreign event as their cause and
event ids derived from it, so the meetings service rebuilds from its own log alone and a
redelivered event records nothing new.

- The documents service revised a draft (`DraftRevised`) → every agenda item that considers an
  earlier revision of it now considers the new one (`ConsideredDocumentRevised`, keeping the
  history of which revision it considered when).
- The registry admitted a member state (`MemberAdmitted`) → the meetings service counts it
  among the member states (`MemberStateAdmitted`, and the kit's admitted list, so that it
  reads what is distributed to member states), and among the participants of every meeting
  that starts on or after its admission (`ParticipantAdded`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID, uuid5

import structlog

from services.meetings import commands, domain
from shared.access import record_admission
from shared.consumers import ReactionContext, Reactions
from shared.envelope import ForeignEvent

log = structlog.get_logger("cica.meetings.reactions")

reactions = Reactions("meetings")

DOCUMENTS = "documents"
REGISTRY = "registry"


def _metadata(ctx: ReactionContext) -> dict[str, str]:
    metadata = {"causation_id": str(ctx.cause.event_id), "actor": "service:meetings"}
    correlation = ctx.cause.metadata.get("correlation_id")
    if correlation is not None:
        metadata["correlation_id"] = str(correlation)
    return metadata


def _ids(cause: UUID, stream_id: str):  # type: ignore[no-untyped-def]
    def ids(version: int, index: int) -> UUID:
        return uuid5(cause, f"{stream_id}/{index}")

    return ids


def _date_of(value: str) -> date:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


@reactions.on(DOCUMENTS, "DraftRevised")
async def when_a_draft_is_revised_its_agenda_items_consider_the_new_revision(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    symbol = event.data["symbol"]
    dated = _date_of(event.recorded_at)
    changed = []
    for stream_id in await commands.streams_of_type(ctx.connection, commands.MEETING):
        meeting_id = stream_id.removeprefix("meeting-")
        recorded = await commands.decide_and_append(
            ctx.connection, ctx.store, stream_id, commands.MEETING,
            lambda history, meeting_id=meeting_id: domain.follow_document_revision(
                domain.meeting(meeting_id, history), symbol=symbol, dated=dated),
            expected=None, metadata=_metadata(ctx), event_ids=_ids(event.event_id, stream_id),
        )
        if recorded.events:
            changed.append(meeting_id)
    log.info("meetings.document_revision_followed", symbol=symbol, meetings=changed)


@reactions.on(REGISTRY, "MemberAdmitted")
async def when_a_member_is_admitted_it_takes_part_in_later_meetings(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    state = event.data["state"]
    admitted_on = date.fromisoformat(event.data["admitted_on"])
    await record_admission(
        ctx.connection, state=state, admitted_at=datetime.combine(admitted_on, time.min, UTC),
        event_id=event.event_id,
    )
    await commands.decide_and_append(
        ctx.connection, ctx.store, commands.MEMBERS_STREAM, commands.MEMBERSHIP,
        lambda history: domain.admit(domain.members(history), state=state,
                                     admitted_on=admitted_on),
        expected=None, metadata=_metadata(ctx),
        event_ids=_ids(event.event_id, commands.MEMBERS_STREAM),
    )
    joined = []
    for stream_id in await commands.streams_of_type(ctx.connection, commands.MEETING):
        meeting_id = stream_id.removeprefix("meeting-")
        recorded = await commands.decide_and_append(
            ctx.connection, ctx.store, stream_id, commands.MEETING,
            lambda history, meeting_id=meeting_id: domain.add_participant(
                domain.meeting(meeting_id, history), state_code=state,
                member_since=admitted_on),
            expected=None, metadata=_metadata(ctx), event_ids=_ids(event.event_id, stream_id),
        )
        if recorded.events:
            joined.append(meeting_id)
    log.info("meetings.member_admitted", state=state, meetings=joined)
