"""The bodies and answers of the notifications service's HTTP API, each with its example
(`examples`): member states, registers of notes, notes verbales (issued and on record),
notices, receipts and the inbox (`api`); ministry endpoints and deliveries (`delivery_api`).
And how a message, a read model's row or a stream's record is shaped into its answer, in the
languages a reader asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.notifications import commands, domain, examples, queries, templates
from services.notifications.events import (
    NEW_REGISTER_NAME,
    Citation,
    Enclosure,
    LanguageTag,
    NoteRecordedByReference,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    Office,
    ReceiptAcknowledged,
    Texts,
)
from shared.access import StateCode
from shared.eventstore import RecordedEvent
from shared.http.pages import NextAfter, Page
from shared.http.params import Day

RegistersAfter = queries.REGISTERS_ORDER.parameter(example=examples.REGISTERS_AFTER)
NotesAfter = queries.NOTES_ORDER.parameter(example=examples.NOTES_AFTER)
MessagesAfter = queries.MESSAGES_ORDER.parameter(example=examples.MESSAGES_AFTER)
EndpointsAfter = queries.ENDPOINTS_ORDER.parameter(example=examples.ENDPOINTS_AFTER)
DeliveriesAfter = queries.DELIVERIES_ORDER.parameter(example=examples.DELIVERIES_AFTER)
"""The cursors of `/registers`, `/notes` (register order), `/notices` (the order of issue),
`/endpoints` and `/deliveries`."""


def answer_examples(*examples_: Any) -> ConfigDict:
    """The config of an answer model: its examples."""
    return ConfigDict(json_schema_extra={"examples": list(examples_)})


def body_examples(*examples_: Any) -> ConfigDict:
    """The config of a body model: no field but its own, and its examples."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples_)})


def _in_languages(message: Mapping[str, Any], languages: Sequence[str] | None) -> dict[str, Any]:
    """A message's fields (a note's, a notice's, an inbox row's), its subject, text and
    languages in `languages` (all if None), in the message's own order of languages (the read
    model's JSON keeps its keys in an order of its own)."""
    own = list(message["languages"])

    def chosen(texts: Mapping[str, str]) -> dict[str, str]:
        ordered = [*own, *sorted(set(texts) - set(own))]
        return {
            lang: texts[lang]
            for lang in ordered
            if lang in texts and (not languages or lang in languages)
        }

    return {
        **message,
        "subject": chosen(message["subject"]),
        "text": chosen(message["text"]),
        "languages": [lang for lang in own if not languages or lang in languages],
    }


# ------------------------------------------------------------------------------ member states


class MemberStateOut(BaseModel):
    state: str
    member_since: date | None = Field(
        description="the first day it was a member (null: a change noted before its membership)"
    )
    admitted: bool = Field(description="admitted by the registry (false: a founding member)")
    status: Literal["member", "suspended", "withdrawn"] = Field(
        description="as its last change of membership (by effective date) leaves it"
    )
    status_since: date = Field(description="the day that status takes effect")


class MemberStatesOut(BaseModel):
    model_config = answer_examples(examples.MEMBER_STATES)

    count: int
    member_states: list[MemberStateOut]

    @classmethod
    def of(cls, rows: Sequence[Any]) -> MemberStatesOut:
        """From the rows of `queries.member_states`."""
        states = [MemberStateOut.model_validate(dict(r._mapping)) for r in rows]
        return cls(count=len(states), member_states=states)


# ------------------------------------------------------------------------------ registers


class RegisterIn(BaseModel):
    """A register of notes to open: one count that its `prefixes` share, for its `year`."""

    model_config = body_examples(examples.REGISTER_IN)

    name: str = Field(
        pattern=NEW_REGISTER_NAME,
        max_length=67,
        examples=["2022"],
        description="its name: the year it counts, say (`2022`)",
    )
    prefixes: list[Office] = Field(
        min_length=1,
        max_length=50,
        description="the prefixes whose notes it numbers, one count for all (SOC/OI, IO): a "
        "prefix belongs to one register a year (409 `prefix-in-another-register`)",
    )
    year: int | None = Field(
        ge=1992,
        le=9999,
        description="the year whose notes it numbers (the count restarts each year); null: a "
        "count that never restarts",
    )
    next_number: int = Field(
        ge=1, le=999_999_999, description="the number the register's next issued note takes"
    )


class RegisterOut(BaseModel):
    model_config = answer_examples(examples.REGISTER)

    name: str
    prefixes: list[str]
    year: int | None
    first_number: int = Field(description="the number its first issued note took")
    next_number: int
    issued: int = Field(description="notes issued by the service")
    on_record: int = Field(description="notes known by reference (`POST /notes/on-record`)")
    last_number: str | None = Field(description="the last note issued")
    version: int = Field(
        description="the register's stream version: send it as If-Match to issue a note only "
        "if no other note was issued or recorded in the register since"
    )


