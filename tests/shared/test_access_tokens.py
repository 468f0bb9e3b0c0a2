"""Bearer tokens: what a token must carry to name a principal, the keys that verify it (an HMAC
secret, an RS256 or Ed25519 public key, a JWKS file), and `cica token`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from pydantic import SecretStr

from shared.access import Principal, Role, TokenVerifier, UnauthenticatedError
from shared.access.tokens import ServiceCredentials, keys_from_settings
from shared.settings import TokenSettings
from shared.system.cli import main as cica
from tests.access import OTHER_SECRET, SECRET, token, token_settings


def verifier(**settings: object) -> TokenVerifier:
    base = {"secret": None, "secret_file": None, "public_key_file": None, "jwks_file": None}
    return TokenVerifier.from_settings(TokenSettings(**{**base, **settings}))


def claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "iss": "cica",
        "aud": "cica",
        "sub": "delegation-kaz-01",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "member_state",
        "state": "KAZ",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def refusal(verifier: TokenVerifier, token: str) -> UnauthenticatedError:
    with pytest.raises(UnauthenticatedError) as caught:
        verifier.verify(token)
    error = caught.value
    assert error.status == 401
    challenge = error.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="cica", error="invalid_token"')
    assert token not in error.detail and token not in challenge
    return error


HMAC = TokenVerifier.from_settings(token_settings())


def test_a_valid_token_names_its_principal():
    principal = HMAC.verify(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert principal == Principal(role=Role.MEMBER_STATE, subject="delegation-kaz-01", state="KAZ")
    assert HMAC.verify(token("auditor")) == Principal(role=Role.AUDITOR, subject="dev:auditor")


@pytest.mark.parametrize(
    ("bad_claims", "reason"),
    [
        ({"exp": datetime.now(UTC) - timedelta(minutes=5)}, "expired"),
        ({"nbf": datetime.now(UTC) + timedelta(hours=12)}, "not valid yet"),
        ({"iss": "someone-else"}, "another issuer"),
        ({"aud": "another-system"}, "another audience"),
        ({"exp": None}, "'exp'"),
        ({"sub": None}, "'sub'"),
        ({"role": None}, "'role'"),
        ({"role": "admin"}, "role is not one of"),
        ({"role": "public", "state": None}, "role is not one of"),
        ({"state": None}, "names its state"),
        ({"state": "kz"}, "names its state"),
        ({"role": "secretariat"}, "Only a member_state token names a state"),
    ],
)
def test_a_token_with_bad_claims_is_refused_saying_why(bad_claims, reason):
    error = refusal(HMAC, jwt.encode(claims(**bad_claims), SECRET, algorithm="HS256"))
    assert reason in error.detail


def signed_by_hand(payload: bytes, header: bytes = b'{"alg":"HS256","typ":"JWT"}') -> str:
    """A token HS256-signed with the apps' secret whatever its claims hold (PyJWT's encoder
    refuses some of the shapes a hostile or broken issuer may sign)."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(header) + b"." + b64(payload)
    signature = hmac.new(SECRET.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


def _claims_json(**overrides: object) -> bytes:
    return json.dumps(claims(**overrides), default=lambda d: int(d.timestamp())).encode()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (dict(role=["secretariat"], state=None), "role is not one of"),
        (dict(role={"secretariat": True}, state=None), "role is not one of"),
        (dict(role=1, state=None), "role is not one of"),
        (dict(sub=["delegation-kaz-01"]), "malformed"),
        (dict(sub=""), "subject (sub)"),
        (dict(sub="a\u0000b"), "subject (sub)"),
        (dict(sub="x" * 256), "subject (sub)"),
        (dict(state=["KAZ"]), "names its state"),
        (dict(state={"code": "KAZ"}), "names its state"),
        (dict(role="secretariat", state=["KAZ"]), "Only a member_state"),
        (dict(iss=["cica"]), "another issuer"),
        (dict(aud={"cica": 1}), "another audience"),
        (dict(exp="tomorrow"), "malformed"),
        (dict(exp=10**400), "beyond any instant"),  # PyJWT takes it; a float cannot
        (dict(iat=[1]), "malformed"),
        (None, "malformed"),  # not an object at all
    ],
    ids=lambda value: repr(value)[:60],
)
def test_a_signed_token_whose_claims_have_the_wrong_types_is_refused_not_a_crash(
    overrides, reason
):
    # The claims are made when the test runs: made at collection, the token could expire
    # before a long session reaches it.
    payload = b'["not", "an", "object"]' if overrides is None else _claims_json(**overrides)
    assert reason in refusal(HMAC, signed_by_hand(payload)).detail


