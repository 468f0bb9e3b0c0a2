"""Tokens of an identity provider: its keys fetched from a JWKS URL (``CICA_JWT_JWKS_URL``) or
found by OpenID Connect discovery (``CICA_OIDC_ISSUER``), from a real HTTP server on loopback;
rotated without a restart, fetched again within bounds, kept while the provider is down, and
refused when the provider publishes what no service should trust."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from structlog.testing import capture_logs

from services.registry.app import create_app
from services.registry.seed import MEMBER_STATES_2022, MEMBERS_ON
from services.registry.settings import RegistrySettings
from shared.access import Principal, Role, TokenVerifier, UnauthenticatedError
from shared.access.tokens import (
    KEY_VARIABLES,
    MAX_JWKS_BYTES,
    RemoteJwks,
    checked_fetch_url,
    keys_configured,
)
from shared.settings import TokenSettings
from tests.access import SECRET, token
from tests.registry.support import NOWHERE
from tests.shared.test_service_shell import running

AUDIENCE = "cica"


@dataclass
class SigningKey:
    """An identity provider's key pair: it signs tokens, and publishes its public half."""

    private: Any
    kid: str
    algorithm: str

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid, "RS256")

    @classmethod
    def ed25519(cls, kid: str) -> SigningKey:
        return cls(ed25519.Ed25519PrivateKey.generate(), kid, "EdDSA")

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        public = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def sign(self, issuer: str, *, kid: str | None = None, role: str = "auditor") -> str:
        now = datetime.now(UTC)
        claims = {"iss": issuer, "aud": AUDIENCE, "sub": f"idp:{role}", "role": role,
                  "iat": now, "exp": now + timedelta(minutes=10)}
        headers = {"kid": kid or self.kid}
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers=headers)


@dataclass
class IdentityProvider:
    """A JWKS and OpenID Connect discovery server on 127.0.0.1, in a thread of its own. What
    it publishes may change while it runs; it counts the requests it answers, by path."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    claimed_issuer: str | None = None
    """The ``issuer`` its discovery document names (None: its own URL, as it should)."""
    jwks_uri: str | None = None
    """The ``jwks_uri`` its discovery document names (None: its own JWKS)."""
    cache_control: str | None = None
    body: bytes | None = None
    """Served at the JWKS path instead of the keys."""
    declare_length: bool = True
    failing: bool = False
    requests: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _IdentityProviderHandler)
        self.server.provider = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks.json"

    def publish(self, *keys: SigningKey | dict[str, Any]) -> None:
        self.keys = [key.jwk() if isinstance(key, SigningKey) else key for key in keys]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class _IdentityProviderHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        provider: IdentityProvider = self.server.provider  # type: ignore[attr-defined]
        provider.requests[self.path] += 1
        if provider.failing:
            self._answer(503, b'{"error": "unavailable"}')
        elif self.path == "/.well-known/openid-configuration":
            document = {"issuer": provider.claimed_issuer or provider.url,
                        "jwks_uri": provider.jwks_uri or provider.jwks_url}
            self._answer(200, json.dumps(document).encode())
        elif self.path == "/jwks.json":
            body = provider.body or json.dumps({"keys": provider.keys}).encode()
            self._answer(200, body, length=provider.declare_length,
                         cache_control=provider.cache_control)
        else:
            self._answer(404, b"{}")

    def _answer(
        self, status: int, body: bytes, *, length: bool = True, cache_control: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if length:
            self.send_header("Content-Length", str(len(body)))
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        self.end_headers()
        # A client that read enough of an oversized answer leaves before its end.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    started = IdentityProvider()
    yield started
    started.stop()


class Clock:
    """A monotonic clock the test moves: keys age, and intervals pass, without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def remote_verifier(
    provider: IdentityProvider,
    clock: Clock,
    *,
    discovery: bool = False,
    min_interval: float = 30.0,
    max_age: float = 300.0,
) -> TokenVerifier:
    remote = RemoteJwks(
        jwks_url=None if discovery else provider.jwks_url,
        issuer=provider.url if discovery else None,
        min_interval=min_interval,
        max_age=max_age,
        timeout=5.0,
        clock=clock,
    )
    return TokenVerifier([], issuer=provider.url, audience=AUDIENCE, remote=remote)


