"""Databases and migrations: each service's database is created when missing and brought to
the newest schema by alembic: the kit's tables (`shared/migrations`, whose `env.py` is the
alembic environment of every service) and the service's own (its `migrations` directory, as
`shared.system.services` declares it).

Two roles. The migrations run as the role `cica migrate` connects as (CICA_DATABASE_URL): the
*migration role*, which owns the databases and every table in them. The services connect as a
*service role* that owns nothing. With ``CICA_SERVICE_DATABASE_ROLE`` set (``{service}`` in it
stands for the service's name: ``cica_{service}_service`` is a role per service), each
service's database, once migrated and in the same transaction, grants its service role exactly
what a running service needs (`SERVICE_PRIVILEGES`), and takes back anything else:

- ``events``: SELECT and INSERT, and MAINTAIN for the append's ``LOCK TABLE events IN
  EXCLUSIVE MODE`` (PostgreSQL 17; without it that lock needs UPDATE, DELETE or TRUNCATE).
  Never UPDATE, DELETE or TRUNCATE, and not the owner: it can neither change a row nor
  alter the table, so neither drop nor disable its append-only triggers;
- ``checkpoints`` (the signed heads of the log): SELECT and INSERT;
- ``alembic_version``: SELECT (the pods' wait for the schema reads it);
- every other table (read models, projection checkpoints, tracking, parked messages,
  idempotency keys, relay progress, membership changes): SELECT, INSERT, UPDATE, DELETE;
- its sequences: USAGE and SELECT; the schema: USAGE (no CREATE); the database: CONNECT,
  which PUBLIC no longer has (a service's role cannot connect to another service's database).

It is granted on what exists after the migrations, so each run of `cica migrate` (safe to
repeat) grants on the tables a new migration made, and undoes any grant made by hand.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import shared.migrations
from shared.checkpoints import checkpoints
from shared.eventstore.schema import events
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


SERVICE_ROLE_PLACEHOLDER = "{service}"
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
SERVICE_PRIVILEGES: dict[str, tuple[str, ...]] = {
    events.name: ("SELECT", "INSERT", "MAINTAIN"),
    checkpoints.name: ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),
}
"""What a service role may do on a table, where it is not `READ_WRITE` (views: SELECT)."""
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")
MAINTAIN_SINCE = 170000
"""The first PostgreSQL (server_version_num) with the MAINTAIN privilege."""


class MigrationSettings(BaseSettings):
    """What `cica migrate` reads beside the server it migrates (CICA_DATABASE_URL): system-wide
    settings, with no service prefix."""

    model_config = SettingsConfigDict(env_prefix="CICA_", extra="ignore", env_ignore_empty=True)

    # The role the services connect as, given what they need once their database is migrated:
    # CICA_SERVICE_DATABASE_ROLE, `{service}` in it standing for each service's name. None:
    # nothing is granted (one machine, where the services connect as the owner).
    service_database_role: str | None = None

    def service_role(self, service: str) -> str | None:
        """The role `service` connects as, or None."""
        if self.service_database_role is None:
            return None
        return self.service_database_role.replace(SERVICE_ROLE_PLACEHOLDER, service)


class ServiceRoleError(Exception):
    """The service role cannot be given least privilege here (it is missing, it could act as
    the owner, or the server is too old); `cica migrate` fails with this reason."""


def _identifier(name: str) -> str:
    """`name` quoted as an SQL identifier (GRANT takes no parameters)."""
    if not name or "\x00" in name or len(name.encode()) > 63:
        raise ServiceRoleError(f"not a PostgreSQL role or object name: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _check_service_role(connection: Connection, role: str) -> None:
    """Refuse a role that would not be held to least privilege: one that does not exist, is a
    superuser or bypasses row security, is (or is a member of) the role migrating, or owns the
    database or any relation of its schema; a server without MAINTAIN; and a role migrating
    that does not own them all (its grants would do nothing)."""
    version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    if version < MAINTAIN_SINCE:
        raise ServiceRoleError(
            "a service role needs PostgreSQL 17 or newer: its appends lock the log "
            "(LOCK TABLE events IN EXCLUSIVE MODE), which takes MAINTAIN without UPDATE, DELETE "
            "or TRUNCATE"
        )
    found = connection.execute(
        text(
            "SELECT r.rolsuper OR r.rolbypassrls AS powerful, "
            "r.rolname = current_user OR pg_has_role(r.oid, current_user, 'MEMBER') AS owner, "
            "EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() "
            "AND d.datdba = r.oid) "
            "OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relowner = r.oid) AS owns "
            "FROM pg_roles AS r WHERE r.rolname = :role"
        ),
        {"role": role},
    ).first()
    if found is None:
        raise ServiceRoleError(
            f"the service role {role!r} does not exist: create it (LOGIN, nothing else) first"
        )
    if found.powerful:
        raise ServiceRoleError(f"the service role {role!r} is a superuser or bypasses RLS")
    if found.owner:
        raise ServiceRoleError(
            f"the service role {role!r} is, or is a member of, the role migrating: it would "
            "own the tables"
        )
    if found.owns:
        raise ServiceRoleError(
            f"the service role {role!r} owns this database or some of its tables: give them "
            "to the migration role first (ALTER DATABASE ... OWNER TO, REASSIGN OWNED BY)"
        )
    # A GRANT by a role without the owner's rights only warns: it must not pass for done.
    foreign = connection.execute(
        text(
            "SELECT d.datname FROM pg_database d WHERE d.datname = current_database() "
            "AND NOT pg_has_role(current_user, d.datdba, 'USAGE') "
            "UNION ALL "
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND NOT pg_has_role(current_user, c.relowner, 'USAGE')"
        )
    ).scalars().all()
    if foreign:
        raise ServiceRoleError(
            f"the role migrating does not own {', '.join(sorted(foreign)[:5])}: the migration "
            "role must own the database and every table in it to grant on them"
        )


def grant_service_role(connection: Connection, role: str) -> None:
    """Give `role` exactly what a running service needs in the database `connection` is on
    (see the module's docstring), taking back anything else it had there. Run as the owner of
    the database and of its tables, in the migration's transaction."""
    _check_service_role(connection, role)
    grantee = _identifier(role)
    database = _identifier(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    schema = _identifier(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    statements = [
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC",
        f"REVOKE ALL ON DATABASE {database} FROM {grantee}",
        f"GRANT CONNECT ON DATABASE {database} TO {grantee}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE ALL ON SCHEMA {schema} FROM {grantee}",
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
    ]
    relations = connection.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "ORDER BY c.relname"
        )
    ).all()
    for name, kind in relations:
        if kind == "S":
            privileges, object_kind = SEQUENCE_PRIVILEGES, "SEQUENCE"
        elif kind in ("v", "m"):
            privileges, object_kind = ("SELECT",), "TABLE"
        else:
            privileges, object_kind = SERVICE_PRIVILEGES.get(name, READ_WRITE), "TABLE"
        statements.append(
            f"GRANT {', '.join(privileges)} ON {object_kind} {schema}.{_identifier(name)} "
            f"TO {grantee}"
        )
    for statement in statements:
        connection.exec_driver_sql(statement)


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


async def upgrade(
    service: str | tuple[str, ...], database_url: str, *, grant_to: str | None = None
) -> None:
    """Apply every migration of the kit and of `service` to `database_url` (alembic heads),
    and, with `grant_to`, give that service role what it needs there (`grant_service_role`),
    in the same transaction: a service that finds the schema current finds its grants too."""
    config = alembic_config(service, database_url)
    engine = create_async_engine(asyncpg_url(database_url))
    try:
        async with engine.begin() as connection:

            def run(sync_connection: Connection) -> None:
                config.attributes["connection"] = sync_connection
                command.upgrade(config, "heads")
                if grant_to is not None:
                    grant_service_role(sync_connection, grant_to)

            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def prepare(service: str, database_url: str, *, grant_to: str | None = None) -> None:
    await ensure_database(database_url)
    await upgrade(service, database_url, grant_to=grant_to)


async def prepare_all(
    server_url: str,
    services: tuple[str, ...] = SERVICE_NAMES,
    *,
    settings: MigrationSettings | None = None,
) -> dict[str, str]:
    """Create and migrate every service's database on the server, granting each service's
    role (`MigrationSettings`, by default from the environment); returns their URLs."""
    settings = settings if settings is not None else MigrationSettings()
    urls = {service: service_database_url(server_url, service) for service in services}
    for service, url in urls.items():
        await prepare(service, url, grant_to=settings.service_role(service))
    return urls


def prepare_databases(
    server_url: str,
    services: tuple[str, ...] = SERVICE_NAMES,
    *,
    settings: MigrationSettings | None = None,
) -> dict[str, str]:
    """Synchronous form of `prepare_all`, for the command line."""
    return asyncio.run(prepare_all(server_url, services, settings=settings))
