"""The meetings service's policies on other services' events. Each appends the meetings
service's own events in the reaction's transaction, with the foreign event as their cause and
event ids derived from it, so the meetings service rebuilds from its own log alone and a
redelivered event records nothing new.

- The documents service revised a draft (`DraftRevised`) → every agenda item, of a meeting
  whose agenda is not adopted yet, that considers an earlier revision of it now considers the
  new one, with the revision's own date (`ConsideredDocumentRevised`, keeping the history of
  which revision it considered when); an adopted agenda stays the record of what was
  considered.
- The documents service created a document (`DraftCreated`) or changed its distribution
  (`DistributionChanged`) → the meetings service notes its distribution, the latest given
  (`DocumentDistributionNoted` in the stream ``document-<base symbol>``), which decides who is
  shown its symbol in meetings (`services.meetings.distributions`).
- The documents service issued an addendum or a corrigendum (a `DraftCreated` naming its
  `parent`) → every agenda item, of a meeting whose agenda is not adopted yet, that considers
  the parent (at any revision) considers the addendum or corrigendum too, after the parent, with
  its own date (`ConsideredDocumentSupplemented`): it adds to or corrects the text the meeting
  considers, and replaces none of it. Any other new document changes no agenda.
- The registry changed a state's membership: a founding member (`FoundingMemberRegistered`),
  an admission (`MemberAdmitted`), a suspension (`MembershipSuspended`), a reinstatement
  (`MembershipReinstated`) or a withdrawal (`MemberWithdrew`), each with the day it takes
  effect → the meetings service records it in its member-state list (`MembershipNoted`, the
  one way in: there is no set-up call of its own) and in the kit's membership table (so that
  the state reads what is distributed to member states while it is one), and every meeting
  that has not started by that day follows: a state that is a member on the meeting's first
  day takes part in it (`ParticipantAdded`), one suspended or withdrawn by then no longer does
  (`ParticipantRemoved`). Meetings under way or held, and silence procedures started, keep
  their participants; the state's right to object follows its membership day by day
  (`domain.check_member`).
- The registry established a body (`BodyEstablished`) or renamed it (`BodyRenamed`) → the
  meetings service records its names from that date (`BodyNamed`, `services.meetings.bodies`),
  once; a fact lacking a field of the contract is refused, and the consumer parks it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import structlog

from services.meetings import bodies, commands, distributions, domain, queries
from shared.access import record_membership_event
from shared.access.membership import change_of, note_change
from shared.access.model import Distribution
from shared.commands import Decision
from shared.consumers import ReactionContext, Reactions
from shared.envelope import ForeignEvent

log = structlog.get_logger("cica.meetings.reactions")

reactions = Reactions("meetings")

DOCUMENTS = "documents"
REGISTRY = "registry"
ACTOR = "service:meetings"


def _date_of(value: str) -> date:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


async def _on_every_meeting(
    ctx: ReactionContext, rule: Callable[..., Decision], **arguments: Any
) -> list[str]:
    """`rule(meeting, **arguments)` decided on every meeting, in the reaction's transaction
    (event ids derived from the cause and the meeting's stream); the meetings it changed."""
    changed = []
    for stream_id in await queries.streams_of_type(ctx.connection, commands.MEETING):
        meeting_id = stream_id.removeprefix("meeting-")
        recorded = await ctx.decide_and_append(
            stream_id, commands.MEETING, commands.on_meeting(meeting_id, rule, **arguments),
            ids=f"{stream_id}/", actor=ACTOR,
        )
        if recorded.events:
            changed.append(meeting_id)
    return changed


@reactions.on(DOCUMENTS, "DraftRevised")
async def when_a_draft_is_revised_its_agenda_items_consider_the_new_revision(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    symbol = event.data["symbol"]
    # The date the revision bears; a revision recorded before revisions were dated, the day
    # it was recorded.
    dated = event.data.get("dated")
    changed = await _on_every_meeting(
        ctx, domain.follow_document_revision, symbol=symbol,
        dated=date.fromisoformat(dated) if dated else _date_of(event.recorded_at),
    )
    log.info("meetings.document_revision_followed", symbol=symbol, meetings=changed)


@reactions.on(DOCUMENTS, "DraftCreated")
async def when_a_document_is_created_its_distribution_is_noted_and_its_parents_items_consider_it(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    """Every new document's distribution is noted; an addendum or a corrigendum is considered
    with its parent."""
    await _note_distribution(ctx, event)
    if event.data.get("parent"):
        await _follow_supplement(ctx, event)


@reactions.on(DOCUMENTS, "DistributionChanged")
async def when_a_documents_distribution_changes_it_is_noted(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _note_distribution(ctx, event)


async def _note_distribution(ctx: ReactionContext, event: ForeignEvent) -> None:
    """The document's distribution as the event gives it, in its stream (the documents
    service's stream id is the document's base symbol; `DraftCreated` names it too)."""
    symbol = domain.base_symbol(event.data.get("symbol") or event.stream_id)[0]
    noted = Distribution.model_validate(event.data["distribution"])
    stream_id = distributions.document_stream(symbol)
    recorded = await ctx.decide_and_append(
        stream_id, distributions.STREAM_TYPE,
        lambda history: distributions.note_distribution(history.events, symbol=symbol,
                                                        noted=noted),
        ids=f"{stream_id}/", actor=ACTOR,
    )
    log.info("meetings.distribution_noted", symbol=symbol, distribution=noted.kind.value,
             recorded=bool(recorded.events))


async def _follow_supplement(ctx: ReactionContext, event: ForeignEvent) -> None:
    parent = event.data["parent"]
    symbol = event.data["symbol"]
    dated = event.data.get("dated")
    changed = await _on_every_meeting(
        ctx, domain.follow_supplement, symbol=symbol, parent=parent,
        dated=date.fromisoformat(dated) if dated else _date_of(event.recorded_at),
    )
    log.info("meetings.supplement_followed", symbol=symbol, parent=parent, meetings=changed)


@reactions.on(REGISTRY, "FoundingMemberRegistered")
@reactions.on(REGISTRY, "MemberAdmitted")
@reactions.on(REGISTRY, "MembershipSuspended")
@reactions.on(REGISTRY, "MembershipReinstated")
@reactions.on(REGISTRY, "MemberWithdrew")
async def when_a_states_membership_changes_the_meetings_not_yet_started_follow(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    state, change, effective_on = change_of(event.event_type, event.data)
    await record_membership_event(ctx.connection, event)
    await ctx.decide_and_append(
        queries.MEMBERS_STREAM, commands.MEMBERSHIP,
        lambda history: note_change(history.events, state=state, change=change,
                                    effective_on=effective_on),
        ids=f"{queries.MEMBERS_STREAM}/", actor=ACTOR,
    )
    membership = await queries.known_members(ctx.connection, ctx.store)
    changed = await _on_every_meeting(
        ctx, domain.follow_membership, state_code=state, change=change,
        effective_on=effective_on, membership=membership,
    )
    log.info("meetings.membership_followed", state=state, change=change.value,
             effective_on=effective_on.isoformat(), meetings=changed)


async def _record_naming(ctx: ReactionContext, event: ForeignEvent, fact: bodies.Fact) -> None:
    naming = bodies.read_registry_naming(event.event_type, event.data)
    recorded = await ctx.decide_and_append(
        bodies.STREAM, bodies.STREAM_TYPE,
        lambda history: bodies.record_naming(bodies.bodies(history.events), naming, fact=fact,
                                             registry_event_id=event.event_id),
        ids=f"{bodies.STREAM}/", actor=ACTOR,
    )
    log.info("meetings.body_named", body=naming.body, fact=fact,
             effective_on=naming.effective_on.isoformat(), recorded=bool(recorded.events))


@reactions.on(REGISTRY, "BodyEstablished")
async def when_a_body_is_established_its_names_are_recorded(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _record_naming(ctx, event, "established")


@reactions.on(REGISTRY, "BodyRenamed")
async def when_a_body_is_renamed_its_new_names_apply_from_their_date(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _record_naming(ctx, event, "renamed")
