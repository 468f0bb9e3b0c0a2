"""Tokens for tests: one HMAC secret the test apps are configured with, and tokens minted with
it (or with another key, or already expired) for each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from shared.access import Role, mint_token
from shared.settings import TokenSettings

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
OTHER_SECRET = "another-secret-that-no-test-app-is-configured-with-42"


def token_settings() -> TokenSettings:
    """What a test app verifies tokens with (whatever CICA_JWT_* the machine has set)."""
    return TokenSettings(
        secret=SecretStr(SECRET),
        secret_file=None,
        public_key_file=None,
        jwks_file=None,
        issuer="cica",
        audience="cica",
    )


def token(
    role: Role | str,
    state: str | None = None,
    *,
    subject: str | None = None,
    secret: str = SECRET,
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A token valid for `ttl` from `now`. Long by default: modules mint their callers' tokens
    once, at import, and must still hold them when their tests run late in a long suite."""
    return mint_token(
        secret.encode(), role=role, state=state, subject=subject, ttl=ttl, now=now
    )


def bearer(role: Role | str, state: str | None = None, **options: object) -> dict[str, str]:
    """Headers carrying a valid token of `role` (for a member state: of `state`)."""
    return {"Authorization": f"Bearer {token(role, state, **options)}"}  # type: ignore[arg-type]


def expired_bearer(role: Role | str = Role.SECRETARIAT) -> dict[str, str]:
    past = datetime.now(UTC) - timedelta(hours=2)
    return bearer(role, now=past, ttl=timedelta(hours=1))


def foreign_bearer(role: Role | str = Role.SECRETARIAT) -> dict[str, str]:
    """A well-formed, unexpired token signed by a key the apps do not know."""
    return bearer(role, secret=OTHER_SECRET)


AUDITOR = bearer(Role.AUDITOR)
