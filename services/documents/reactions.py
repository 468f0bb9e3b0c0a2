"""The documents service's policies on other services' events.

- The meetings service's `DecisionRecorded` on a document (SOC recommends, Summit adopts)
  changes the document's status: a `DocumentStatusChanged` caused by that decision.
- The registry's `MemberAdmitted` counts the new member among the readers of documents
  distributed to member states only, from its admission on; its `FoundingMemberRegistered`
  counts a member from before the registry's log, from its `member_since` on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

import structlog

from services.documents import domain
from services.documents.domain import Document, InvalidStatusChangeError
from services.documents.events import STREAM_TYPE, DocumentStatusChanged
from services.documents.symbols import SymbolError, parse_symbol
from shared.access import record_admission
from shared.commands import History
from shared.consumers import ReactionContext, Reactions
from shared.envelope import ForeignEvent

log = structlog.get_logger(__name__)

reactions = Reactions("documents")


@reactions.on("meetings", "DecisionRecorded")
async def when_a_body_decides_on_a_document_change_its_status(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    data = event.data
    subject = data.get("subject") or {}
    if subject.get("kind") != "document":
        return
    try:
        symbol = parse_symbol(subject["symbol"])
    except (KeyError, SymbolError) as error:
        log.warning("documents.decision_on_unknown_symbol", error=str(error))
        return
    stream_id = str(symbol.base)

    def decide(history: History) -> DocumentStatusChanged | None:
        document = Document.fold(history.timed())
        if document is None:
            log.warning("documents.decision_on_unknown_document", symbol=stream_id)
            return None
        try:
            return domain.status_for_decision(
                document,
                outcome=data["outcome"],
                body=data["body"],
                decision_id=UUID(data["decision_id"]),
                session=data.get("session"),
                decided_on=(
                    date.fromisoformat(data["decided_on"]) if data.get("decided_on") else None
                ),
            )
        except InvalidStatusChangeError as error:
            # A decision the document's life cannot take (adopted already): recorded nowhere.
            log.warning("documents.decision_not_applicable", symbol=stream_id, error=error.detail)
            return None

    await ctx.decide_and_append(stream_id, STREAM_TYPE, decide)


async def _count_among_readers(
    ctx: ReactionContext, *, state: str, since: object, event_id: UUID | None = None
) -> None:
    """`state` reads what is distributed to member states only from the day `since` on."""
    day = date.fromisoformat(str(since)[:10])
    await record_admission(
        ctx.connection,
        state=state,
        admitted_at=datetime.combine(day, time(0, 0), tzinfo=UTC),
        event_id=event_id,
    )


@reactions.on("registry", "MemberAdmitted")
async def when_a_member_is_admitted_count_it_among_readers(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    data = event.data
    await _count_among_readers(
        ctx,
        state=data.get("state_code") or data["state"],
        since=data["admitted_on"],
        event_id=event.event_id,
    )


@reactions.on("registry", "FoundingMemberRegistered")
async def when_a_founding_member_is_registered_count_it_among_readers(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _count_among_readers(ctx, state=event.data["state"], since=event.data["member_since"])
