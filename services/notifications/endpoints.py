"""Ministry endpoints: where a member state's ministry receives notes by webhook. The rules (a
fold of the ``endpoint-<id>`` stream, and the decisions) and the use cases (load → decide →
append at the version read, so a concurrent write conflicts and records nothing).

An endpoint's secret is never recorded: `secret_of` derives it from the service's webhook key,
the endpoint's id and the secret's generation, and the commands return it once, to whoever
registered or rotated it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from services.notifications.events import (
    EndpointRegistered,
    EndpointRemoved,
    EndpointSecretRotated,
    NoticeKind,
)
from services.notifications.webhooks import check_address, endpoint_secret
from shared.eventstore import NO_STREAM, ConcurrencyError, DomainEvent, PostgresEventStore
from shared.http.problems import ProblemError

ENDPOINT = "endpoint"


def endpoint_stream(endpoint_id: UUID) -> str:
    return f"endpoint-{endpoint_id}"


# ------------------------------------------------------------------------------ errors


class EndpointNotFoundError(ProblemError):
    status = 404
    title = "Endpoint not found"
    type_ = "/problems/endpoint-not-found"

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"No endpoint {endpoint_id}.", endpoint_id=str(endpoint_id))


class EndpointRemovedError(ProblemError):
    status = 409
    title = "Endpoint removed"
    type_ = "/problems/endpoint-removed"

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"Endpoint {endpoint_id} was removed.", endpoint_id=str(endpoint_id))


class EndpointExistsError(ProblemError):
    status = 409
    title = "Endpoint exists"
    type_ = "/problems/endpoint-exists"

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(
            f"Endpoint {endpoint_id} is registered already.", endpoint_id=str(endpoint_id)
        )


class WebhookKeyMissingError(ProblemError):
    """503: the deployment has no webhook key, so no secret can be derived."""

    status = 503
    title = "Webhook key not configured"
    type_ = "/problems/webhook-key-missing"

    def __init__(self) -> None:
        super().__init__(
            "This deployment has no webhook key (CICA_NOTIFICATIONS_WEBHOOK_KEY or "
            "CICA_NOTIFICATIONS_WEBHOOK_KEY_FILE), so it signs no webhook."
        )


# ------------------------------------------------------------------------------ the rules


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: UUID
    state: str
    url: str
    languages: tuple[str, ...]
    kinds: tuple[NoticeKind, ...]
    generation: int
    previous_until: datetime | None
    removed: bool
    version: int

    def generations_in_force(self, now: datetime) -> list[int]:
        """The secret generations that sign at `now`: the newest, and the previous one while
        its grace period lasts."""
        if self.previous_until is not None and now < self.previous_until:
            return [self.generation, self.generation - 1]
        return [self.generation]


def endpoint(history: Sequence[DomainEvent]) -> Endpoint | None:
    """The endpoint its stream's events describe; None when it was never registered."""
    current: Endpoint | None = None
    for version, event in enumerate(history, start=1):
        if isinstance(event, EndpointRegistered):
            current = Endpoint(
                endpoint_id=event.endpoint_id,
                state=event.state,
                url=event.url,
                languages=event.languages,
                kinds=event.kinds,
                generation=event.secret_generation,
                previous_until=None,
                removed=False,
                version=version,
            )
        elif current is not None and isinstance(event, EndpointSecretRotated):
            current = replace(
                current,
                generation=event.secret_generation,
                previous_until=event.previous_until,
                version=version,
            )
        elif current is not None and isinstance(event, EndpointRemoved):
            current = replace(current, removed=True, version=version)
    return current


def rotate(
    current: Endpoint | None, endpoint_id: UUID, *, now: datetime, grace: timedelta
) -> EndpointSecretRotated:
    if current is None:
        raise EndpointNotFoundError(endpoint_id)
    if current.removed:
        raise EndpointRemovedError(endpoint_id)
    return EndpointSecretRotated(
        secret_generation=current.generation + 1, previous_until=now + grace
    )


def remove(current: Endpoint | None, endpoint_id: UUID, *, reason: str) -> EndpointRemoved:
    if current is None:
        raise EndpointNotFoundError(endpoint_id)
    if current.removed:
        raise EndpointRemovedError(endpoint_id)
    return EndpointRemoved(reason=reason)


def secret_of(key: bytes | None, endpoint_id: UUID, generation: int) -> str:
    if key is None:
        raise WebhookKeyMissingError()
    return endpoint_secret(key, endpoint_id, generation)


# ------------------------------------------------------------------------------ use cases


@dataclass(frozen=True)
class Written:
    endpoint: Endpoint
    secret: str | None = None
    """The newest secret, shown once (after a registration or a rotation)."""


async def load(store: PostgresEventStore, endpoint_id: UUID) -> Endpoint | None:
    history, _ = await store.load(endpoint_stream(endpoint_id))
    return endpoint(history)


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
) -> Written:
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
    try:
        await store.append(
            endpoint_stream(endpoint_id), [event], stream_type=ENDPOINT, expected_version=NO_STREAM
        )
    except ConcurrencyError:
        raise EndpointExistsError(endpoint_id) from None
    registered = endpoint([event])
    assert registered is not None
    return Written(registered, secret_of(key, endpoint_id, 1))


async def _decide(
    store: PostgresEventStore, endpoint_id: UUID, decide, expected: int | None
) -> Endpoint:  # type: ignore[no-untyped-def]
    history, version = await store.load(endpoint_stream(endpoint_id))
    if expected is not None and expected != version:
        raise ConcurrencyError(endpoint_stream(endpoint_id), expected, version)
    event = decide(endpoint(history))
    await store.append(
        endpoint_stream(endpoint_id), [event], stream_type=ENDPOINT, expected_version=version
    )
    changed = endpoint([*history, event])
    assert changed is not None
    return changed


async def rotate_secret(
    *,
    store: PostgresEventStore,
    key: bytes | None,
    endpoint_id: UUID,
    now: datetime,
    grace: timedelta,
    expected: int | None = None,
) -> Written:
    """A new secret; the previous one signs beside it until `now + grace`."""
    if key is None:
        raise WebhookKeyMissingError()
    rotated = await _decide(
        store,
        endpoint_id,
        lambda current: rotate(current, endpoint_id, now=now, grace=grace),
        expected,
    )
    return Written(rotated, secret_of(key, endpoint_id, rotated.generation))


async def remove_endpoint(
    *,
    store: PostgresEventStore,
    endpoint_id: UUID,
    reason: str,
    expected: int | None = None,
) -> Written:
    removed = await _decide(
        store, endpoint_id, lambda current: remove(current, endpoint_id, reason=reason), expected
    )
    return Written(removed)
