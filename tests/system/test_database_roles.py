"""Least privilege in the database, on a real PostgreSQL set up as the deployments set it up.

A PostgreSQL server of this module's own (its roles are the server's, not one database's) is
initialised by deploy/postgres/init-databases.sql, run by psql as the postgres image runs it,
with the passwords compose gives it; `cica migrate`'s code then migrates as the migration role
and grants each service's role, as docker-compose.yml's `migrate` configures it. Then, as a
service's role: the kit's event store appends and reads, but nothing can change, remove, alter
or drop the log, nor reach another service's database; and each service's app runs, the
registry taking a write over HTTP, its projections, its relay and a signed checkpoint.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from services.registry.seed import MEMBER_STATES_2022, MEMBERS_ON
from shared.eventstore import (
    NO_STREAM,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    create_engine,
)
from shared.settings import TokenSettings
from shared.system.devservers import LocalPostgres, _postgres_bin, free_port
from shared.system.keys import mint_signed_token, public_key_pem, service_subject
from shared.system.migrate import (
    MigrationSettings,
    ServiceRoleError,
    prepare,
    prepare_databases,
)
from shared.system.services import SERVICE_NAMES
from tests.polling import eventually
from tests.shared.test_service_shell import running
from tests.shared.transport import delete_streams

REPO = Path(__file__).resolve().parents[2]
INIT_SQL = REPO / "deploy" / "postgres" / "init-databases.sql"
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
PASSWORDS = {
    name: value
    for name, value in COMPOSE["services"]["postgres"]["environment"].items()
    if name.startswith("CICA_")
}
"""The role passwords compose gives the postgres container (their values are interpolations)."""


def role_settings() -> MigrationSettings:
    """What compose's `migrate` is given: the service role of each service."""
    environment = COMPOSE["services"]["migrate"]["environment"]
    return MigrationSettings(service_database_role=environment["CICA_SERVICE_DATABASE_ROLE"])


@dataclass
class Deployed:
    postgres: LocalPostgres
    environment: dict[str, str]

    def url(self, role: str, database: str) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.postgres.port}/{database}"

    @property
    def superuser(self) -> str:
        return self.url("postgres", "postgres")

    @property
    def migration(self) -> str:
        """The server, as compose's `migrate` reaches it (CICA_DATABASE_URL)."""
        given = COMPOSE["services"]["migrate"]["environment"]["CICA_DATABASE_URL"]
        return self.url(make_url(given).username or "", "postgres")

    def service(self, service: str, database: str | None = None) -> str:
        """`service`'s database (or another), as `service`'s role."""
        role = role_settings().service_role(service)
        assert role is not None
        return self.url(role, database or f"cica_{service}")