class RegistersOut(BaseModel):
    model_config = answer_examples({"registers": [examples.REGISTER], "next_after": None})

    registers: list[RegisterOut]
    next_after: NextAfter

    @classmethod
    def of(cls, page: Page[Any]) -> RegistersOut:
        """From a page of `queries.registers`."""
        return cls(
            registers=[RegisterOut.model_validate(dict(r._mapping)) for r in page.items],
            next_after=page.next_after,
        )


# ------------------------------------------------------------------------------ notes


class EnclosureIn(Enclosure):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": examples.ENCLOSURES}
    )


def _given(name: str) -> dict[str, Any]:
    """The JSON Schema of an object whose member `name` is there and not null."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


class NoteIn(BaseModel):
    """A note verbale to issue: from structured `content` (the templates add the diplomatic
    formulas in each of its languages) or with its full `text` per language, one of the two."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [examples.NOTE_IN],
            "oneOf": [_given("content"), _given("text")],
        },
    )

    note_id: UUID = Field(
        default_factory=uuid4,
        description="sending the same id again issues nothing and answers the note issued under it",
    )
    office: Office = Field(
        examples=[examples.OFFICE],
        description="the note's prefix: the register that numbers its notes of the year the "
        "note is dated gives the number (422 `prefix-not-in-a-register` if none does)",
    )
    place: str = Field(default="Astana", min_length=1, max_length=100, examples=["Astana"])
    dated: Day = Field(default_factory=lambda: datetime.now(UTC).date())
    subject: Texts = Field(
        default_factory=dict,
        description="a subject line, if the note has one (SOC/OI/1280 has none), in every "
        "language of its text",
    )
    content: templates.NoteContent | None = None
    text: Texts | None = Field(
        default=None,
        min_length=1,
        description="the full text per language, formulas included; instead of `content`",
    )
    enclosures: list[EnclosureIn] = Field(
        default_factory=list,
        max_length=100,
        description="documents enclosed, by symbol: each recipient must be able to read each "
        "one whose distribution the service knows",
    )
    pages: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        examples=[10],
        description="the pages enclosed in all (`Enclosure: as stated, on 10 p.`); if absent, "
        "the sum of the enclosures' own pages when each gives them",
    )
    recipients: list[StateCode] | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="the states addressed (a non-member too); if absent, every state that is a "
        "member on the day the note is dated",
    )
    corrects: str | None = Field(
        default=None,
        max_length=60,
        pattern=domain.NOTE_NUMBER,
        examples=[examples.NOTE_1280],
        description="the number of the note this one corrects",
    )

    @model_validator(mode="after")
    def _content_or_text(self) -> NoteIn:
        if (self.content is None) == (self.text is None):
            raise ValueError("send either `content` (structured) or `text` (full), not both")
        return self

    def issued_enclosures(self) -> tuple[Enclosure, ...]:
        return tuple(Enclosure.model_validate(e.model_dump()) for e in self.enclosures)

    def issued_text(self) -> Texts:
        """The note's whole text: as given, or written by the templates from `content`."""
        if self.content is None:
            assert self.text is not None
            return self.text
        return templates.render(
            self.content,
            place=self.place,
            dated=self.dated,
            pages=domain.enclosed_pages(self.issued_enclosures(), self.pages),
            addressed_to_all_members=self.recipients is None,
        )


class NoteOnRecordIn(BaseModel):
    """A note the service did not issue, known from a source that cites it: its number, its
    date and what the source says of it (no text, no recipients: the record has neither)."""

    model_config = body_examples(*examples.NOTES_ON_RECORD_IN)

    number: str = Field(
        max_length=60, pattern=domain.NOTE_NUMBER, examples=[examples.NOTE_88],
        description="its number: the register of its prefix for its year numbers it, below the "
        "register's next number (422 `number-beyond-the-register`), once (409 `number-taken`)",
    )  # fmt: skip
    dated: Day = Field(
        description="its date, as cited: in the register's order (409 `register-order`)"
    )
    subject: Texts = Field(
        min_length=1,
        description="what the citing source says the note is about, in its words and language",
    )
    cited_in: Citation = Field(description="the source that cites it, and where")


