"""The notifications service's use cases (notes, notices, receipts, ministry endpoints,
redelivery by hand), one async function each, on the kit's command path
(`shared.commands`): read the stream → decide (a pure function of its `History`) → append at
the version read, in one transaction, so a concurrent writer makes the append fail with a
version conflict and nothing is recorded.

Issuing a note appends to its register's stream (the register that numbers its prefix's notes
of the year it is dated, from the prefix's stream) at the version it read: two notes issued at
once cannot take the same number, and none is skipped. The loser of such a race reads the
register again and takes the next number (`MAX_ISSUE_ATTEMPTS` times at most, each after a
short jittered backoff), so a client sees a conflict only when the register is contended beyond
reason. A note on record (known by reference) is appended to the same stream, so the
register's rules (a number taken once, its order by date) are decided on every note of it.
Its recipients are decided by the domain from the membership the service follows (the
registry's events: there is no set-up call of the service's own) on the day the note is dated,
and its enclosures against what the service knows of their documents' distributions.

A note and a receipt are recorded under ids derived from the note and the delivery: when two
requests record the same one at once, the store keeps the first, and both answer what the log
holds (`_recorded_note`, `_first_receipt`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid5

from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import domain, queries
from services.notifications.events import (
    DELIVERY,
    ENDPOINT,
    MEMBERS_STREAM,
    NAMESPACE,
    NOTE_PREFIX,
    NOTE_REGISTER,
    NOTE_SERIES,
    Citation,
    Enclosure,
    EndpointRegistered,
    NotePrefixAssigned,
    NoteRecordedByReference,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    ReceiptAcknowledged,
    Texts,
    delivery_id,
    delivery_stream,
    document_stream,
    endpoint_stream,
    note_on_record_id,
    notice_stream,
    prefix_stream,
    register_stream,
    series_stream,
)
from services.notifications.webhooks import check_address, endpoint_secret
from shared.access import Distribution, Membership
from shared.commands import (
    Decision,
    EventIds,
    History,
    Recorded,
    decide_and_append,
    in_transaction,
    read_history,
    run_command,
)
from shared.eventstore import ConcurrencyError, DomainEvent, PostgresEventStore
from shared.http.problems import ProblemError
from shared.retry import Backoff, retrying

MAX_ISSUE_ATTEMPTS = 100
"""How often an issue is tried again after losing the race for a number."""
ISSUE_BACKOFF = Backoff(base=0.002, cap=0.02, jitter=True)
"""The wait before an issue is tried again: a few milliseconds, spread so that the losers of
one race do not meet again at the next number."""


def _named(name: str) -> EventIds:
    """The id of the one event a command records, derived from `name` (what it is: a note, a
    receipt): recorded twice at once, the store keeps it once."""
    return lambda version, index: uuid5(NAMESPACE, name)


# ------------------------------------------------------------------------------ what it knows


async def known_members(connection: AsyncConnection, store: PostgresEventStore) -> Membership:
    """The membership the service knows (each state's periods of membership, from the
    registry's events), read on `connection`."""
    history = await read_history(connection, store, MEMBERS_STREAM)
    return domain.members(history.events)


async def enclosed_distributions(
    connection: AsyncConnection, store: PostgresEventStore, enclosures: Sequence[Enclosure]
) -> dict[str, Distribution]:
    """The distribution the service knows of each enclosure's document, by the enclosure's
    symbol (a revision's symbol names its document: ``SUM/2022/DRAFT/1/Rev.8``); an enclosure
    whose document it never heard of is left out."""
    known: dict[str, Distribution] = {}
    for enclosure in enclosures:
        base = domain.base_symbol(enclosure.symbol)
        history = await read_history(connection, store, document_stream(base))
        noted = domain.distribution(history.events)
        if noted is not None:
            known[enclosure.symbol] = noted
    return known


# ------------------------------------------------------------------------------ registers


async def _assignments(
    connection: AsyncConnection, store: PostgresEventStore, prefix: str
) -> tuple[list[DomainEvent], History]:
    """A prefix's assignments to registers: its series of the logs before, if it had one (a
    register of every year, named after the office), then its own stream's, which is returned
    too (the one a new assignment is appended to)."""
    legacy = await read_history(connection, store, series_stream(prefix))
    own = await read_history(connection, store, prefix_stream(prefix))
    series = NotePrefixAssigned(prefix=prefix, register_name=prefix, year=None)
    before: list[DomainEvent] = [series] if legacy.events else []
    return [*before, *own.events], own


def _register_stream(register: str, legacy: bool) -> str:
    """A register's stream; a series of the logs before keeps its own (``series-SOC-OI``)."""
    return series_stream(register) if legacy else register_stream(register)


@dataclass(frozen=True)
class _Found:
    """The register that numbers a prefix's notes of a year: its name, stream and stream type
    (a series of the logs before keeps its type, ``note_series``)."""

    name: str
    stream_id: str
    stream_type: str


async def _register_for(
    connection: AsyncConnection, store: PostgresEventStore, prefix: str, dated: date
) -> _Found:
    """The register that numbers `prefix`'s notes of `dated`'s year;
    `PrefixNotInARegisterError` if none does."""
    assignments, own = await _assignments(connection, store, prefix)
    name = domain.register_of(assignments, dated.year)
    if name is None:
        raise domain.PrefixNotInARegisterError(
            f"No register numbers {prefix} notes of {dated.year}: open one that does "
            "(POST /registers).",
            prefix=prefix,
            year=dated.year,
        )
    legacy = len(assignments) > len(own.events) and name == prefix
    return _Found(name, _register_stream(name, legacy), NOTE_SERIES if legacy else NOTE_REGISTER)


async def open_register(
    *,
    store: PostgresEventStore,
    register: str,
    prefixes: Sequence[str],
    year: int | None,
    next_number: int,
    expected: int | None = None,
) -> Recorded:
    """Open a register and assign it its prefixes for its year, in one transaction: each
    prefix's stream is appended at the version read, so that two registers opened at once
    never both take one prefix for one year."""
    stream_id = register_stream(register)

    async def open_it(connection: AsyncConnection) -> Recorded:
        opened = await decide_and_append(
            connection,
            store,
            stream_id,
            NOTE_REGISTER,
            lambda history: domain.open_register(
                domain.note_register(register, history.events),
                prefixes=prefixes,
                year=year,
                next_number=next_number,
            ),
            expected=expected,
            event_ids=_named(f"{stream_id}/opened"),
        )
        for prefix in dict.fromkeys(prefixes):
            assignments, _ = await _assignments(connection, store, prefix)
            await decide_and_append(
                connection,
                store,
                prefix_stream(prefix),
                NOTE_PREFIX,
                lambda _history, known=assignments, prefix=prefix: domain.assign_prefix(
                    known, prefix=prefix, register=register, year=year
                ),
            )
        return opened

    return await in_transaction(store, open_it, again=expected is None)


@dataclass(frozen=True)
class Issued:
    """A note issued now (`new`), or found issued already under its id."""

    note: NoteVerbaleIssued
    version: int
    new: bool


async def _number_exists(
    connection: AsyncConnection, store: PostgresEventStore, number: str
) -> bool:
    """Whether a register holds the note `number` (issued or on record), in any year."""
    prefix, sequence = domain.parse_number(number)
    assignments, own = await _assignments(connection, store, prefix)
    for name in dict.fromkeys(domain.registers_of(assignments)):
        legacy = len(assignments) > len(own.events) and name == prefix
        history = await read_history(connection, store, _register_stream(name, legacy))
        found = domain.note_register(name, history.events).note(sequence)
        if found is not None and found.number == number:
            return True
    return False


async def issue_note(
    *,
    store: PostgresEventStore,
    office: str,
    note_id: UUID,
    place: str,
    dated: date,
    subject: Texts,
    text: Texts,
    enclosures: Sequence[Enclosure],
    pages: int | None = None,
    recipients: Sequence[str] | None,
    corrects: str | None,
    expected: int | None = None,
) -> Issued:
    """Issue the next note of the register that numbers `office`'s notes (its prefix) in the
    year it is dated. Its recipients are the member states on the day it is dated unless the
    request names them; each must be able to read each enclosure the service knows the
    distribution of. Losing the race for a number, read the register again and take the next
    one (bounded), unless the client expected a version of the register (If-Match): then the
    conflict is the answer."""
    if corrects is not None:
        domain.parse_number(corrects)  # a number that is none: 422, before anything is read

    async def issue_once(connection: AsyncConnection) -> Recorded:
        now = datetime.now(UTC)
        found = await _register_for(connection, store, office, dated)
        membership = await known_members(connection, store)
        enclosed = await enclosed_distributions(connection, store, enclosures)
        corrected = corrects is not None and await _number_exists(connection, store, corrects)

        def decide(history: History) -> Decision:
            return domain.issue_note(
                domain.note_register(found.name, history.events),
                prefix=office,
                note_id=note_id,
                place=place,
                dated=dated,
                subject=subject,
                text=text,
                enclosures=enclosures,
                pages=pages,
                recipients=recipients,
                membership=membership,
                enclosed=enclosed,
                corrects=corrects,
                corrected_exists=corrected,
                now=now,
            )

        return await decide_and_append(
            connection,
            store,
            found.stream_id,
            found.stream_type,
            decide,
            expected=expected,
            event_ids=_named(f"note/{note_id}"),
        )

    async for attempt in retrying(
        on=ConcurrencyError,
        attempts=1 if expected is not None else MAX_ISSUE_ATTEMPTS,
        wait=ISSUE_BACKOFF,
    ):
        with attempt:
            async with store.engine.begin() as connection:
                recorded = await issue_once(connection)
            if recorded.events and not recorded.duplicate:
                (note,) = recorded.events
                assert isinstance(note, NoteVerbaleIssued)
                return Issued(note, recorded.version, new=True)
            return await _issued_before(store, recorded.stream_id, note_id)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _issued_before(store: PostgresEventStore, stream_id: str, note_id: UUID) -> Issued:
    """The note the register holds under `note_id`, issued by an earlier request or by a
    concurrent retry that got in first (the store recorded that one, under the same event id),
    and the register's version now."""
    history, version = await store.load(stream_id)
    note = domain.note_register(stream_id, history).note_by_id(note_id)
    assert isinstance(note, NoteVerbaleIssued), "issued, or found issued"
    return Issued(note, version, new=False)


@dataclass(frozen=True)
class OnRecord:
    """A note known by reference, recorded now (`new`) or found recorded the same already."""

    note: NoteRecordedByReference
    new: bool


async def record_note(
    *,
    store: PostgresEventStore,
    number: str,
    dated: date,
    subject: Texts,
    cited_in: Citation,
    expected: int | None = None,
) -> OnRecord:
    """Record a note the log did not issue, as a source cites it, in the register that numbers
    its prefix's notes of its year (the register's rules: `domain.record_note`)."""
    prefix, _ = domain.parse_number(number)
    note_id = note_on_record_id(number, dated)

    async def record_once(connection: AsyncConnection) -> Recorded:
        found = await _register_for(connection, store, prefix, dated)
        return await decide_and_append(
            connection,
            store,
            found.stream_id,
            found.stream_type,
            lambda history: domain.record_note(
                domain.note_register(found.name, history.events),
                note_id=note_id,
                number=number,
                dated=dated,
                subject=subject,
                cited_in=cited_in,
                now=datetime.now(UTC),
            ),
            expected=expected,
            event_ids=_named(f"note/{note_id}"),
        )

    recorded = await in_transaction(store, record_once, again=expected is None)
    if recorded.events and not recorded.duplicate:
        (note,) = recorded.events
        assert isinstance(note, NoteRecordedByReference)
        return OnRecord(note, new=True)
    history, _ = await store.load(recorded.stream_id)
    found = domain.note_register(recorded.stream_id, history).note_by_id(note_id)
    assert isinstance(found, NoteRecordedByReference), "recorded, or found recorded"
    return OnRecord(found, new=False)


async def find_note(
    store: PostgresEventStore, number: str, *, year: int | None = None
) -> NoteVerbaleIssued | NoteRecordedByReference:
    """The note of `number` (of `year`, when given), issued or on record, from its register's
    stream; `NotFoundError` if no register holds it, `AmbiguousNumberError` if registers of
    several years do and no year is given (a count restarted each year numbers a note of each
    year alike)."""
    prefix, sequence = domain.parse_number(number)
    found: list[NoteVerbaleIssued | NoteRecordedByReference] = []
    async with store.engine.connect() as connection:
        assignments, own = await _assignments(connection, store, prefix)
        for name in dict.fromkeys(domain.registers_of(assignments)):
            legacy = len(assignments) > len(own.events) and name == prefix
            history = await read_history(connection, store, _register_stream(name, legacy))
            note = domain.note_register(name, history.events).note(sequence)
            if note is not None and note.number == number:
                found.append(note)
    if year is not None:
        found = [n for n in found if n.dated.year == year]
    if not found:
        raise domain.NotFoundError(f"The note {number}", number=number)
    if len(found) > 1:
        raise domain.AmbiguousNumberError(
            f"{number} numbers a note of each of {', '.join(str(n.dated.year) for n in found)}: "
            "name the year (?year=).",
            number=number,
            years=[n.dated.year for n in found],
        )
    return found[0]


async def find_notice(store: PostgresEventStore, notice_id: UUID) -> NoticeIssued:
    history, _ = await store.load(notice_stream(notice_id))
    notice = next((e for e in history if isinstance(e, NoticeIssued)), None)
    if notice is None:
        raise domain.NotFoundError(f"The notice {notice_id}", notice_id=str(notice_id))
    return notice


# ------------------------------------------------------------------------------ receipts


@dataclass(frozen=True)
class Receipt:
    """A state's receipt of a message: recorded now (`new`), or the first one, found."""

    event: ReceiptAcknowledged
    new: bool


async def acknowledge_receipt(
    *,
    store: PostgresEventStore,
    message_id: UUID,
    recipients: Sequence[str],
    state: str,
    reference: str,
) -> Receipt:
    """`state` acknowledges the message, in its delivery's stream. The delivery worker appends
    its attempts to the same stream: a receipt that loses a race with one is decided again on
    the newer stream. A second receipt records nothing and answers the first."""
    delivery = delivery_id(message_id, state)
    stream_id = delivery_stream(delivery)

    def decide(history: History) -> Decision:
        return domain.acknowledge(
            history.events,
            delivery_id=delivery,
            message_id=message_id,
            state=state,
            recipients=recipients,
            reference=reference,
            now=datetime.now(UTC),
        )

    recorded = await run_command(
        store,
        stream_id,
        DELIVERY,
        decide,
        event_ids=_named(f"receipt/{delivery}"),
    )
    if recorded.events and not recorded.duplicate:
        (receipt,) = recorded.events
        assert isinstance(receipt, ReceiptAcknowledged)
        return Receipt(receipt, new=True)
    return Receipt(await _first_receipt(store, stream_id), new=False)


async def _first_receipt(store: PostgresEventStore, stream_id: str) -> ReceiptAcknowledged:
    """The receipt the delivery's stream holds: this request's, or a concurrent one's that
    got in first."""
    history, _ = await store.load(stream_id)
    first = domain.receipt(history)
    assert first is not None, "acknowledged, or found acknowledged"
    return first


# ------------------------------------------------------------------------------ endpoints
# An endpoint's secret is never recorded: `secret_of` derives it from the service's webhook
# key, the endpoint's id and the secret's generation, and the commands return it once, to
# whoever registered or rotated it.


class WebhookKeyMissingError(
    ProblemError,
    status=503,
    title="Webhook key not configured",
    type_="/problems/webhook-key-missing",
):
    """503: the deployment has no webhook key, so no secret can be derived (a fault of the
    deployment, not a rule: no kind of domain refusal answers 503)."""


    def __init__(self) -> None:
        super().__init__(
            "This deployment has no webhook key (CICA_NOTIFICATIONS_WEBHOOK_KEY or "
            "CICA_NOTIFICATIONS_WEBHOOK_KEY_FILE), so it signs no webhook."
        )


def secret_of(key: bytes | None, endpoint_id: UUID, generation: int) -> str:
    if key is None:
        raise WebhookKeyMissingError()
    return endpoint_secret(key, endpoint_id, generation)


@dataclass(frozen=True)
class EndpointWritten:
    """An endpoint as a command left it, and its newest secret when the command made one."""

    endpoint: domain.Endpoint
    secret: str | None = None
    """The newest secret, shown once (after a registration or a rotation)."""


async def find_endpoint(store: PostgresEventStore, endpoint_id: UUID) -> domain.Endpoint | None:
    history, _ = await store.load(endpoint_stream(endpoint_id))
    return domain.endpoint(history)


async def register_endpoint(
    *,
    store: PostgresEventStore,
    key: bytes | None,
    allow_private: bool,
    endpoint_id: UUID,
    state: str,
    url: str,
    languages: Sequence[str],
    kinds: Sequence[NoticeKind],
) -> EndpointWritten:
    """Record where `state`'s ministry receives webhooks, once its address is checked."""
    if key is None:
        raise WebhookKeyMissingError()
    await check_address(url, allow_private=allow_private)
    event = EndpointRegistered(
        endpoint_id=endpoint_id,
        state=state,
        url=url,
        languages=tuple(dict.fromkeys(languages)),
        kinds=tuple(dict.fromkeys(kinds)),
        secret_generation=1,
    )
    registered = await _change(
        store, endpoint_id, lambda history: domain.register(history, event), expected=None
    )
    return EndpointWritten(registered, secret_of(key, endpoint_id, 1))


async def _change(
    store: PostgresEventStore,
    endpoint_id: UUID,
    decide: Callable[[list[DomainEvent]], DomainEvent],
    *,
    expected: int | None,
) -> domain.Endpoint:
    """Decide on the endpoint's stream (`decide` of its events) and append: the endpoint as
    it is after."""
    after: list[domain.Endpoint] = []

    def decide_on(history: History) -> DomainEvent:
        event = decide(history.events)
        changed = domain.endpoint([*history.events, event])
        assert changed is not None
        after.append(changed)
        return event

    await run_command(store, endpoint_stream(endpoint_id), ENDPOINT, decide_on, expected=expected)
    return after[-1]


async def rotate_secret(
    *,
    store: PostgresEventStore,
    key: bytes | None,
    endpoint_id: UUID,
    now: datetime,
    grace: timedelta,
    expected: int | None = None,
) -> EndpointWritten:
    """A new secret; the previous one signs beside it until `now + grace`."""
    if key is None:
        raise WebhookKeyMissingError()
    rotated = await _change(
        store,
        endpoint_id,
        lambda history: domain.rotate(domain.endpoint(history), endpoint_id, now=now, grace=grace),
        expected=expected,
    )
    return EndpointWritten(rotated, secret_of(key, endpoint_id, rotated.generation))


async def remove_endpoint(
    *,
    store: PostgresEventStore,
    endpoint_id: UUID,
    reason: str,
    expected: int | None = None,
) -> EndpointWritten:
    removed = await _change(
        store,
        endpoint_id,
        lambda history: domain.remove(domain.endpoint(history), endpoint_id, reason=reason),
        expected=expected,
    )
    return EndpointWritten(removed)


# ------------------------------------------------------------------------------ deliveries


async def redeliver(
    *,
    store: PostgresEventStore,
    delivery_id: UUID,
    now: datetime,
    reason: str = "",
    expected: int | None = None,
) -> int:
    """Send a delivery again by hand; its attempts count anew. Returns the stream's version."""
    if await queries.delivery(store.engine, delivery_id) is None:
        raise domain.DeliveryNotFoundError(delivery_id)

    def decide(history: History) -> Decision:
        return domain.requeue(domain.progress(history.events), delivery_id, now=now, reason=reason)

    recorded = await run_command(
        store, delivery_stream(delivery_id), DELIVERY, decide, expected=expected
    )
    return recorded.version