async def verified(verifier: TokenVerifier, token: str) -> Principal:
    """What a service does with a request's token: fetch the keys it calls for, then verify."""
    await verifier.ensure_keys_for(token)
    return verifier.verify(token)


async def refused(verifier: TokenVerifier, token: str) -> UnauthenticatedError:
    with pytest.raises(UnauthenticatedError) as caught:
        await verified(verifier, token)
    assert caught.value.status == 401
    return caught.value


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, **variables: str) -> TokenSettings:
    """`TokenSettings` as a service reads them, from exactly `variables` (CICA_*)."""
    for variable in (*KEY_VARIABLES, "CICA_JWT_ISSUER"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    return TokenSettings()


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-1")


@pytest.fixture(scope="module")
def second_rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-2")


# ------------------------------------------------------------------ where the keys are


async def test_a_token_verifies_with_the_keys_at_a_jwks_url(provider, rsa_key, monkeypatch):
    ed_key = SigningKey.ed25519("ed-1")
    provider.publish(rsa_key, ed_key)
    settings = settings_from_environment(
        monkeypatch, CICA_JWT_JWKS_URL=provider.jwks_url, CICA_JWT_ISSUER=provider.url
    )
    verifier = TokenVerifier.from_settings(settings)

    by_rsa = await verified(verifier, rsa_key.sign(provider.url))
    by_ed25519 = await verified(verifier, ed_key.sign(provider.url, role="secretariat"))

    assert by_rsa == Principal(role=Role.AUDITOR, subject="idp:auditor")
    assert by_ed25519 == Principal(role=Role.SECRETARIAT, subject="idp:secretariat")
    assert provider.requests["/jwks.json"] == 1, "fetched once, then kept"


async def test_oidc_discovery_finds_the_keys_and_the_issuer_tokens_must_name(
    provider, rsa_key, monkeypatch
):
    provider.publish(rsa_key)
    settings = settings_from_environment(monkeypatch, CICA_OIDC_ISSUER=provider.url)
    verifier = TokenVerifier.from_settings(settings)

    assert settings.issuer == provider.url, "the expected iss is the provider's"
    principal = await verified(verifier, rsa_key.sign(provider.url))
    assert principal.role is Role.AUDITOR
    assert provider.requests == {"/.well-known/openid-configuration": 1, "/jwks.json": 1}
    refusal = await refused(verifier, rsa_key.sign("cica"))
    assert refusal.detail == "The token is from another issuer."

    # CICA_JWT_ISSUER says otherwise: the keys are still the provider's, the issuer not.
    overridden = settings_from_environment(
        monkeypatch, CICA_OIDC_ISSUER=provider.url, CICA_JWT_ISSUER="cica"
    )
    assert overridden.issuer == "cica"
    assert (await verified(TokenVerifier.from_settings(overridden), rsa_key.sign("cica"))).role \
        is Role.AUDITOR


async def test_a_discovery_document_naming_another_issuer_is_refused(provider, rsa_key):
    provider.publish(rsa_key)
    provider.claimed_issuer = "https://impostor.example"
    verifier = remote_verifier(provider, Clock(), discovery=True)

    with capture_logs() as logs:
        refusal = await refused(verifier, rsa_key.sign(provider.url))

    assert "does not accept" in refusal.detail
    assert provider.requests["/jwks.json"] == 0, "no key of an issuer that is not the one named"
    [failure] = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert "names the issuer 'https://impostor.example'" in failure["error"]


# ------------------------------------------------------------------ rotation and its bounds


async def test_keys_rotate_without_a_restart(provider, rsa_key, second_rsa_key):
    clock = Clock()
    provider.publish(rsa_key)
    verifier = remote_verifier(provider, clock, max_age=300)
    await verifier.fetch_keys()
    old_token = rsa_key.sign(provider.url)
    assert (await verified(verifier, old_token)).role is Role.AUDITOR

    # The provider publishes its next key beside the old one, and signs with it.
    provider.publish(rsa_key, second_rsa_key)
    clock.advance(31)
    new_token = second_rsa_key.sign(provider.url, role="secretariat")
    assert (await verified(verifier, new_token)).role is Role.SECRETARIAT
    assert provider.requests["/jwks.json"] == 2, "a new key id: fetched again"

    # Then it drops the old key: the old token verifies while the keys held are fresh, and no
    # longer once they are refreshed (at their time to live).
    provider.publish(second_rsa_key)
    clock.advance(60)
    assert (await verified(verifier, old_token)).role is Role.AUDITOR
    assert provider.requests["/jwks.json"] == 2
    clock.advance(300)
    refusal = await refused(verifier, old_token)
    assert provider.requests["/jwks.json"] == 3
    assert refusal.detail == (
        "The token is signed with an algorithm or a key this service does not accept."
    )
    assert (await verified(verifier, new_token)).role is Role.SECRETARIAT


async def test_requests_for_a_new_key_at_once_wait_for_one_fetch(
    provider, rsa_key, second_rsa_key
):
    clock = Clock()
    provider.publish(rsa_key)
    verifier = remote_verifier(provider, clock)
    await verifier.fetch_keys()
    provider.publish(rsa_key, second_rsa_key)
    clock.advance(31)

    principals = await asyncio.gather(
        *(verified(verifier, second_rsa_key.sign(provider.url)) for _ in range(50))
    )

    assert {principal.role for principal in principals} == {Role.AUDITOR}
    assert provider.requests["/jwks.json"] == 2, "one fetch for the fifty"


async def test_a_flood_of_unknown_key_ids_fetches_at_most_once_per_interval(provider, rsa_key):
    clock = Clock()
    provider.publish(rsa_key)
    verifier = remote_verifier(provider, clock, min_interval=30)
    await verifier.fetch_keys()
    stranger = SigningKey.rsa("stranger")

    def made_up() -> str:
        return stranger.sign(provider.url, kid=uuid.uuid4().hex)

    async def flood(count: int) -> None:
        await asyncio.gather(*(refused(verifier, made_up()) for _ in range(count)))
        for _ in range(count):
            await refused(verifier, made_up())

    await flood(100)
    assert provider.requests["/jwks.json"] == 1, "within the interval of the last fetch: none"
    clock.advance(30)
    await flood(100)
    assert provider.requests["/jwks.json"] == 2, "one interval later: one fetch, for them all"
    clock.advance(10)
    await flood(100)
    assert provider.requests["/jwks.json"] == 2
    assert (await verified(verifier, rsa_key.sign(provider.url))).role is Role.AUDITOR


async def test_the_answers_max_age_shortens_the_time_keys_are_kept(provider, rsa_key):
    clock = Clock()
    provider.publish(rsa_key)
    provider.cache_control = "public, max-age=60"
    verifier = remote_verifier(provider, clock, max_age=300)
    await verifier.fetch_keys()

    clock.advance(59)
    await verified(verifier, rsa_key.sign(provider.url))
    assert provider.requests["/jwks.json"] == 1
    clock.advance(2)
    await verified(verifier, rsa_key.sign(provider.url))
    assert provider.requests["/jwks.json"] == 2


async def test_hmac_tokens_never_make_the_service_fetch(provider, rsa_key):
    provider.publish(rsa_key)
    settings = TokenSettings(secret=SECRET, secret_file=None, public_key_file=None,
                             jwks_file=None, issuer="cica", jwks_url=provider.jwks_url)
    verifier = TokenVerifier.from_settings(settings)

    assert (await verified(verifier, token("auditor"))).role is Role.AUDITOR
    await refused(verifier, "not-a-jwt")
    assert provider.requests["/jwks.json"] == 0


# ------------------------------------------------------------------ a provider that fails


async def test_a_provider_that_is_down_leaves_the_last_keys(provider, rsa_key):
    clock = Clock()
    provider.publish(rsa_key)
    verifier = remote_verifier(provider, clock)
    await verifier.fetch_keys()
    known = rsa_key.sign(provider.url)
    unknown = SigningKey.rsa("rsa-9").sign(provider.url)
    provider.stop()
    clock.advance(3600)  # long past the keys' time to live

    with capture_logs() as logs:
        principal = await verified(verifier, known)
        clock.advance(31)
        refusal = await refused(verifier, unknown)

    assert principal.role is Role.AUDITOR, "the keys it had, while it cannot fetch others"
    assert "does not accept" in refusal.detail
    failures = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert len(failures) == 2
    assert all(entry["keys_kept"] == 1 for entry in failures)
    assert not any(known in repr(entry) or unknown in repr(entry) for entry in logs)


async def test_a_service_starts_without_its_provider_and_fetches_when_it_answers(
    provider, rsa_key
):
    clock = Clock()
    provider.publish(rsa_key)
    provider.failing = True
    verifier = remote_verifier(provider, clock, discovery=True)

    await verifier.fetch_keys()  # logged, not raised
    await refused(verifier, rsa_key.sign(provider.url))
    provider.failing = False
    clock.advance(30)

    assert (await verified(verifier, rsa_key.sign(provider.url))).role is Role.AUDITOR


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
async def test_an_oversized_jwks_is_refused(provider, rsa_key, declare_length):
    keys = [rsa_key.jwk()] * (MAX_JWKS_BYTES // len(json.dumps(rsa_key.jwk())) + 1)
    provider.body = json.dumps({"keys": keys}).encode()
    provider.declare_length = declare_length
    verifier = remote_verifier(provider, Clock())

    with capture_logs() as logs:
        await refused(verifier, rsa_key.sign(provider.url))

    [failure] = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert f"larger than {MAX_JWKS_BYTES} bytes" in failure["error"]


@pytest.mark.parametrize(
    "secret",
    [
        {"kty": "oct", "k": "c2VjcmV0LXNoYXJlZC13aXRoLWV2ZXJ5b25l", "kid": "hmac"},
        {"kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB", "kid": "confused"},
        {"kty": "RSA", "alg": "none", "n": "AQAB", "e": "AQAB", "kid": "none"},
    ],
    ids=["oct", "hmac-algorithm", "none"],
)
async def test_a_jwks_holding_a_secret_is_refused_whole(provider, rsa_key, secret):
    provider.publish(rsa_key, secret)
    verifier = remote_verifier(provider, Clock())

    with capture_logs() as logs:
        await refused(verifier, rsa_key.sign(provider.url))

    [failure] = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert "is a secret" in failure["error"]


async def test_a_jwks_publishing_a_private_key_is_refused_whole(provider, rsa_key):
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.private))
    provider.publish({**private, "kid": "leaked"})
    verifier = remote_verifier(provider, Clock())

    with capture_logs() as logs:
        await refused(verifier, rsa_key.sign(provider.url, kid="leaked"))

    [failure] = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert "is a secret" in failure["error"]


