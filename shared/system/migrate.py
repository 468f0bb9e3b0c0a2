"""Databases and migrations: each service's database is created when missing and brought to
the newest schema by alembic: the kit's tables (`shared/migrations`, whose `env.py` is the
alembic environment of every service) and the service's own (its `migrations` directory, as
`shared.system.services` declares it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import shared.migrations
from shared.settings import asyncpg_url, service_database_url
from shared.system.services import SERVICE_NAMES, service_named

KIT_MIGRATIONS = Path(next(iter(shared.migrations.__path__))).resolve()
"""The kit's alembic environment (`env.py`) and its own versions, in every service's database."""


def alembic_config(service: str | tuple[str, ...], database_url: str) -> Config:
    """The alembic configuration of `service`'s database: the kit's migrations and the
    service's own. Several services (a tuple) share one database only in the tests' template,
    which then holds every head in its one version table."""
    config = Config()
    config.set_main_option("script_location", str(KIT_MIGRATIONS))
    locations = [KIT_MIGRATIONS / "versions"]
    for name in (service,) if isinstance(service, str) else service:
        own = service_named(name).migrations
        if own.is_dir():
            locations.append(own)
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", asyncpg_url(database_url).replace("%", "%%"))
    return config


async def ensure_database(database_url: str) -> bool:
    """Create the database `database_url` names, on its server, unless it exists. True if made."""
    url = make_url(database_url)
    name = url.database
    assert name, "the URL must name a database"
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            # CREATE DATABASE takes no parameters; the name is quoted as an identifier.
            quoted = '"' + name.replace('"', '""') + '"'
            await connection.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await connection.close()


async def upgrade(service: str | tuple[str, ...], database_url: str) -> None:
    """Apply every migration of the kit and of `service` to `database_url` (alembic heads)."""
    config = alembic_config(service, database_url)
    engine = create_async_engine(asyncpg_url(database_url))
    try:
        async with engine.begin() as connection:

            def run(sync_connection) -> None:  # type: ignore[no-untyped-def]
                config.attributes["connection"] = sync_connection
                command.upgrade(config, "heads")

            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def prepare(service: str, database_url: str) -> None:
    await ensure_database(database_url)
    await upgrade(service, database_url)


async def prepare_all(server_url: str, services: tuple[str, ...] = SERVICE_NAMES) -> dict[str, str]:
    """Create and migrate every service's database on the server; returns their URLs."""
    urls = {service: service_database_url(server_url, service) for service in services}
    for service, url in urls.items():
        await prepare(service, url)
    return urls


def prepare_databases(server_url: str, services: tuple[str, ...] = SERVICE_NAMES) -> dict[str, str]:
    """Synchronous form of `prepare_all`, for the command line."""
    return asyncio.run(prepare_all(server_url, services))
