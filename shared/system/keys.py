"""The keys of a deployment, each for the one who needs it: tokens signed with a private key
that no service holds, and verified by every service with its public half.

On one machine (`cica up`) every service shares one HMAC secret, which can mint a token of any
role. A deployment gives no service that power. Its *token issuer* is an Ed25519 private key
(EdDSA; an RSA key, RS256, works too) kept away from the services; they get its public key
(``CICA_JWT_PUBLIC_KEY_FILE``), which verifies tokens and mints none, and each its own
``service`` token (subject ``service:<name>``, ``CICA_<SERVICE>_SERVICE_TOKEN``) for reading the
others' feeds. What `make` writes in a keys directory (compose's `keys` container, one volume
per subdirectory, so that each service mounts only its own and the public one)::

    issuer/token-issuer.pem          the token issuer's private key (no service mounts it)
    public/token-issuer.pub.pem      its public key: every service verifies tokens with it
    <service>/checkpoints.pem        the Ed25519 key the service signs its log's checkpoints with
    <service>/service-token          the service's own token (role service), re-minted each run
    <service>/webhook-key            for a service that signs webhooks (notifications)

Keys already there are kept (auditors pin the checkpoint keys; tokens stay valid); every file
is readable by its owner only (0600).

    python -m shared.system.keys make DIR [--service-token-ttl 365d]
    python -m shared.system.keys token --private-key-file FILE --role ROLE [--state XXX]
        [--subject SUB] [--ttl 1h]
    python -m shared.system.keys public-key --private-key-file FILE

`token` is `cica token` for a deployment: the Secretariat's, an auditor's or a scraper's token,
signed with the issuer's private key (the issuer and audience are CICA_JWT_ISSUER and
CICA_JWT_AUDIENCE, as the services check them).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from shared.access.principals import TOKEN_ROLES, Role, is_state_code
from shared.access.tokens import ensure_secret_file, mint_token
from shared.checkpoints import ensure_signing_key_file
from shared.settings import DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenSettings
from shared.system.services import SERVICE_NAMES, service_named

ISSUER_DIRECTORY = "issuer"
PUBLIC_DIRECTORY = "public"
TOKEN_PRIVATE_KEY = "token-issuer.pem"
TOKEN_PUBLIC_KEY = "token-issuer.pub.pem"
SIGNING_KEY = "checkpoints.pem"
SERVICE_TOKEN = "service-token"
WEBHOOK_KEY = "webhook-key"
SERVICE_TOKEN_TTL = timedelta(days=365)
"""A service token's life: long, as nothing renews it while the service runs; `make` mints a
new one at each run (compose runs `keys` at each `up`), a restart of the service takes it."""

PrivateKey = Ed25519PrivateKey | RSAPrivateKey


def service_subject(service: str) -> str:
    """The subject of `service`'s token, as a service mints it for itself on one machine."""
    return f"service:{service}"


def load_private_key(path: Path) -> PrivateKey:
    """The token issuer's private key: PEM, Ed25519 or RSA (ValueError otherwise)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey | RSAPrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}: use an Ed25519 or an RSA key")
    return key


def algorithm_of(key: PrivateKey) -> str:
    return "EdDSA" if isinstance(key, Ed25519PrivateKey) else "RS256"


def public_key_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def mint_signed_token(
    key: PrivateKey,
    *,
    role: Role | str,
    state: str | None = None,
    subject: str | None = None,
    ttl: timedelta = timedelta(hours=1),
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    now: datetime | None = None,
) -> str:
    """A token for `role` signed with the issuer's private `key` (EdDSA or RS256), with the
    claims `shared.access.tokens.mint_token` gives every token."""
    return mint_token(
        key, role=role, state=state, subject=subject, ttl=ttl, issuer=issuer,
        audience=audience, now=now, algorithm=algorithm_of(key),
    )


def write_private_file(path: Path, content: bytes) -> Path:
    """Write `content` to `path` (0600), replacing it whole: a reader sees the old file or the
    new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(partial, path)
    return path


def signs_webhooks(service: str) -> bool:
    """Whether `service` reads a webhook key (its settings have ``webhook_key_file``)."""
    return "webhook_key_file" in service_named(service).settings.model_fields


def make_deployment_keys(
    directory: Path,
    services: Sequence[str] = SERVICE_NAMES,
    *,
    service_token_ttl: timedelta = SERVICE_TOKEN_TTL,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> None:
    """Write in `directory` the keys of the module's docstring: those missing, and a fresh
    service token for each service."""
    private_path = ensure_signing_key_file(directory / ISSUER_DIRECTORY / TOKEN_PRIVATE_KEY)
    key = load_private_key(private_path)
    write_private_file(directory / PUBLIC_DIRECTORY / TOKEN_PUBLIC_KEY, public_key_pem(key))
    for service in services:
        own = directory / service
        ensure_signing_key_file(own / SIGNING_KEY)
        if signs_webhooks(service):
            ensure_secret_file(own / WEBHOOK_KEY)
        token = mint_signed_token(
            key,
            role=Role.SERVICE,
            subject=service_subject(service),
            ttl=service_token_ttl,
            issuer=issuer,
            audience=audience,
        )
        write_private_file(own / SERVICE_TOKEN, token.encode() + b"\n")


# ---------------------------------------------------------------------------- the command

_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """A command line's duration (``90s``, ``30m``, ``1h``, ``365d``)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"a duration is like 90s, 30m, 1h or 365d, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_state_code(text: str) -> str:
    """A command line's state: an ISO 3166 alpha-3 code (``kaz`` is ``KAZ``)."""
    code = text.strip().upper()
    if not is_state_code(code):
        raise argparse.ArgumentTypeError(f"a state is an ISO 3166 alpha-3 code, not {text!r}")
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.system.keys",
        description="A deployment's keys: a token issuer no service holds, each service's "
        "own checkpoint key and token.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    make = commands.add_parser("make", help="write the keys missing in DIR, and fresh tokens")
    make.add_argument("directory", type=Path, metavar="DIR")
    make.add_argument(
        "--service-token-ttl",
        type=parse_duration,
        default=SERVICE_TOKEN_TTL,
        help="how long each service's token is valid (default 365d)",
    )
    token = commands.add_parser("token", help="print a token signed with the issuer's key")
    token.add_argument("--private-key-file", type=Path, required=True)
    token.add_argument("--role", required=True, choices=sorted(role.value for role in TOKEN_ROLES))
    token.add_argument("--state", type=parse_state_code, help="with --role member_state only")
    token.add_argument("--subject", help="the token's sub (default dev:<role>[:<state>])")
    token.add_argument("--ttl", type=parse_duration, default=timedelta(hours=1), help="default 1h")
    public = commands.add_parser("public-key", help="print the issuer's public key (PEM)")
    public.add_argument("--private-key-file", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = TokenSettings()
    try:
        if args.command == "make":
            make_deployment_keys(
                args.directory,
                service_token_ttl=args.service_token_ttl,
                issuer=settings.issuer,
                audience=settings.audience,
            )
            return 0
        key = load_private_key(args.private_key_file)
        if args.command == "public-key":
            sys.stdout.write(public_key_pem(key).decode())
            return 0
        print(
            mint_signed_token(
                key,
                role=args.role,
                state=args.state,
                subject=args.subject,
                ttl=args.ttl,
                issuer=settings.issuer,
                audience=settings.audience,
            )
        )
        return 0
    except (OSError, ValueError) as error:
        print(f"keys {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
