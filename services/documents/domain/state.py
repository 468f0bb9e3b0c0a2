"""A document as its events make it: a fold of its stream into its revisions (each with its
text in every language it has, its date, its originator and its own status), its amendments
and the decisions taken on it.

A revision, an amendment and an entry of the status history are frozen: applying an event
replaces them rather than changing them, so a copy of a document (`Document.copy`, which copies
only its lists and dicts) can be folded on without touching the document it was copied from
(the commands keep folded documents between commands: `shared.commands.Folds`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from services.documents.domain.errors import RevisionNotFoundError, RevisionNotHeldError
from services.documents.events import (
    AmendmentAction,
    AmendmentDeclined,
    AmendmentProposed,
    AmendmentWithdrawn,
    CompanionKind,
    CompanionRecorded,
    DistributionChanged,
    DocumentCirculated,
    DocumentStatusChanged,
    DocumentText,
    DocumentType,
    DraftCreated,
    DraftRevised,
    Status,
    SupplementKind,
    TranslationAdded,
)
from services.documents.symbols import Symbol, parse_symbol
from shared.access import Distribution
from shared.eventstore import DomainEvent


class LanguageStatus(StrEnum):
    """What a revision's text in one language is."""

    ORIGINAL = "original"
    """The language the document is written in."""
    OFFICIAL = "official"
    """A language version the Secretariat issues (with the revision, or added to it)."""
    UNOFFICIAL = "unofficial"
    """A translation for information: never to be taken for the official text."""


@dataclass(frozen=True, eq=False)
class Revision:
    """One revision of a document. Frozen, and the same only as itself (compared and hashed
    by identity): a change makes another."""

    number: int
    symbol: str
    text: DocumentText
    recorded_at: datetime | None
    basis: str = ""
    incorporates: tuple[UUID, ...] = ()
    held: bool = True
    """False for a revision from before the system (the document imported at a later one)."""
    dated: date | None = None
    """The date the revision bears (None in events from before revisions were dated: the day
    it was recorded)."""
    originator: str | None = None
    """Who issued it (None: not stated)."""
    declines: tuple[UUID, ...] = ()
    supersedes_amendments: tuple[UUID, ...] = ()
    status: Status = Status.DRAFT
    """This revision's own status: a decision is on one revision and stays with it."""
    unofficial: frozenset[str] = frozenset()
    """The languages its text is in by an unofficial translation only."""
    original: str = ""
    """The document's own language."""

    @property
    def languages(self) -> list[str]:
        return sorted(self.text.title)

    @property
    def unofficial_languages(self) -> list[str]:
        return sorted(self.unofficial)

    def language_status(self, language: str) -> LanguageStatus | None:
        """What its text in `language` is (None: it has none)."""
        if language not in self.text.title:
            return None
        if language == self.original:
            return LanguageStatus.ORIGINAL
        if language in self.unofficial:
            return LanguageStatus.UNOFFICIAL
        return LanguageStatus.OFFICIAL

    @property
    def day(self) -> date | None:
        """The date it bears: `dated`, else the day it was recorded (None if unknown)."""
        if self.dated is not None:
            return self.dated
        return self.recorded_at.date() if self.recorded_at is not None else None


