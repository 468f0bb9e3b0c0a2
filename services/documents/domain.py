"""The rules of a document's life: a fold of its events into state, and pure decisions that
turn a command into new events or an error (a `shared.domain` refusal, which knows nothing of
HTTP). No I/O here: test it with events in, events out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from services.documents.events import (
    AmendmentAction,
    AmendmentDeclined,
    AmendmentProposed,
    AmendmentWithdrawn,
    DistributionChanged,
    DocumentStatusChanged,
    DocumentText,
    DocumentType,
    DraftCreated,
    DraftRevised,
    Paragraph,
    Part,
    Status,
    SubItem,
    TranslationAdded,
)
from services.documents.symbols import Symbol, parse_symbol
from shared.access import Distribution
from shared.competence import check_competence
from shared.domain import (
    AwaitingError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
    RefusedError,
)
from shared.eventstore import DomainEvent

OFFICIAL_LANGUAGES = ("en", "ru", "kk")
"""The languages the Secretariat circulates every document in."""

PLACEHOLDER = re.compile(r"_{3,}|\\_(?:\\_)+|\[\s*(?:\.\.\.|…)\s*\]")
"""A blank still to be filled: "____ in 2024-2026" (or "[...]")."""


# ------------------------------------------------------------------------------ errors


class DocumentNotFoundError(NotFoundError, title="Document not found", rule="document-not-found"):
    def __init__(self, symbol: str) -> None:
        super().__init__(f"There is no document {symbol}.", symbol=symbol)


class RevisionNotFoundError(NotFoundError, title="Revision not found", rule="revision-not-found"):
    def __init__(self, symbol: str, revision: int) -> None:
        super().__init__(
            f"{symbol} has no revision {revision}.", symbol=symbol, revision=revision
        )


class RevisionNotHeldError(
    GoneError, title="Revision not held by the system", rule="revision-not-held"
):
    def __init__(self, symbol: str, revision: int, imported_at: int) -> None:
        super().__init__(
            f"{symbol} existed before the system and was imported at revision {imported_at}: "
            f"revision {revision} is not held by the system.",
            symbol=symbol,
            revision=revision,
            imported_at_revision=imported_at,
        )


class DocumentNotEditableError(
    RefusedError, title="Document not editable", rule="document-not-editable"
):
    def __init__(self, symbol: str, status: Status) -> None:
        super().__init__(
            f"{symbol} is {status.value}: its text is frozen, no further revision is taken.",
            symbol=symbol,
            document_status=status.value,
        )


class InvalidTextError(
    InvalidError, title="Invalid document text", rule="invalid-document-text"
): ...


class InvalidStatusChangeError(
    RefusedError, title="Status change not allowed", rule="status-change-not-allowed"
):
    def __init__(self, symbol: str, current: Status, wanted: Status) -> None:
        super().__init__(
            f"{symbol} is {current.value}; it cannot become {wanted.value}.",
            symbol=symbol,
            document_status=current.value,
            requested_status=wanted.value,
        )


class NoDecidingBodyError(InvalidError, title="No deciding body", rule="status-needs-a-body"):
    """A status that a body's decision gives (recommended, approved, adopted) names the body."""


class DocumentNotRecordedError(
    DocumentNotFoundError, AwaitingError, title="Document not recorded yet",
    rule="document-not-recorded",
):
    """A decision on a document this service does not hold yet: a reaction waits for it."""


class AmendmentNotFoundError(
    NotFoundError, title="Amendment not found", rule="amendment-not-found"
):
    def __init__(self, amendment_id: UUID) -> None:
        super().__init__(f"There is no amendment {amendment_id}.", amendment_id=str(amendment_id))


class AmendmentNotOpenError(RefusedError, title="Amendment not open", rule="amendment-not-open"):
    def __init__(self, amendment_id: UUID, status: str) -> None:
        super().__init__(
            f"Amendment {amendment_id} is {status}, no longer open.",
            amendment_id=str(amendment_id),
            amendment_status=status,
        )


class InvalidAmendmentError(InvalidError, title="Invalid amendment", rule="invalid-amendment"): ...


class NotTheProposerError(ForbiddenError, rule="not-the-proposer"):
    def __init__(self, amendment_id: UUID, proposer: str, state: str) -> None:
        super().__init__(
            f"Amendment {amendment_id} was proposed by {proposer}; only {proposer} may "
            f"withdraw it, not {state}.",
            amendment_id=str(amendment_id),
        )