class NoteOut(BaseModel):
    """A note of a register: `issued` by the service (its text, enclosures and recipients), or
    `on_record`, known by reference from the source `cited_in` (no text, no recipients, never
    delivered; `place`, `issued_at` null)."""

    model_config = answer_examples(examples.NOTE, examples.NOTE_ON_RECORD)

    note_id: UUID
    kind: Literal["issued", "on_record"]
    number: str
    key: str = Field(description="the number as the note's path names it")
    office: str = Field(description="its prefix")
    register_name: str = Field(description="the register that numbers it")
    sequence: int
    place: str | None
    dated: date
    subject: dict[str, str]
    text: dict[str, str]
    languages: list[str]
    enclosures: list[Enclosure]
    pages: int | None = Field(description="the pages enclosed in all")
    recipients: list[str]
    addressed_to_all_members: bool
    corrects: str | None
    issued_at: datetime | None
    cited_in: Citation | None = Field(description="where a source cites a note on record")

    @classmethod
    def of(
        cls,
        note: NoteVerbaleIssued | NoteRecordedByReference,
        languages: Sequence[str] | None = None,
    ) -> NoteOut:
        key = domain.key_of_number(note.number)
        if isinstance(note, NoteRecordedByReference):
            values = {
                **note.model_dump(exclude={"recorded_at"}),
                "kind": "on_record",
                "place": None,
                "text": {},
                "languages": list(note.subject),
                "enclosures": [],
                "pages": None,
                "recipients": [],
                "addressed_to_all_members": False,
                "corrects": None,
                "issued_at": None,
            }
        else:
            values = {**note.model_dump(), "kind": "issued", "cited_in": None}
        return cls.model_validate({**_in_languages(values, languages), "key": key})


class NotesOut(BaseModel):
    model_config = answer_examples(
        {"notes": [examples.NOTE_ON_RECORD, examples.NOTE], "next_after": None}
    )

    notes: list[NoteOut]
    next_after: NextAfter


# ------------------------------------------------------------------------------ notices


class NoticeOut(BaseModel):
    model_config = answer_examples(examples.NOTICE)

    notice_id: UUID
    kind: NoticeKind
    subject: dict[str, str]
    text: dict[str, str]
    languages: list[str]
    recipients: list[str]
    reference: str
    issued_at: datetime

    @classmethod
    def of(cls, notice: NoticeIssued, languages: Sequence[str] | None = None) -> NoticeOut:
        return cls.model_validate(_in_languages(notice.model_dump(), languages))


class NoticesOut(BaseModel):
    model_config = answer_examples({"notices": [examples.NOTICE], "next_after": None})

    notices: list[NoticeOut]
    next_after: NextAfter


# ------------------------------------------------------------------------------ receipts


class ReceiptIn(BaseModel):
    model_config = body_examples(examples.RECEIPT_IN)

    state: StateCode | None = Field(
        default=None,
        description="the acknowledging state; a member state's own if absent (any other "
        "caller names it: 422 `state-not-named`)",
    )
    reference: str = Field(
        default="", max_length=500, description="the ministry's own reference for the receipt"
    )


class ReceiptOut(BaseModel):
    model_config = answer_examples(examples.RECEIPT)

    delivery_id: UUID
    message_id: UUID
    state: str
    acknowledged_at: datetime
    reference: str

    @classmethod
    def of(cls, event: ReceiptAcknowledged) -> ReceiptOut:
        return cls.model_validate(event.model_dump())


class AcknowledgedOut(BaseModel):
    state: str
    acknowledged_at: datetime
    reference: str


class ReceiptsOut(BaseModel):
    model_config = answer_examples(examples.RECEIPTS)

    message_id: UUID
    reference: str
    recipients: int
    acknowledged: list[AcknowledgedOut]
    not_acknowledged: list[str]

    @classmethod
    def of(cls, message_id: UUID, reference: str, rows: Sequence[Any]) -> ReceiptsOut:
        """From the message's `queries.recipients`."""
        return cls(
            message_id=message_id,
            reference=reference,
            recipients=len(rows),
            acknowledged=[
                AcknowledgedOut(
                    state=r.state,
                    acknowledged_at=r.acknowledged_at,
                    reference=r.receipt_reference or "",
                )
                for r in rows
                if r.acknowledged_at is not None
            ],
            not_acknowledged=[r.state for r in rows if r.acknowledged_at is None],
        )


# ------------------------------------------------------------------------------ inbox


class InboxItem(BaseModel):
    position: int = Field(description="the cursor: send it as `after` to read what follows")
    message_id: UUID
    delivery_id: UUID
    kind: NoticeKind
    number: str | None = Field(description="a note's number; None for a notice")
    reference: str
    subject: dict[str, str]
    text: dict[str, str]
    languages: list[str]
    enclosures: list[Enclosure]
    pages: int | None = Field(description="a note's pages enclosed in all")
    corrects: str | None
    dated: date | None
    issued_at: datetime
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, row: Any, languages: Sequence[str] | None) -> InboxItem:
        """From a row of `queries.inbox`, in `languages` (all if None)."""
        return cls.model_validate(_in_languages(row._mapping, languages))


