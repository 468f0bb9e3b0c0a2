"""A revision's status: by a body's decision on it (a `DecisionRecorded` the meetings service
publishes), or recorded by hand. A status belongs to the revision decided: a decision on a
revision since superseded stays with it, and the document's status is its latest revision's.
An adoption (or a withdrawal) is of the text in force only."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.documents.domain.errors import (
    AdoptionOfSupersededRevisionError,
    InvalidStatusChangeError,
    NoDecidingBodyError,
)
from services.documents.domain.state import Document
from services.documents.events import DocumentStatusChanged, Status
from shared.competence import check_competence

# Which statuses may follow which on a revision: forward through the bodies, back to draft
# when a body decides to continue consideration; adopted and withdrawn are final.
_NEXT: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset(
        {Status.RECOMMENDED, Status.APPROVED, Status.ADOPTED, Status.WITHDRAWN}
    ),
    Status.RECOMMENDED: frozenset(
        {Status.DRAFT, Status.RECOMMENDED, Status.APPROVED, Status.ADOPTED, Status.WITHDRAWN}
    ),
    Status.APPROVED: frozenset(
        {Status.DRAFT, Status.RECOMMENDED, Status.ADOPTED, Status.WITHDRAWN}
    ),
    Status.ADOPTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

FINAL = frozenset({Status.ADOPTED, Status.WITHDRAWN})
"""The statuses that end a document's life: taken on the text in force only."""

OUTCOME_STATUS: dict[str, Status] = {
    "recommended_for_adoption": Status.RECOMMENDED,
    "approved": Status.APPROVED,
    "adopted": Status.ADOPTED,
    "continue_consideration": Status.DRAFT,
}
"""A body's decision on a document, as the status it gives it. Deferred and noted change
nothing."""

STATUS_OUTCOME: dict[Status, str] = {
    Status.RECOMMENDED: "recommended_for_adoption",
    Status.APPROVED: "approved",
    Status.ADOPTED: "adopted",
}
"""The outcome a status recorded by hand stands for: the decision it rests on."""


def change_status(
    document: Document,
    status: Status,
    *,
    revision: int | None = None,
    body: str | None = None,
    decision_id: UUID | None = None,
    session: str | None = None,
    decided_on: date | None = None,
    outcome: str | None = None,
    note: str = "",
) -> DocumentStatusChanged:
    """A status of `revision` (the latest if None) by a body's decision (or by hand: the
    outcome is then the status's). A recommendation, an approval or an adoption names the body
    that took it, and is one that body may take on this document (`shared.competence`: the SWG
    does not adopt, a document of the ``SUM/`` series is adopted by the Summit). A decision on
    a superseded revision is recorded on it, and leaves the document's status (its latest
    revision's) as it is; an adoption or a withdrawal of a superseded revision is refused."""
    target = document.revision(document.latest.number if revision is None else revision)
    decided = outcome or STATUS_OUTCOME.get(status)
    if decided in STATUS_OUTCOME.values():
        if body is None:
            raise NoDecidingBodyError(
                f"{target.symbol} becomes {status.value} by a body's decision: name the body.",
                symbol=target.symbol,
            )
        check_competence(body, {"kind": "document", "symbol": target.symbol}, decided)
    if not document.editable:
        raise InvalidStatusChangeError(document.current_symbol, document.status, status)
    if target is not document.latest and status in FINAL:
        raise AdoptionOfSupersededRevisionError(target.symbol, document.current_symbol, status)
    if status not in _NEXT[target.status]:
        raise InvalidStatusChangeError(target.symbol, target.status, status)
    closes = (
        tuple(a.id for a in document.open_amendments()) if status is Status.ADOPTED else ()
    )
    return DocumentStatusChanged(
        status=status,
        revision=target.number,
        latest_revision=document.latest.number,
        body=body,  # type: ignore[arg-type]
        decision_id=decision_id,
        session=session,
        decided_on=decided_on,
        outcome=outcome,
        note=note,
        closes_amendments=closes,
    )


def status_for_decision(
    document: Document,
    *,
    revision: int,
    outcome: str,
    body: str,
    decision_id: UUID,
    session: str | None,
    decided_on: date | None,
) -> DocumentStatusChanged | None:
    """What a body's decision on `revision` of the document changes: None when it changes
    nothing (deferred, noted, continue consideration of a draft, or a decision already
    recorded)."""
    status = OUTCOME_STATUS.get(outcome)
    if status is None:
        return None
    if any(entry.decision_id == decision_id for entry in document.status_history):
        return None
    if status is Status.DRAFT and document.revision(revision).status is Status.DRAFT:
        return None
    return change_status(
        document,
        status,
        revision=revision,
        body=body,
        decision_id=decision_id,
        session=session,
        decided_on=decided_on,
        outcome=outcome,
    )
