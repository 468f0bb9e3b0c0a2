"""Who is shown a document's symbol in meetings: those who may see the document, by the
distribution the documents service gave it (``DocumentDistributionNoted`` in the stream
``document-<base symbol>``, the latest noted; a document whose distribution the service never
learnt counts as member-states-only, what a meeting itself is), applied as the documents service
applies it. A document a caller may not see is absent from what meetings shows it, not named:

- an agenda item (or sub-item) stays, without the documents it may not see among those it
  considers, in every view of the agenda; the history of the revisions an item considered
  leaves them out too;
- a decision, a draft decision (with the objections and reservations placed on it) or a silence
  procedure on such a document is absent;
- an event that names such a document is absent from the feed and the live streams (the app's
  distribution hook requires of each event the distributions of the documents it names:
  `documents_named`).

Pure: events, states, and whether the caller sees a document (`Sees`) in; what it is shown
out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from services.meetings.considered import base_symbol
from services.meetings.domain import Decision, Meeting
from services.meetings.events import (
    AgendaAdopted,
    AgendaAmendedByDecision,
    AgendaDrafted,
    AgendaItem,
    AgendaRevised,
    ConsideredDocumentRevised,
    ConsideredDocumentSupplemented,
    DecisionProposed,
    DecisionRecorded,
    DocumentDistributionNoted,
    DocumentRef,
    DocumentSubject,
    SilenceProcedureStarted,
)
from shared.access.model import Distribution
from shared.eventstore import DomainEvent

STREAM_TYPE = "document"

Agenda = TypeVar("Agenda", AgendaDrafted, AgendaRevised, AgendaAdopted, AgendaAmendedByDecision)

Sees = Callable[[str], bool]
"""Whether the caller may see the document a symbol names (at any revision)."""


def document_stream(base: str) -> str:
    """The stream of the document `base` (a base symbol: ``SUM/2022/DRAFT/1``)."""
    return f"document-{base}"


# ------------------------------------------------------------------------------ noting


def distribution(events: Iterable[DomainEvent]) -> Distribution | None:
    """A document's distribution as last noted; None if the service never heard of it."""
    current = None
    for event in events:
        if isinstance(event, DocumentDistributionNoted):
            current = event.distribution
    return current


def note_distribution(
    events: Iterable[DomainEvent], *, symbol: str, noted: Distribution
) -> list[DocumentDistributionNoted]:
    """The document `symbol` (a base symbol) is distributed as `noted` from now on; noted so
    already, nothing."""
    if distribution(events) == noted:
        return []
    return [DocumentDistributionNoted(symbol=symbol, distribution=noted)]


# ------------------------------------------------------------------------------ what names what


def _considered(items: Iterable[AgendaItem]) -> Iterable[str]:
    for item in items:
        yield from (d.symbol for d in item.considers)
        for sub in item.sub_items:
            yield from (d.symbol for d in sub.considers)


def subject_document(subject: Any) -> str | None:
    """The symbol of the document a decision's subject is (as a model or as its JSON), if it
    is one."""
    if isinstance(subject, DocumentSubject):
        return subject.symbol
    if isinstance(subject, Mapping) and subject.get("kind") == "document":
        return str(subject["symbol"])
    return None


def documents_named(event: DomainEvent) -> set[str]:
    """The documents (base symbols) a meetings event names: the ones an agenda's items
    consider, the one a followed revision or supplement concerns, a decision's or a draft's
    subject, the one whose distribution is noted."""
    symbols: list[str | None] = []
    if isinstance(event, AgendaDrafted | AgendaRevised | AgendaAdopted | AgendaAmendedByDecision):
        symbols += _considered(event.items)
    elif isinstance(event, ConsideredDocumentRevised):
        symbols += [event.previous.symbol, event.current.symbol]
    elif isinstance(event, ConsideredDocumentSupplemented):
        symbols += [event.parent.symbol, event.added.symbol]
    elif isinstance(event, DecisionProposed | DecisionRecorded):
        symbols.append(subject_document(event.subject))
        symbols.append(event.recorded_in.symbol if event.recorded_in else None)
    elif isinstance(event, SilenceProcedureStarted):
        symbols.append(subject_document(event.draft.subject))
    elif isinstance(event, DocumentDistributionNoted):
        symbols.append(event.symbol)
    return {base_symbol(symbol)[0] for symbol in symbols if symbol is not None}


def documents_in(state: Meeting) -> set[str]:
    """Every document (base symbol) a meeting's state names, in any view of its agenda, its
    history and its decisions and drafts."""
    agendas = [state.circulated, *state.revisions, state.adopted, *state.amended_by]
    symbols = [
        *_considered(state.items),
        *(s for agenda in agendas if agenda is not None for s in _considered(agenda.items)),
        *(s for e in state.document_history for s in (e.previous.symbol, e.current.symbol)),
        *(subject_document(d.subject) for d in state.decisions),
        *(d.recorded_in.symbol for d in state.decisions if d.recorded_in is not None),
        *(subject_document(p.subject) for p in state.proposals.values()),
    ]
    return {base_symbol(symbol)[0] for symbol in symbols if symbol is not None}


# ------------------------------------------------------------------------------ what is shown


def considers_shown(considers: Iterable[DocumentRef], sees: Sees) -> tuple[DocumentRef, ...]:
    return tuple(d for d in considers if sees(d.symbol))


def items_shown(items: tuple[AgendaItem, ...], sees: Sees) -> tuple[AgendaItem, ...]:
    """`items` (and their sub-items), each without the documents the caller may not see."""
    return tuple(
        item.model_copy(update={
            "considers": considers_shown(item.considers, sees),
            "sub_items": tuple(
                sub.model_copy(update={"considers": considers_shown(sub.considers, sees)})
                for sub in item.sub_items
            ),
        })
        for item in items
    )


def subject_shown(subject: Any, sees: Sees) -> bool:
    """Whether the caller may be shown a decision or a draft on `subject`: not when it is a
    document it may not see."""
    symbol = subject_document(subject)
    return symbol is None or sees(symbol)


def record_shown(decision: Decision, sees: Sees) -> Decision:
    """A decision as the caller is shown it: without the document that records it when the
    caller may not see that document."""
    if decision.recorded_in is None or sees(decision.recorded_in.symbol):
        return decision
    return dataclasses.replace(decision, recorded_in=None)


def meeting_shown(state: Meeting, sees: Sees) -> Meeting:
    """The meeting as the caller is shown it: its agenda in every view without the documents
    it may not see, and without the decisions and drafts on them (nor what was placed on
    those)."""
    decisions = [record_shown(d, sees) for d in state.decisions if subject_shown(d.subject, sees)]
    proposals = {i: p for i, p in state.proposals.items() if subject_shown(p.subject, sees)}
    shown = {*proposals, *(d.decision_id for d in decisions)}

    def agenda(event: Agenda) -> Agenda:
        return event.model_copy(update={"items": items_shown(event.items, sees)})

    return dataclasses.replace(
        state,
        circulated=agenda(state.circulated) if state.circulated is not None else None,
        revisions=[agenda(r) for r in state.revisions],
        adopted=agenda(state.adopted) if state.adopted is not None else None,
        items=items_shown(state.items, sees),
        amended_by=[agenda(a) for a in state.amended_by],
        document_history=[e for e in state.document_history
                          if sees(e.previous.symbol) and sees(e.current.symbol)],
        decisions=decisions,
        proposals=proposals,
        objections={i: o for i, o in state.objections.items() if i in shown},
        withdrawals={i: w for i, w in state.withdrawals.items() if i in shown},
        reservations={i: r for i, r in state.reservations.items() if i in shown},
    )
