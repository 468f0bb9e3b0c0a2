"""Bearer tokens: JWTs verified with PyJWT against the keys the deployment configures.

Claims a token carries::

    {"iss": "cica", "aud": "cica", "sub": "delegation-kaz-01",
     "exp": 1760000000, "nbf": 1759996400, "iat": 1759996400,
     "role": "member_state", "state": "KAZ"}

`iss`, `aud`, `sub`, `exp` and `role` are required; `nbf` is checked when present; `state`
is required for (and allowed only on) ``member_state`` tokens. ``role`` is one of
``secretariat``, ``member_state``, ``auditor``, ``service``.

Keys (``CICA_JWT_*`` environment variables, one configuration for the whole system):

- ``CICA_JWT_SECRET`` or ``CICA_JWT_SECRET_FILE``: an HMAC secret (HS256), at least 32 bytes.
  What one machine uses: `cica up` writes one to ``<state dir>/jwt-secret`` (mode 0600) and
  names the file to the services; `cica token` signs with it.
- ``CICA_JWT_PUBLIC_KEY_FILE``: a PEM public key, RSA (RS256) or Ed25519 (EdDSA).
- ``CICA_JWT_JWKS_FILE``: a JWKS document of RSA and Ed25519 public keys, picked by ``kid``.
- ``CICA_JWT_JWKS_URL``: an identity provider's JWKS, fetched over HTTP (`RemoteJwks`).
- ``CICA_OIDC_ISSUER``: an identity provider found by OpenID Connect discovery: its
  ``/.well-known/openid-configuration`` must name exactly this issuer, and its ``jwks_uri`` is
  the JWKS fetched. The tokens' expected ``iss`` is then this issuer, unless
  ``CICA_JWT_ISSUER`` says otherwise.
- ``CICA_JWT_ISSUER`` (default ``cica``), ``CICA_JWT_AUDIENCE`` (default ``cica``),
  ``CICA_JWT_LEEWAY_SECONDS`` (clock skew allowed on exp/nbf, default 30).

Several may be given at once (the token's ``alg`` picks the key kind), but not both an
identity provider's JWKS URL and its issuer. With none, a service accepts no token at all:
every request is the public's.

Verifying stays synchronous and uses the keys at hand: the access gate and the idempotency
middleware judge a token before any route runs, from code that cannot wait. What may need the
network, an identity provider's keys to fetch, is `TokenVerifier.ensure_keys_for`, which one
middleware awaits before them (`shared.access.rules.install_access`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import SecretStr

from shared.access.principals import (
    REALM,
    TOKEN_ROLES,
    Principal,
    Role,
    is_state_code,
)
from shared.http.problems import ProblemError
from shared.settings import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    TokenSettings,
)


class UnauthenticatedError(
    ProblemError, status=401, title="Unauthorized", type_="/problems/unauthorized"
):
    """401: no token where one is needed, or a token that does not verify. Carries the
    ``WWW-Authenticate`` challenge of RFC 6750; never echoes the token."""


    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        super().__init__(detail)
        challenge = f'Bearer realm="{REALM}"'
        if invalid_token:
            description = detail.replace("\\", "").replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        self.headers["WWW-Authenticate"] = challenge


class TokenRequestError(
    ProblemError, status=400, title="Bad Request", type_="/problems/invalid-token-request"
):
    """400: a token sent in a way this route does not take (RFC 6750 ``invalid_request``): as
    the ``access_token`` query parameter where only the header is accepted, or by two methods
    at once. Never echoes the token."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        description = detail.replace("\\", "").replace('"', "'")
        self.headers["WWW-Authenticate"] = (
            f'Bearer realm="{REALM}", error="invalid_request", error_description="{description}"'
        )


SECRET_FILE_NAME = "jwt-secret"
HMAC_ALGORITHM = "HS256"
# Asymmetric algorithms a public key or a JWKS may verify; "none" and HMAC-with-a-public-key
# (algorithm confusion) are never accepted.
PUBLIC_KEY_ALGORITHMS = ("RS256", "EdDSA")
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub", "role"]
VERIFIED_TOKENS_KEPT = 1024
"""Tokens a verifier keeps as verified until they expire (`TokenVerifier.verify_with_expiry`)."""


