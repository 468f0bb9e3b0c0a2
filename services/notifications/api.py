"""The notifications service's HTTP API: parse, authorise, call a command or a query, shape the
answer.

- A note is named in paths by its number with ``-`` for ``/``: note No. ``SOC/OI/1280`` is
  ``/notes/SOC-OI-1280`` (offices never hold a ``-``, so the two forms map one to one). Its
  answer carries the number itself (``SOC/OI/1280``) and that path key.
- Writes are the Secretariat's (series, notes, the founding member states), except a receipt,
  which a member state gives for itself only (`act_for`).
- Notes and notices are read by the Secretariat and auditors, and by a member state when they
  are addressed to it (a note addressed to another state is a 404 to it, like a missing one).
- ``GET /inbox`` is the pull side of delivery: the messages addressed to one state, in log
  order, from a cursor (``after``, the ``position`` of the last message read).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from services.notifications import commands, domain, templates
from services.notifications.delivery_projections import endpoints as endpoints_table
from services.notifications.events import (
    Enclosure,
    LanguageTag,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    Office,
    Texts,
    delivery_id,
)
from services.notifications.projections import (
    member_states_table,
    messages_table,
    recipients_table,
    series_table,
)
from services.notifications.seed import (
    CONTENT_1280,
    ENCLOSURES,
    FIRST_NUMBER,
    ISSUE_1280,
    MEMBER_STATES_2022,
    NOTE_1280,
    OFFICE,
    SUBJECT,
)
from shared.access import (
    SECRETARIAT_ONLY,
    Caller,
    Principal,
    Role,
    StateCode,
    act_for,
    allow,
)
from shared.eventstore import PostgresEventStore
from shared.http.etag import ExpectedVersion, set_etag
from shared.projections import ProjectionRunner

router = APIRouter()

READERS = allow(Role.SECRETARIAT, Role.AUDITOR, Role.MEMBER_STATE)
"""Who reads notes and notices: the Secretariat and auditors all, a member state its own."""
ACKNOWLEDGERS = allow(Role.MEMBER_STATE, Role.SECRETARIAT)
OVERSEERS = allow(Role.SECRETARIAT, Role.AUDITOR)
NOTE_KEY_1280 = domain.key_of_number(NOTE_1280)
NOTICE_EXAMPLE = "0b6c7d1e-2f3a-5b4c-8d9e-0f1a2b3c4d5e"
ISSUED_AT = "2022-10-07T09:00:00Z"
TEXT_1280 = templates.render(
    templates.NoteContent.model_validate(CONTENT_1280),
    place="Astana",
    dated=date(2022, 10, 7),
    enclosures=tuple(Enclosure.model_validate(e) for e in ENCLOSURES),
    addressed_to_all_members=True,
)
"""The seed's note as the templates write it: the text of the examples."""


def _store(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(_store)]
NoteKey = Annotated[
    str,
    Path(
        pattern=domain.NOTE_KEY,
        examples=[NOTE_KEY_1280],
        description="the note's number with - for /: SOC-OI-1280 is note No. SOC/OI/1280",
    ),
]
NoticeId = Annotated[UUID, Path(examples=[NOTICE_EXAMPLE])]
Languages = Annotated[
    list[LanguageTag] | None,
    Query(
        alias="lang",
        description="only these languages of each text (repeat it: ?lang=en&lang=ru); all if "
        "absent",
        examples=[["en", "ru"]],
    ),
]


async def _caught_up(request: Request) -> None:
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:  # read what was written before this request, when it is quick
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=2.0)


def _in(texts: dict[str, Any], languages: list[str] | None, order: Any = ()) -> dict[str, Any]:
    """`texts` in `languages` (all if None), in the message's own order of languages (the
    read model's JSON keeps its keys in an order of its own)."""
    ordered = [*order, *sorted(set(texts) - set(order))]
    return {
        lang: texts[lang]
        for lang in ordered
        if lang in texts and (not languages or lang in languages)
    }


def _may_read(caller: Principal, recipients: tuple[str, ...] | list[str]) -> bool:
    return caller.role is not Role.MEMBER_STATE or caller.state in recipients


