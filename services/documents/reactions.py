"""The documents service's policies on other services' events.

- The meetings service's `DecisionRecorded` on a document (SOC recommends, Summit adopts)
  changes the status of the revision its subject names (``SUM/2022/DRAFT/1/Rev.8``: revision
  8; no ``/Rev.N``: the original, revision 0): a `DocumentStatusChanged` on that revision,
  caused by that decision. A decision on a revision since superseded is recorded on it and
  does not carry over to the newer text. The domain checks it as it checks a status recorded
  by hand: a decision outside the body's competence, one the document's life cannot take
  (adopted already), or an adoption of a superseded revision
  (``adoption-of-superseded-revision``: the body adopted a text that is no longer the one in
  force) is refused, and the consumer parks it with the rule that refused it, for the
  Secretariat to look into; a decision on a document not imported yet waits for it (parked as
  waiting, applied once the document is there).
- The registry's membership events (`REGISTRY_MEMBERSHIP_EVENTS`: `FoundingMemberRegistered`,
  `MemberAdmitted`, `MembershipSuspended`, `MembershipReinstated`, `MemberWithdrew`) are
  recorded, each with the day it takes effect, in the kit's ``membership_changes``: a state
  reads what is distributed to member states only while it is a member (from its founding or
  admission on; not from its suspension until its reinstatement; not from its withdrawal on).
  A restricted distribution names its readers: a state it names reads the document whether or
  not it is a member (`shared.access.distribution`).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.documents import domain
from services.documents.domain import Document
from services.documents.events import STREAM_TYPE, DocumentStatusChanged
from services.documents.symbols import SymbolError, parse_symbol
from shared.access import record_membership_event
from shared.commands import History
from shared.competence import check_competence
from shared.consumers import ReactionContext, Reactions
from shared.domain import InvalidError
from shared.envelope import ForeignEvent

reactions = Reactions("documents")


@reactions.on("meetings", "DecisionRecorded")
async def when_a_body_decides_on_a_document_change_its_status(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    data = event.data
    subject = data["subject"]  # v1 and later (its fields only grow)
    if subject.get("kind") != "document":
        return
    try:
        symbol = parse_symbol(subject["symbol"])
    except SymbolError as error:
        raise NotASymbolError(str(error), symbol=subject["symbol"]) from error
    stream_id = str(symbol.base)

    def decide(history: History) -> DocumentStatusChanged | None:
        document = Document.fold(history.timed())
        if document is None:  # refused if no body may take it, else it waits for the document
            check_competence(data["body"], subject, data["outcome"])
            raise domain.DocumentNotRecordedError(stream_id)
        return domain.status_for_decision(
            document,
            revision=symbol.rev or 0,
            outcome=data["outcome"],
            body=data["body"],
            decision_id=UUID(data["decision_id"]),
            session=data.get("session"),
            decided_on=(
                date.fromisoformat(data["decided_on"]) if data.get("decided_on") else None
            ),
        )

    await ctx.decide_and_append(stream_id, STREAM_TYPE, decide)


class NotASymbolError(InvalidError, title="Not a document symbol", rule="not-a-symbol"):
    """The decision names a symbol no document can have."""


@reactions.on("registry", "FoundingMemberRegistered")
@reactions.on("registry", "MemberAdmitted")
@reactions.on("registry", "MembershipSuspended")
@reactions.on("registry", "MembershipReinstated")
@reactions.on("registry", "MemberWithdrew")
async def when_a_states_membership_changes_record_it_for_distribution(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await record_membership_event(ctx.connection, event)
