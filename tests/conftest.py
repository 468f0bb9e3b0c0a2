"""The test session's own PostgreSQL and NATS, on free ports (never the ones `make up` uses),
unless CICA_DATABASE_URL and CICA_NATS_URL point at external servers.

Each test that needs a database gets a fresh one, copied from a migrated template, so tests
never see each other's events.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.system.migrate import ensure_database, upgrade
from tests.servers import Servers, own_servers

# One template per process of the run (pytest-xdist's workers share external servers).
TEMPLATE = f"cica_test_template{os.environ.get('PYTEST_XDIST_WORKER', '')}"


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with own_servers("cica-test-", fsync=False) as started:
        template_url = make_url(started.server_url).set(database=TEMPLATE).render_as_string(False)
        asyncio.run(_make_template(template_url))
        yield started


async def _make_template(template_url: str) -> None:
    admin = make_url(template_url).set(database="postgres").render_as_string(False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    finally:
        await connection.close()
    await ensure_database(template_url)
    # The kit's tables and the read models of the services that have them, in one alembic run
    # (one version table holding every head).
    await upgrade(("registry", "documents", "meetings", "notifications"), template_url)


@pytest.fixture
async def new_database(servers: Servers) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes fresh, migrated databases on demand (for tests with several services); each is
    dropped at the end of the test."""
    admin = make_url(servers.server_url).set(database="postgres").render_as_string(False)
    made: list[str] = []

    async def make() -> str:
        name = f"cica_t_{uuid.uuid4().hex[:16]}"
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        finally:
            await connection.close()
        made.append(name)
        return make_url(servers.server_url).set(database=name).render_as_string(False)

    yield make
    connection = await asyncpg.connect(admin)
    try:
        for name in made:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def database_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh, migrated database of its own for this test (plain postgresql:// URL)."""
    return await new_database()
