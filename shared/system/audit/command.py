"""`cica audit` on the command line: its subcommands and options, and where the services it
audits answer. Verifying and exporting are `shared.system.audit.verify`'s; replaying, the state
as of an instant and tracing are `shared.system.audit.history`'s."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from shared.system.audit.history import add_history_parsers, run_history_command
from shared.system.audit.verify import (
    DEFAULT_CHECKPOINTS_FILE,
    AuditError,
    export_services,
    verify_export,
    verify_services,
)
from shared.system.services import DEFAULT_PORTS, SERVICE_NAMES


def service_urls(selected: list[tuple[str, str]], environ: dict[str, str]) -> dict[str, str]:
    """The services to audit: those named with --service NAME=URL, else all four at
    CICA_<SERVICE>_URL or the ports `cica up` uses."""
    if selected:
        return dict(selected)
    return {
        service: environ.get(f"CICA_{service.upper()}_URL")
        or f"http://127.0.0.1:{DEFAULT_PORTS[service]}"
        for service in SERVICE_NAMES
    }


def clients_for(
    urls: dict[str, str], token: str, *, timeout: float = 60.0
) -> dict[str, httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"}
    return {
        service: httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout)
        for service, url in urls.items()
    }


def audit_command(args: Any, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ if environ is None else environ)
    kept_file = Path(getattr(args, "checkpoints", DEFAULT_CHECKPOINTS_FILE))
    try:
        if args.audit_command == "verify" and args.file is not None:
            failures = verify_export(Path(args.file), kept_file if kept_file.exists() else None)
            return 1 if failures else 0
        token = args.token or environ.get("CICA_AUDIT_TOKEN")
        if not token:
            print(
                "cica audit: an auditor token is needed (--token or CICA_AUDIT_TOKEN)",
                file=sys.stderr,
            )
            return 2
        clients = clients_for(service_urls(args.service, environ), token)
        return asyncio.run(_run_over_http(args, clients, kept_file))
    except AuditError as error:
        print(f"cica audit: {error}", file=sys.stderr)
        return 2


async def _run_over_http(args: Any, clients: dict[str, httpx.AsyncClient], kept_file: Path) -> int:
    try:
        if args.audit_command in ("replay", "state", "trace"):
            return await run_history_command(args, clients)
        if args.audit_command == "export":
            count = await export_services(clients, Path(args.out))
            print(f"exported {count} events of {', '.join(clients)} to {args.out}")
            return 0
        failures = await verify_services(clients, kept_file, accept_new_keys=args.accept_new_keys)
        return 1 if failures else 0
    finally:
        for client in clients.values():
            await client.aclose()


def add_audit_parser(commands: Any, service_argument: Callable[[str], tuple[str, str]]) -> None:
    """`cica audit ...` on the `cica` command's subparsers."""
    audit = commands.add_parser(
        "audit",
        help="verify the services' logs against signed checkpoints; export, replay, state "
        "as of an instant, trace an event",
        description="Check, over HTTP with an auditor token, that every service's log is "
        "complete and unaltered: its hash chain, its signed checkpoints, the checkpoints you "
        "kept from earlier runs, and Merkle proofs; or export the history for offline checks; "
        "replay it into fresh read models, show the state as of an instant, trace an event.",
    )
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = audit_commands.add_parser(
        "verify",
        help="verify every service (or an export, with --file); exit 1 naming what fails",
    )
    verify.add_argument(
        "--file", help="verify this export (from `cica audit export`) with no server at all"
    )
    verify.add_argument(
        "--accept-new-keys",
        action="store_true",
        help="pin signing keys not seen before (after checking why a service has a new key)",
    )
    export = audit_commands.add_parser(
        "export", help="write every service's history, checkpoints and keys as JSON lines"
    )
    export.add_argument("--out", required=True, help="the file to write")
    history = add_history_parsers(audit_commands)
    for parser in (verify, export, *history):
        parser.add_argument("--token", help="an auditor bearer token (env CICA_AUDIT_TOKEN)")
        parser.add_argument(
            "--service",
            type=service_argument,
            action="append",
            default=[],
            metavar="SERVICE=URL",
            help="a service to audit and where it answers, repeatable (default: all four, at "
            "CICA_<SERVICE>_URL or ports 8001-8004 here)",
        )
    for parser in (verify, export):
        parser.add_argument(
            "--checkpoints",
            default=str(DEFAULT_CHECKPOINTS_FILE),
            metavar="FILE",
            help=f"the checkpoints and keys you keep between runs (default "
            f"{DEFAULT_CHECKPOINTS_FILE}); verify adds the newest after a pass",
        )