async def test_keys_of_other_kinds_beside_are_left_out(provider, rsa_key):
    p256 = ec.generate_private_key(ec.SECP256R1())
    es256 = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(p256.public_key())), "kid": "ec"}
    encryption = {**rsa_key.jwk(), "kid": "enc", "use": "enc", "alg": "RSA-OAEP"}
    provider.publish(es256, encryption, rsa_key)
    verifier = remote_verifier(provider, Clock())

    assert (await verified(verifier, rsa_key.sign(provider.url))).role is Role.AUDITOR
    await refused(verifier, SigningKey(p256, "ec", "ES256").sign(provider.url))
    await refused(verifier, rsa_key.sign(provider.url, kid="enc"))


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://idp.example/jwks.json", True),
        ("http://127.0.0.1:8080/jwks.json", True),
        ("http://[::1]:8080/jwks.json", True),
        ("http://localhost/jwks.json", True),
        ("http://idp.example/jwks.json", False),
        ("http://10.0.0.5/jwks.json", False),
        ("ftp://idp.example/jwks.json", False),
        ("file:///etc/jwks.json", False),
    ],
)
def test_keys_are_fetched_over_https_or_on_loopback_only(url, accepted):
    if accepted:
        assert checked_fetch_url(url, "JWKS URL") == url
        return
    with pytest.raises(ValueError, match="https"):
        TokenVerifier.from_settings(TokenSettings(jwks_url=url))