# The variables that configure a key (or an identity provider that publishes keys); when none
# is set, `cica up` makes an HMAC secret.
KEY_VARIABLES = (
    "CICA_JWT_SECRET",
    "CICA_JWT_SECRET_FILE",
    "CICA_JWT_PUBLIC_KEY_FILE",
    "CICA_JWT_JWKS_FILE",
    "CICA_JWT_JWKS_URL",
    "CICA_OIDC_ISSUER",
)
MAX_JWKS_BYTES = 1024 * 1024
"""The largest discovery document or JWKS read from an identity provider."""
DISCOVERY_PATH = "/.well-known/openid-configuration"
# The members of a JWK that hold a private or secret key (RFC 7518 §6): no published set has any.
_SECRET_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)

log = structlog.get_logger("cica.tokens")


def keys_configured(environ: Mapping[str, str]) -> bool:
    return any(environ.get(variable) for variable in KEY_VARIABLES)


def ensure_secret_file(path: Path) -> Path:
    """Create `path` holding a fresh random HMAC secret, readable by its owner only (0600),
    unless it exists already; return it. Safe against two processes racing to create it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    return path


@dataclass(frozen=True)
class VerificationKey:
    key: Any  # bytes (HMAC) or a cryptography public key
    algorithms: tuple[str, ...]
    kid: str | None = None


def _algorithms_of(key: Any) -> tuple[str, ...]:
    if isinstance(key, RSAPublicKey):
        return ("RS256",)
    if isinstance(key, Ed25519PublicKey):
        return ("EdDSA",)
    raise ValueError(
        f"unsupported public key type {type(key).__name__}: use an RSA or an Ed25519 key"
    )


def keys_from_settings(settings: TokenSettings) -> list[VerificationKey]:
    """Every key `settings` configure. Raises ValueError (or OSError) when one cannot be read:
    a service with a broken key configuration does not start."""
    keys: list[VerificationKey] = []
    secret = settings.hmac_secret()
    if secret is not None:
        keys.append(VerificationKey(secret, (HMAC_ALGORITHM,)))
    if settings.public_key_file is not None:
        public_key = load_pem_public_key(settings.public_key_file.read_bytes())
        keys.append(VerificationKey(public_key, _algorithms_of(public_key)))
    if settings.jwks_file is not None:
        jwks = jwt.PyJWKSet.from_json(settings.jwks_file.read_text())
        for jwk in jwks.keys:
            algorithm = jwk.algorithm_name
            if algorithm not in PUBLIC_KEY_ALGORITHMS:
                raise ValueError(
                    f"{settings.jwks_file}: key {jwk.key_id!r} is for {algorithm}; "
                    f"only {', '.join(PUBLIC_KEY_ALGORITHMS)} public keys are accepted"
                )
            keys.append(VerificationKey(jwk.key, (algorithm,), jwk.key_id))
    return keys


class TokenVerifier:
    """Turns a bearer token into the `Principal` it names, or raises `UnauthenticatedError`
    (401) saying why, never repeating the token."""

    def __init__(
        self,
        keys: Sequence[VerificationKey],
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        leeway: timedelta = timedelta(seconds=30),
        remote: RemoteJwks | None = None,
        keep_verified: int = VERIFIED_TOKENS_KEPT,
    ) -> None:
        self.keys = tuple(keys)
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.remote = remote
        self.keep_verified = keep_verified
        self._verified: dict[str, tuple[tuple[VerificationKey, ...], Principal, float]] = {}

    @classmethod
    def from_settings(cls, settings: TokenSettings) -> TokenVerifier:
        return cls(
            keys_from_settings(settings),
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=timedelta(seconds=settings.leeway_seconds),
            remote=RemoteJwks.from_settings(settings),
        )

    async def fetch_keys(self) -> None:
        """Fetch the identity provider's keys, if one is configured: at the service's start.
        A failure is logged, not raised: the service starts anyway, and fetches again when a
        token needs it (`ensure_keys_for`)."""
        if self.remote is not None:
            await self.remote.refresh()

    async def ensure_keys_for(self, token: str) -> None:
        """Bring the identity provider's keys up to date for `token` before it is verified:
        fetch them again when the token names a key id they lack, or when they are older than
        their time to live (within `RemoteJwks`'s bounds). Nothing for a verifier with static
        keys only, nor for a token that no published key could verify (not a JWT; HS256).
        Never raises for a token: what does not verify is `verify`'s 401."""
        if self.remote is None:
            return
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return
        if header.get("alg") not in PUBLIC_KEY_ALGORITHMS:
            return
        kid = header.get("kid")
        if not isinstance(kid, str) or any(key.kid == kid for key in self.keys):
            kid = None
        await self.remote.ensure(kid)

    async def close(self) -> None:
        if self.remote is not None:
            await self.remote.close()

    def verify(self, token: str) -> Principal:
        return self.verify_with_expiry(token)[0]

    def verify_with_expiry(self, token: str) -> tuple[Principal, float]:
        """The principal the token names, and when it expires (its ``exp``, a Unix time): a
        live stream opened with it ends then (`shared.live`).

        A token verified a moment ago is not verified again while it has not expired and the
        keys are the very ones that verified it: the answer would be the same (the token's
        bytes, signature included, are the cache's key; claims cannot change under them). A
        client sends the same token with every request, and each request asks up to three
        times (the access gate, the idempotency middleware, the route). Past its ``exp`` it is
        verified afresh (and refused, or admitted within the leeway as before); when a key
        set is fetched again, every token is. Only verified tokens are kept, at most
        `keep_verified`, the oldest dropped first: a flood of forged or distinct tokens costs
        what it cost before and holds no more memory."""
        keys = self.keys if self.remote is None else self.keys + self.remote.keys
        kept = self._verified.get(token)
        if kept is not None and kept[0] == keys and time.time() < kept[2]:
            return kept[1], kept[2]
        principal, expires = self._verify(token, keys)
        if self.keep_verified > 0:
            if len(self._verified) >= self.keep_verified:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = (keys, principal, expires)
        return principal, expires

    def _verify(
        self, token: str, keys: tuple[VerificationKey, ...]
    ) -> tuple[Principal, float]:
        if not keys and self.remote is None:
            raise UnauthenticatedError(
                "This service is configured with no token key and accepts no token.",
                invalid_token=True,
            )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UnauthenticatedError("The token is not a JWT.", invalid_token=True) from None
        algorithm = header.get("alg")
        kid = header.get("kid")
        candidates = [
            key
            for key in keys
            if algorithm in key.algorithms and (kid is None or key.kid in (None, kid))
        ]
        if not candidates:
            raise UnauthenticatedError(
                "The token is signed with an algorithm or a key this service does not accept.",
                invalid_token=True,
            )
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[algorithm],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.leeway,
                    options={"require": _REQUIRED_CLAIMS},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise UnauthenticatedError("The token has expired.", invalid_token=True) from None
            except jwt.ImmatureSignatureError:
                raise UnauthenticatedError(
                    "The token is not valid yet (nbf).", invalid_token=True
                ) from None
            except jwt.InvalidAudienceError:
                raise UnauthenticatedError(
                    "The token is meant for another audience.", invalid_token=True
                ) from None
            except jwt.InvalidIssuerError:
                raise UnauthenticatedError(
                    "The token is from another issuer.", invalid_token=True
                ) from None
            except jwt.MissingRequiredClaimError as error:
                raise UnauthenticatedError(
                    f"The token lacks the {error.claim!r} claim.", invalid_token=True
                ) from None
            except jwt.PyJWTError:
                raise UnauthenticatedError(
                    "The token is malformed or its claims are invalid.", invalid_token=True
                ) from None
            try:
                expires = float(claims["exp"])
            except OverflowError:  # PyJWT compares it as an integer; no instant is that late
                raise UnauthenticatedError(
                    "The token's expiry (exp) is beyond any instant.", invalid_token=True
                ) from None
            return principal_of_claims(claims), expires
        raise UnauthenticatedError(
            "The token's signature does not verify with this service's keys.",
            invalid_token=True,
        )


class RemoteJwks:
    """The public keys an identity provider publishes, fetched over HTTP and kept: its JWKS at
    a URL, or at the ``jwks_uri`` of its OpenID Connect discovery document (whose ``issuer``
    must be exactly the one configured, OIDC Discovery §4.3).

    A URL is https, or plain http to a loopback address only (a test's server, a sidecar's on
    127.0.0.1): keys read over plain http from anywhere else could be anyone's. No redirect is
    followed. A document larger than `MAX_JWKS_BYTES` is refused, and a fetch has `timeout`
    seconds in all.

    Fetched again (`ensure`) when a token names a key id the set lacks (the provider rotated a
    new key in) or when the set is older than its time to live (`max_age`, or the answer's
    Cache-Control max-age if shorter: a key the provider removed stops verifying). Bounded, so
    that a flood of tokens with made-up key ids cannot make the service hammer the provider:
    one fetch at a time (every caller that needs it waits for the same one) and at most one
    begun per `min_interval` seconds. A failed fetch (the provider is down, its answer is not
    a key set of RS256 or EdDSA public keys) is logged and the last keys stay; so a token
    of a key id they lack is a 401, never a 5xx. A set holding a secret (an ``oct`` key, an
    HMAC algorithm, a private key's members) is refused whole: the same rule as a JWKS file,
    HMAC or "none" never. Keys of other kinds beside (ES256, encryption keys) are left out."""

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        issuer: str | None = None,
        min_interval: float = 30.0,
        max_age: float = 300.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (jwks_url is None) == (issuer is None):
            raise ValueError(
                "name an identity provider's JWKS URL (CICA_JWT_JWKS_URL) or its issuer "
                "(CICA_OIDC_ISSUER), not both"
            )
        self.jwks_url = None if jwks_url is None else checked_fetch_url(jwks_url, "JWKS URL")
        self.issuer = issuer
        if issuer is not None:
            checked_fetch_url(issuer.rstrip("/") + DISCOVERY_PATH, "OIDC issuer")
        self.keys: tuple[VerificationKey, ...] = ()
        self._min_interval = min_interval
        self._max_age = max_age
        self._time_to_live = max_age
        self._timeout = timeout
        self._clock = clock
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._fetching: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: TokenSettings) -> RemoteJwks | None:
        """The identity provider `settings` name, None when they name none."""
        if settings.jwks_url is None and settings.oidc_issuer is None:
            return None
        return cls(
            jwks_url=settings.jwks_url,
            issuer=settings.oidc_issuer,
            min_interval=settings.jwks_refresh_min_seconds,
            max_age=settings.jwks_max_age_seconds,
            timeout=settings.jwks_timeout_seconds,
        )

    @property
    def source(self) -> str:
        return self.jwks_url or f"{self.issuer} (OIDC discovery)"

    def stale(self) -> bool:
        return (
            self._fetched_at is None
            or self._clock() - self._fetched_at >= self._time_to_live
        )

    async def ensure(self, kid: str | None) -> None:
        """Fetch the keys again if they are stale, or if `kid` is not among them."""
        if self.stale() or (kid is not None and all(key.kid != kid for key in self.keys)):
            await self.refresh()

    async def refresh(self) -> None:
        """Fetch the keys, or wait for the fetch under way; nothing when one began less than
        `min_interval` seconds ago. Never raises for the provider's failures."""
        if self._fetching is None:
            now = self._clock()
            if self._attempted_at is not None and now - self._attempted_at < self._min_interval:
                return
            self._attempted_at = now
            self._fetching = asyncio.create_task(self._fetch(), name="cica-fetch-jwks")
        # Shielded: a request that goes away while it waits does not cancel the others' fetch.
        await asyncio.shield(self._fetching)

    async def close(self) -> None:
        fetching, self._fetching = self._fetching, None
        if fetching is not None and not fetching.done():
            fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetching

    async def _fetch(self) -> None:
        try:
            async with asyncio.timeout(self._timeout), httpx.AsyncClient(
                timeout=self._timeout, follow_redirects=False
            ) as client:
                jwks_url = self.jwks_url or await self._discover(client)
                document, max_age = await _get_json(client, jwks_url)
                keys = keys_of_jwks(document, jwks_url)
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError, ValueError) as error:
            log.warning(
                "tokens.jwks_fetch_failed",
                source=self.source,
                error=str(error) or type(error).__name__,
                keys_kept=len(self.keys),
            )
        else:
            self.keys = keys
            self._fetched_at = self._clock()
            self._time_to_live = self._max_age if max_age is None else min(max_age, self._max_age)
            log.info("tokens.jwks_fetched", jwks_url=jwks_url, kids=[key.kid for key in keys])
        finally:
            self._fetching = None

    async def _discover(self, client: httpx.AsyncClient) -> str:
        """The ``jwks_uri`` of the issuer's discovery document, once its ``issuer`` is checked
        to be exactly the one configured (found once; the provider's keys move, its URL not)."""
        assert self.issuer is not None
        url = self.issuer.rstrip("/") + DISCOVERY_PATH
        document, _ = await _get_json(client, url)
        if not isinstance(document, dict):
            raise ValueError(f"{url}: not an OpenID Connect discovery document")
        if document.get("issuer") != self.issuer:
            raise ValueError(
                f"{url}: the discovery document names the issuer {document.get('issuer')!r}, "
                f"not {self.issuer!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError(f"{url}: the discovery document names no jwks_uri")
        self.jwks_url = checked_fetch_url(jwks_uri, "jwks_uri")
        return self.jwks_url


def checked_fetch_url(url: str, what: str) -> str:
    """`url`, if keys may be fetched from it: https, or http to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return url
    raise ValueError(f"{what} {url!r}: keys are fetched over https (plain http only on loopback)")


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _get_json(client: httpx.AsyncClient, url: str) -> tuple[Any, float | None]:
    """The JSON document at `url`, read up to `MAX_JWKS_BYTES`, and for how long its answer
    says it may be kept (its Cache-Control max-age; None: it does not say)."""
    async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
        if response.status_code != 200:
            raise ValueError(f"{url}: answered {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_JWKS_BYTES:
            raise ValueError(f"{url}: the document is larger than {MAX_JWKS_BYTES} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError(f"{url}: the document is larger than {MAX_JWKS_BYTES} bytes")
        cache_control = response.headers.get("cache-control", "")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError(f"{url}: the document is not JSON") from None
    if "no-store" in cache_control.lower() or "no-cache" in cache_control.lower():
        return document, 0.0
    found = _MAX_AGE.search(cache_control)
    return document, None if found is None else float(found.group(1))


def keys_of_jwks(document: Any, where: str) -> tuple[VerificationKey, ...]:
    """The RS256 and EdDSA public keys of a JWKS an identity provider publishes. ValueError
    for a document that is no key set, holds a secret, or has no such key."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f"{where}: not a JWKS document (no list of keys)")
    keys: list[VerificationKey] = []
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            continue
        algorithm = jwk.get("alg")
        if (
            jwk.get("kty") == "oct"
            or jwk.keys() & _SECRET_MEMBERS
            or (isinstance(algorithm, str) and algorithm.upper().startswith(("HS", "NONE")))
        ):
            raise ValueError(
                f"{where}: key {jwk.get('kid')!r} is a secret; only RS256, EdDSA public keys "
                "are accepted"
            )
        if jwk.get("use", "sig") != "sig" or algorithm not in (None, *PUBLIC_KEY_ALGORITHMS):
            continue
        try:
            parsed = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        kid = parsed.key_id
        if (
            parsed.algorithm_name in PUBLIC_KEY_ALGORITHMS
            and isinstance(parsed.key, RSAPublicKey | Ed25519PublicKey)
            and (kid is None or isinstance(kid, str))
        ):
            keys.append(VerificationKey(parsed.key, (parsed.algorithm_name,), kid))
    if not keys:
        raise ValueError(f"{where}: no RS256 or EdDSA public key")
    return tuple(keys)


MAX_SUBJECT_LENGTH = 255
_TOKEN_ROLE_VALUES = frozenset(role.value for role in TOKEN_ROLES)


def principal_of_claims(claims: dict[str, Any]) -> Principal:
    """The principal a verified token's claims name, each claim checked as its type first: a
    signed token is still input (an identity provider's bug, a key that leaked), and a claim
    of the wrong type or shape is a 401 like any other invalid token, never a 500. The
    subject goes into event metadata and idempotency keys: a string PostgreSQL can store."""
    role = claims.get("role")
    if not isinstance(role, str) or role not in _TOKEN_ROLE_VALUES:
        raise UnauthenticatedError(
            "The token's role is not one of secretariat, member_state, auditor, service.",
            invalid_token=True,
        )
    subject = claims.get("sub")
    if not _is_subject(subject):
        raise UnauthenticatedError(
            f"The token's subject (sub) is a string of 1 to {MAX_SUBJECT_LENGTH} printable "
            "characters.",
            invalid_token=True,
        )
    state = claims.get("state")
    if Role(role) is Role.MEMBER_STATE:
        if not is_state_code(state):
            raise UnauthenticatedError(
                "A member_state token names its state: an ISO 3166 alpha-3 code such as KAZ.",
                invalid_token=True,
            )
    elif state is not None:
        raise UnauthenticatedError(
            "Only a member_state token names a state.", invalid_token=True
        )
    return Principal(role=Role(role), subject=subject, state=state)


def _is_subject(value: object) -> bool:
    # isprintable() is false for NUL, other control characters and lone surrogates.
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_SUBJECT_LENGTH
        and value.isprintable()
    )