class InvalidTranslationError(
    InvalidError, title="Invalid translation", rule="invalid-translation"
): ...


# ------------------------------------------------------------------------------- state


@dataclass
class Revision:
    number: int
    symbol: str
    text: DocumentText
    recorded_at: datetime | None
    basis: str = ""
    incorporates: tuple[UUID, ...] = ()
    held: bool = True
    """False for a revision from before the system (the document imported at a later one)."""
    dated: date | None = None
    """The date the revision bears when it is not the day it was recorded (an import)."""

    @property
    def languages(self) -> list[str]:
        return sorted(self.text.title)


@dataclass
class Amendment:
    id: UUID
    state: str
    revision: int
    paragraph_id: str
    action: AmendmentAction
    language: str
    text: str
    new_paragraph_id: str | None
    status: str = "open"
    """open, withdrawn, declined or incorporated"""
    incorporated_in: int | None = None
    reason: str = ""


@dataclass
class StatusEntry:
    status: Status
    revision: int
    body: str | None
    decision_id: UUID | None
    decided_on: str | None
    outcome: str | None
    recorded_at: datetime | None


@dataclass
class Document:
    symbol: Symbol
    document_type: DocumentType
    language: str
    distribution: Distribution
    created_at: datetime | None
    revisions: list[Revision] = field(default_factory=list)
    status: Status = Status.DRAFT
    status_history: list[StatusEntry] = field(default_factory=list)
    amendments: dict[UUID, Amendment] = field(default_factory=dict)
    updated_at: datetime | None = None

    @property
    def stream_id(self) -> str:
        return str(self.symbol.base)

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def current_symbol(self) -> str:
        return self.latest.symbol

    @property
    def editable(self) -> bool:
        return self.status not in (Status.ADOPTED, Status.WITHDRAWN)

    @property
    def recommended_by(self) -> str | None:
        for entry in reversed(self.status_history):
            if entry.status is Status.RECOMMENDED:
                return entry.body
            if entry.status is Status.DRAFT:
                return None
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
        return [a for a in self.amendments.values() if a.status == "open"]

    # ------------------------------------------------------------------------- folding

    @classmethod
    def fold(
        cls, events: Iterable[DomainEvent | tuple[DomainEvent, datetime | None]]
    ) -> Document | None:
        """The document the events describe (None for no events)."""
        document: Document | None = None
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
                )
                empty = DocumentText(title={})
                document.revisions.extend(
                    Revision(n, str(symbol.with_revision(n)), empty, None, held=False)
                    for n in range(event.revision)
                )
                document.revisions.append(
                    Revision(
                        event.revision,
                        str(symbol.with_revision(event.revision)),
                        event.text,
                        at,
                        dated=event.dated,
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
                    event.revision, event.symbol, event.text, at, event.basis, event.incorporates
                )
            )
            for amendment_id in event.incorporates:
                amendment = self.amendments.get(amendment_id)
                if amendment is not None:
                    amendment.status = "incorporated"
                    amendment.incorporated_in = event.revision
        elif isinstance(event, TranslationAdded):
            revision = self.revisions[event.revision]
            revision.text = with_translation(revision.text, event)
        elif isinstance(event, DocumentStatusChanged):
            self.status = event.status
            self.status_history.append(
                StatusEntry(
                    event.status,
                    event.revision,
                    event.body,
                    event.decision_id,
                    event.decided_on.isoformat() if event.decided_on else None,
                    event.outcome,
                    at,
                )
            )
        elif isinstance(event, DistributionChanged):
            self.distribution = event.distribution
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
            self.amendments[event.amendment_id].status = "withdrawn"
        elif isinstance(event, AmendmentDeclined):
            amendment = self.amendments[event.amendment_id]
            amendment.status = "declined"
            amendment.reason = event.reason


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


# ------------------------------------------------------------------------ numbering, points


def numbered(text: DocumentText) -> list[tuple[str, Paragraph]]:
    """Each paragraph with its number as it stands: PP1.., OP1.., or 1.. for plain ones."""
    counters = {Part.PREAMBLE: 0, Part.OPERATIVE: 0, Part.BODY: 0}
    prefix = {Part.PREAMBLE: "PP", Part.OPERATIVE: "OP", Part.BODY: ""}
    result = []
    for paragraph in text.paragraphs:
        counters[paragraph.part] += 1
        result.append((f"{prefix[paragraph.part]}{counters[paragraph.part]}", paragraph))
    return result