class AmendmentStatus(StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"
    """By the state that proposed it."""
    DECLINED = "declined"
    """By the Secretariat, or by the revision that declined it."""
    INCORPORATED = "incorporated"
    """Taken into a revision."""
    SUPERSEDED = "superseded"
    """Still open when a new revision superseded the text it amends, which neither took it in
    nor declined it."""
    CLOSED_BY_ADOPTION = "closed_by_adoption"
    """Still open when the document was adopted."""


@dataclass(frozen=True)
class Amendment:
    id: UUID
    state: str
    revision: int
    paragraph_id: str
    action: AmendmentAction
    language: str
    text: str
    new_paragraph_id: str | None
    status: AmendmentStatus = AmendmentStatus.OPEN
    incorporated_in: int | None = None
    reason: str = ""
    settled_in: int | None = None
    """The revision whose recording (or adoption) ended it: incorporated, declined by it,
    superseded, or closed by the adoption."""

    @property
    def result_paragraph_id(self) -> str | None:
        """The paragraph it leaves in the text: the inserted one, the replaced one, none for a
        deletion."""
        if self.action is AmendmentAction.INSERT_AFTER:
            return self.new_paragraph_id
        if self.action is AmendmentAction.DELETE:
            return None
        return self.paragraph_id


@dataclass(frozen=True)
class StatusEntry:
    status: Status
    revision: int
    symbol: str
    body: str | None
    decision_id: UUID | None
    decided_on: str | None
    outcome: str | None
    recorded_at: datetime | None
    latest_revision: int | None = None
    """The document's latest revision when it was recorded (above `revision`: a decision on
    a superseded text)."""


@dataclass
class Document:
    symbol: Symbol
    document_type: DocumentType
    language: str
    distribution: Distribution
    created_at: datetime | None
    revisions: list[Revision] = field(default_factory=list)
    status_history: list[StatusEntry] = field(default_factory=list)
    amendments: dict[UUID, Amendment] = field(default_factory=dict)
    updated_at: datetime | None = None
    parent: str | None = None
    """The document an addendum or a corrigendum is issued to (its base symbol)."""
    circulations: list[DocumentCirculated] = field(default_factory=list)
    """Each circulation of a revision, in the order recorded."""
    companions: dict[CompanionKind, CompanionRecorded] = field(default_factory=dict)
    """The texts that accompany it (an explanatory note), by kind, in the order recorded."""

    @property
    def stream_id(self) -> str:
        return str(self.symbol.base)

    @property
    def supplement(self) -> SupplementKind | None:
        """What the document is to its parent: an addendum, a corrigendum, or neither."""
        if self.symbol.corr is not None:
            return SupplementKind.CORRIGENDUM
        if self.symbol.add is not None:
            return SupplementKind.ADDENDUM
        return None

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def current_symbol(self) -> str:
        return self.latest.symbol

    @property
    def status(self) -> Status:
        """The document's status: its latest revision's (a new revision after a
        recommendation is a draft again, for the body to consider the new text)."""
        return self.latest.status

    @property
    def editable(self) -> bool:
        return self.status not in (Status.ADOPTED, Status.WITHDRAWN)

    @property
    def adopted(self) -> Revision | None:
        """The revision adopted, if the document is."""
        return self.latest if self.latest.status is Status.ADOPTED else None

    @property
    def latest_decision(self) -> StatusEntry | None:
        return self.status_history[-1] if self.status_history else None

    @property
    def recommended_by(self) -> str | None:
        """The body that recommended the latest revision, while it stands recommended."""
        if self.status is not Status.RECOMMENDED:
            return None
        for entry in reversed(self.status_history):
            if entry.revision == self.latest.number and entry.status is Status.RECOMMENDED:
                return entry.body
        return None

    def revision(self, number: int) -> Revision:
        if not 0 <= number < len(self.revisions):
            raise RevisionNotFoundError(self.stream_id, number)
        found = self.revisions[number]
        if not found.held:
            imported_at = next(r.number for r in self.revisions if r.held)
            raise RevisionNotHeldError(self.stream_id, number, imported_at)
        return found

    def open_amendments(self) -> list[Amendment]:
        return [a for a in self.amendments.values() if a.status is AmendmentStatus.OPEN]

    # ------------------------------------------------------------------------- folding

    def copy(self) -> Document:
        """A document of its own to apply events to: its lists and dicts copied, what they
        hold shared (frozen, or events)."""
        return replace(
            self,
            revisions=list(self.revisions),
            status_history=list(self.status_history),
            amendments=dict(self.amendments),
            circulations=list(self.circulations),
            companions=dict(self.companions),
        )

    @classmethod
    def fold(
        cls,
        events: Iterable[DomainEvent | tuple[DomainEvent, datetime | None]],
        document: Document | None = None,
    ) -> Document | None:
        """The document the events describe (None for no events), or `document` with them
        applied (changed in place: give it a copy of its own)."""
        for item in events:
            event, at = item if isinstance(item, tuple) else (item, None)
            if isinstance(event, DraftCreated):
                symbol = parse_symbol(event.symbol)
                document = cls(
                    symbol=symbol,
                    document_type=event.document_type,
                    language=event.language,
                    distribution=event.distribution,
                    created_at=at,
                    updated_at=at,
                    parent=event.parent,
                )
                empty = DocumentText(title={})
                document.revisions.extend(
                    Revision(n, str(symbol.with_revision(n)), empty, None, held=False,
                             original=event.language)
                    for n in range(event.revision)
                )
                document.revisions.append(
                    Revision(
                        event.revision,
                        str(symbol.with_revision(event.revision)),
                        event.text,
                        at,
                        dated=event.dated,
                        originator=event.originator,
                        original=event.language,
                    )
                )
            elif document is None:
                raise ValueError(f"{type(event).__name__} before DraftCreated")
            else:
                document.apply(event, at)
        return document

    def apply(self, event: DomainEvent, at: datetime | None = None) -> None:
        self.updated_at = at
        if isinstance(event, DraftRevised):
            self.revisions.append(
                Revision(
                    event.revision, event.symbol, event.text, at, event.basis, event.incorporates,
                    dated=event.dated, originator=event.originator, declines=event.declines,
                    supersedes_amendments=event.supersedes_amendments, original=self.language,
                )
            )
            for ids, status in (
                (event.incorporates, AmendmentStatus.INCORPORATED),
                (event.declines, AmendmentStatus.DECLINED),
                (event.supersedes_amendments, AmendmentStatus.SUPERSEDED),
            ):
                self._settle(ids, status, event.revision)
            for amendment_id in event.incorporates:
                if amendment_id in self.amendments:
                    self.amendments[amendment_id] = replace(
                        self.amendments[amendment_id], incorporated_in=event.revision
                    )
        elif isinstance(event, TranslationAdded):
            revision = self.revisions[event.revision]
            self.revisions[event.revision] = replace(
                revision,
                text=with_translation(revision.text, event),
                unofficial=(
                    revision.unofficial - {event.language}
                    if event.official
                    else revision.unofficial | {event.language}
                ),
            )
        elif isinstance(event, DocumentStatusChanged):
            self.revisions[event.revision] = replace(
                self.revisions[event.revision], status=event.status
            )
            self.status_history.append(
                StatusEntry(
                    event.status,
                    event.revision,
                    self.revisions[event.revision].symbol,
                    event.body,
                    event.decision_id,
                    event.decided_on.isoformat() if event.decided_on else None,
                    event.outcome,
                    at,
                    event.latest_revision,
                )
            )
            if event.status is Status.ADOPTED:
                self._settle(
                    [a.id for a in self.open_amendments()],
                    AmendmentStatus.CLOSED_BY_ADOPTION,
                    event.revision,
                )
        elif isinstance(event, DistributionChanged):
            self.distribution = event.distribution
        elif isinstance(event, DocumentCirculated):
            self.circulations.append(event)
        elif isinstance(event, CompanionRecorded):
            self.companions[event.kind] = event
        elif isinstance(event, AmendmentProposed):
            self.amendments[event.amendment_id] = Amendment(
                event.amendment_id,
                event.state,
                event.revision,
                event.paragraph_id,
                event.action,
                event.language,
                event.text,
                event.new_paragraph_id,
            )
        elif isinstance(event, AmendmentWithdrawn):
            self.amendments[event.amendment_id] = replace(
                self.amendments[event.amendment_id], status=AmendmentStatus.WITHDRAWN
            )
        elif isinstance(event, AmendmentDeclined):
            self.amendments[event.amendment_id] = replace(
                self.amendments[event.amendment_id],
                status=AmendmentStatus.DECLINED,
                reason=event.reason,
            )

    def _settle(self, ids: Iterable[UUID], status: AmendmentStatus, revision: int) -> None:
        for amendment_id in ids:
            amendment = self.amendments.get(amendment_id)
            if amendment is not None:
                self.amendments[amendment_id] = replace(
                    amendment, status=status, settled_in=revision
                )


def fold_until_revision(
    events: Sequence[tuple[DomainEvent, datetime | None]], revision: int
) -> Document | None:
    """The document as it stood while `revision` was its latest: every event before the one
    that made the next revision."""
    cut = len(events)
    for index, (event, _) in enumerate(events):
        if isinstance(event, DraftRevised) and event.revision == revision + 1:
            cut = index
            break
    return Document.fold(events[:cut])


def with_translation(text: DocumentText, event: TranslationAdded) -> DocumentText:
    language = event.language

    def put(texts: dict[str, str], value: str) -> dict[str, str]:
        return {**texts, language: value}

    paragraphs = tuple(
        p.model_copy(
            update={
                "text": put(dict(p.text), event.paragraphs[p.id]),
                "items": tuple(
                    i.model_copy(update={"text": put(dict(i.text), event.items[i.id])})
                    for i in p.items
                ),
            }
        )
        for p in text.paragraphs
    )
    return text.model_copy(
        update={
            "title": put(dict(text.title), event.title),
            "opening": put(dict(text.opening), event.opening) if text.opening else {},
            "operative_heading": (
                put(dict(text.operative_heading), event.operative_heading)
                if text.operative_heading
                else {}
            ),
            "paragraphs": paragraphs,
        }
    )