class InboxOut(BaseModel):
    model_config = answer_examples(examples.INBOX)

    state: str
    after: int
    next_after: int = Field(description="the cursor of the next page (`after` when empty)")
    items: list[InboxItem]


# ------------------------------------------------------------------------------ endpoints


class EndpointIn(BaseModel):
    model_config = body_examples(examples.ENDPOINT_IN)

    state: StateCode = Field(description="The state whose ministry receives here.")
    url: str = Field(min_length=8, max_length=2000, description="An https URL on a public address.")
    languages: list[LanguageTag] = Field(min_length=1, max_length=10)
    kinds: list[NoticeKind] = Field(
        min_length=1, max_length=len(NoticeKind), description="What the ministry wants to be sent."
    )
    endpoint_id: UUID | None = Field(
        None,
        description="The endpoint's id, chosen by the client (a retry then registers "
        "nothing twice); a new one when absent.",
    )


class EndpointOut(BaseModel):
    model_config = answer_examples(examples.ENDPOINT)

    endpoint_id: UUID
    state: str
    url: str
    languages: list[str]
    kinds: list[NoticeKind]
    secret_generation: int
    previous_secret_until: datetime | None
    removed: bool
    version: int

    @classmethod
    def of(cls, endpoint: Any) -> EndpointOut:
        """From an `endpoints.Endpoint` or a row of `queries.endpoints` (the same names)."""
        names = {"secret_generation": "generation", "previous_secret_until": "previous_until"}
        return cls.model_validate(
            {
                field: getattr(endpoint, names.get(field, field))
                for field in EndpointOut.model_fields
            }
        )


class EndpointWithSecretOut(EndpointOut):
    """The endpoint, and its newest signing secret: shown this once, never again."""

    model_config = answer_examples(examples.ENDPOINT_WITH_SECRET)

    secret: str | None = Field(
        description="The Standard Webhooks secret (whsec_...) to verify with; null in the "
        "replay of an answer for its Idempotency-Key (`Idempotent-Replayed: true`), which "
        'then lists it in `withheld`: a secret is shown once and stored nowhere.'
    )
    withheld: list[str] | None = Field(
        None,
        description='Only in a replay: the members shown once and withheld from it (["secret"]).',
    )

    @classmethod
    def of_written(cls, written: commands.EndpointWritten) -> EndpointWithSecretOut:
        endpoint = EndpointOut.of(written.endpoint).model_dump()
        return cls.model_validate({**endpoint, "secret": written.secret or ""})


class EndpointsOut(BaseModel):
    model_config = answer_examples({"endpoints": [examples.ENDPOINT], "next_after": None})

    endpoints: list[EndpointOut]
    next_after: NextAfter


class SecretRotationIn(BaseModel):
    model_config = body_examples(examples.SECRET_ROTATION_IN)

    previous_valid_for_hours: float | None = Field(
        None,
        ge=0,
        le=24 * 30,
        description="How long the previous secret still signs beside the new one (the "
        "deployment's default when absent).",
    )


class RemovalIn(BaseModel):
    model_config = body_examples(examples.REMOVAL_IN)

    reason: str = Field("", max_length=1000)


# ------------------------------------------------------------------------------ deliveries


class HistoryEntry(BaseModel):
    event: str
    version: int
    recorded_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, record: RecordedEvent) -> HistoryEntry:
        return cls(
            event=record.event_type,
            version=record.version,
            recorded_at=record.recorded_at,
            data=record.data,
        )


class DeliveryOut(BaseModel):
    model_config = answer_examples(examples.DELIVERY)

    delivery_id: UUID
    message_id: UUID
    number: str | None = Field(None, description="The note's number (none for a notice).")
    state: str
    kind: NoticeKind
    status: str = Field(description="pending, attempting, failed, succeeded or dead_lettered.")
    attempts: int
    endpoint_id: UUID | None
    next_attempt_at: datetime | None
    last_outcome: str | None
    history: list[HistoryEntry] | None = Field(
        None, description="Every event of the delivery, oldest first (one delivery's read)."
    )

    @classmethod
    def of(cls, row: Any, history: list[HistoryEntry] | None = None) -> DeliveryOut:
        """From a row of `queries.deliveries` (and the delivery's stream, for one)."""
        return cls.model_validate({**row._mapping, "history": history})


class DeliveriesOut(BaseModel):
    model_config = answer_examples({"deliveries": [examples.DELIVERY_LISTED], "next_after": None})

    deliveries: list[DeliveryOut]
    next_after: NextAfter


class RedeliveryIn(BaseModel):
    model_config = body_examples(examples.REDELIVERY_IN)

    reason: str = Field("", max_length=1000)
