"""The `cica` command.

- ``cica up``: PostgreSQL, NATS and the four services on this machine, until Ctrl-C
  (see `shared.system.supervisor`).
- ``cica migrate``: create the services' databases when missing and apply their migrations,
  nothing else (what a deployment runs once before starting the services).
- ``cica token --role ROLE [--state XXX] [--ttl 1h]``: print a development bearer token, signed
  with this machine's HMAC secret (the one `cica up` gives the services).
- ``cica rebuild <service> [<projection>]``: replay a service's log into its projections from
  position 0, printing their digests before and after (see `shared.system.rebuild`).
- ``cica asyncapi [--check]``: write the event catalogue to deploy/asyncapi.json.
- ``cica audit verify|export [--token T] [--service SERVICE=URL]``, ``cica audit verify --file
  EXPORT``: check every service's log against its signed checkpoints and the ones you kept,
  or export it for offline checks (see `shared.system.audit`).
- ``cica demo [--url SERVICE=URL] [--token T] [--ministries URL]``: load the October 2022
  scenario into a running system through its HTTP APIs (see `shared.system.demo`); safe to run
  again.

Every option has an environment variable, and a flag wins over its variable.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from shared.access.principals import TOKEN_ROLES
from shared.access.tokens import SECRET_FILE_NAME, ensure_secret_file, mint_token
from shared.settings import DEFAULT_SERVER_URL, TokenSettings, cors_origins, read_secret_file
from shared.system.audit.command import add_audit_parser, audit_command
from shared.system.keys import parse_duration, parse_state_code
from shared.system.migrate import prepare_databases
from shared.system.services import SERVICE_NAMES
from shared.system.supervisor import (
    DEFAULT_HOST,
    DEFAULT_NATS_PORT,
    DEFAULT_PG_PORT,
    DEFAULT_SERVICE_PORTS,
    DEFAULT_STATE_DIR,
    DEVELOPMENT_CORS_ORIGINS,
    UpOptions,
    run_up,
)

T = TypeVar("T")


def _number(text: str, parse: Callable[[str], T], what: str) -> T:
    """`text` read by `parse` (int, float), or the argparse error that it is not `what`."""
    try:
        return parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def _port(text: str) -> int:
    port = _number(text, int, "a port number")
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {port}")
    return port


def _service_port(text: str) -> tuple[str, int]:
    name, sep, port = text.partition("=")
    if not sep or name not in SERVICE_NAMES:
        raise argparse.ArgumentTypeError(
            f"expected SERVICE=PORT with SERVICE one of {', '.join(SERVICE_NAMES)}, not {text!r}"
        )
    return name, _port(port)


def _count(text: str) -> int:
    count = _number(text, int, "a whole number")
    if not 1 <= count <= 9:
        raise argparse.ArgumentTypeError(f"a count is 1 to 9, not {count}")
    return count


def _positive_seconds(text: str) -> float:
    seconds = _number(text, float, "a number of seconds")
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a timeout is more than 0 seconds")
    return seconds




def _origin(text: str) -> str:
    try:
        (origin,) = cors_origins([text])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return origin


def _cors_origins(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> tuple[str, ...]:
    """The --cors-origin flags if any, else CICA_CORS_ORIGINS if set (empty: none), else the
    local development origins."""
    if args.cors_origins:
        return tuple(dict.fromkeys(args.cors_origins))
    if "CICA_CORS_ORIGINS" not in environ:
        return DEVELOPMENT_CORS_ORIGINS
    try:
        return cors_origins(environ["CICA_CORS_ORIGINS"])
    except ValueError as error:
        parser.error(f"CICA_CORS_ORIGINS: {error}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cica",
        description="The CICA Secretariat backend: four event-sourced services "
        "on PostgreSQL and NATS JetStream.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="run PostgreSQL, NATS and the four services here; Ctrl-C stops everything",
        description="Start PostgreSQL and NATS (unless CICA_DATABASE_URL / CICA_NATS_URL name "
        "external servers), create and migrate the databases, start the registry, documents, "
        "meetings and notifications services, and keep them running until Ctrl-C or SIGTERM. "
        "The NATS started here has a user per service (passwords made once in the state "
        "dir's keys/nats/) and refuses anonymous clients; with external NATS each service's "
        "identity comes from CICA_<SERVICE>_NATS_USER and CICA_<SERVICE>_NATS_PASSWORD_FILE.",
    )
    up.set_defaults(command_parser=up)
    up.add_argument(
        "--state-dir",
        type=Path,
        help=f"where data and logs are kept between runs "
        f"(env CICA_STATE_DIR; default {DEFAULT_STATE_DIR}/ in the current directory)",
    )
    up.add_argument(
        "--host", help=f"the address the services listen on (env CICA_HOST; default {DEFAULT_HOST})"
    )
    up.add_argument(
        "--pg-port",
        type=_port,
        help=f"port of the PostgreSQL started here (env CICA_PG_PORT; default {DEFAULT_PG_PORT})",
    )
    up.add_argument(
        "--nats-port",
        type=_port,
        help=f"port of the NATS started here (env CICA_NATS_PORT; default {DEFAULT_NATS_PORT})",
    )
    defaults = ", ".join(f"{name} {port}" for name, port in DEFAULT_SERVICE_PORTS.items())
    up.add_argument(
        "--port",
        dest="service_ports",
        type=_service_port,
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help=f"a service's port, repeatable (env CICA_<SERVICE>_PORT; defaults {defaults})",
    )
    up.add_argument(
        "--replicas",
        type=_count,
        help="processes of each service, replica r on its port + 10*(r-1), all on the same "
        "databases; with 2 or more a replica that exits is restarted (env CICA_REPLICAS; "
        "default 1)",
    )
    up.add_argument(
        "--nats-cluster",
        type=_count,
        metavar="NODES",
        help="NATS nodes to start as one JetStream cluster, streams kept on min(3, NODES) of "
        "them; node i on the NATS port + i (routes + 2000, monitoring + 4000); with 2 or more "
        "a node that exits is restarted (env CICA_NATS_CLUSTER; default 1)",
    )
    up.add_argument(
        "--cors-origin",
        dest="cors_origins",
        type=_origin,
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call the services (CORS), scheme://host[:port], "
        "repeatable; given, only these (env CICA_CORS_ORIGINS, comma-separated, empty for "
        "none; default the local development servers "
        f"{', '.join(DEVELOPMENT_CORS_ORIGINS)})",
    )
    up.add_argument(
        "--startup-timeout",
        type=_positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long every service has to answer /healthz (default 60)",
    )
    up.add_argument(
        "--stop-timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long a service has to stop after SIGTERM before it is killed (default 10)",
    )

    token = commands.add_parser(
        "token",
        help="print a development bearer token for a role",
        description="Print a bearer token (JWT, HS256) signed with this machine's secret: "
        "CICA_JWT_SECRET or CICA_JWT_SECRET_FILE if set, else <state dir>/jwt-secret (made "
        "if missing; `cica up` gives the same file to the services). For development: a real "
        "deployment's tokens come from its identity provider.",
    )
    token.set_defaults(command_parser=token)
    token.add_argument("--role", required=True, choices=sorted(role.value for role in TOKEN_ROLES))
    token.add_argument(
        "--state",
        type=parse_state_code,
        help="the member state's ISO 3166 alpha-3 code (with --role member_state only)",
    )
    token.add_argument(
        "--ttl",
        type=parse_duration,
        default=timedelta(hours=1),
        help="how long it is valid: 90s, 30m, 1h, 7d (default 1h)",
    )
    token.add_argument("--subject", help="the token's sub (default dev:<role>[:<state>])")
    token.add_argument(
        "--state-dir",
        type=Path,
        help=f"where `cica up` keeps its data (env CICA_STATE_DIR; default {DEFAULT_STATE_DIR}/)",
    )

    migrate = commands.add_parser(
        "migrate",
        help="create the services' databases when missing and apply their migrations",
        description="Create cica_registry, cica_documents, cica_meetings and "
        "cica_notifications on a PostgreSQL server when missing, and apply every migration.",
    )
    migrate.add_argument(
        "--database-url",
        help=f"the PostgreSQL server (env CICA_DATABASE_URL; default {DEFAULT_SERVER_URL})",
    )

    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild a service's projections from its log; print digests before and after",
        description="Delete a service's projections (all, or the one named) and replay its "
        "event log into them from position 0, printing each one's position and digest before "
        "and after. Safe while the service runs.",
    )
    rebuild.add_argument("service", choices=SERVICE_NAMES)
    rebuild.add_argument("projection", nargs="?", help="only this projection (default: all)")
    rebuild.add_argument(
        "--database-url",
        help="the PostgreSQL server holding cica_<service> (default: the service's settings, "
        "CICA_<SERVICE>_DATABASE_URL or CICA_DATABASE_URL)",
    )

    asyncapi = commands.add_parser(
        "asyncapi",
        help="write the event catalogue (AsyncAPI 3.0) to deploy/asyncapi.json",
        description="Generate the whole system's AsyncAPI 3.0 document from the services' "
        "event models and reactions.",
    )
    asyncapi.add_argument("--output", type=Path, help="where to write it")
    asyncapi.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file is stale"
    )

    demo = commands.add_parser(
        "demo",
        help="load the October 2022 scenario into the running system, through its HTTP APIs",
        description="Load the seed's world (27 member states, the SOC's agenda, SUM/2022/DRAFT/1/"
        "Rev.8, Kuwait's admission) into a running system (`cica up`) through the services' "
        "public HTTP APIs, then print what each service holds and verify every log. Safe to run "
        "again: a second run records nothing.",
    )
    demo.set_defaults(command_parser=demo)
    demo.add_argument(
        "--url",
        dest="urls",
        type=_service_url,
        action="append",
        default=[],
        metavar="SERVICE=URL",
        help="a service's base URL, repeatable (default: the ports of `cica up`, "
        "http://127.0.0.1:8001 to 8004)",
    )
    demo.add_argument(
        "--token",
        help="the Secretariat's bearer token (default: one minted from the state dir's secret, "
        "as `cica token --role secretariat` does)",
    )
    demo.add_argument(
        "--auditor-token",
        help="the token that verifies the logs (default: minted as an auditor's when --token is "
        "not given, else --token)",
    )
    demo.add_argument(
        "--state-dir",
        type=Path,
        help=f"where `cica up` keeps its data (env CICA_STATE_DIR; default {DEFAULT_STATE_DIR}/)",
    )
    demo.add_argument(
        "--notifications",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the notifications service's steps: note verbale SOC/OI/1280 to the 27 and the "
        "notice of Kuwait's admission to the 28 (default; --no-notifications for a system "
        "without that service)",
    )
    demo.add_argument(
        "--ministries",
        metavar="URL",
        help="register each member state's ministry as a webhook endpoint at URL/<STATE> "
        "(http on loopback only with CICA_NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS=true, for "
        "development) and wait until every delivery to them has succeeded",
    )
    demo.add_argument(
        "--ministry-secrets",
        type=Path,
        metavar="FILE",
        help="write each newly registered endpoint's signing secret here (JSON, state to "
        "secret, readable by its owner only): the service shows it once",
    )
    add_audit_parser(commands, _audit_service)
    return parser


def _audit_service(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or not re.fullmatch(r"[a-z]+", name) or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected SERVICE=URL (http or https), not {text!r}")
    return name, url


def _service_url(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or name not in SERVICE_NAMES or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(
            f"expected SERVICE=URL with SERVICE one of {', '.join(SERVICE_NAMES)}, not {text!r}"
        )
    return name, url


def _setting(
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str],
    flag: T | None,
    variable: str,
    convert: Callable[[str], T],
    default: T,
) -> T:
    """The flag if given, else the environment variable if set, else the default."""
    if flag is not None:
        return flag
    value = environ.get(variable, "")
    if not value:
        return default
    try:
        return convert(value)
    except argparse.ArgumentTypeError as error:
        parser.error(f"{variable}: {error}")


def up_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> UpOptions:
    """The options of `cica up`: flags first, then environment variables, then defaults."""
    service_ports = {
        name: _setting(
            parser, environ, None, f"CICA_{name.upper()}_PORT", _port, DEFAULT_SERVICE_PORTS[name]
        )
        for name in SERVICE_NAMES
    }
    service_ports.update(dict(args.service_ports))
    return UpOptions(
        state_dir=_setting(
            parser, environ, args.state_dir, "CICA_STATE_DIR", Path, DEFAULT_STATE_DIR
        ),
        host=_setting(parser, environ, args.host, "CICA_HOST", str, DEFAULT_HOST),
        pg_port=_setting(parser, environ, args.pg_port, "CICA_PG_PORT", _port, DEFAULT_PG_PORT),
        nats_port=_setting(
            parser, environ, args.nats_port, "CICA_NATS_PORT", _port, DEFAULT_NATS_PORT
        ),
        service_ports=service_ports,
        external_database_url=environ.get("CICA_DATABASE_URL") or None,
        external_nats_url=environ.get("CICA_NATS_URL") or None,
        startup_timeout=args.startup_timeout,
        stop_timeout=args.stop_timeout,
        replicas=_setting(parser, environ, args.replicas, "CICA_REPLICAS", _count, 1),
        nats_cluster=_setting(parser, environ, args.nats_cluster, "CICA_NATS_CLUSTER", _count, 1),
        cors_origins=_cors_origins(parser, args, environ),
    )


def migrate(server_url: str) -> int:
    try:
        urls = prepare_databases(server_url)
    except Exception as error:  # reported, and the exit status says it failed
        print(f"cica migrate: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for service, url in urls.items():
        database = url.rsplit("/", 1)[-1].split("?", 1)[0]
        print(f"{service}: database {database} is at the newest schema")
    return 0


def _signing_secret(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    settings: TokenSettings,
) -> bytes:
    """The secret development tokens are signed with: CICA_JWT_SECRET or CICA_JWT_SECRET_FILE
    if set, else the state dir's file, made if missing (OSError or ValueError if unreadable)."""
    secret = settings.hmac_secret()
    if secret is None:
        state_dir = _setting(
            parser, environ, args.state_dir, "CICA_STATE_DIR", Path, DEFAULT_STATE_DIR
        )
        secret = read_secret_file(ensure_secret_file(state_dir / SECRET_FILE_NAME))
    return secret


