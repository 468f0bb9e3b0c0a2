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
- ``CICA_JWT_ISSUER`` (default ``cica``), ``CICA_JWT_AUDIENCE`` (default ``cica``),
  ``CICA_JWT_LEEWAY_SECONDS`` (clock skew allowed on exp/nbf, default 30).

Several may be given at once (the token's ``alg`` picks the key kind). With none, a service
accepts no token at all: every request is the public's.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
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


# The variables that configure a key; when none is set, `cica up` makes an HMAC secret.
KEY_VARIABLES = (
    "CICA_JWT_SECRET",
    "CICA_JWT_SECRET_FILE",
    "CICA_JWT_PUBLIC_KEY_FILE",
    "CICA_JWT_JWKS_FILE",
)


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
    ) -> None:
        self.keys = tuple(keys)
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    @classmethod
    def from_settings(cls, settings: TokenSettings) -> TokenVerifier:
        return cls(
            keys_from_settings(settings),
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=timedelta(seconds=settings.leeway_seconds),
        )

    def verify(self, token: str) -> Principal:
        return self.verify_with_expiry(token)[0]

    def verify_with_expiry(self, token: str) -> tuple[Principal, float]:
        """The principal the token names, and when it expires (its ``exp``, a Unix time): a
        live stream opened with it ends then (`shared.live`)."""
        if not self.keys:
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
            for key in self.keys
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
            return principal_of_claims(claims), float(claims["exp"])
        raise UnauthenticatedError(
            "The token's signature does not verify with this service's keys.",
            invalid_token=True,
        )


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
