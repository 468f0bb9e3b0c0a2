"""`python -m shared.system.keys`: a deployment's token issuer signs tokens (EdDSA or RS256)
that the services verify with its public key alone, and `make` writes each holder's keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.access import Role
from shared.access.tokens import TokenVerifier, UnauthenticatedError
from shared.checkpoints import ensure_signing_key_file
from shared.settings import TokenSettings
from shared.system.keys import (
    ISSUER_DIRECTORY,
    PUBLIC_DIRECTORY,
    SERVICE_TOKEN,
    SIGNING_KEY,
    TOKEN_PRIVATE_KEY,
    TOKEN_PUBLIC_KEY,
    WEBHOOK_KEY,
    main,
    make_deployment_keys,
)
from shared.system.services import SERVICE_NAMES


def verifier(public_key_file: Path) -> TokenVerifier:
    return TokenVerifier.from_settings(
        TokenSettings(secret=None, secret_file=None, jwks_file=None,
                      public_key_file=public_key_file)
    )  # fmt: skip


def rsa_key_file(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    return path


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_a_token_signed_by_the_issuer_verifies_with_its_public_key_only(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = tmp_path / "issuer.pem"
    if kind == "rsa":
        rsa_key_file(private)
    else:
        ensure_signing_key_file(private)
    assert main(["public-key", "--private-key-file", str(private)]) == 0
    public = tmp_path / "issuer.pub.pem"
    public.write_text(capsys.readouterr().out)
    assert main(["token", "--private-key-file", str(private), "--role", "member_state",
                 "--state", "kaz", "--subject", "delegation-kaz", "--ttl", "5m"]) == 0  # fmt: skip
    token = capsys.readouterr().out.strip()
    principal = verifier(public).verify(token)
    assert (principal.role, principal.subject, principal.state) == (
        Role.MEMBER_STATE, "delegation-kaz", "KAZ"
    )
    # Another issuer's public key does not take it.
    other = tmp_path / "other.pem"
    ensure_signing_key_file(other)
    assert main(["public-key", "--private-key-file", str(other)]) == 0
    (tmp_path / "other.pub.pem").write_text(capsys.readouterr().out)
    with pytest.raises(UnauthenticatedError):
        verifier(tmp_path / "other.pub.pem").verify(token)


def test_a_token_command_that_breaks_a_rule_prints_why_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = ensure_signing_key_file(tmp_path / "issuer.pem")
    assert main(["token", "--private-key-file", str(private), "--role", "member_state"]) == 1
    assert "names its state" in capsys.readouterr().err
    assert main(["token", "--private-key-file", str(tmp_path / "none.pem"),
                 "--role", "auditor"]) == 1  # fmt: skip
    assert "none.pem" in capsys.readouterr().err


def test_make_writes_each_holders_keys_and_keeps_them(tmp_path: Path) -> None:
    make_deployment_keys(tmp_path)
    public = tmp_path / PUBLIC_DIRECTORY / TOKEN_PUBLIC_KEY
    kept = {
        path: path.read_bytes()
        for path in (tmp_path / ISSUER_DIRECTORY / TOKEN_PRIVATE_KEY,
                     *(tmp_path / service / SIGNING_KEY for service in SERVICE_NAMES))
    }  # fmt: skip
    assert all(path.stat().st_mode & 0o077 == 0 for path in tmp_path.rglob("*") if path.is_file())
    assert [p.parent.name for p in tmp_path.rglob(WEBHOOK_KEY)] == ["notifications"]
    make_deployment_keys(tmp_path)
    assert {path: path.read_bytes() for path in kept} == kept
    for service in SERVICE_NAMES:
        token = (tmp_path / service / SERVICE_TOKEN).read_text().strip()
        principal = verifier(public).verify(token)
        assert (principal.role, principal.subject) == (Role.SERVICE, f"service:{service}")
