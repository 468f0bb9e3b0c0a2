"""The delivery side's HTTP API: ministry endpoints, and the deliveries of notes and notices to
them with every attempt's history (the bodies and answers are in `delivery_schemas`, the reads
in `queries`).

A member state registers, rotates and removes its own endpoints and reads its own deliveries;
the Secretariat does all of it on any state's behalf, and alone sends a delivery again by hand;
auditors read. An endpoint's secret is in the answer to its registration or rotation, and
nowhere else, ever: not in the log (it is derived from the service's webhook key), and not in
the answer kept for an Idempotency-Key (a replay has ``"secret": null`` and
``"withheld": ["secret"]``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request, Response

from services.notifications import commands, domain, examples, queries
from services.notifications.deps import (
    DeliveryId,
    EndpointId,
    Settings,
    caught_up,
    may_see,
    read_models,
)
from services.notifications.events import delivery_stream
from services.notifications.schemas import (
    DeliveriesAfter,
    DeliveriesOut,
    DeliveryOut,
    EndpointIn,
    EndpointOut,
    EndpointsAfter,
    EndpointsOut,
    EndpointWithSecretOut,
    HistoryEntry,
    RedeliveryIn,
    RemovalIn,
    SecretRotationIn,
)
from shared.access import Caller, Principal, Role, StateCode, act_for, allow
from shared.eventstore import PostgresEventStore
from shared.http.etag import set_etag
from shared.http.idempotency import withheld_from_replays
from shared.http.pages import DEFAULT_LIMIT, Limit
from shared.http.problems import PROBLEM_JSON
from shared.http.writes import Store, Write

router = APIRouter()

READERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE, Role.AUDITOR)
WRITERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE)
SECRETARIAT = allow(Role.SECRETARIAT)


# ------------------------------------------------------------------------------ endpoints


async def _visible_endpoint(
    store: PostgresEventStore, caller: Principal, endpoint_id: UUID
) -> domain.Endpoint:
    endpoint = await commands.find_endpoint(store, endpoint_id)
    if endpoint is None or not may_see(caller, (endpoint.state,)):
        raise domain.EndpointNotFoundError(endpoint_id)
    return endpoint


@router.post("/endpoints", status_code=201, tags=["endpoints"])
@WRITERS
@withheld_from_replays("secret")
async def register_endpoint(
    body: EndpointIn, store: Store, settings: Settings, caller: Caller, response: Response
) -> EndpointWithSecretOut:
    """Register where a state's ministry receives notes and notices by webhook (a member state
    for itself, the Secretariat on its behalf). The URL must be https, and every address its
    host resolves to public: a private, loopback, link-local, multicast, reserved or
    unspecified address is refused (422), and nothing is recorded. The answer carries the
    endpoint's signing secret, this once. A retry with the same Idempotency-Key gets the same
    endpoint without it (`"secret": null`, `"withheld": ["secret"]`): the secret is never
    stored, so if the first answer was lost, rotate the secret to get a new one."""
    state = act_for(caller, body.state)
    written = await commands.register_endpoint(
        store=store,
        key=settings.webhook_key_bytes(),
        allow_private=settings.allow_private_endpoints,
        endpoint_id=body.endpoint_id or uuid4(),
        state=state,
        url=body.url,
        languages=body.languages,
        kinds=body.kinds,
    )
    set_etag(response, written.endpoint.version)
    response.headers["Location"] = f"/endpoints/{written.endpoint.endpoint_id}"
    return EndpointWithSecretOut.of_written(written)


@router.get("/endpoints", tags=["endpoints"])
@READERS
async def list_endpoints(
    request: Request,
    caller: Caller,
    state: Annotated[StateCode | None, Query(examples=["KAZ"])] = None,
    include_removed: Annotated[bool, Query(examples=[False])] = False,
    limit: Limit = DEFAULT_LIMIT,
    after: EndpointsAfter = None,
) -> EndpointsOut:
    """The ministries' endpoints (a member state sees its own only), with no secret; a page at
    a time, by state then in the order of registration, at most `limit` after the cursor
    `after`; `next_after` reads on."""
    page = await queries.endpoints(
        await read_models(request),
        reader=caller.state,
        state=state,
        include_removed=include_removed,
        after=after,
        limit=limit,
    )
    return EndpointsOut(
        endpoints=[EndpointOut.of(row) for row in page.items], next_after=page.next_after
    )


@router.get(
    "/endpoints/{endpoint_id}",
    tags=["endpoints"],
    responses={410: {
        "description": "The endpoint was removed (`/problems/endpoint-gone`); the list shows "
        "it with `include_removed=true`.",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }},
)
@READERS
async def get_endpoint(
    endpoint_id: EndpointId, store: Store, caller: Caller, response: Response
) -> EndpointOut:
    """One endpoint, as its stream has it now (a member state's own only), with no secret;
    410 once it is removed."""
    endpoint = await _visible_endpoint(store, caller, endpoint_id)
    if endpoint.removed:
        raise domain.EndpointGoneError(endpoint_id)
    set_etag(response, endpoint.version)
    return EndpointOut.of(endpoint)


@router.post("/endpoints/{endpoint_id}/secret", status_code=201, tags=["endpoints"])
@WRITERS
@withheld_from_replays("secret")
async def rotate_endpoint_secret(
    endpoint_id: EndpointId,
    settings: Settings,
    caller: Caller,
    write: Write,
    body: SecretRotationIn | None = None,
) -> EndpointWithSecretOut:
    """A new signing secret for the endpoint, shown this once. Until `previous_secret_until`
    every webhook carries two signatures, by the new secret and the previous one, so the
    ministry can switch without missing a delivery. A retry with the same Idempotency-Key
    gets the answer without the secret (`"secret": null`, `"withheld": ["secret"]`): it is
    never stored; rotate again if the first answer was lost."""
    await _visible_endpoint(write.store, caller, endpoint_id)
    hours = body.previous_valid_for_hours if body is not None else None
    written = await commands.rotate_secret(
        store=write.store,
        expected=write.expected,
        key=settings.webhook_key_bytes(),
        endpoint_id=endpoint_id,
        now=datetime.now(UTC),
        grace=timedelta(hours=settings.secret_rotation_grace_hours if hours is None else hours),
    )
    write.etag(written.endpoint.version)
    return EndpointWithSecretOut.of_written(written)


@router.delete("/endpoints/{endpoint_id}", tags=["endpoints"])
@WRITERS
async def remove_endpoint(
    endpoint_id: EndpointId, caller: Caller, write: Write, body: RemovalIn | None = None
) -> EndpointOut:
    """Remove an endpoint: nothing more is sent to it (the state still reads its inbox)."""
    await _visible_endpoint(write.store, caller, endpoint_id)
    written = await commands.remove_endpoint(
        store=write.store,
        expected=write.expected,
        endpoint_id=endpoint_id,
        reason=body.reason if body else "",
    )
    write.etag(written.endpoint.version)
    return EndpointOut.of(written.endpoint)


# ------------------------------------------------------------------------------ deliveries


@router.get("/deliveries", tags=["deliveries"])
@READERS
async def list_deliveries(
    request: Request,
    caller: Caller,
    message_id: Annotated[UUID | None, Query(examples=[examples.DELIVERED_NOTE_ID])] = None,
    state: Annotated[StateCode | None, Query(examples=["KAZ"])] = None,
    status: Annotated[
        str | None,
        Query(pattern="^(" + "|".join(domain.STATUSES) + ")$", examples=["dead_lettered"]),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: DeliveriesAfter = None,
) -> DeliveriesOut:
    """Deliveries of notes and notices, one per message and recipient state (a member state
    sees its own only); a page at a time, in the order the messages were issued then by
    state, at most `limit` after the cursor `after`; `next_after` reads on."""
    page = await queries.deliveries(
        await read_models(request),
        reader=caller.state,
        message_id=message_id,
        state=state,
        status=status,
        after=after,
        limit=limit,
    )
    return DeliveriesOut(
        deliveries=[DeliveryOut.of(row) for row in page.items], next_after=page.next_after
    )


async def _delivery(
    request: Request, store: PostgresEventStore, caller: Principal, delivery_id: UUID
) -> tuple[DeliveryOut, int | None]:
    """The delivery with its history, once the read models have caught up; and its stream's
    version (None before its first event)."""
    row = await queries.delivery(await read_models(request), delivery_id)
    if row is None or not may_see(caller, (row.state,)):
        raise domain.DeliveryNotFoundError(delivery_id)
    records = await store.read_stream(delivery_stream(delivery_id))
    history = [HistoryEntry.of(record) for record in records]
    return DeliveryOut.of(row, history), records[-1].version if records else None


@router.get("/deliveries/{delivery_id}", tags=["deliveries"])
@READERS
async def get_delivery(
    delivery_id: DeliveryId, request: Request, store: Store, caller: Caller, response: Response
) -> DeliveryOut:
    """One delivery with its whole history: each attempt, its outcome, dead-lettering,
    redelivery by hand, and the state's receipt (a member state's own only)."""
    delivery, version = await _delivery(request, store, caller, delivery_id)
    if version is not None:
        set_etag(response, version)
    return delivery


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202, tags=["deliveries"])
@SECRETARIAT
async def redeliver_delivery(
    delivery_id: DeliveryId,
    request: Request,
    caller: Caller,
    write: Write,
    body: RedeliveryIn | None = None,
) -> DeliveryOut:
    """Send a delivery again by hand (after a dead letter, or one never sent because its
    state had no endpoint then): ``DeliveryRequeued``, its attempts count anew, and the worker
    sends it to the state's endpoint. A delivery that succeeded, or is being attempted, is not
    sent again (409)."""
    await caught_up(request)
    version = await commands.redeliver(
        store=write.store,
        expected=write.expected,
        delivery_id=delivery_id,
        now=datetime.now(UTC),
        reason=body.reason if body else "",
    )
    delivery, _ = await _delivery(request, write.store, caller, delivery_id)
    write.etag(version)
    return delivery