class Written(BaseModel):
    """What a write recorded: the stream, its version now (also the ETag), the events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"stream_id": "series-SOC-OI", "version": 1, "recorded": ["NoteSeriesOpened"]}
            ]
        }
    )

    stream_id: str
    version: int
    recorded: list[str]


def _written(response: Response, recorded: commands.Recorded) -> Written:
    set_etag(response, recorded.version)
    return Written(
        stream_id=recorded.stream_id,
        version=recorded.version,
        recorded=[e.event_type for e in recorded.events],
    )


# ------------------------------------------------------------------------------ member states


class MemberStatesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"states": list(MEMBER_STATES_2022), "member_since": "1999-09-14"}]
        },
    )

    states: list[StateCode] = Field(min_length=1, max_length=300)
    member_since: date


class MemberStateOut(BaseModel):
    state: str
    member_since: date
    admitted: bool = Field(description="admitted by the registry (false: a founding member)")


class MemberStatesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "count": 28,
                    "member_states": [
                        *(
                            {"state": s, "member_since": "1999-09-14", "admitted": False}
                            for s in MEMBER_STATES_2022
                        ),
                        {"state": "KWT", "member_since": "2022-10-12", "admitted": True},
                    ],
                }
            ]
        }
    )

    count: int
    member_states: list[MemberStateOut]


@router.post("/member-states", status_code=201, tags=["member states"])
@SECRETARIAT_ONLY
async def register_member_states(
    body: MemberStatesIn, store: Store, response: Response, expected: ExpectedVersion
) -> Written:
    """Register the member states that were members before this log began: the recipients of
    every note to all members. Later admissions come from the registry's `MemberAdmitted`."""
    recorded = await commands.register_member_states(
        store=store, states=body.states, member_since=body.member_since, expected=expected
    )
    return _written(response, recorded)


@router.get("/member-states", tags=["member states"])
@allow(Role.SECRETARIAT, Role.AUDITOR, Role.MEMBER_STATE, Role.SERVICE)
async def list_member_states(request: Request) -> MemberStatesOut:
    """The member states the service sends notes to all members to, and since when."""
    await _caught_up(request)
    query = select(member_states_table).order_by(member_states_table.c.state)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return MemberStatesOut(
        count=len(rows),
        member_states=[
            MemberStateOut(state=r["state"], member_since=r["member_since"], admitted=r["admitted"])
            for r in rows
        ],
    )


# ------------------------------------------------------------------------------ series


class SeriesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"office": OFFICE, "next_number": FIRST_NUMBER}]},
    )

    office: Office = Field(description="the originating office, e.g. SOC/OI")
    next_number: int = Field(
        ge=1, le=999_999_999, description="the number the series' first note takes here"
    )


class SeriesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "office": OFFICE,
                    "first_number": FIRST_NUMBER,
                    "next_number": FIRST_NUMBER + 1,
                    "issued": 1,
                    "last_number": NOTE_1280,
                    "version": 2,
                }
            ]
        }
    )

    office: str
    first_number: int
    next_number: int
    issued: int
    last_number: str | None
    version: int = Field(
        description="the series' stream version: send it as If-Match to "
        "issue a note only if no other was issued since"
    )


class SeriesListOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "series": [
                        {
                            "office": OFFICE,
                            "first_number": FIRST_NUMBER,
                            "next_number": FIRST_NUMBER + 1,
                            "issued": 1,
                            "last_number": NOTE_1280,
                            "version": 2,
                        }
                    ]
                }
            ]
        }
    )

    series: list[SeriesOut]


@router.post("/series", status_code=201, tags=["notes verbales"])
@SECRETARIAT_ONLY
async def open_series(body: SeriesIn, store: Store, response: Response) -> Written:
    """Open the gapless series of note numbers of an office (stream `series-SOC-OI`): its
    first note takes `next_number`, each later one the next. Opening it again at the same
    number records nothing; at another, 409: a series is never renumbered."""
    recorded = await commands.open_series(
        store=store, office=body.office, next_number=body.next_number
    )
    return _written(response, recorded)


