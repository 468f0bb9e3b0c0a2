"""The PostgreSQL and NATS a run of the tests or of the benchmarks stands on: the servers that
CICA_DATABASE_URL and CICA_NATS_URL name, or else its own, on free ports (never the ones
`make up` uses) in a temporary directory that is removed after.

Its own NATS refuses anonymous clients, as `cica up`'s does: it has a user per service with the
service's permissions (`shared.system.nats_identities`), and one more, the test harness, which
may do anything (create and delete any stream, publish as any producer). `Servers.nats_url`
carries the harness's user and password, so that a test of the kit (whose services have names
made up for it) connects as it; a test of the identities connects as a service with
`Servers.identity`."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from shared.access.tokens import ensure_secret_file
from shared.messaging import NatsIdentity
from shared.system.devservers import LocalNats, LocalPostgres, free_port
from shared.system.nats_identities import (
    NatsUser,
    authorization_block,
    ensure_password_files,
    literal,
    service_users,
)

HARNESS_USER = "cica-test-harness"


@dataclass
class Servers:
    server_url: str
    nats_url: str
    """NATS, as the test harness (its user and password in the URL)."""
    postgres: LocalPostgres | None
    nats: LocalNats | None
    workdir: Path
    nats_address: str = ""
    """NATS without any identity (a client connecting so is anonymous)."""
    identities: dict[str, NatsIdentity] = field(default_factory=dict)
    """Each service's NATS identity, and the harness's, by user (none: external NATS)."""

    def identity(self, user: str) -> NatsIdentity:
        return self.identities[user]


def harness_url(address: str, identity: NatsIdentity) -> str:
    scheme, _, host = address.partition("://")
    user, password = quote(identity.user, safe=""), quote(identity.password(), safe="")
    return f"{scheme}://{user}:{password}@{host}"


def authorization(identities: dict[str, NatsIdentity]) -> str:
    """The services' users, and the harness, which may do anything."""
    services = {
        name: literal(identity.password())
        for name, identity in identities.items()
        if name != HARNESS_USER
    }
    harness = NatsUser(HARNESS_USER, literal(identities[HARNESS_USER].password()), None)
    return authorization_block([*service_users(services), harness])


@contextmanager
def own_servers(prefix: str, *, fsync: bool = True) -> Iterator[Servers]:
    """The servers of a run, in a temporary directory named from `prefix`; those started here
    are stopped after (PostgreSQL with `fsync` as given)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    postgres = nats = None
    try:
        server_url = os.environ.get("CICA_DATABASE_URL")
        if not server_url:
            postgres = LocalPostgres(workdir / "postgres", free_port(), fsync=fsync)
            postgres.start()
            server_url = postgres.url
        nats_url = address = os.environ.get("CICA_NATS_URL") or ""
        identities: dict[str, NatsIdentity] = {}
        if not nats_url:
            keys = workdir / "keys" / "nats"
            identities = ensure_password_files(keys)
            identities[HARNESS_USER] = NatsIdentity(
                HARNESS_USER, ensure_secret_file(keys / f"{HARNESS_USER}.password")
            )
            nats = LocalNats(workdir / "nats", free_port(), authorization=authorization(identities))
            nats.start()
            address = nats.url
            nats_url = harness_url(address, identities[HARNESS_USER])
        yield Servers(server_url, nats_url, postgres, nats, workdir, address, identities)
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
