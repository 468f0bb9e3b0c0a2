"""The notifications service's HTTP API, notes side: parse, authorise, call a command or a query,
shape the answer (the bodies and answers are in `schemas`, the reads in `queries`).

- A note is named in paths by its number with ``-`` for ``/``: note No. ``SOC/OI/1280`` is
  ``/notes/SOC-OI-1280`` (offices never hold a ``-``, so the two forms map one to one). Its
  answer carries the number itself (``SOC/OI/1280``) and that path key.
- Writes are the Secretariat's (registers, notes issued and on record), except a receipt,
  which a member state gives for itself only (`act_for`). The member states are no write of
  this API: the service follows the registry's events (founding, admission, suspension,
  reinstatement, withdrawal), and ``GET /member-states`` shows what it learnt.
- A note to all member states goes to the members on the day it is dated; a note naming its
  recipients goes to them; either is refused (409, ``enclosure-not-distributed-to-recipients``)
  when a recipient may not read one of its enclosures.
- A member state reads the notes, notices and receipts addressed to it whatever its membership
  since (a withdrawn state still reads what it was sent).
- Notes and notices are read by the Secretariat and auditors, and by a member state when they
  are addressed to it (a note addressed to another state is a 404 to it, like a missing one).
- ``GET /inbox`` is the pull side of delivery: the messages addressed to one state, in log
  order, from a cursor (``after``, the ``position`` of the last message read).
- A register of notes is one count that several prefixes share, restarted each year
  (`domain.Register` says what the sources show and what is inferred): SOC/OI/1280 is number
  1280 of the register of 2022, which numbers IO notes too. A note the service did not issue
  but a source cites (SOC/OI/88 of 3 February 2022) is recorded by reference
  (``POST /notes/on-record``) in its register; ``GET /notes`` lists both kinds (``kind``), in
  register order. A number repeats from one year to the next: ``?year=`` names the year.
- The lists of notes, notices and registers come a page at a time, by keyset
  (`shared.http.pages`): ``limit`` (1 to 500, 100 by default) items after the opaque cursor
  ``after``, and ``next_after``, the cursor of the next page (null on the last).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from services.notifications import commands, domain, examples, queries
from services.notifications.deps import (
    Languages,
    NoteKey,
    NoticeId,
    may_see,
    read_models,
)
from services.notifications.events import (
    NoteRecordedByReference,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    Office,
    RegisterName,
)
from services.notifications.schemas import (
    InboxItem,
    InboxOut,
    MemberStatesOut,
    MessagesAfter,
    NoteIn,
    NoteOnRecordIn,
    NoteOut,
    NotesAfter,
    NotesOut,
    NoticeOut,
    NoticesOut,
    ReceiptIn,
    ReceiptOut,
    ReceiptsOut,
    RegisterIn,
    RegistersAfter,
    RegistersOut,
)
from shared.access import SECRETARIAT_ONLY, Caller, Principal, Role, StateCode, act_for, allow
from shared.eventstore import PostgresEventStore
from shared.http.pages import DEFAULT_LIMIT, Limit
from shared.http.params import BIGINT_MAX, Day
from shared.http.writes import Store, Write, Written

router = APIRouter()

READERS = allow(Role.SECRETARIAT, Role.AUDITOR, Role.MEMBER_STATE)
"""Who reads notes and notices: the Secretariat and auditors all, a member state its own."""
ACKNOWLEDGERS = allow(Role.MEMBER_STATE, Role.SECRETARIAT)
OVERSEERS = allow(Role.SECRETARIAT, Role.AUDITOR)
FIRST_RECEIPT = {
    200: {"model": ReceiptOut, "description": "Acknowledged before: the first receipt"}
}


# ------------------------------------------------------------------------------ member states


@router.get("/member-states", tags=["member states"])
@allow(Role.SECRETARIAT, Role.AUDITOR, Role.MEMBER_STATE, Role.SERVICE)
async def list_member_states(
    request: Request,
    on: Annotated[
        Day | None,
        Query(examples=["2022-10-12"], description="only the states that were members that day"),
    ] = None,
) -> MemberStatesOut:
    """The member states as the service learnt them from the registry's events: each with the
    first day it was a member and its status (member, suspended, withdrawn) since a day. A note
    to all members goes to the members on its date: `on` lists those of a day."""
    rows = await queries.member_states(await read_models(request), on=on)
    return MemberStatesOut.of(rows)


# ------------------------------------------------------------------------------ registers


@router.post("/registers", status_code=201, tags=["notes verbales"])
@SECRETARIAT_ONLY
async def open_register(body: RegisterIn, write: Write) -> Written:
    """Open a register of notes (stream `register-2022`): one count that its prefixes share
    (SOC/OI/1280 and IO/1256 are numbers of one count), for its year. Its next issued note
    takes `next_number`, each later one the next. Opening it again with the same terms records
    nothing; with others, 409 `register-open`: a register is never renumbered. A prefix that
    another register numbers in that year: 409 `prefix-in-another-register`."""
    return await write(
        commands.open_register,
        register=body.name,
        prefixes=body.prefixes,
        year=body.year,
        next_number=body.next_number,
    )


@router.get("/registers", tags=["notes verbales"])
@allow(Role.SECRETARIAT, Role.AUDITOR, Role.SERVICE)
async def list_registers(
    request: Request, limit: Limit = DEFAULT_LIMIT, after: RegistersAfter = None
) -> RegistersOut:
    """Every register of notes: its prefixes and year, the number its next note takes, its
    notes issued and on record; a page at a time, by name, at most `limit` after the cursor
    `after`; `next_after` reads on."""
    page = await queries.registers(await read_models(request), after=after, limit=limit)
    return RegistersOut.of(page)


# ------------------------------------------------------------------------------ notes


@router.post("/notes", status_code=201, tags=["notes verbales"])
@SECRETARIAT_ONLY
async def issue_note(body: NoteIn, write: Write, response: Response) -> NoteOut:
    """Issue a note verbale with the next number of the register that numbers its prefix's
    (`office`) notes of the year it is dated (422 `prefix-not-in-a-register` if none does): to
    all the member states on the day it is dated, or to the states named. It is dated in the
    register's order (409 `register-order`: never before a note numbered below it). Every
    recipient must be able to read every enclosure whose distribution the service knows (409
    otherwise). A correction is a new note whose `corrects` names a note that exists (422
    `corrects-no-note` otherwise). The same
    `note_id` again issues nothing and answers the note issued under it. The ETag is the
    register's version: with `If-Match`, the note is issued only if nothing was recorded in
    the register since (412 otherwise)."""
    issued = await commands.issue_note(
        store=write.store,
        expected=write.expected,
        office=body.office,
        note_id=body.note_id,
        place=body.place,
        dated=body.dated,
        subject=body.subject,
        text=body.issued_text(),
        enclosures=body.issued_enclosures(),
        pages=body.pages,
        recipients=body.recipients,
        corrects=body.corrects,
    )
    response.headers["Location"] = f"/notes/{domain.key_of_number(issued.note.number)}"
    write.etag(issued.version)
    return NoteOut.of(issued.note)


@router.post(
    "/notes/on-record",
    status_code=201,
    tags=["notes verbales"],
    responses={200: {"model": NoteOut, "description": "Recorded before, the same"}},
)
@SECRETARIAT_ONLY
async def record_note(body: NoteOnRecordIn, write: Write, response: Response) -> NoteOut:
    """Record a note the service did not issue, known from a source that cites it (SOC/OI/88
    of 3 February 2022, as the annotated agenda SOC/2022-III/Agenda/2 cites it): its number,
    date and what the source says of it, in the register of its prefix for its year (422
    `prefix-not-in-a-register`). Its number is below the register's next number (422
    `number-beyond-the-register`: the register issues that number itself), not taken (409
    `number-taken`) and dated in the register's order (409 `register-order`). No text, no
    recipients, nothing delivered. The same record again: 200, nothing recorded."""
    recorded = await commands.record_note(
        store=write.store,
        expected=write.expected,
        number=body.number,
        dated=body.dated,
        subject=body.subject,
        cited_in=body.cited_in,
    )
    if not recorded.new:
        response.status_code = 200
    response.headers["Location"] = f"/notes/{domain.key_of_number(recorded.note.number)}"
    return NoteOut.of(recorded.note)


@router.get("/notes", tags=["notes verbales"])
@READERS
async def list_notes(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    office: Annotated[Office | None, Query(examples=[examples.OFFICE])] = None,
    register: Annotated[RegisterName | None, Query(examples=["2022"])] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: NotesAfter = None,
) -> NotesOut:
    """The notes of the registers (of `office`, of `register`), issued (`kind` issued) and
    known by reference (`on_record`): all of them for the Secretariat and auditors, those
    addressed to it for a member state (no note on record: the log holds no recipients of
    those); a page at a time, in register order (by register, then by number), at most `limit`
    after the cursor `after`; `next_after` reads on. A member state's pages hold only its own
    notes, and are full but the last."""
    page = await queries.notes(
        await read_models(request),
        office=office,
        register=register,
        reader=caller.state,
        after=after,
        limit=limit,
    )
    return NotesOut(
        notes=[NoteOut.of(note, languages) for note in page.items], next_after=page.next_after
    )


async def _readable_note(
    store: PostgresEventStore, key: str, caller: Principal, year: int | None = None
) -> NoteVerbaleIssued | NoteRecordedByReference:
    number = domain.number_of_key(key)
    note = await commands.find_note(store, number, year=year)
    recipients = note.recipients if isinstance(note, NoteVerbaleIssued) else ()
    if not may_see(caller, recipients):
        raise domain.NotFoundError(f"The note {number}", number=number)
    return note


async def _issued_note(
    store: PostgresEventStore, key: str, caller: Principal, year: int | None
) -> NoteVerbaleIssued:
    """A note the service issued: one on record has no recipients (409
    `note-on-record-only`)."""
    note = await _readable_note(store, key, caller, year)
    if not isinstance(note, NoteVerbaleIssued):
        raise domain.NoteOnRecordOnlyError(
            f"{note.number} is on record by reference ({note.cited_in.symbol}, "
            f"{note.cited_in.passage}): the log holds no recipients of it, nor receipts.",
            number=note.number,
        )
    return note


NoteYear = Annotated[
    int | None,
    Query(
        ge=1992,
        le=9999,
        examples=[2022],
        description="the year of the note: a count restarted each year gives each year's note "
        "the same number (422 `number-of-several-years` without it, when two years hold it)",
    ),
]


class NoteKeyConvertor(Convertor[str]):
    """``{note:note_key}``: a note's number with ``-`` for ``/`` (``SOC-OI-1280``) and nothing
    else, so that ``/notes/on-record`` is not a note's path: a GET there is a 405 that says
    POST, not a 422 for a note ``on-record``."""

    regex = domain.NOTE_KEY.removeprefix("^").removesuffix("$")

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("note_key", NoteKeyConvertor())


@router.get("/notes/{note:note_key}", tags=["notes verbales"])
@READERS
async def get_note(
    note: NoteKey, store: Store, caller: Caller, languages: Languages = None, year: NoteYear = None
) -> NoteOut:
    """One note, issued or on record, by its number with `-` for `/` (`/notes/SOC-OI-1280`),
    from the log."""
    return NoteOut.of(await _readable_note(store, note, caller, year), languages)


# ------------------------------------------------------------------------------ notices


@router.get("/notices", tags=["notices"])
@READERS
async def list_notices(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    kind: Annotated[NoticeKind | None, Query(examples=["document_revised"])] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: MessagesAfter = None,
) -> NoticesOut:
    """The notices the service sent by itself (a revision circulated, an agenda adopted, a
    member admitted; of `kind`): all for the Secretariat and auditors, its own for a state; a
    page at a time, in the order of issue (log position), at most `limit` after the cursor
    `after`; `next_after` reads on. A member state's pages hold only its own notices, and are
    full but the last."""
    page = await queries.notices(
        await read_models(request), kind=kind, reader=caller.state, after=after, limit=limit
    )
    return NoticesOut(
        notices=[NoticeOut.of(notice, languages) for notice in page.items],
        next_after=page.next_after,
    )


async def _readable_notice(
    store: PostgresEventStore, notice_id: UUID, caller: Principal
) -> NoticeIssued:
    notice = await commands.find_notice(store, notice_id)
    if not may_see(caller, notice.recipients):
        raise domain.NotFoundError(f"The notice {notice_id}", notice_id=str(notice_id))
    return notice


@router.get("/notices/{notice_id}", tags=["notices"])
@READERS
async def get_notice(
    notice_id: NoticeId, store: Store, caller: Caller, languages: Languages = None
) -> NoticeOut:
    """One notice, from the log."""
    return NoticeOut.of(await _readable_notice(store, notice_id, caller), languages)


# ------------------------------------------------------------------------------ receipts


async def _acknowledge(
    store: PostgresEventStore,
    caller: Principal,
    body: ReceiptIn,
    message: NoteVerbaleIssued | NoticeIssued,
    response: Response,
) -> ReceiptOut:
    """`body.state` (the caller's own by default) acknowledges `message`: 201, or 200 with the
    first receipt when it had acknowledged it before."""
    if isinstance(message, NoteVerbaleIssued):
        message_id, what = message.note_id, f"The note {message.number}"
    else:
        message_id, what = message.notice_id, f"The notice {message.notice_id}"
    if body.state is None and caller.state is None:
        raise domain.StateNotNamedError("Name the acknowledging `state`.")
    state = act_for(caller, body.state or caller.state or "")
    if state not in message.recipients:
        # A member state reads only what was addressed to it (`_readable_note`): this is the
        # Secretariat naming a state the message did not go to.
        raise domain.NotARecipientError(what, state)
    receipt = await commands.acknowledge_receipt(
        store=store,
        message_id=message_id,
        recipients=message.recipients,
        state=state,
        reference=body.reference,
    )
    if not receipt.new:
        response.status_code = 200
    return ReceiptOut.of(receipt.event)


async def _receipts(request: Request, message_id: UUID, reference: str) -> ReceiptsOut:
    rows = await queries.recipients(await read_models(request), message_id)
    return ReceiptsOut.of(message_id, reference, rows)


@router.post(
    "/notes/{note:note_key}/receipt", status_code=201, tags=["receipts"], responses=FIRST_RECEIPT
)
@ACKNOWLEDGERS
async def acknowledge_note(
    note: NoteKey,
    body: ReceiptIn,
    store: Store,
    caller: Caller,
    response: Response,
    year: NoteYear = None,
) -> ReceiptOut:
    """A state acknowledges receipt of a note addressed to it, for itself only (403 for
    another state's name; the Secretariat, on behalf of a recipient: 422 for a state the note
    did not go to; 409 `note-on-record-only` for a note the service did not issue).
    Acknowledging again records nothing and answers the first receipt (200)."""
    found = await _issued_note(store, note, caller, year)
    return await _acknowledge(store, caller, body, found, response)


@router.get("/notes/{note:note_key}/receipts", tags=["receipts"])
@OVERSEERS
async def note_receipts(
    note: NoteKey, store: Store, request: Request, caller: Caller, year: NoteYear = None
) -> ReceiptsOut:
    """Which recipients of a note have acknowledged it, and which have not (409
    `note-on-record-only` for a note the service did not issue: it has no recipients known)."""
    found = await _issued_note(store, note, caller, year)
    return await _receipts(request, found.note_id, found.number)


@router.post(
    "/notices/{notice_id}/receipt", status_code=201, tags=["receipts"], responses=FIRST_RECEIPT
)
@ACKNOWLEDGERS
async def acknowledge_notice(
    notice_id: NoticeId, body: ReceiptIn, store: Store, caller: Caller, response: Response
) -> ReceiptOut:
    """A state acknowledges receipt of a notice addressed to it, for itself only; again, the
    first receipt (200)."""
    found = await _readable_notice(store, notice_id, caller)
    return await _acknowledge(store, caller, body, found, response)


@router.get("/notices/{notice_id}/receipts", tags=["receipts"])
@OVERSEERS
async def notice_receipts(
    notice_id: NoticeId, store: Store, request: Request, caller: Caller
) -> ReceiptsOut:
    """Which recipients of a notice have acknowledged it, and which have not."""
    found = await _readable_notice(store, notice_id, caller)
    return await _receipts(request, found.notice_id, found.reference)


# ------------------------------------------------------------------------------ inbox


@router.get("/inbox", tags=["inbox"])
@allow(Role.MEMBER_STATE, Role.SECRETARIAT, Role.AUDITOR)
async def read_inbox(
    request: Request,
    caller: Caller,
    languages: Languages = None,
    after: Annotated[
        int,
        Query(ge=0, le=BIGINT_MAX, examples=[0],
              description="the position of the last message read"),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500, examples=[100])] = 100,
    state: Annotated[
        StateCode | None,
        Query(
            examples=["KAZ"],
            description="whose inbox; a member state's own if absent (any other caller names "
            "it: 422 `state-not-named`)",
        ),
    ] = None,
) -> InboxOut:
    """The notes and notices addressed to a state, in the order they were issued, from the
    cursor `after`: what a ministry that receives no webhooks pulls. Its texts in the languages
    `lang` names; without it, in the languages of the state's webhook endpoints (a message in
    none of them comes in all of its own); all when the state has no endpoint."""
    if caller.role is Role.MEMBER_STATE:
        whose = act_for(caller, state or caller.state or "")
    elif state is None:
        raise domain.StateNotNamedError("Name the `state` whose inbox to read.")
    else:
        whose = state
    engine = await read_models(request)
    rows, endpoint_languages = await queries.inbox(
        engine, whose, after=after, limit=limit, endpoint_languages=not languages
    )

    def chosen(own: list[str]) -> list[str] | None:
        if languages or not endpoint_languages:
            return languages
        return [lang for lang in own if lang in endpoint_languages] or None

    items = [InboxItem.of(row, chosen(row.languages)) for row in rows]
    return InboxOut(
        state=whose,
        after=after,
        next_after=items[-1].position if items else after,
        items=items,
    )