async def test_a_discovery_document_may_not_point_at_plain_http_elsewhere(provider, rsa_key):
    provider.publish(rsa_key)
    provider.jwks_uri = "http://idp.example/jwks.json"
    verifier = remote_verifier(provider, Clock(), discovery=True)

    with capture_logs() as logs:
        await refused(verifier, rsa_key.sign(provider.url))

    [failure] = [entry for entry in logs if entry["event"] == "tokens.jwks_fetch_failed"]
    assert "jwks_uri 'http://idp.example/jwks.json'" in failure["error"]


def test_a_jwks_url_and_an_issuer_are_not_both_given(monkeypatch):
    settings = settings_from_environment(
        monkeypatch, CICA_JWT_JWKS_URL="https://idp.example/jwks.json",
        CICA_OIDC_ISSUER="https://idp.example",
    )
    with pytest.raises(ValueError, match="not both"):
        TokenVerifier.from_settings(settings)


def test_an_identity_provider_is_a_key_configuration():
    """So that `cica up` makes no HMAC secret for a system whose tokens come from one."""
    assert keys_configured({"CICA_OIDC_ISSUER": "https://idp.example"})
    assert keys_configured({"CICA_JWT_JWKS_URL": "https://idp.example/jwks.json"})
    assert not keys_configured({"CICA_JWT_JWKS_URL": ""})


