"""The PostgreSQL and NATS a run of the tests or of the benchmarks stands on: the servers that
CICA_DATABASE_URL and CICA_NATS_URL name, or else its own, on free ports (never the ones
`make up` uses) in a temporary directory that is removed after."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.system.devservers import LocalNats, LocalPostgres, free_port


@dataclass
class Servers:
    server_url: str
    nats_url: str
    postgres: LocalPostgres | None
    nats: LocalNats | None
    workdir: Path


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
        nats_url = os.environ.get("CICA_NATS_URL")
        if not nats_url:
            nats = LocalNats(workdir / "nats", free_port())
            nats.start()
            nats_url = nats.url
        yield Servers(server_url, nats_url, postgres, nats, workdir)
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