def token(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> int:
    if (args.role == "member_state") != (args.state is not None):
        parser.error("--state goes with --role member_state, and with no other role")
    settings = TokenSettings()
    try:
        secret = _signing_secret(parser, args, environ, settings)
        minted = mint_token(
            secret,
            role=args.role,
            state=args.state,
            subject=args.subject,
            ttl=args.ttl,
            issuer=settings.issuer,
            audience=settings.audience,
        )
    except (OSError, ValueError) as error:
        print(f"cica token: {error}", file=sys.stderr)
        return 1
    print(minted)
    return 0


def demo(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> int:
    from shared.system.demo import DEFAULT_URLS, DemoClient, DemoError, run_demo

    urls = {**DEFAULT_URLS, **dict(args.urls)}
    if args.ministries is not None:
        if not args.notifications:
            parser.error("--ministries needs the notifications service's steps")
        if not args.ministries.startswith(("http://", "https://")):
            parser.error(f"--ministries expects an http or https URL, not {args.ministries!r}")
    token, auditor_token = args.token, args.auditor_token
    if token is None:
        settings = TokenSettings()
        try:
            secret = _signing_secret(parser, args, environ, settings)
            token, minted_auditor = (
                mint_token(secret, role=role, issuer=settings.issuer, audience=settings.audience)
                for role in ("secretariat", "auditor")
            )
        except (OSError, ValueError) as error:
            print(f"cica demo: {error}", file=sys.stderr)
            return 1
        auditor_token = auditor_token or minted_auditor
    try:
        with DemoClient(urls, token, auditor_token=auditor_token) as client:
            return run_demo(
                client,
                notifications=args.notifications,
                ministries=args.ministries,
                secrets_file=args.ministry_secrets,
            )
    except DemoError as error:
        print(f"cica demo: {error}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        return run_up(up_options(args.command_parser, args, os.environ))
    if args.command == "token":
        return token(args.command_parser, args, os.environ)
    if args.command == "migrate":
        server_url = args.database_url or os.environ.get("CICA_DATABASE_URL") or DEFAULT_SERVER_URL
        return migrate(server_url)
    if args.command == "rebuild":
        from shared.system.rebuild import rebuild_command

        return rebuild_command(args.service, args.projection, server_url=args.database_url)
    if args.command == "audit":
        return audit_command(args)
    if args.command == "demo":
        return demo(args.command_parser, args, os.environ)
    if args.command == "asyncapi":
        from shared.system.asyncapi import SYSTEM_DOCUMENT, asyncapi_command

        return asyncapi_command(args.output or SYSTEM_DOCUMENT, check=args.check)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
