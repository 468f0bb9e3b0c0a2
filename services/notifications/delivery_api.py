"""The delivery side's HTTP API: ministry endpoints, and the deliveries of notes and notices to
them with every attempt's history.

A member state registers, rotates and removes its own endpoints and reads its own deliveries;
the Secretariat does all of it on any state's behalf, and alone sends a delivery again by hand;
auditors read. An endpoint's secret is in the answer to its registration or rotation, and
nowhere else, ever.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.notifications import endpoints as endpoint_rules
from services.notifications.delivery import DeliveryNotFoundError, delivery_stream, redeliver
from services.notifications.delivery_projections import STATUSES, deliveries, messages
from services.notifications.delivery_projections import endpoints as endpoints_table
from services.notifications.events import (
    LanguageTag,
    NoticeKind,
)
from services.notifications.events import (
    delivery_id as delivery_id_of,
)
from services.notifications.settings import NotificationsSettings
from shared.access import Caller, Principal, Role, StateCode, act_for, allow
from shared.eventstore import PostgresEventStore
from shared.http.etag import ExpectedVersion, set_etag
from shared.projections import ProjectionRunner

router = APIRouter()

READERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE, Role.AUDITOR)
WRITERS = allow(Role.SECRETARIAT, Role.MEMBER_STATE)
SECRETARIAT = allow(Role.SECRETARIAT)

# Examples, from the seed's note verbale No. SOC/OI/1280 of 7 October 2022 to Kazakhstan's
# ministry, in English, Russian and Kazakh.
ENDPOINT_EXAMPLE = "3f1c9a52-6d7e-4b8a-9c21-5e0f7a4b2d10"
NOTE_EXAMPLE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
DELIVERY_EXAMPLE = str(delivery_id_of(UUID(NOTE_EXAMPLE), "KAZ"))
URL_EXAMPLE = "https://mfa.example.kz/cica/notes"
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _store(request: Request) -> PostgresEventStore:
    return request.app.state.store


def _settings(request: Request) -> NotificationsSettings:
    return request.app.state.settings


Store = Annotated[PostgresEventStore, Depends(_store)]
Settings = Annotated[NotificationsSettings, Depends(_settings)]
EndpointId = Annotated[UUID, Path(examples=[ENDPOINT_EXAMPLE])]
DeliveryId = Annotated[UUID, Path(examples=[DELIVERY_EXAMPLE])]


async def _caught_up(request: Request) -> None:
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:  # read what was written before this request, when it is quick
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=2.0)


def _own(caller: Principal, state: str) -> bool:
    return caller.role is not Role.MEMBER_STATE or caller.state == state


# ------------------------------------------------------------------------------ endpoints


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "state": "KAZ",
                    "url": URL_EXAMPLE,
                    "languages": ["en", "ru", "kk"],
                    "kinds": ["note_verbale", "document_revised"],
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "endpoint_id": ENDPOINT_EXAMPLE,
                    "state": "KAZ",
                    "url": URL_EXAMPLE,
                    "languages": ["en", "ru", "kk"],
                    "kinds": ["note_verbale", "document_revised"],
                    "secret_generation": 1,
                    "previous_secret_until": None,
                    "removed": False,
                    "version": 1,
                }
            ]
        }
    )

    endpoint_id: UUID
    state: str
    url: str
    languages: list[str]
    kinds: list[NoticeKind]
    secret_generation: int
    previous_secret_until: datetime | None
    removed: bool
    version: int


class EndpointWithSecretOut(EndpointOut):
    """The endpoint, and its newest signing secret: shown this once, never again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "endpoint_id": ENDPOINT_EXAMPLE,
                    "state": "KAZ",
                    "url": URL_EXAMPLE,
                    "languages": ["en", "ru", "kk"],
                    "kinds": ["note_verbale", "document_revised"],
                    "secret_generation": 1,
                    "previous_secret_until": None,
                    "removed": False,
                    "version": 1,
                    "secret": SECRET_EXAMPLE,
                }
            ]
        }
    )

    secret: str = Field(description="The Standard Webhooks secret (whsec_...) to verify with.")


class EndpointsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"endpoints": [EndpointOut.model_config["json_schema_extra"]["examples"][0]]}
            ]
        }
    )  # type: ignore[index]

    endpoints: list[EndpointOut]


class SecretRotationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"previous_valid_for_hours": 24}]}
    )

    previous_valid_for_hours: float | None = Field(
        None,
        ge=0,
        le=24 * 30,
        description="How long the previous secret still signs beside the new one (the "
        "deployment's default when absent).",
    )


class RemovalIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "The ministry receives notes at a new address from 1 November 2022."}
            ]
        },
    )

    reason: str = Field("", max_length=1000)


def _endpoint_out(endpoint: endpoint_rules.Endpoint) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint.endpoint_id,
        "state": endpoint.state,
        "url": endpoint.url,
        "languages": list(endpoint.languages),
        "kinds": list(endpoint.kinds),
        "secret_generation": endpoint.generation,
        "previous_secret_until": endpoint.previous_until,
        "removed": endpoint.removed,
        "version": endpoint.version,
    }


async def _visible_endpoint(
    store: PostgresEventStore, caller: Principal, endpoint_id: UUID
) -> endpoint_rules.Endpoint:
    endpoint = await endpoint_rules.load(store, endpoint_id)
    if endpoint is None or not _own(caller, endpoint.state):
        raise endpoint_rules.EndpointNotFoundError(endpoint_id)
    return endpoint


