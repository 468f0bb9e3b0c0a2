"""Webhooks without a database: secrets derived from the key, Standard Webhooks signatures, the
addresses a webhook may go to, the backoff, and when a delivery is due."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.delivery import backoff
from services.notifications.domain import is_due, progress
from services.notifications.events import (
    DeliveryAttempted,
    DeliveryDeadLettered,
    DeliveryFailed,
    DeliveryRequeued,
    DeliverySucceeded,
)
from services.notifications.webhooks import (
    NAME_REFUSED,
    EndpointAddressRefusedError,
    check_address,
    encode_body,
    endpoint_secret,
    refusal,
    signature_headers,
)

KEY = b"a-webhook-key-for-the-tests-only-0123456789abcdef"
NOW = datetime(2022, 10, 7, 5, 0, tzinfo=UTC)
LEASE = timedelta(seconds=12)


def test_a_secret_is_derived_from_the_key_the_endpoint_and_its_generation():
    endpoint = uuid4()
    secret = endpoint_secret(KEY, endpoint, 1)
    assert secret.startswith("whsec_")
    assert secret == endpoint_secret(KEY, endpoint, 1)
    assert secret != endpoint_secret(KEY, endpoint, 2)
    assert secret != endpoint_secret(KEY, uuid4(), 1)
    other_key = b"another-key-of-the-same-length-0123456789abcdef!"
    assert secret != endpoint_secret(other_key, endpoint, 1)
    with pytest.raises(ValueError, match="32 bytes"):
        endpoint_secret(b"short", endpoint, 1)


def test_each_secret_in_force_signs_and_a_changed_body_verifies_with_none():
    old, new = endpoint_secret(KEY, uuid4(), 1), endpoint_secret(KEY, uuid4(), 2)
    body = encode_body({"number": "SOC/OI/1280", "subject": {"ru": "Проекты документов"}})
    headers = signature_headers(
        [new, old], webhook_id="msg_1", timestamp=datetime.now(UTC), body=body
    )
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers)["number"] == "SOC/OI/1280"
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("1280", "1281"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint_secret(KEY, uuid4(), 1)).verify(body, headers)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_no_webhook_goes_to_a_private_loopback_link_local_or_reserved_address(address):
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "185.22.66.1", "2a00:1450:4001:80b::200e"])
def test_a_global_address_may_receive_webhooks(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/cica", "loopback"),
        ("https://[::1]:8443/cica", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.0.0.5/notes", "private"),
        ("https://localhost/notes", "must resolve to public (global unicast) addresses only"),
        ("https://[2002:a00:1::1]/notes", "6to4 address standing for 10.0.0.1"),
        ("https://[2002:a9fe:a9fe::]/notes", "169.254.169.254 is a link-local address"),
        ("https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/notes", "Teredo address standing"),
        ("https://[64:ff9b::a00:1]/notes", "NAT64 address standing for 10.0.0.1"),
        ("https://[64:ff9b::7f00:1]/notes", "127.0.0.1 is a loopback address"),
        ("https://[::ffff:192.168.1.1]/notes", "192.168.1.1 is a private address"),
        ("http://8.8.8.8/notes", "https only"),
        ("ftp://8.8.8.8/notes", "https URL"),
        ("https://user:pw@8.8.8.8/notes", "credentials"),
        ("https:///notes", "https URL"),
        ("https://a..b/notes", "not a host name"),
        ("https://" + "a" * 300 + "/notes", "not a host name"),
        ("https://mfa example.kz/notes", "space or control character"),
        ("https://mfa.example.kz/\x00", "space or control character"),
    ],
)
async def test_an_address_is_refused_with_its_reason(url, reason):
    with pytest.raises(EndpointAddressRefusedError) as refused:
        await check_address(url, allow_private=False)
    assert reason in refused.value.detail
    assert refused.value.status == 422


async def test_development_allows_http_and_loopback_but_never_credentials():
    await check_address("http://127.0.0.1:8080/KAZ", allow_private=True)
    await check_address("https://8.8.8.8/KAZ", allow_private=False)
    with pytest.raises(EndpointAddressRefusedError):
        await check_address("http://user:pw@127.0.0.1/KAZ", allow_private=True)


def test_backoff_grows_exponentially_with_full_jitter_up_to_its_cap():
    rng = random.Random(7)
    for attempt in range(1, 20):
        ceiling = min(60.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff(attempt, base=0.5, cap=60.0, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the whole range, not a fixed step


def _attempted(attempt: int, at: datetime) -> DeliveryAttempted:
    return DeliveryAttempted(
        delivery_id=uuid4(),
        message_id=uuid4(),
        state="KAZ",
        endpoint_id=uuid4(),
        attempt=attempt,
        attempted_at=at,
    )


def test_an_attempt_with_no_outcome_is_due_again_once_its_lease_is_over():
    current = progress([_attempted(1, NOW)])
    assert current.status == "attempting"
    assert not is_due(current, NOW + LEASE - timedelta(seconds=1), lease=LEASE)
    assert is_due(current, NOW + LEASE, lease=LEASE)


def test_a_delivery_that_succeeded_or_was_dead_lettered_is_never_due():
    succeeded = [_attempted(1, NOW), DeliverySucceeded(attempt=1, status_code=200, answered_at=NOW)]
    dead = [
        _attempted(1, NOW),
        DeliveryFailed(attempt=1, reason="timeout", failed_at=NOW),
        DeliveryDeadLettered(attempts=1, dead_lettered_at=NOW),
    ]
    later = NOW + timedelta(days=365)
    assert not is_due(progress(succeeded), later, lease=LEASE)
    assert not is_due(progress(dead), later, lease=LEASE)
    requeued = progress([*dead, DeliveryRequeued(requeued_at=NOW + timedelta(hours=1))])
    assert requeued.attempts == 0
    assert is_due(requeued, NOW + timedelta(hours=1), lease=LEASE)


def test_a_failed_delivery_waits_for_its_next_attempt():
    failed = progress(
        [
            _attempted(1, NOW),
            DeliveryFailed(
                attempt=1,
                reason="status 503",
                status_code=503,
                failed_at=NOW,
                next_attempt_at=NOW + timedelta(seconds=30),
            ),
        ]
    )
    assert not is_due(failed, NOW + timedelta(seconds=29), lease=LEASE)
    assert is_due(failed, NOW + timedelta(seconds=30), lease=LEASE)


async def test_every_address_a_name_resolves_to_is_checked(monkeypatch):
    loop = __import__("asyncio").get_running_loop()

    async def resolves_to(*addresses):  # type: ignore[no-untyped-def]
        async def getaddrinfo(host, port, **_):  # type: ignore[no-untyped-def]
            return [(2, 1, 6, "", (a, port)) for a in addresses]

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)

    await resolves_to("8.8.8.8", "185.22.66.1")
    await check_address("https://mfa.example.kz/cica", allow_private=False)
    await resolves_to("8.8.8.8", "10.0.0.7")
    with pytest.raises(EndpointAddressRefusedError) as refused:
        await check_address("https://mfa.example.kz/cica", allow_private=False)
    assert refused.value.members["reason"] == NAME_REFUSED
    assert "10.0.0.7" not in refused.value.detail  # nor anything else of how it resolved


def test_the_webhook_key_comes_from_the_setting_or_a_file(tmp_path):
    from services.notifications.settings import NotificationsSettings

    key_file = tmp_path / "notifications-webhooks.key"
    key_file.write_text("k" * 48 + "\n")
    from_file = NotificationsSettings(webhook_key=None, webhook_key_file=key_file)
    assert from_file.webhook_key_bytes() == b"k" * 48
    assert NotificationsSettings(webhook_key="w" * 40).webhook_key_bytes() == b"w" * 40
    assert NotificationsSettings(webhook_key="", webhook_key_file=None).webhook_key_bytes() is None
    with pytest.raises(ValueError, match="32 bytes"):
        NotificationsSettings(webhook_key="short").webhook_key_bytes()