def test_a_signed_token_whose_subject_holds_a_lone_surrogate_is_refused():
    payload = _claims_json(sub="SURROGATE").replace(b"SURROGATE", b"\\ud800")
    assert "subject (sub)" in refusal(HMAC, signed_by_hand(payload)).detail


def test_a_token_signed_with_another_secret_or_no_signature_is_refused():
    assert "does not verify" in refusal(HMAC, token("secretariat", secret=OTHER_SECRET)).detail
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert "algorithm" in refusal(HMAC, unsigned).detail
    assert "not a JWT" in refusal(HMAC, "not-a-token").detail


def counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each token PyJWT is asked to verify, from now on."""
    decoded: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: object, **kwargs: object) -> object:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    return decoded


def test_a_token_verified_a_moment_ago_is_not_verified_again(monkeypatch):
    decoded = counting_decodes(monkeypatch)
    verifier = TokenVerifier.from_settings(token_settings())
    secretariat, kaz = token("secretariat"), jwt.encode(claims(), SECRET, algorithm="HS256")

    for _ in range(3):
        assert verifier.verify(secretariat).role is Role.SECRETARIAT
        assert verifier.verify(kaz).state == "KAZ"

    assert decoded == [secretariat, kaz]


def test_a_kept_token_is_verified_afresh_once_it_has_expired():
    verifier = TokenVerifier(
        keys_from_settings(token_settings()), leeway=timedelta(0)
    )
    expires = int(time.time()) + 2
    short = jwt.encode(claims(exp=expires), SECRET, algorithm="HS256")
    assert verifier.verify(short).state == "KAZ"

    while time.time() <= expires:
        time.sleep(0.05)

    assert "expired" in refusal(verifier, short).detail


def test_a_forged_token_is_never_kept_and_the_kept_ones_are_bounded(monkeypatch):
    decoded = counting_decodes(monkeypatch)
    verifier = TokenVerifier(keys_from_settings(token_settings()), keep_verified=4)
    forged = token("secretariat", secret=OTHER_SECRET)
    for _ in range(2):
        refusal(verifier, forged)
    tokens = [token("auditor", subject=f"auditor-{n}") for n in range(5)]
    for each in tokens:
        verifier.verify(each)
    verifier.verify(tokens[4])  # kept
    verifier.verify(tokens[0])  # the oldest, dropped for the fifth

    assert decoded == [forged, forged, *tokens, tokens[0]]


def test_a_service_without_keys_accepts_no_token():
    assert "no token key" in refusal(verifier(), token("secretariat")).detail


def test_a_short_hmac_secret_is_a_configuration_error():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        verifier(secret=SecretStr("too-short"))


def _pem(private_key) -> bytes:  # type: ignore[no-untyped-def]
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("make_key", "algorithm"),
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
    ],
)
def test_a_public_key_file_verifies_tokens_of_its_private_key(make_key, algorithm, tmp_path):
    private_key = make_key()
    key_file = tmp_path / "issuer.pem"
    key_file.write_bytes(_pem(private_key))
    keyed = verifier(public_key_file=key_file)

    signed = jwt.encode(claims(role="auditor", state=None), private_key, algorithm=algorithm)
    assert keyed.verify(signed) == Principal(role=Role.AUDITOR, subject="delegation-kaz-01")

    stranger = make_key()
    refusal(keyed, jwt.encode(claims(), stranger, algorithm=algorithm))
    # Algorithm confusion: the public key's own bytes used as an HMAC secret must not verify.
    assert "algorithm" in refusal(keyed, _hs256_by_hand(claims(), key_file.read_bytes())).detail
    refusal(keyed, token("secretariat"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_by_hand(payload: dict[str, object], key: bytes) -> str:
    """An HS256 token signed with any bytes (PyJWT refuses a PEM key as an HMAC secret)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload, default=lambda d: int(d.timestamp())).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def test_a_jwks_file_verifies_by_key_id(tmp_path):
    first = ed25519.Ed25519PrivateKey.generate()
    second = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {
        "keys": [
            {**json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(first.public_key())), "kid": "k1"},
            {
                **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(second.public_key())),
                "kid": "k2",
                "alg": "RS256",
            },
        ]
    }
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks))
    keyed = verifier(jwks_file=jwks_file)

    by_first = jwt.encode(claims(), first, algorithm="EdDSA", headers={"kid": "k1"})
    by_second = jwt.encode(
        claims(role="service", state=None, sub="service:documents"), second,
        algorithm="RS256", headers={"kid": "k2"},
    )
    assert keyed.verify(by_first).state == "KAZ"
    assert keyed.verify(by_second).role is Role.SERVICE
    refusal(keyed, jwt.encode(claims(), first, algorithm="EdDSA", headers={"kid": "k9"}))