@router.post("/endpoints", status_code=201, tags=["endpoints"])
@WRITERS
async def register_endpoint(
    body: EndpointIn, store: Store, settings: Settings, caller: Caller, response: Response
) -> EndpointWithSecretOut:
    """Register where a state's ministry receives notes and notices by webhook (a member state
    for itself, the Secretariat on its behalf). The URL must be https, and every address its
    host resolves to public: a private, loopback, link-local, multicast, reserved or
    unspecified address is refused (422), and nothing is recorded. The answer carries the
    endpoint's signing secret, this once."""
    state = act_for(caller, body.state)
    written = await endpoint_rules.register_endpoint(
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
    return EndpointWithSecretOut(**_endpoint_out(written.endpoint), secret=written.secret or "")


@router.get("/endpoints", tags=["endpoints"])
@READERS
async def list_endpoints(
    request: Request,
    store: Store,
    caller: Caller,
    state: Annotated[StateCode | None, Query(examples=["KAZ"])] = None,
    include_removed: Annotated[bool, Query(examples=[False])] = False,
) -> EndpointsOut:
    """The ministries' endpoints (a member state sees its own only), with no secret."""
    await _caught_up(request)
    e = endpoints_table
    query = select(e).order_by(e.c.state, e.c.registered_position)
    if caller.role is Role.MEMBER_STATE:
        query = query.where(e.c.state == caller.state)
    if state is not None:
        query = query.where(e.c.state == state)
    if not include_removed:
        query = query.where(e.c.removed.is_(False))
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return EndpointsOut(
        endpoints=[
            EndpointOut(
                endpoint_id=r.endpoint_id,
                state=r.state,
                url=r.url,
                languages=r.languages,
                kinds=r.kinds,
                secret_generation=r.generation,
                previous_secret_until=r.previous_until,
                removed=r.removed,
                version=r.version,
            )
            for r in rows
        ]
    )


@router.get("/endpoints/{endpoint_id}", tags=["endpoints"])
@READERS
async def get_endpoint(
    endpoint_id: EndpointId, store: Store, caller: Caller, response: Response
) -> EndpointOut:
    """One endpoint, as its stream has it now (a member state's own only), with no secret."""
    endpoint = await _visible_endpoint(store, caller, endpoint_id)
    set_etag(response, endpoint.version)
    return EndpointOut(**_endpoint_out(endpoint))


@router.post("/endpoints/{endpoint_id}/secret", status_code=201, tags=["endpoints"])
@WRITERS
async def rotate_endpoint_secret(
    endpoint_id: EndpointId,
    store: Store,
    settings: Settings,
    caller: Caller,
    response: Response,
    expected: ExpectedVersion,
    body: SecretRotationIn | None = None,
) -> EndpointWithSecretOut:
    """A new signing secret for the endpoint, shown this once. Until `previous_secret_until`
    every webhook carries two signatures, by the new secret and the previous one, so the
    ministry can switch without missing a delivery."""
    await _visible_endpoint(store, caller, endpoint_id)
    hours = body.previous_valid_for_hours if body is not None else None
    grace = timedelta(hours=settings.secret_rotation_grace_hours if hours is None else hours)
    written = await endpoint_rules.rotate_secret(
        store=store,
        key=settings.webhook_key_bytes(),
        endpoint_id=endpoint_id,
        now=datetime.now(UTC),
        grace=grace,
        expected=expected,
    )
    set_etag(response, written.endpoint.version)
    return EndpointWithSecretOut(**_endpoint_out(written.endpoint), secret=written.secret or "")


@router.delete("/endpoints/{endpoint_id}", tags=["endpoints"])
@WRITERS
async def remove_endpoint(
    endpoint_id: EndpointId,
    store: Store,
    caller: Caller,
    response: Response,
    expected: ExpectedVersion,
    body: RemovalIn | None = None,
) -> EndpointOut:
    """Remove an endpoint: nothing more is sent to it (the state still reads its inbox)."""
    await _visible_endpoint(store, caller, endpoint_id)
    written = await endpoint_rules.remove_endpoint(
        store=store, endpoint_id=endpoint_id, reason=body.reason if body else "", expected=expected
    )
    set_etag(response, written.endpoint.version)
    return EndpointOut(**_endpoint_out(written.endpoint))


# ------------------------------------------------------------------------------ deliveries


class HistoryEntry(BaseModel):
    event: str
    version: int
    recorded_at: datetime
    data: dict[str, Any]


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": DELIVERY_EXAMPLE,
                    "message_id": NOTE_EXAMPLE,
                    "number": "SOC/OI/1280",
                    "state": "KAZ",
                    "kind": "note_verbale",
                    "status": "succeeded",
                    "attempts": 2,
                    "endpoint_id": ENDPOINT_EXAMPLE,
                    "next_attempt_at": None,
                    "last_outcome": "status 200",
                    "history": [
                        {
                            "event": "DeliveryAttempted",
                            "version": 1,
                            "recorded_at": "2022-10-07T05:00:00.120000Z",
                            "data": {
                                "delivery_id": DELIVERY_EXAMPLE,
                                "message_id": NOTE_EXAMPLE,
                                "state": "KAZ",
                                "endpoint_id": ENDPOINT_EXAMPLE,
                                "attempt": 1,
                                "attempted_at": "2022-10-07T05:00:00.118000Z",
                            },
                        },
                        {
                            "event": "DeliveryFailed",
                            "version": 2,
                            "recorded_at": "2022-10-07T05:00:10.130000Z",
                            "data": {
                                "attempt": 1,
                                "reason": "timeout",
                                "status_code": None,
                                "failed_at": "2022-10-07T05:00:10.128000Z",
                                "next_attempt_at": "2022-10-07T05:00:11.500000Z",
                            },
                        },
                        {
                            "event": "DeliveryAttempted",
                            "version": 3,
                            "recorded_at": "2022-10-07T05:00:11.520000Z",
                            "data": {
                                "delivery_id": DELIVERY_EXAMPLE,
                                "message_id": NOTE_EXAMPLE,
                                "state": "KAZ",
                                "endpoint_id": ENDPOINT_EXAMPLE,
                                "attempt": 2,
                                "attempted_at": "2022-10-07T05:00:11.518000Z",
                            },
                        },
                        {
                            "event": "DeliverySucceeded",
                            "version": 4,
                            "recorded_at": "2022-10-07T05:00:11.700000Z",
                            "data": {
                                "attempt": 2,
                                "status_code": 200,
                                "answered_at": "2022-10-07T05:00:11.698000Z",
                            },
                        },
                    ],
                }
            ]
        }
    )

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


class DeliveriesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "deliveries": [
                        {
                            **{
                                k: v
                                for k, v in DeliveryOut.model_config["json_schema_extra"][
                                    "examples"
                                ][0].items()  # type: ignore[index]
                                if k != "history"
                            },
                            "history": None,
                        }
                    ]
                }
            ]
        }
    )

    deliveries: list[DeliveryOut]


class RedeliveryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "The ministry's receiver was down from 7 to 9 October 2022."}]
        },
    )

    reason: str = Field("", max_length=1000)


def _delivery_query() -> Any:
    d, m = deliveries, messages
    return select(d, m.c.data["number"].astext.label("number")).join(
        m, m.c.message_id == d.c.message_id
    )


def _delivery_out(row: Any, history: list[HistoryEntry] | None = None) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=row.delivery_id,
        message_id=row.message_id,
        number=row.number,
        state=row.state,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        endpoint_id=row.endpoint_id,
        next_attempt_at=row.next_attempt_at,
        last_outcome=row.last_outcome,
        history=history,
    )


@router.get("/deliveries", tags=["deliveries"])
@READERS
async def list_deliveries(
    request: Request,
    store: Store,
    caller: Caller,
    message_id: Annotated[UUID | None, Query(examples=[NOTE_EXAMPLE])] = None,
    state: Annotated[StateCode | None, Query(examples=["KAZ"])] = None,
    status: Annotated[
        str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$", examples=["dead_lettered"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, examples=[100])] = 100,
) -> DeliveriesOut:
    """Deliveries of notes and notices, one per message and recipient state, newest message
    first (a member state sees its own only)."""
    await _caught_up(request)
    d = deliveries
    query = _delivery_query().order_by(d.c.message_position.desc(), d.c.state).limit(limit)
    if caller.role is Role.MEMBER_STATE:
        query = query.where(d.c.state == caller.state)
    if message_id is not None:
        query = query.where(d.c.message_id == str(message_id))
    if state is not None:
        query = query.where(d.c.state == state)
    if status is not None:
        query = query.where(d.c.status == status)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return DeliveriesOut(deliveries=[_delivery_out(r) for r in rows])


async def _delivery(
    store: PostgresEventStore, caller: Principal, delivery_id: UUID, response: Response
) -> DeliveryOut:
    async with store.engine.connect() as connection:
        row = (
            await connection.execute(
                _delivery_query().where(deliveries.c.delivery_id == str(delivery_id))
            )
        ).first()
    if row is None or not _own(caller, row.state):
        raise DeliveryNotFoundError(delivery_id)
    records = await store.read_stream(delivery_stream(delivery_id))
    history = [
        HistoryEntry(event=r.event_type, version=r.version, recorded_at=r.recorded_at, data=r.data)
        for r in records
    ]
    if records:
        set_etag(response, records[-1].version)
    return _delivery_out(row, history)


@router.get("/deliveries/{delivery_id}", tags=["deliveries"])
@READERS
async def get_delivery(
    delivery_id: DeliveryId, request: Request, store: Store, caller: Caller, response: Response
) -> DeliveryOut:
    """One delivery with its whole history: each attempt, its outcome, dead-lettering,
    redelivery by hand, and the state's receipt (a member state's own only)."""
    await _caught_up(request)
    return await _delivery(store, caller, delivery_id, response)


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202, tags=["deliveries"])
@SECRETARIAT
async def redeliver_delivery(
    delivery_id: DeliveryId,
    request: Request,
    store: Store,
    caller: Caller,
    response: Response,
    expected: ExpectedVersion,
    body: RedeliveryIn | None = None,
) -> DeliveryOut:
    """Send a delivery again by hand (after a dead letter, or one never sent because its
    state had no endpoint then): ``DeliveryRequeued``, its attempts count anew, and the worker
    sends it to the state's endpoint. A delivery that succeeded, or is being attempted, is not
    sent again (409)."""
    await _caught_up(request)
    version = await redeliver(
        store=store,
        delivery_id=delivery_id,
        now=datetime.now(UTC),
        reason=body.reason if body else "",
        expected=expected,
    )
    runner: ProjectionRunner | None = getattr(request.app.state, "projection_runner", None)
    if runner is not None:
        with contextlib.suppress(TimeoutError):
            await runner.wait_until_caught_up(within=2.0)
    answer = await _delivery(store, caller, delivery_id, response)
    set_etag(response, version)
    return answer