@dataclass(frozen=True)
class OpenPoint:
    paragraph_id: str
    number: str
    item_id: str | None
    language: str
    context: str


def open_points(text: DocumentText, language: str) -> list[OpenPoint]:
    """The blanks still open in the text ("____ in 2024-2026"), where they stand."""
    points = []
    for number, paragraph in numbered(text):
        places = [(None, paragraph.text.get(language, ""))] + [
            (item.id, item.text.get(language, "")) for item in paragraph.items
        ]
        for item_id, value in places:
            for match in PLACEHOLDER.finditer(value):
                start, end = max(0, match.start() - 40), min(len(value), match.end() + 40)
                points.append(
                    OpenPoint(paragraph.id, number, item_id, language, value[start:end].strip())
                )
    return points


# ------------------------------------------------------------------------------ decisions


def check_text(text: DocumentText, language: str) -> None:
    """A text is whole: unique ids, and every part in every language its title is in."""
    languages = set(text.title)
    if language not in languages:
        raise InvalidTextError(f"The title has no {language!r} text, the document's language.")
    seen: set[str] = set()

    def check(where: str, texts: dict[str, str], required: bool = True) -> None:
        if not texts and not required:
            return
        if set(texts) != languages:
            raise InvalidTextError(
                f"{where} is in {sorted(texts)}, the title in {sorted(languages)}: every part "
                "of a revision is in the same languages."
            )

    check("The opening", text.opening, required=False)
    check("The operative heading", text.operative_heading, required=False)
    for paragraph in text.paragraphs:
        for pid in [paragraph.id, *(item.id for item in paragraph.items)]:
            if pid in seen:
                raise InvalidTextError(f"The paragraph id {pid!r} appears twice.")
            seen.add(pid)
        check(f"Paragraph {paragraph.id}", paragraph.text)
        for item in paragraph.items:
            check(f"Item {item.id}", item.text)


def create_draft(
    *,
    symbol: Symbol,
    document_type: DocumentType,
    language: str,
    text: DocumentText,
    distribution: Distribution,
    revision: int = 0,
    dated: date | None = None,
) -> DraftCreated:
    """A new draft; with `revision` > 0, a document from before the system imported at that
    revision (the earlier ones recorded as not held)."""
    check_text(text, language)
    return DraftCreated(
        symbol=str(symbol.base),
        document_type=document_type,
        language=language,
        text=text,
        distribution=distribution,
        revision=revision,
        dated=dated,
    )


def revise(
    document: Document,
    *,
    text: DocumentText,
    incorporates: Sequence[UUID] = (),
    basis: str = "",
) -> DraftRevised:
    if not document.editable:
        raise DocumentNotEditableError(document.current_symbol, document.status)
    check_text(text, document.language)
    for amendment_id in incorporates:
        amendment = document.amendments.get(amendment_id)
        if amendment is None:
            raise AmendmentNotFoundError(amendment_id)
        if amendment.status != "open":
            raise AmendmentNotOpenError(amendment_id, amendment.status)
    number = document.latest.number + 1
    return DraftRevised(
        revision=number,
        symbol=str(document.symbol.with_revision(number)),
        text=text,
        incorporates=tuple(dict.fromkeys(incorporates)),
        basis=basis,
    )


def add_translation(
    document: Document,
    *,
    revision: int,
    language: str,
    title: str,
    opening: str = "",
    operative_heading: str = "",
    paragraphs: dict[str, str],
    items: dict[str, str] | None = None,
) -> TranslationAdded:
    text = document.revision(revision).text
    items = items or {}
    expected = {p.id for p in text.paragraphs}
    expected_items = {i.id for p in text.paragraphs for i in p.items}
    if set(paragraphs) != expected:
        missing = sorted(expected - set(paragraphs))
        extra = sorted(set(paragraphs) - expected)
        raise InvalidTranslationError(
            f"A language version translates every paragraph of revision {revision} and no "
            f"other: missing {missing}, unknown {extra}.",
            missing=missing,
            unknown=extra,
        )
    if set(items) != expected_items:
        raise InvalidTranslationError(
            f"A language version translates every sub-item of revision {revision}: expected "
            f"{sorted(expected_items)}, got {sorted(items)}."
        )
    if bool(text.opening) and not opening:
        raise InvalidTranslationError("The revision has an opening: translate it too.")
    if bool(text.operative_heading) and not operative_heading:
        raise InvalidTranslationError("The revision has an operative heading: translate it too.")
    return TranslationAdded(
        revision=revision,
        language=language,
        title=title,
        opening=opening if text.opening else "",
        operative_heading=operative_heading if text.operative_heading else "",
        paragraphs=paragraphs,
        items=items,
    )