@router.get("/series", tags=["notes verbales"])
@allow(Role.SECRETARIAT, Role.AUDITOR, Role.SERVICE)
async def list_series(request: Request) -> SeriesListOut:
    """Every office's series and the number its next note takes."""
    await _caught_up(request)
    query = select(series_table).order_by(series_table.c.office)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return SeriesListOut(
        series=[SeriesOut(**{k: r[k] for k in SeriesOut.model_fields}) for r in rows]
    )


# ------------------------------------------------------------------------------ notes


class EnclosureIn(Enclosure):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": ENCLOSURES}
    )


class NoteIn(BaseModel):
    """A note verbale to issue: from structured `content` (the templates add the diplomatic
    formulas in each of its languages) or with its full `text` per language."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ISSUE_1280]})

    note_id: UUID = Field(
        default_factory=uuid4,
        description="sending the same id again issues nothing and answers the note issued under it",
    )
    office: Office = Field(examples=[OFFICE])
    place: str = Field(default="Astana", min_length=1, max_length=100, examples=["Astana"])
    dated: date = Field(default_factory=lambda: datetime.now(UTC).date())
    subject: Texts = Field(min_length=1)
    content: templates.NoteContent | None = None
    text: Texts | None = Field(
        default=None,
        description="the full text per language, formulas included; instead of `content`",
    )
    enclosures: list[EnclosureIn] = Field(default_factory=list, max_length=100)
    recipients: list[StateCode] | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="the states addressed; all member states at the moment of issue if absent",
    )
    corrects: str | None = Field(
        default=None,
        max_length=60,
        examples=[NOTE_1280],
        description="the number of the note this one corrects",
    )

    @model_validator(mode="after")
    def _content_or_text(self) -> NoteIn:
        if (self.content is None) == (self.text is None):
            raise ValueError("send either `content` (structured) or `text` (full), not both")
        if self.text is not None and not self.text:
            raise ValueError("`text` holds at least one language")
        return self


class NoteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "note_id": "3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "number": NOTE_1280,
                    "key": NOTE_KEY_1280,
                    "office": OFFICE,
                    "sequence": FIRST_NUMBER,
                    "place": "Astana",
                    "dated": "2022-10-07",
                    "subject": SUBJECT,
                    "text": TEXT_1280,
                    "languages": ["en", "ru", "kk"],
                    "enclosures": ENCLOSURES,
                    "recipients": list(MEMBER_STATES_2022),
                    "addressed_to_all_members": True,
                    "corrects": None,
                    "issued_at": ISSUED_AT,
                }
            ]
        }
    )

    note_id: UUID
    number: str
    key: str = Field(description="the number as the note's path names it")
    office: str
    sequence: int
    place: str
    dated: date
    subject: dict[str, str]
    text: dict[str, str]
    languages: list[str]
    enclosures: list[Enclosure]
    recipients: list[str]
    addressed_to_all_members: bool
    corrects: str | None
    issued_at: datetime


class NotesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"notes": NoteOut.model_config["json_schema_extra"]["examples"]}]
        }
    )  # type: ignore[index]

    notes: list[NoteOut]


def _note_out(note: NoteVerbaleIssued, languages: list[str] | None = None) -> NoteOut:
    return NoteOut(
        note_id=note.note_id,
        number=note.number,
        key=domain.key_of_number(note.number),
        office=note.office,
        sequence=note.sequence,
        place=note.place,
        dated=note.dated,
        subject=_in(note.subject, languages, note.languages),
        text=_in(note.text, languages, note.languages),
        languages=[lang for lang in note.languages if not languages or lang in languages],
        enclosures=list(note.enclosures),
        recipients=list(note.recipients),
        addressed_to_all_members=note.addressed_to_all_members,
        corrects=note.corrects,
        issued_at=note.issued_at,
    )


@router.post("/notes", status_code=201, tags=["notes verbales"])
@SECRETARIAT_ONLY
async def issue_note(
    body: NoteIn, store: Store, response: Response, expected: ExpectedVersion
) -> NoteOut:
    """Issue a note verbale with the next number of its office's series: to all member states
    at the moment of issue, or to the states named. A correction is a new note whose
    `corrects` names a note that exists. The same `note_id` again issues nothing and answers
    the note issued under it. The ETag is the series' version: with `If-Match`, the note is
    issued only if no other note was issued since (412 otherwise)."""
    enclosures = tuple(Enclosure.model_validate(e.model_dump()) for e in body.enclosures)
    if body.content is not None:
        try:
            text = templates.render(
                body.content,
                place=body.place,
                dated=body.dated,
                enclosures=enclosures,
                addressed_to_all_members=body.recipients is None,
            )
        except templates.UnknownLanguageError as error:
            raise domain.InvalidRequestError(str(error), languages=error.languages) from None
    else:
        assert body.text is not None
        text = body.text
    if body.corrects is not None:
        domain.parse_number(body.corrects)
    issued = await commands.issue_note(
        store=store,
        office=body.office,
        note_id=body.note_id,
        place=body.place,
        dated=body.dated,
        subject=body.subject,
        text=text,
        enclosures=enclosures,
        recipients=body.recipients,
        corrects=body.corrects,
        expected=expected,
    )
    response.headers["Location"] = f"/notes/{domain.key_of_number(issued.note.number)}"
    set_etag(response, issued.version)
    return _note_out(issued.note)


@router.get("/notes", tags=["notes verbales"])
@READERS
async def list_notes(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    office: Annotated[str | None, Query(max_length=80, examples=[OFFICE])] = None,
) -> NotesOut:
    """The notes issued, in the order of issue: all of them for the Secretariat and auditors,
    those addressed to it for a member state."""
    await _caught_up(request)
    query = (
        select(messages_table)
        .where(messages_table.c.kind == NoticeKind.NOTE_VERBALE.value)
        .order_by(messages_table.c.position)
    )
    if office is not None:
        query = query.where(messages_table.c.office == office)
    if caller.role is Role.MEMBER_STATE:
        query = query.where(messages_table.c.recipients.contains([caller.state]))
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return NotesOut(notes=[_note_out(_note_of_row(r), languages) for r in rows])


def _note_of_row(row: Any) -> NoteVerbaleIssued:
    return NoteVerbaleIssued(
        note_id=UUID(row["message_id"]),
        number=row["number"],
        office=row["office"],
        sequence=row["sequence"],
        place=row["place"],
        dated=row["dated"],
        subject=row["subject"],
        text=row["text"],
        languages=tuple(row["languages"]),
        enclosures=tuple(row["enclosures"]),
        recipients=tuple(row["recipients"]),
        addressed_to_all_members=row["addressed_to_all_members"],
        corrects=row["corrects"],
        issued_at=row["issued_at"],
    )


async def _readable_note(
    store: PostgresEventStore, key: str, caller: Principal
) -> NoteVerbaleIssued:
    number = domain.number_of_key(key)
    note = await commands.find_note(store, number)
    if not _may_read(caller, note.recipients):
        raise domain.NotFoundError(f"The note {number}", number=number)
    return note


@router.get("/notes/{note}", tags=["notes verbales"])
@READERS
async def get_note(
    note: NoteKey, store: Store, caller: Caller, languages: Languages = None
) -> NoteOut:
    """One note, by its number with `-` for `/` (`/notes/SOC-OI-1280`), from the log."""
    return _note_out(await _readable_note(store, note, caller), languages)


# ------------------------------------------------------------------------------ notices


class NoticeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "notice_id": NOTICE_EXAMPLE,
                    "kind": "document_revised",
                    "subject": {"en": "SUM/2022/DRAFT/1/Rev.8 circulated"},
                    "text": {
                        "en": "The Secretariat circulates SUM/2022/DRAFT/1/Rev.8, revision 8 of "
                        "SUM/2022/DRAFT/1."
                    },
                    "languages": ["en"],
                    "recipients": list(MEMBER_STATES_2022),
                    "reference": "SUM/2022/DRAFT/1/Rev.8",
                    "issued_at": ISSUED_AT,
                }
            ]
        }
    )

    notice_id: UUID
    kind: NoticeKind
    subject: dict[str, str]
    text: dict[str, str]
    languages: list[str]
    recipients: list[str]
    reference: str
    issued_at: datetime


class NoticesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"notices": NoticeOut.model_config["json_schema_extra"]["examples"]}]
        }
    )  # type: ignore[index]

    notices: list[NoticeOut]


def _notice_out(notice: NoticeIssued, languages: list[str] | None = None) -> NoticeOut:
    return NoticeOut(
        notice_id=notice.notice_id,
        kind=notice.kind,
        subject=_in(notice.subject, languages, notice.languages),
        text=_in(notice.text, languages, notice.languages),
        languages=[lang for lang in notice.languages if not languages or lang in languages],
        recipients=list(notice.recipients),
        reference=notice.reference,
        issued_at=notice.issued_at,
    )


@router.get("/notices", tags=["notices"])
@READERS
async def list_notices(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    kind: Annotated[NoticeKind | None, Query(examples=["document_revised"])] = None,
) -> NoticesOut:
    """The notices the service sent by itself (a revision circulated, an agenda adopted, a
    member admitted), in order: all for the Secretariat and auditors, its own for a state."""
    await _caught_up(request)
    query = (
        select(messages_table)
        .where(messages_table.c.kind != NoticeKind.NOTE_VERBALE.value)
        .order_by(messages_table.c.position)
    )
    if kind is not None:
        query = query.where(messages_table.c.kind == kind.value)
    if caller.role is Role.MEMBER_STATE:
        query = query.where(messages_table.c.recipients.contains([caller.state]))
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return NoticesOut(
        notices=[
            NoticeOut(
                notice_id=UUID(r["message_id"]),
                kind=NoticeKind(r["kind"]),
                subject=_in(r["subject"], languages, r["languages"]),
                text=_in(r["text"], languages, r["languages"]),
                languages=[lang for lang in r["languages"] if not languages or lang in languages],
                recipients=r["recipients"],
                reference=r["reference"],
                issued_at=r["issued_at"],
            )
            for r in rows
        ]
    )


async def _readable_notice(
    store: PostgresEventStore, notice_id: UUID, caller: Principal
) -> NoticeIssued:
    notice = await commands.find_notice(store, notice_id)
    if not _may_read(caller, notice.recipients):
        raise domain.NotFoundError(f"The notice {notice_id}", notice_id=str(notice_id))
    return notice


@router.get("/notices/{notice_id}", tags=["notices"])
@READERS
async def get_notice(
    notice_id: NoticeId, store: Store, caller: Caller, languages: Languages = None
) -> NoticeOut:
    """One notice, from the log."""
    return _notice_out(await _readable_notice(store, notice_id, caller), languages)


# ------------------------------------------------------------------------------ receipts


class ReceiptIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"state": "KAZ", "reference": "MFA KAZ No. 12-1/3456 of 7 October 2022"}]
        },
    )

    state: StateCode | None = Field(
        default=None, description="the acknowledging state; a member state's own if absent"
    )
    reference: str = Field(
        default="", max_length=500, description="the ministry's own reference for the receipt"
    )


class ReceiptOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": str(
                        delivery_id(UUID("3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"), "KAZ")
                    ),
                    "message_id": "3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "state": "KAZ",
                    "acknowledged_at": "2022-10-07T11:20:00Z",
                    "reference": "MFA KAZ No. 12-1/3456 of 7 October 2022",
                }
            ]
        }
    )

    delivery_id: UUID
    message_id: UUID
    state: str
    acknowledged_at: datetime
    reference: str


class AcknowledgedOut(BaseModel):
    state: str
    acknowledged_at: datetime
    reference: str


class ReceiptsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "reference": NOTE_1280,
                    "recipients": 27,
                    "acknowledged": [
                        {
                            "state": "KAZ",
                            "acknowledged_at": "2022-10-07T11:20:00Z",
                            "reference": "MFA KAZ No. 12-1/3456 of 7 October 2022",
                        }
                    ],
                    "not_acknowledged": [s for s in MEMBER_STATES_2022 if s != "KAZ"],
                }
            ]
        }
    )

    message_id: UUID
    reference: str
    recipients: int
    acknowledged: list[AcknowledgedOut]
    not_acknowledged: list[str]


async def _acknowledge(
    store: PostgresEventStore,
    caller: Principal,
    body: ReceiptIn,
    message_id: UUID,
    recipients: tuple[str, ...],
    what: str,
    response: Response,
) -> ReceiptOut:
    if body.state is None and caller.state is None:
        raise domain.InvalidRequestError("Name the acknowledging `state`.")
    state = act_for(caller, body.state or caller.state or "")
    if state not in recipients:
        raise domain.NotFoundError(f"{what} to {state}", state=state)
    receipt = await commands.acknowledge_receipt(
        store=store,
        message_id=message_id,
        recipients=recipients,
        state=state,
        reference=body.reference,
    )
    if not receipt.new:
        response.status_code = 200
    event = receipt.event
    return ReceiptOut(
        delivery_id=event.delivery_id,
        message_id=event.message_id,
        state=event.state,
        acknowledged_at=event.acknowledged_at,
        reference=event.reference,
    )


async def _receipts(request: Request, message_id: UUID, reference: str) -> ReceiptsOut:
    await _caught_up(request)
    query = (
        select(recipients_table)
        .where(recipients_table.c.message_id == str(message_id))
        .order_by(recipients_table.c.state)
    )
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return ReceiptsOut(
        message_id=message_id,
        reference=reference,
        recipients=len(rows),
        acknowledged=[
            AcknowledgedOut(
                state=r["state"],
                acknowledged_at=r["acknowledged_at"],
                reference=r["receipt_reference"] or "",
            )
            for r in rows
            if r["acknowledged_at"] is not None
        ],
        not_acknowledged=[r["state"] for r in rows if r["acknowledged_at"] is None],
    )


@router.post(
    "/notes/{note}/receipt",
    status_code=201,
    tags=["receipts"],
    responses={200: {"model": ReceiptOut, "description": "Acknowledged before: the first receipt"}},
)
@ACKNOWLEDGERS
async def acknowledge_note(
    note: NoteKey, body: ReceiptIn, store: Store, caller: Caller, response: Response
) -> ReceiptOut:
    """A state acknowledges receipt of a note addressed to it, for itself only (403 for
    another state's name). Acknowledging again records nothing and answers the first receipt
    (200)."""
    found = await _readable_note(store, note, caller)
    return await _acknowledge(
        store, caller, body, found.note_id, found.recipients, f"The note {found.number}", response
    )


@router.get("/notes/{note}/receipts", tags=["receipts"])
@OVERSEERS
async def note_receipts(
    note: NoteKey, store: Store, request: Request, caller: Caller
) -> ReceiptsOut:
    """Which recipients of a note have acknowledged it, and which have not."""
    found = await _readable_note(store, note, caller)
    return await _receipts(request, found.note_id, found.number)


@router.post(
    "/notices/{notice_id}/receipt",
    status_code=201,
    tags=["receipts"],
    responses={200: {"model": ReceiptOut, "description": "Acknowledged before: the first receipt"}},
)
@ACKNOWLEDGERS
async def acknowledge_notice(
    notice_id: NoticeId, body: ReceiptIn, store: Store, caller: Caller, response: Response
) -> ReceiptOut:
    """A state acknowledges receipt of a notice addressed to it, for itself only; again, the
    first receipt (200)."""
    found = await _readable_notice(store, notice_id, caller)
    return await _acknowledge(
        store, caller, body, found.notice_id, found.recipients, f"The notice {notice_id}", response
    )


@router.get("/notices/{notice_id}/receipts", tags=["receipts"])
@OVERSEERS
async def notice_receipts(
    notice_id: NoticeId, store: Store, request: Request, caller: Caller
) -> ReceiptsOut:
    """Which recipients of a notice have acknowledged it, and which have not."""
    found = await _readable_notice(store, notice_id, caller)
    return await _receipts(request, found.notice_id, found.reference)


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
    corrects: str | None
    dated: date | None
    issued_at: datetime
    acknowledged_at: datetime | None


class InboxOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "state": "KAZ",
                    "after": 0,
                    "next_after": 41,
                    "items": [
                        {
                            "position": 41,
                            "message_id": "3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                            "delivery_id": str(
                                delivery_id(UUID("3f6a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"), "KAZ")
                            ),
                            "kind": "note_verbale",
                            "number": NOTE_1280,
                            "reference": NOTE_1280,
                            "subject": {"en": SUBJECT["en"]},
                            "text": {"en": TEXT_1280["en"]},
                            "languages": ["en"],
                            "enclosures": ENCLOSURES,
                            "corrects": None,
                            "dated": "2022-10-07",
                            "issued_at": ISSUED_AT,
                            "acknowledged_at": None,
                        }
                    ],
                }
            ]
        }
    )

    state: str
    after: int
    next_after: int = Field(description="the cursor of the next page (`after` when empty)")
    items: list[InboxItem]


@router.get("/inbox", tags=["inbox"])
@allow(Role.MEMBER_STATE, Role.SECRETARIAT, Role.AUDITOR)
async def read_inbox(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    after: Annotated[
        int, Query(ge=0, examples=[0], description="the position of the last message read")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500, examples=[100])] = 100,
    state: Annotated[
        StateCode | None,
        Query(examples=["KAZ"], description="whose inbox; a member state's own if absent"),
    ] = None,
) -> InboxOut:
    """The notes and notices addressed to a state, in the order they were issued, from the
    cursor `after`: what a ministry that receives no webhooks pulls. Its texts in the languages
    `lang` names; without it, in the languages of the state's webhook endpoints (a message in
    none of them comes in all of its own); all when the state has no endpoint."""
    if caller.role is Role.MEMBER_STATE:
        whose = act_for(caller, state or caller.state or "")
    elif state is None:
        raise domain.InvalidRequestError("Name the `state` whose inbox to read.")
    else:
        whose = state
    await _caught_up(request)
    m, r = messages_table, recipients_table
    query = (
        select(m, r.c.delivery_id, r.c.acknowledged_at)
        .join(r, r.c.message_id == m.c.message_id)
        .where(r.c.state == whose, r.c.position > after)
        .order_by(r.c.position)
        .limit(limit)
    )
    async with request.app.state.engine.connect() as connection:
        endpoint_languages = None if languages else await _endpoint_languages(connection, whose)
        rows = (await connection.execute(query)).mappings().all()

    def chosen(row: Any) -> list[str] | None:
        if languages or not endpoint_languages:
            return languages
        own = [lang for lang in row["languages"] if lang in endpoint_languages]
        return own or None

    items = [_inbox_item(row, chosen(row)) for row in rows]
    return InboxOut(
        state=whose,
        after=after,
        next_after=items[-1].position if items else after,
        items=items,
    )


async def _endpoint_languages(connection: Any, state: str) -> set[str]:
    """The languages of the state's webhook endpoints (none when it has no endpoint)."""
    query = select(endpoints_table.c.languages).where(
        endpoints_table.c.state == state, endpoints_table.c.removed.is_(False)
    )
    return {lang for row in (await connection.execute(query)).scalars() for lang in row}


def _inbox_item(row: Any, languages: list[str] | None) -> InboxItem:
    return InboxItem(
        position=row["position"],
        message_id=UUID(row["message_id"]),
        delivery_id=UUID(row["delivery_id"]),
        kind=NoticeKind(row["kind"]),
        number=row["number"],
        reference=row["reference"],
        subject=_in(row["subject"], languages, row["languages"]),
        text=_in(row["text"], languages, row["languages"]),
        languages=[lang for lang in row["languages"] if not languages or lang in languages],
        enclosures=row["enclosures"],
        corrects=row["corrects"],
        dated=row["dated"],
        issued_at=row["issued_at"],
        acknowledged_at=row["acknowledged_at"],
    )