def mint_token(
    secret: Any,
    *,
    role: Role | str,
    state: str | None = None,
    subject: str | None = None,
    ttl: timedelta = timedelta(hours=1),
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    now: datetime | None = None,
    algorithm: str = HMAC_ALGORITHM,
) -> str:
    """A token for `role` (and `state`, for a member state), valid from `now` for `ttl`,
    signed with `secret` by `algorithm`: HS256 with the system's HMAC secret (one machine,
    tests), or EdDSA/RS256 with a deployment's token issuer's private key
    (`shared.system.keys`), whose public half the services know."""
    role = Role(role)
    if role not in TOKEN_ROLES:
        raise ValueError(f"no token is minted for the role {role.value}")
    if (role is Role.MEMBER_STATE) != (state is not None):
        raise ValueError("a member_state token names its state (--state), and no other does")
    if state is not None and not is_state_code(state):
        raise ValueError(f"not an ISO 3166 alpha-3 code: {state!r}")
    if ttl <= timedelta(0):
        raise ValueError("a token's time to live is positive")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject or (f"dev:{role.value}:{state}" if state else f"dev:{role.value}"),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "role": role.value,
    }
    if state is not None:
        claims["state"] = state
    return jwt.encode(claims, secret, algorithm=algorithm)


class ServiceCredentials:
    """What a service shows when it reads another service's feed: the token the deployment
    gave it (``CICA_<SERVICE>_SERVICE_TOKEN``), or else a short-lived ``service`` token it
    mints with the system's HMAC secret (one machine); no header when it has neither."""

    def __init__(
        self,
        service: str,
        settings: TokenSettings,
        *,
        token: SecretStr | None = None,
        ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        self.service = service
        self._settings = settings
        self._token = token
        self._secret = settings.hmac_secret() if token is None else None
        self._ttl = ttl

    def headers(self) -> dict[str, str]:
        if self._token is not None:
            return {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        if self._secret is None:
            return {}
        token = mint_token(
            self._secret,
            role=Role.SERVICE,
            subject=f"service:{self.service}",
            ttl=self._ttl,
            issuer=self._settings.issuer,
            audience=self._settings.audience,
        )
        return {"Authorization": f"Bearer {token}"}