# Which statuses may follow which: forward through the bodies, back to draft when a body
# decides to continue consideration; adopted and withdrawn are final.
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
    body: str | None = None,
    decision_id: UUID | None = None,
    session: str | None = None,
    decided_on: date | None = None,
    outcome: str | None = None,
    note: str = "",
) -> DocumentStatusChanged:
    """A status by a body's decision (or by hand: the outcome is then the status's). A
    recommendation, an approval or an adoption names the body that took it, and is one that
    body may take on this document (`shared.competence`: the SWG does not adopt, a document of
    the ``SUM/`` series is adopted by the Summit)."""
    decided = outcome or STATUS_OUTCOME.get(status)
    if decided in STATUS_OUTCOME.values():
        if body is None:
            raise NoDecidingBodyError(
                f"{document.current_symbol} becomes {status.value} by a body's decision: name "
                "the body.", symbol=document.current_symbol,
            )
        check_competence(body, {"kind": "document", "symbol": document.current_symbol},
                         decided)
    if status not in _NEXT[document.status]:
        raise InvalidStatusChangeError(document.current_symbol, document.status, status)
    return DocumentStatusChanged(
        status=status,
        revision=document.latest.number,
        body=body,  # type: ignore[arg-type]
        decision_id=decision_id,
        session=session,
        decided_on=decided_on,
        outcome=outcome,
        note=note,
    )


def status_for_decision(
    document: Document,
    *,
    outcome: str,
    body: str,
    decision_id: UUID,
    session: str | None,
    decided_on: date | None,
) -> DocumentStatusChanged | None:
    """What a body's decision on the document changes: None when it changes nothing
    (deferred, noted, continue consideration of a draft, or a decision already recorded)."""
    status = OUTCOME_STATUS.get(outcome)
    if status is None:
        return None
    if any(entry.decision_id == decision_id for entry in document.status_history):
        return None
    if status is Status.DRAFT and document.status is Status.DRAFT:
        return None
    return change_status(
        document,
        status,
        body=body,
        decision_id=decision_id,
        session=session,
        decided_on=decided_on,
        outcome=outcome,
    )


def change_distribution(
    document: Document, distribution: Distribution, *, reason: str = ""
) -> DistributionChanged | None:
    if distribution == document.distribution:
        return None
    return DistributionChanged(distribution=distribution, reason=reason)


def propose_amendment(
    document: Document,
    *,
    amendment_id: UUID,
    state: str,
    revision: int,
    paragraph_id: str,
    action: AmendmentAction,
    text: str = "",
    language: str | None = None,
    new_paragraph_id: str | None = None,
) -> AmendmentProposed:
    if not document.editable:
        raise DocumentNotEditableError(document.current_symbol, document.status)
    if amendment_id in document.amendments:
        raise InvalidAmendmentError(f"Amendment {amendment_id} exists already.")
    target = document.revision(revision)
    ids = {p.id for p in target.text.paragraphs}
    if paragraph_id not in ids:
        raise InvalidAmendmentError(
            f"Revision {revision} of {document.stream_id} has no paragraph {paragraph_id!r}.",
            paragraph_id=paragraph_id,
        )
    if action is AmendmentAction.DELETE and text:
        raise InvalidAmendmentError("A deletion carries no text.")
    if action is not AmendmentAction.DELETE and not text.strip():
        raise InvalidAmendmentError(f"An amendment that would {action.value} needs its text.")
    if action is AmendmentAction.INSERT_AFTER:
        new_paragraph_id = new_paragraph_id or f"am-{amendment_id.hex[:12]}"
    elif new_paragraph_id is not None:
        raise InvalidAmendmentError("Only an insertion names a new paragraph id.")
    return AmendmentProposed(
        amendment_id=amendment_id,
        state=state,
        revision=revision,
        paragraph_id=paragraph_id,
        action=action,
        language=language or document.language,
        text=text,
        new_paragraph_id=new_paragraph_id,
    )