def test_a_jwks_holding_a_secret_key_is_refused(tmp_path):
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "s"}]}))
    with pytest.raises(ValueError, match="only RS256, EdDSA"):
        keys_from_settings(TokenSettings(jwks_file=jwks_file, secret=None, secret_file=None))


def test_cica_token_mints_a_token_the_services_accept(tmp_path, capsys, monkeypatch):
    for variable in ("CICA_JWT_SECRET", "CICA_JWT_SECRET_FILE", "CICA_JWT_ISSUER"):
        monkeypatch.delenv(variable, raising=False)
    state_dir = tmp_path / "state"

    status = cica(["token", "--role", "member_state", "--state", "kwt", "--ttl", "30m",
                   "--state-dir", str(state_dir)])
    minted = capsys.readouterr().out.strip()

    assert status == 0
    secret_file = state_dir / "jwt-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    services = verifier(secret_file=secret_file)
    assert services.verify(minted) == Principal(
        role=Role.MEMBER_STATE, subject="dev:member_state:KWT", state="KWT"
    )
    lifetime = jwt.decode(minted, options={"verify_signature": False})
    assert lifetime["exp"] - lifetime["iat"] == 1800

    assert cica(["token", "--role", "auditor", "--state-dir", str(state_dir)]) == 0
    again = capsys.readouterr().out.strip()
    assert services.verify(again).role is Role.AUDITOR, "the same secret, kept between runs"


def test_cica_token_refuses_a_state_for_another_role(tmp_path):
    with pytest.raises(SystemExit) as exited:
        cica(["token", "--role", "auditor", "--state", "KAZ", "--state-dir", str(tmp_path)])
    assert exited.value.code == 2


def test_a_service_mints_its_own_short_lived_token_to_read_feeds(tmp_path):
    secret_file: Path = tmp_path / "jwt-secret"
    secret_file.write_text(SECRET + "\n")
    settings = TokenSettings(secret_file=secret_file, secret=None)
    headers = ServiceCredentials("meetings", settings).headers()
    principal = TokenVerifier.from_settings(settings).verify(
        headers["Authorization"].removeprefix("Bearer ")
    )
    assert principal == Principal(role=Role.SERVICE, subject="service:meetings")

    given = ServiceCredentials("meetings", settings, token=SecretStr("provisioned")).headers()
    assert given == {"Authorization": "Bearer provisioned"}
