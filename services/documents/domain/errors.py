"""The refusals of the documents service's rules: each a `shared.domain` kind (which the HTTP
layer maps to its status, once) naming its rule (the problem's type, ``/problems/<rule>``)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.documents.events import Status, SupplementKind
from shared.domain import (
    AwaitingError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
    RefusedError,
)

# ------------------------------------------------------------------------- the document


class DocumentNotFoundError(NotFoundError, title="Document not found", rule="document-not-found"):
    def __init__(self, symbol: str) -> None:
        super().__init__(f"There is no document {symbol}.", symbol=symbol)


class DocumentNotRecordedError(
    DocumentNotFoundError, AwaitingError, title="Document not recorded yet",
    rule="document-not-recorded",
):
    """A decision on a document this service does not hold yet: a reaction waits for it."""


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


class RevisionContradictsSymbolError(
    InvalidError, title="Revision contradicts the symbol", rule="revision-contradicts-symbol"
):
    """A request names its revision twice, by the symbol's /Rev.N and by a revision number,
    and the two differ (``.../Rev.8/status`` with ``"revision": 7``)."""

    def __init__(self, symbol: str, named: int, revision: int) -> None:
        super().__init__(
            f"{symbol} is revision {named}, yet revision {revision} is asked for.",
            symbol=symbol,
            revision=revision,
        )


class SymbolNotInSeriesError(
    InvalidError, title="Symbol not in its series", rule="symbol-not-in-series"
):
    """A document imported under its own symbol is a document of the series it names."""

    def __init__(self, symbol: str, series: str) -> None:
        super().__init__(
            f"{symbol} is not a document of the series {series}.", symbol=symbol, series=series
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


# ------------------------------------------------------------------------------ texts


class InvalidTextError(
    InvalidError, title="Invalid document text", rule="invalid-document-text"
): ...


class InvalidOriginatorError(InvalidError, title="Invalid originator", rule="invalid-originator"):
    """Who issued a text is said in a few words: not blank, not a page."""


class DatedBeforePreviousRevisionError(
    InvalidError, title="Dated before the revision it supersedes",
    rule="dated-before-previous-revision",
):
    def __init__(self, symbol: str, dated: date, previous: str, previous_dated: date) -> None:
        super().__init__(
            f"{symbol} cannot be dated {dated.isoformat()}: it supersedes {previous}, dated "
            f"{previous_dated.isoformat()}.",
            dated=dated.isoformat(),
            previous_revision_dated=previous_dated.isoformat(),
        )


class SupplementNotImportedError(
    InvalidError, title="A supplement is not imported", rule="supplement-not-imported"
):
    """An addendum or a corrigendum is issued to its document, never imported on its own."""

    def __init__(self, symbol: str) -> None:
        super().__init__(
            f"{symbol} is an addendum or a corrigendum: it is not imported, it is issued to its "
            "document (POST /documents/{symbol}/addenda or /corrigenda).",
            symbol=symbol,
        )


class UndatedImportError(
    InvalidError, title="Import without its date", rule="import-needs-its-date"
):
    """A document from before the system is imported with the date it bears."""


class DatedInTheFutureError(InvalidError, title="Dated in the future", rule="dated-in-the-future"):
    def __init__(self, dated: date, latest: date) -> None:
        super().__init__(
            f"A text recorded now cannot be dated {dated.isoformat()}: it is not "
            f"{latest.isoformat()} anywhere on earth yet.",
            dated=dated.isoformat(),
        )


# ----------------------------------------------------------------------------- status


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


class SupersededRevisionError(
    RefusedError, title="Revision superseded", rule="revision-superseded"
):
    """An act that only the text in force may take (an adoption, a withdrawal of the document,
    an amendment) names a revision that a newer one supersedes."""

    def __init__(self, detail: str, *, symbol: str, latest: str) -> None:
        super().__init__(detail, symbol=symbol, latest_symbol=latest)


class AdoptionOfSupersededRevisionError(
    SupersededRevisionError, title="Adoption of a superseded revision",
    rule="adoption-of-superseded-revision",
):
    def __init__(self, symbol: str, latest: str, status: Status) -> None:
        super().__init__(
            f"{symbol} cannot become {status.value}: {latest} supersedes it. A document is "
            f"adopted (or withdrawn) in the text in force; a decision on {symbol} does not "
            f"carry over to {latest}.",
            symbol=symbol,
            latest=latest,
        )


# ------------------------------------------------------------------------- amendments


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


class AmendmentToSupersededRevisionError(
    SupersededRevisionError, title="Amendment to a superseded revision",
    rule="amendment-to-superseded-revision",
):
    def __init__(self, symbol: str, latest: str) -> None:
        super().__init__(
            f"{symbol} is superseded by {latest}: an amendment proposes new words for the text "
            f"in force, {latest}.",
            symbol=symbol,
            latest=latest,
        )


class NotTheProposerError(ForbiddenError, rule="not-the-proposer"):
    def __init__(self, amendment_id: UUID, proposer: str, state: str) -> None:
        super().__init__(
            f"Amendment {amendment_id} was proposed by {proposer}; only {proposer} may "
            f"withdraw it, not {state}.",
            amendment_id=str(amendment_id),
        )


# ----------------------------------------------------------------------- translations


class InvalidTranslationError(
    InvalidError, title="Invalid translation", rule="invalid-translation"
): ...


class TranslationInOriginalLanguageError(
    InvalidError, title="Translation in the original language",
    rule="translation-in-original-language",
):
    def __init__(self, symbol: str, language: str) -> None:
        super().__init__(
            f"{symbol} is written in {language!r}: a translation is in another language (the "
            "original text changes only by a new revision).",
            symbol=symbol,
            language=language,
        )


class OfficialVersionRecordedError(
    RefusedError, title="Official language version recorded", rule="official-version-recorded"
):
    def __init__(self, symbol: str, language: str) -> None:
        super().__init__(
            f"{symbol} has an official {language!r} version: an unofficial translation does "
            "not replace it.",
            symbol=symbol,
            language=language,
        )


class AdoptedTextUnchangedError(
    RefusedError, title="Adopted text unchanged", rule="adopted-text-unchanged"
):
    """An adopted text never changes: neither a language version it has, nor another revision
    of the adopted document."""

    def __init__(self, detail: str, *, symbol: str, language: str) -> None:
        super().__init__(detail, symbol=symbol, language=language)


class AdoptedTextOfficialVersionsOnlyError(
    RefusedError, title="Adopted text takes official versions only",
    rule="adopted-text-official-versions-only",
):
    def __init__(self, symbol: str, language: str) -> None:
        super().__init__(
            f"{symbol} is adopted: it takes official language versions only (an unofficial "
            f"{language!r} translation would stand in the way of the official one).",
            symbol=symbol,
            language=language,
        )


# ----------------------------------------------------------------- addenda and corrigenda


class ParentDocumentNotFoundError(
    NotFoundError, title="Parent document not found", rule="parent-document-not-found"
):
    """An addendum or a corrigendum is issued to a document the service holds."""

    def __init__(self, parent: str, kind: SupplementKind) -> None:
        super().__init__(
            f"There is no document {parent}: an {kind.value} is issued to a document the "
            "service holds.",
            symbol=parent,
        )


class SupplementOfSupplementError(
    InvalidError, title="Addendum or corrigendum to a supplement",
    rule="supplement-of-a-supplement",
):
    def __init__(self, parent: str, kind: SupplementKind) -> None:
        super().__init__(
            f"{parent} takes no {kind.value}: an addendum is issued to a document, not to an "
            "addendum or a corrigendum; a corrigendum corrects a document or an addendum, not "
            "another corrigendum.",
            symbol=parent,
        )


class SupplementBeforeItsParentError(
    InvalidError, title="Dated before its parent", rule="supplement-dated-before-its-parent"
):
    """An addendum or a corrigendum adds to or corrects a text that exists: it bears no date
    before the earliest date its parent bears."""

    def __init__(self, parent: str, kind: SupplementKind, dated: date, parent_dated: date) -> None:
        super().__init__(
            f"{parent} bears the date {parent_dated.isoformat()}: an {kind.value} to it is not "
            f"dated {dated.isoformat()}.",
            symbol=parent,
            dated=dated.isoformat(),
            parent_dated=parent_dated.isoformat(),
        )


# ------------------------------------------------------------------------- circulation


class CirculatedBeforeItsDateError(
    InvalidError, title="Circulated before its date", rule="circulated-before-its-date"
):
    def __init__(self, symbol: str, dated: date, revision_dated: date) -> None:
        super().__init__(
            f"{symbol} bears the date {revision_dated.isoformat()}: it was not circulated on "
            f"{dated.isoformat()}.",
            symbol=symbol,
            dated=dated.isoformat(),
            revision_dated=revision_dated.isoformat(),
        )


class AlreadyCirculatedError(
    RefusedError, title="Already circulated", rule="already-circulated"
):
    def __init__(
        self, symbol: str, dated: date, languages: list[str], notes: list[str]
    ) -> None:
        under = f" (note {', '.join(notes)})" if notes else ""
        super().__init__(
            f"{symbol} was circulated on {dated.isoformat()} in {', '.join(languages)}"
            f"{under} already: a revision is circulated once a day in each language version.",
            symbol=symbol,
            dated=dated.isoformat(),
            languages=languages,
            notes=notes,
        )


# -------------------------------------------------------------------------- companions


class CompanionNotFoundError(
    NotFoundError, title="Companion text not found", rule="companion-not-found"
):
    def __init__(self, symbol: str, kind: str) -> None:
        super().__init__(
            f"{symbol} has no {kind.replace('_', ' ')}.", symbol=symbol, kind=kind
        )


class InvalidCompanionError(
    InvalidError, title="Invalid companion text", rule="invalid-companion-text"
):
    """A companion text is whole: a title in the document's own language at least, and each
    paragraph in the languages of its title, none blank."""


class CompanionDatedBeforeItsDocumentError(
    InvalidError, title="Companion dated before its document",
    rule="companion-dated-before-its-document",
):
    """A text that accompanies a revision is issued with it or after it, not before the date
    the revision bears."""

    def __init__(self, symbol: str, kind: str, dated: date, revision_dated: date) -> None:
        super().__init__(
            f"{symbol} bears the date {revision_dated.isoformat()}: its "
            f"{kind.replace('_', ' ')} is not dated {dated.isoformat()}.",
            symbol=symbol,
            kind=kind,
            dated=dated.isoformat(),
            revision_dated=revision_dated.isoformat(),
        )


class CompanionRecordedError(
    RefusedError, title="Companion text recorded", rule="companion-recorded"
):
    """A document has one text of each kind: the one recorded stands (sending it again, the
    same, records nothing)."""

    def __init__(self, symbol: str, kind: str) -> None:
        super().__init__(
            f"{symbol} has its {kind.replace('_', ' ')} already, with another text: a "
            "document has one of each kind.",
            symbol=symbol,
            kind=kind,
        )