def _open_amendment(document: Document, amendment_id: UUID) -> Amendment:
    amendment = document.amendments.get(amendment_id)
    if amendment is None:
        raise AmendmentNotFoundError(amendment_id)
    if amendment.status != "open":
        raise AmendmentNotOpenError(amendment_id, amendment.status)
    return amendment


def withdraw_amendment(document: Document, *, amendment_id: UUID, state: str) -> AmendmentWithdrawn:
    """Only the state that proposed an amendment withdraws it."""
    amendment = document.amendments.get(amendment_id)
    if amendment is None:
        raise AmendmentNotFoundError(amendment_id)
    if amendment.state != state:
        raise NotTheProposerError(amendment_id, amendment.state, state)
    _open_amendment(document, amendment_id)
    return AmendmentWithdrawn(amendment_id=amendment_id, state=state)


def decline_amendment(
    document: Document, *, amendment_id: UUID, reason: str = ""
) -> AmendmentDeclined:
    _open_amendment(document, amendment_id)
    return AmendmentDeclined(amendment_id=amendment_id, reason=reason)


def apply_amendments(text: DocumentText, amendments: Sequence[Amendment], language: str
                     ) -> DocumentText:
    """`text` with `amendments` taken in (in the given language): a helper for the Secretariat
    drafting the next revision."""
    paragraphs = list(text.paragraphs)
    for amendment in amendments:
        index = next(
            (i for i, p in enumerate(paragraphs) if p.id == amendment.paragraph_id), None
        )
        if index is None:
            continue
        target = paragraphs[index]
        if amendment.action is AmendmentAction.DELETE:
            del paragraphs[index]
        elif amendment.action is AmendmentAction.REPLACE:
            paragraphs[index] = target.model_copy(
                update={"text": {language: amendment.text}, "items": ()}
            )
        else:
            paragraphs.insert(
                index + 1,
                Paragraph(
                    id=amendment.new_paragraph_id or f"am-{amendment.id.hex[:12]}",
                    part=target.part,
                    text={language: amendment.text},
                    sponsors=(amendment.state,),
                ),
            )
    return text.model_copy(update={"paragraphs": tuple(paragraphs)})


# ------------------------------------------------------------------------- language versions


@dataclass(frozen=True)
class LanguageVersion:
    language: str
    revision: int
    """The newest revision that has a text in this language."""
    stale: bool
    """Older than the document's latest revision."""


def language_versions(document: Document) -> list[LanguageVersion]:
    newest: dict[str, int] = {}
    for revision in document.revisions:
        for language in revision.text.title:
            newest[language] = revision.number
    latest = document.latest.number
    return [
        LanguageVersion(language, number, number < latest)
        for language, number in sorted(newest.items())
    ]


@dataclass(frozen=True)
class TranslationNeed:
    language: str
    translated_revision: int | None
    paragraphs: tuple[str, ...]
    """The paragraphs (and sub-items) whose text is new or changed since that revision."""


def _source_texts(text: DocumentText, language: str) -> dict[str, str]:
    texts = {"title": text.title.get(language, "")}
    for paragraph in text.paragraphs:
        texts[paragraph.id] = paragraph.text.get(language, "")
        for item in paragraph.items:
            texts[item.id] = item.text.get(language, "")
    return texts


def translation_needs(
    document: Document, languages: Sequence[str] = OFFICIAL_LANGUAGES
) -> list[TranslationNeed]:
    """What needs translating for the latest revision: every official language (and any other
    the document has been in) that the latest revision lacks, with what changed since."""
    versions = {v.language: v for v in language_versions(document)}
    latest = document.latest
    source = _source_texts(latest.text, document.language)
    needs = []
    for language in sorted(set(languages) | set(versions)):
        version = versions.get(language)
        if version is not None and not version.stale:
            continue
        if version is None:
            changed = [pid for pid in source if pid != "title"]
        else:
            before = _source_texts(document.revision(version.revision).text, document.language)
            changed = [
                pid for pid, value in source.items() if pid != "title" and before.get(pid) != value
            ]
        needs.append(
            TranslationNeed(language, version.revision if version else None, tuple(changed))
        )
    return needs


__all__ = [
    "OFFICIAL_LANGUAGES",
    "Amendment",
    "Document",
    "Revision",
    "SubItem",
]