def init_databases(
    postgres: LocalPostgres, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """deploy/postgres/init-databases.sql, as the postgres image runs it on its first start."""
    return subprocess.run(
        [
            str(_postgres_bin() / "psql"),
            "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "--no-password", "--no-psqlrc", "-f", str(INIT_SQL),
        ],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    postgres = LocalPostgres(tmp_path_factory.mktemp("roles") / "data", free_port(), fsync=False)
    postgres.start()
    try:
        environment = {name: f"pw-{uuid.uuid4().hex}" for name in PASSWORDS}
        initialised = init_databases(postgres, environment)
        assert initialised.returncode == 0, initialised.stderr
        deployed = Deployed(postgres, environment)
        prepare_databases(deployed.migration, settings=role_settings())
        yield deployed
    finally:
        postgres.stop()


async def fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


# ----------------------------------------------------------------------------- the roles


def test_the_init_script_refuses_to_run_without_each_password(deployed: Deployed) -> None:
    for missing in PASSWORDS:
        environment = {name: "pw" for name in PASSWORDS if name != missing}
        environment[missing] = ""
        refused = init_databases(deployed.postgres, environment)
        assert refused.returncode != 0
        assert f"{missing} is not set" in refused.stderr, refused.stderr


async def test_the_migration_role_owns_everything_and_the_services_roles_nothing(
    deployed: Deployed,
) -> None:
    roles = await fetch(
        deployed.superuser,
        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles "
        "WHERE rolname LIKE 'cica%' ORDER BY rolname",
    )
    migration = make_url(deployed.migration).username
    services = {role_settings().service_role(service) for service in SERVICE_NAMES}
    assert {role["rolname"] for role in roles} == {migration, *services}
    assert not any(role["rolsuper"] or role["rolcreaterole"] or role["rolbypassrls"]
                   for role in roles)  # fmt: skip
    for service in SERVICE_NAMES:
        database = f"cica_{service}"
        owners = await fetch(
            deployed.url("postgres", database),
            "SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
            database,
        )
        assert {row["owner"] for row in owners} == {migration}, database


# ------------------------------------------------------------------- as a service's role

event_types = EventTypes()


@event_types.register("RoleChecked")
class RoleChecked(DomainEvent):
    note: str


@pytest.fixture
async def store(deployed: Deployed) -> AsyncIterator[PostgresEventStore]:
    engine = create_engine(deployed.service("registry"), pool_size=2)
    store = PostgresEventStore(engine, event_types)
    yield store
    await store.close()
    await engine.dispose()


FORBIDDEN_ON_THE_LOG = (
    "UPDATE events SET stream_type = 'x'",
    "DELETE FROM events",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete",
    "ALTER TABLE events OWNER TO CURRENT_USER",
    "DROP TRIGGER events_no_update_or_delete ON events",
    "DROP TABLE events",
    "CREATE TABLE events_copy (position bigint)",
    "SET session_replication_role = replica",
)


async def test_a_services_role_appends_and_reads_but_cannot_alter_the_log(
    deployed: Deployed, store: PostgresEventStore
) -> None:
    stream = f"role-{uuid.uuid4()}"
    appended = await store.append(
        stream, [RoleChecked(note="appended as the service's role")],
        stream_type="check", expected_version=NO_STREAM,
    )  # fmt: skip
    (recorded,) = await store.read_stream(stream)
    assert recorded.position == appended.last_position
    assert store.decode(recorded) == RoleChecked(note="appended as the service's role")
    assert (await store.verify_chain()).ok
    connection = await asyncpg.connect(deployed.service("registry"))
    try:
        for statement in FORBIDDEN_ON_THE_LOG:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM events WHERE stream_id = $1",
                                         stream) == 1  # fmt: skip
    finally:
        await connection.close()


async def test_a_services_role_cannot_connect_to_another_services_database(
    deployed: Deployed,
) -> None:
    for service in SERVICE_NAMES:
        for other in SERVICE_NAMES:
            url = deployed.service(service, f"cica_{other}")
            if other == service:
                assert await fetch(url, "SELECT 1")
                continue
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
                await asyncpg.connect(url)


async def test_migrating_again_takes_back_what_was_granted_by_hand(deployed: Deployed) -> None:
    role = role_settings().service_role("registry")
    owner = deployed.url(make_url(deployed.migration).username or "", "cica_registry")
    connection = await asyncpg.connect(owner)
    try:
        await connection.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON events TO "{role}"')
        await connection.execute(f'GRANT CREATE ON SCHEMA public TO "{role}"')
    finally:
        await connection.close()
    await prepare("registry", owner, grant_to=role)
    privileges = await fetch(
        deployed.url("postgres", "cica_registry"),
        "SELECT p AS privilege, has_table_privilege($1, 'events', p) AS held FROM "
        "unnest(ARRAY['SELECT', 'INSERT', 'MAINTAIN', 'UPDATE', 'DELETE', 'TRUNCATE', "
        "'REFERENCES', 'TRIGGER']) AS p "
        "UNION ALL SELECT 'CREATE ON SCHEMA', has_schema_privilege($1, 'public', 'CREATE')",
        role,
    )
    assert {row["privilege"] for row in privileges if row["held"]} == {
        "SELECT", "INSERT", "MAINTAIN"
    }


async def test_migrate_refuses_a_service_role_that_could_act_as_the_owner(
    deployed: Deployed,
) -> None:
    migration = make_url(deployed.migration).username
    insider, nobody = f"cica_t_{uuid.uuid4().hex[:8]}", f"cica_t_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(deployed.superuser)
    try:
        await admin.execute(f'CREATE ROLE "{insider}" LOGIN IN ROLE "{migration}"')
        owner = deployed.url(migration or "", "cica_registry")
        with pytest.raises(ServiceRoleError, match="member of, the role migrating"):
            await prepare("registry", owner, grant_to=insider)
        with pytest.raises(ServiceRoleError, match="does not exist"):
            await prepare("registry", owner, grant_to=nobody)
        with pytest.raises(ServiceRoleError, match="is, or is a member of"):
            await prepare("registry", owner, grant_to=migration)
    finally:
        await admin.execute(f'DROP ROLE "{insider}"')
        await admin.close()


# -------------------------------------------------------------- the services, as their roles


@dataclass
class Issuer:
    """The token issuer of a deployment: tokens signed with its private key, verified by the
    services with its public key only."""

    key: Ed25519PrivateKey
    public_key_file: Path

    def settings(self) -> TokenSettings:
        return TokenSettings(
            secret=None, secret_file=None, jwks_file=None,
            public_key_file=self.public_key_file, issuer="cica", audience="cica",
        )  # fmt: skip

    def bearer(self, role: str, subject: str | None = None) -> dict[str, str]:
        token = mint_signed_token(self.key, role=role, subject=subject, ttl=timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "token-issuer.pub.pem"
    public.write_bytes(public_key_pem(key))
    return Issuer(key, public)


def service_settings(service: str, deployed: Deployed, nats_url: str, issuer: Issuer) -> Any:
    module = importlib.import_module(f"services.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings")
    token = issuer.bearer("service", service_subject(service))["Authorization"].split()[1]
    return cls(
        database_url=deployed.service(service),
        nats_url=nats_url,
        tokens=issuer.settings(),
        service_token=SecretStr(token),
        consumer_retry_base_delay=0.01,
    )


def create_app(service: str, settings: Any) -> Any:
    return importlib.import_module(f"services.{service}.app").create_app(settings)


@pytest.fixture
async def fresh_registry_stream(servers: Any) -> AsyncIterator[None]:
    """The registry's stream, shared by the session (its name is fixed): none before the test,
    so that the consumers of it see this test's registry alone, and none left after."""
    await delete_streams(servers.nats_url, "registry")
    yield
    await delete_streams(servers.nats_url, "registry")


async def test_each_service_runs_as_its_own_role_and_the_registry_takes_a_write(
    deployed: Deployed, servers: Any, issuer: Issuer, fresh_registry_stream: None
) -> None:
    secretariat = issuer.bearer("secretariat", "secretariat:roles-test")
    apps = {
        service: create_app(service, service_settings(service, deployed, servers.nats_url, issuer))
        for service in SERVICE_NAMES
    }
    async with (
        running(apps["registry"]) as registry,
        running(apps["documents"]) as documents,
        running(apps["meetings"]) as meetings,
        running(apps["notifications"]) as notifications,
    ):
        for client in (registry, documents, meetings, notifications):
            ready = await eventually(
                lambda client=client: client.get("/readyz"),
                until=lambda response: response.status_code == 200,
                what="/readyz answers 200 as the service's role",
            )
            assert ready.json()["checks"] == {"database": True, "nats": True}
        head = (await fetch(deployed.service("registry"), "SELECT max(position) FROM events"))
        before = head[0][0] or 0
        # A write with an Idempotency-Key: the log, the idempotency table, then the read model.
        written = await registry.post(
            "/member-states/known-members",
            json={"members": [
                {"state": code, "names": names, "member_on": MEMBERS_ON.isoformat()}
                for code, names in MEMBER_STATES_2022.items()
            ]},
            headers={**secretariat, "Idempotency-Key": f"roles-{uuid.uuid4()}"},
        )  # fmt: skip
        assert written.status_code == 201, written.text
        await apps["registry"].state.projection_runner.wait_until_caught_up(within=20)
        listed = await registry.get("/members")
        assert listed.status_code == 200, listed.text
        assert {m["code"] for m in listed.json()["member_states"]} == set(MEMBER_STATES_2022)
        # The relay records how far it has published; a checkpoint is signed and stored.
        after = (await fetch(deployed.service("registry"), "SELECT max(position) FROM events"))
        assert after[0][0] > before
        await eventually(
            lambda: fetch(deployed.service("registry"), "SELECT position FROM relay_progress"),
            until=lambda rows: bool(rows) and rows[0]["position"] == after[0][0],
            what="the registry's relay at the head of its log",
        )
        signed = await registry.post("/checkpoints", headers=secretariat)
        assert signed.status_code == 201, signed.text
        assert signed.json()["tree_size"] == after[0][0]
        # Its log verified by a service's token.
        feed = await registry.get(
            "/events/verify", headers=issuer.bearer("service", service_subject("documents"))
        )
        assert feed.status_code == 200, feed.text
        # The others react as their roles: tracking rows, membership changes, their own events.
        for service in ("documents", "meetings", "notifications"):
            (consumer,) = [c for c in apps[service].state.consumers if c.producer == "registry"]
            await eventually(
                consumer.tracked_position,
                until=lambda tracked: tracked == after[0][0],
                what=f"{service}'s consumer of the registry at {after[0][0]}",
            )
            (changes,) = await fetch(
                deployed.service(service), "SELECT count(*) FROM membership_changes"
            )
            assert changes[0] == len(MEMBER_STATES_2022), service
    # Nothing it did made it the owner of anything.
    tables = await fetch(
        deployed.url("postgres", "cica_registry"),
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1",
        role_settings().service_role("registry"),
    )
    assert tables == []


def test_the_tests_passwords_are_the_ones_compose_names() -> None:
    """The module sets the variables compose gives the postgres container, which the script
    reads (\\getenv), one per role."""
    read = set(re.findall(r"^\\getenv \w+ (\w+)$", INIT_SQL.read_text(), re.MULTILINE))
    assert read == set(PASSWORDS)
    assert len(PASSWORDS) == len(SERVICE_NAMES) + 1

