"""The notifications service's use cases (notes, notices, receipts, ministry endpoints,
redelivery by hand), one async function each, on the kit's command path
(`shared.commands`): read the stream → decide (a pure function of its `History`) → append at
the version read, in one transaction, so a concurrent writer makes the append fail with a
version conflict and nothing is recorded.

Issuing a note appends to its series' stream at the version it read: two notes issued at once
cannot take the same number, and none is skipped. The loser of such a race reads the series
again and takes the next number (`MAX_ISSUE_ATTEMPTS` times at most, each after a short
jittered backoff), so a client sees a conflict only when the series is contended beyond reason.
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
    NOTE_SERIES,
    Enclosure,
    EndpointRegistered,
    NoteVerbaleIssued,
    NoticeIssued,
    NoticeKind,
    ReceiptAcknowledged,
    Texts,
    delivery_id,
    delivery_stream,
    document_stream,
    endpoint_stream,
    notice_stream,
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


# ------------------------------------------------------------------------------ note series


async def open_series(
    *, store: PostgresEventStore, office: str, next_number: int, expected: int | None = None
) -> Recorded:
    stream_id = series_stream(office)

    def decide(history: History) -> Decision:
        return domain.open_series(domain.series(office, history.events), next_number=next_number)

    return await run_command(
        store,
        stream_id,
        NOTE_SERIES,
        decide,
        expected=expected,
        event_ids=_named(f"{stream_id}/opened"),
    )


@dataclass(frozen=True)
class Issued:
    """A note issued now (`new`), or found issued already under its id."""

    note: NoteVerbaleIssued
    version: int
    new: bool


async def _series_of(
    connection: AsyncConnection, store: PostgresEventStore, number: str | None, office: str
) -> domain.Series | None:
    """The series of the note `number` corrects, when it is another office's (None: no
    correction, or one within the note's own series)."""
    if number is None:
        return None
    other, _ = domain.parse_number(number)
    if other == office:
        return None
    history = await read_history(connection, store, series_stream(other))
    return domain.series(other, history.events)


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
    recipients: Sequence[str] | None,
    corrects: str | None,
    expected: int | None = None,
) -> Issued:
    """Issue the series' next note. Its recipients are the member states on the day it is
    dated unless the request names them; each must be able to read each enclosure the service
    knows the distribution of. Losing the race for a number, read the series again and take the
    next one (bounded), unless the client expected a version of the series (If-Match): then the
    conflict is the answer."""
    if corrects is not None:
        domain.parse_number(corrects)  # a number that is none: 422, before anything is read
    stream_id = series_stream(office)

    async def issue_once(connection: AsyncConnection) -> Recorded:
        now = datetime.now(UTC)
        membership = await known_members(connection, store)
        enclosed = await enclosed_distributions(connection, store, enclosures)
        elsewhere = await _series_of(connection, store, corrects, office)

        def decide(history: History) -> Decision:
            state = domain.series(office, history.events)
            corrected = None
            if corrects is not None:
                corrected = (elsewhere or state).note(domain.parse_number(corrects)[1])
            return domain.issue_note(
                state,
                note_id=note_id,
                place=place,
                dated=dated,
                subject=subject,
                text=text,
                enclosures=enclosures,
                recipients=recipients,
                membership=membership,
                enclosed=enclosed,
                corrects=corrects,
                corrected_exists=corrected is not None,
                now=now,
            )

        return await decide_and_append(
            connection,
            store,
            stream_id,
            NOTE_SERIES,
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
            return await _issued_before(store, office, note_id)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _issued_before(store: PostgresEventStore, office: str, note_id: UUID) -> Issued:
    """The note the series holds under `note_id`, issued by an earlier request or by a
    concurrent retry that got in first (the store recorded that one, under the same event id),
    and the series' version now."""
    history, version = await store.load(series_stream(office))
    note = domain.series(office, history).note_by_id(note_id)
    assert note is not None, "issued, or found issued"
    return Issued(note, version, new=False)


async def find_note(store: PostgresEventStore, number: str) -> NoteVerbaleIssued:
    """The note of `number`, from its series' stream; `NotFoundError` if never issued."""
    office, sequence = domain.parse_number(number)
    history, _ = await store.load(series_stream(office))
    note = domain.series(office, history).note(sequence)
    if note is None:
        raise domain.NotFoundError(f"The note {number}", number=number)
    return note


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