# ------------------------------------------------------------------ a service's app


@pytest.fixture
async def registry_of_the_provider(
    provider, database_url, servers, monkeypatch
) -> AsyncIterator[Any]:
    """The registry app, configured by the environment as a deployment configures it: its
    tokens come from `provider` (OIDC discovery), which does not answer when it starts."""
    provider.failing = True
    settings_from_environment(
        monkeypatch, CICA_OIDC_ISSUER=provider.url, CICA_JWT_JWKS_REFRESH_MIN_SECONDS="0"
    )
    settings = RegistrySettings(
        database_url=database_url,
        nats_url=servers.nats_url,
        consumer_retry_base_delay=0.01,
        CICA_MEETINGS_URL=NOWHERE,
    )
    async with running(create_app(settings)) as client:
        yield client


async def test_a_service_takes_its_providers_tokens_and_follows_its_rotation(
    registry_of_the_provider, provider, rsa_key, second_rsa_key
):
    client = registry_of_the_provider
    first = {"Authorization": f"Bearer {rsa_key.sign(provider.url)}"}
    second = {"Authorization": f"Bearer {second_rsa_key.sign(provider.url)}"}
    provider.publish(rsa_key)

    # It started while its provider failed; a token finds the keys once the provider answers.
    assert provider.requests["/.well-known/openid-configuration"] == 1
    assert (await client.get("/healthz")).status_code == 200
    provider.failing = False
    answer = await client.get("/events", headers=first)
    assert answer.status_code == 200, answer.text
    assert "events" in answer.json()

    # The provider rotates: the new key in, the old one out, the service running throughout.
    provider.publish(second_rsa_key)
    assert (await client.get("/events", headers=second)).status_code == 200
    refused_old = await client.get("/events", headers=first)
    assert refused_old.status_code == 401
    assert refused_old.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in refused_old.headers["www-authenticate"]

    # A token of a key rotated in a moment ago is judged with the new keys by every layer
    # that judges it: its Idempotency-Key is kept for its caller, and a retry is a replay.
    third = SigningKey.ed25519("ed-3")
    provider.publish(second_rsa_key, third)
    headers = {
        "Authorization": f"Bearer {third.sign(provider.url, role='secretariat')}",
        "Idempotency-Key": f"founding-{uuid.uuid4()}",
    }
    founding = {"members": [
        {"state": code, "names": names, "member_on": MEMBERS_ON.isoformat()}
        for code, names in MEMBER_STATES_2022.items()
    ]}
    created = await client.post("/member-states/known-members", json=founding, headers=headers)
    retried = await client.post("/member-states/known-members", json=founding, headers=headers)
    assert created.status_code == 201, created.text
    assert (retried.status_code, retried.headers.get("idempotent-replayed")) == (201, "true")
    assert retried.json() == created.json()

    # The provider goes down: its last keys still verify, a key id it never had is a 401.
    provider.stop()
    assert (await client.get("/events", headers=second)).status_code == 200
    unknown = SigningKey.rsa("rsa-unknown").sign(provider.url)
    answer = await client.get("/events", headers={"Authorization": f"Bearer {unknown}"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == (
        "The token is signed with an algorithm or a key this service does not accept."
    )
