"""The system on containers and on a cluster, checked without a container engine or a cluster.

`docker-compose.yml` is validated against the Compose Specification's JSON Schema and the
manifests in `deploy/k8s/` against the Kubernetes schemas of a fixed version, both offline
(the schemas are vendored, or shipped by a dev dependency). Beyond the schemas: every
service, port and `CICA_*` variable they name exists in the code, every variable the code
needs on containers is set, and the NATS configurations are accepted by the real
`nats-server` (the wheel `make up` uses), fsync before acknowledging, speak TLS only, and let
in no one but the services, each with the permissions the code declares for it (a node of the
compose cluster is run for real to show it). No password has a default, and no key is in the
repository.

Least privilege: each service holds only what is its own, in compose and on the cluster: its
database role (not the migration role, which `cica migrate` alone uses), its NATS password,
its checkpoint signing key, its service token, and the token issuer's *public* key (no HMAC
secret, nothing that mints a token). tests/system/test_database_roles.py runs the database side
for real.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import ipaddress
import json
import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import jsonschema
import kubernetes_validate
import nats
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url

from shared.access import Role
from shared.access.tokens import KEY_VARIABLES, TokenVerifier, keys_from_settings
from shared.checkpoints import load_signing_key
from shared.messaging import NatsConnection
from shared.relay import stream_config
from shared.settings import ServiceSettings
from shared.system.devservers import LocalNats, free_port
from shared.system.keys import service_subject
from shared.system.migrate import MigrationSettings
from shared.system.nats_identities import deploy_authorization, password_variable
from shared.system.services import SERVICE_NAMES as SERVICES
from shared.system.services import service_named

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
K8S = REPO / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33"
"""The Kubernetes version the manifests are validated for (its schemas ship with
kubernetes-validate); strict, so an unknown or misspelt field fails too."""

CICA_VARIABLE = re.compile(r"\bCICA_[A-Z0-9_]+\b")
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
AUTHORIZATION = REPO / "deploy" / "nats" / "authorization.conf"
NATS_PASSWORDS = {password_variable(service) for service in SERVICES}
"""The variables the NATS configurations read (the services' passwords, on the servers)."""
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<rest>[^}]*)\}")
INIT_DATABASES = REPO / "deploy" / "postgres" / "init-databases.sql"
DATABASE_PASSWORDS = {
    "CICA_MIGRATION_DATABASE_PASSWORD",
    *(f"CICA_{service.upper()}_DATABASE_PASSWORD" for service in SERVICES),
}
"""The variables init-databases.sql reads (the roles' passwords, on the PostgreSQL server)."""
MINTING_VARIABLES = {"CICA_JWT_SECRET", "CICA_JWT_SECRET_FILE"}
"""What gives a service the HMAC secret, with which it could mint a token of any role."""


# ------------------------------------------------------------------------- what the code reads


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and getattr(value, "service_name", None) == service
    ]
    assert len(found) == 1, f"services/{service}/settings.py: one settings class"
    return found[0]


def _aliases(alias: Any) -> list[str]:
    if isinstance(alias, str):
        return [alias]
    choices = getattr(alias, "choices", None)  # AliasChoices
    return [choice for choice in choices or () if isinstance(choice, str)]


def variables_of(cls: type[BaseSettings]) -> dict[str, Any]:
    """Every environment variable a settings class reads, with the field's default."""
    prefix = cls.model_config.get("env_prefix", "")
    variables: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            variables.update(variables_of(annotation))  # reads its own prefix (CICA_JWT_*)
        elif field.validation_alias is not None:
            for alias in _aliases(field.validation_alias):
                variables[alias.upper()] = field.default
        else:
            variables[(prefix + name).upper()] = field.default
    return variables


@cache
def code_variables() -> dict[str, dict[str, Any]]:
    """Per service, the variables its settings read (and their defaults)."""
    return {service: variables_of(settings_class(service)) for service in SERVICES}


def known_variables() -> set[str]:
    """What the services read, and what `cica migrate` reads beside the server's URL."""
    read = {name for variables in code_variables().values() for name in variables}
    return read | set(variables_of(MigrationSettings))


def own_variable(service: str, variable: str) -> str:
    """The service's own variable of a system-wide setting: CICA_REGISTRY_DATABASE_URL for
    CICA_DATABASE_URL (it wins over the system-wide one, which it makes needless)."""
    return f"CICA_{service.upper()}_{variable.removeprefix('CICA_')}"


def interpolated(text: str) -> str:
    """`text` with compose's ${VAR...} interpolations replaced by a made-up value."""
    return INTERPOLATION.sub(lambda match: f"value-of-{match['name'].lower()}", text)


def needed_on_containers(service: str) -> set[str]:
    """The variables whose default points at this machine (127.0.0.1): on containers they
    must be set, or the service looks for PostgreSQL, NATS and the others in itself. A
    service-specific CICA_<SERVICE>_* of the same setting is not needed when the common one
    is set (CICA_DATABASE_URL serves for CICA_REGISTRY_DATABASE_URL)."""
    return {
        name
        for name, default in code_variables()[service].items()
        if isinstance(default, str) and any(host in default for host in LOOPBACK)
    }


def default_port(service: str) -> int:
    return settings_class(service).default_port


def producers(service: str) -> list[str]:
    """The services whose events `service` reacts to (and whose feeds it reads)."""
    found = service_named(service).reactions.producers()
    assert found, f"{service} reacts to no other service"
    return found


def test_the_code_reads_what_the_deployments_rely_on() -> None:
    """The derivation above finds the variables the deployments set, so an empty result
    cannot make the checks below pass vacuously."""
    for service in SERVICES:
        needed = needed_on_containers(service)
        assert {"CICA_DATABASE_URL", "CICA_NATS_URL"} <= needed
        # The feeds of the services it reacts to, where it heals what NATS lost.
        assert {f"CICA_{other.upper()}_URL" for other in producers(service)} <= needed
        assert set(KEY_VARIABLES) <= set(code_variables()[service])
        assert "CICA_NATS_STREAM_REPLICAS" in code_variables()[service]
    assert [default_port(service) for service in SERVICES] == [8001, 8002, 8003, 8004]


def test_stream_replicas_come_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CICA_NATS_STREAM_REPLICAS", "3")
    settings = settings_class("registry")()
    assert settings.nats_stream_replicas == 3
    assert stream_config("registry", settings.nats_stream_replicas).num_replicas == 3
    monkeypatch.delenv("CICA_NATS_STREAM_REPLICAS")
    assert settings_class("registry")().nats_stream_replicas == 1


# ----------------------------------------------------------------------------- docker compose


@cache
def compose() -> dict[str, Any]:
    # safe_load resolves the anchors and the `<<` merge keys, as Compose itself does.
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def project_containers() -> dict[str, dict[str, Any]]:
    """The containers of this project's image (the four services, migrate, keys)."""
    return {
        name: spec
        for name, spec in compose_services().items()
        if spec.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


def nats_nodes() -> list[str]:
    return sorted(
        name for name, spec in compose_services().items() if spec["image"].startswith("nats:")
    )


def test_compose_file_is_valid_by_the_compose_specification() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(compose()), key=lambda error: list(error.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors
    )


def test_compose_schema_check_catches_a_mistake() -> None:
    """The vendored schema is strict enough to matter: a misspelt key fails."""
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    broken = json.loads(json.dumps(compose()))
    broken["services"]["registry"]["healthcheck"]["intervall"] = "5s"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)


TOKEN_WRAPPER = re.compile(
    r'(?P<variable>CICA_[A-Z]+_SERVICE_TOKEN)="\$\$\(cat (?P<file>/\S+)\)" '
    r'&& export (?P=variable) && exec "\$\$@"'
)


def service_command(spec: dict[str, Any]) -> tuple[str, str, list[str]]:
    """A service container's command: the variable its wrapper puts the service token in, the
    file it reads it from, and the program it then runs (with $$ for compose's escaped $)."""
    command = spec["command"]
    assert command[:2] == ["sh", "-c"], command
    wrapper = TOKEN_WRAPPER.fullmatch(command[2])
    assert wrapper, command[2]
    return wrapper["variable"], wrapper["file"], command[4:]


def test_compose_runs_the_four_services_of_the_code_on_their_ports() -> None:
    containers = project_containers()
    assert set(containers) == {*SERVICES, "migrate", "keys"}
    for service in SERVICES:
        spec = containers[service]
        port = default_port(service)
        variable, _, command = service_command(spec)
        assert variable == f"CICA_{service.upper()}_SERVICE_TOKEN"
        assert command[:3] == ["uvicorn", f"services.{service}.app:create_app", "--factory"]
        assert command[command.index("--port") + 1] == str(port)
        assert callable(importlib.import_module(f"services.{service}.app").create_app)
        assert spec["ports"] == [f"{port}:{port}"]
        probe = " ".join(spec["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in probe, service
        # Only after the key exists and every migration is applied; NATS up.
        depends = spec["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["keys"]["condition"] == "service_completed_successfully"
        assert all(depends[node]["condition"] == "service_healthy" for node in nats_nodes())
    assert containers["migrate"]["command"] == ["cica", "migrate"]
    assert containers["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_names_only_variables_the_code_reads() -> None:
    known = known_variables()
    for name, spec in compose_services().items():
        named = set(CICA_VARIABLE.findall(json.dumps(spec.get("environment", {}))))
        if name in nats_nodes():  # the services' passwords, for deploy/nats/authorization.conf
            assert named == NATS_PASSWORDS, name
            continue
        if name == "postgres":  # the roles' passwords, for init-databases.sql
            assert named == DATABASE_PASSWORDS
            continue
        # What the container gets; the host's variables compose interpolates are not read by
        # it (the passwords: see the test below).
        named = set(CICA_VARIABLE.findall(interpolated(json.dumps(spec.get("environment", {})))))
        named |= set(CICA_VARIABLE.findall(json.dumps(spec.get("command", []))))
        assert named <= known, f"{name}: {sorted(named - known)} are read by no code"
    for name, secret in compose()["secrets"].items():
        assert secret.get("environment") in {None, *NATS_PASSWORDS}, name


def test_compose_has_no_default_password_and_refuses_to_start_without_one() -> None:
    """Every password, and where the TLS files are, must be given: `${VAR:?message}`, which
    makes compose stop before it starts anything; none has a default (`${VAR:-...}`)."""
    text = COMPOSE_FILE.read_text()
    needed = {"POSTGRES_PASSWORD", "CICA_NATS_TLS_DIR", *NATS_PASSWORDS, *DATABASE_PASSWORDS}
    for match in INTERPOLATION.finditer(text):
        if match["name"] in needed or "PASSWORD" in match["name"]:
            assert match["rest"].startswith(":?") and len(match["rest"]) > 2, match.group(0)
            needed.discard(match["name"])
    assert not needed, f"never interpolated: {sorted(needed)}"
    assert not list(REPO.glob("deploy/**/*.key")) and not list(REPO.glob("deploy/**/*.pem"))


def test_compose_sets_what_the_code_needs_on_containers() -> None:
    services = compose_services()
    for name in SERVICES:
        environment = services[name]["environment"]
        for variable in needed_on_containers(name):
            assert environment.get(variable) or environment.get(own_variable(name, variable)), (
                f"{name}: {variable} is not set"
            )
        # ... and to addresses that exist here.
        database = make_url(interpolated(environment[own_variable(name, "CICA_DATABASE_URL")]))
        assert database.host in services and services[database.host]["image"].startswith(
            "postgres:"
        )
        nats = [urlsplit(url) for url in environment["CICA_NATS_URL"].split(",")]
        assert sorted(url.hostname for url in nats) == nats_nodes()
        assert {url.port for url in nats} == {4222}
        assert {url.scheme for url in nats} == {"tls"}
        # Its own NATS identity: the user, and the password as its own secret's file.
        prefix = f"CICA_{name.upper()}_"
        assert environment[prefix + "NATS_USER"] == name
        secret = Path(environment[prefix + "NATS_PASSWORD_FILE"])
        assert secret.parent == Path("/run/secrets")
        assert compose()["secrets"][secret.name] == {"environment": password_variable(name)}
        ca = Path(environment["CICA_NATS_TLS_CA_FILE"])
        assert set(services[name]["secrets"]) == {secret.name, ca.name}, name
        assert compose()["secrets"][ca.name]["file"].endswith("/ca.crt")
        for other in producers(name):
            url = urlsplit(environment[f"CICA_{other.upper()}_URL"])
            assert (url.hostname, url.port) == (other, default_port(other))
        # A key for the tokens (see the keys test below for the files), which mints none.
        assert any(environment.get(variable) for variable in KEY_VARIABLES)
        assert not MINTING_VARIABLES & set(environment), name
        # Streams on every NATS node.
        assert int(environment["CICA_NATS_STREAM_REPLICAS"]) == len(nats_nodes()) == 3


def test_compose_keys_container_makes_every_key_file_the_services_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the `keys` container's command (its volumes here directories of `tmp_path`): every
    *_FILE variable of every service, and the file its token is read from, then names a file it
    made, on a volume the service mounts where `keys` wrote it, readable by its owner only; the
    service's settings load a key from each that verifies tokens and mints none, and its token
    is its own. A second run keeps every key."""
    services = compose_services()
    command = services["keys"]["command"]
    assert command[:5] == ["python", "-m", "shared.system.keys", "make", command[-1]]
    root = Path(command[-1])
    written = {}
    for volume in services["keys"]["volumes"]:
        source, target = volume.split(":")[:2]
        assert Path(target).parent == root, volume
        written[source] = target

    def local(path: str) -> Path:
        return tmp_path / Path(path).relative_to(root)

    def make() -> None:
        made = subprocess.run([sys.executable, *command[1:-1], str(tmp_path)],
                              capture_output=True, text=True)  # fmt: skip
        assert made.returncode == 0, made.stderr

    make()
    kept = {path: path.read_bytes() for path in tmp_path.rglob("*.pem")}
    for service in SERVICES:
        spec = services[service]
        environment = spec["environment"]
        mounts = {target: source for source, target, *_ in (v.split(":") for v in spec["volumes"])}
        assert all(written[source] == target for target, source in mounts.items()), service
        files = {
            k: v
            for k, v in environment.items()
            if k.endswith("_FILE") and not v.startswith("/run/secrets/")  # secrets: above
        }
        own_key = f"CICA_{service.upper()}_SIGNING_KEY_FILE"
        assert {own_key, "CICA_JWT_PUBLIC_KEY_FILE"} <= set(files)
        token_variable, token_file, _ = service_command(spec)
        for variable, path in {**files, token_variable: token_file}.items():
            assert str(Path(path).parent) in mounts, f"{service}: {variable}: {path} not mounted"
            assert local(path).is_file(), f"{service}: {variable}: {path} is made by no one"
            assert local(path).stat().st_mode & 0o077 == 0, f"{path}: readable by others"
        with monkeypatch.context() as patch:
            for variable, path in files.items():
                patch.setenv(variable, str(local(path)))
            patch.setenv(token_variable, local(token_file).read_text().strip())
            settings = settings_class(service)()
        assert settings.tokens.hmac_secret() is None
        verification = keys_from_settings(settings.tokens)
        assert verification
        assert all(set(key.algorithms) <= {"EdDSA", "RS256"} for key in verification)
        assert settings.service_token is not None
        principal = TokenVerifier.from_settings(settings.tokens).verify(
            settings.service_token.get_secret_value()
        )
        assert (principal.role, principal.subject) == (Role.SERVICE, service_subject(service))
        assert load_signing_key(settings.signing_key_file) is not None
        if service == "notifications":
            assert settings.webhook_key_bytes() is not None
    make()
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.pem")} == kept


def test_compose_gives_each_service_only_its_own_keys() -> None:
    """No service mounts another's keys volume, nor the token issuer's: the issuer's private key
    is on a volume only `keys` mounts, each service's keys on one only `keys` (which writes
    them) and that service mount, read-only. A service names no other's signing key."""
    services = compose_services()
    mounted_by: dict[str, set[str]] = {volume: set() for volume in compose()["volumes"]}
    for name, spec in services.items():
        for volume in spec.get("volumes", []):
            source, _, *options = volume.split(":")
            if source in mounted_by:
                mounted_by[source].add(name)
            if name in SERVICES:
                assert options == ["ro"], f"{name}: {volume} is writable"
    assert mounted_by["keys-issuer"] == {"keys"}
    assert mounted_by["keys-public"] == {"keys", *SERVICES}
    for service in SERVICES:
        assert mounted_by[f"keys-{service}"] == {"keys", service}
        environment = services[service]["environment"]
        signing = {name for name in environment if name.endswith("_SIGNING_KEY_FILE")}
        assert signing == {f"CICA_{service.upper()}_SIGNING_KEY_FILE"}
        others = {
            name
            for name in environment
            for other in SERVICES
            if other != service and name.startswith(f"CICA_{other.upper()}_")
        }
        assert others <= {f"CICA_{other.upper()}_URL" for other in SERVICES}, service
    assert not services["migrate"].get("volumes"), "migrate needs no key"


def test_compose_migrates_as_the_migration_role_and_runs_each_service_as_its_own() -> None:
    """`migrate` connects as the migration role and grants each service's role; each service
    connects to its own database as its own role (its password given, never defaulted), never
    as the migration role or the superuser; init-databases.sql makes exactly those roles, the
    databases owned by the migration role, with the passwords the postgres container gets."""
    services = compose_services()
    migrate = services["migrate"]["environment"]
    assert set(migrate) == {"CICA_DATABASE_URL", "CICA_SERVICE_DATABASE_ROLE"}
    assert "${CICA_MIGRATION_DATABASE_PASSWORD:?" in migrate["CICA_DATABASE_URL"]
    server = make_url(interpolated(migrate["CICA_DATABASE_URL"]))
    assert (server.host, server.database) == ("postgres", "postgres")
    migration_role = server.username
    settings = MigrationSettings(service_database_role=migrate["CICA_SERVICE_DATABASE_ROLE"])
    roles = {}
    for service in SERVICES:
        environment = services[service]["environment"]
        assert "CICA_DATABASE_URL" not in environment, f"{service} has the migration role"
        given = environment[own_variable(service, "CICA_DATABASE_URL")]
        assert f"${{CICA_{service.upper()}_DATABASE_PASSWORD:?" in given
        url = make_url(interpolated(given))
        assert (url.host, url.database) == ("postgres", f"cica_{service}")
        assert url.username == settings.service_role(service), service
        roles[service] = url.username
    assert len({*roles.values(), migration_role}) == len(SERVICES) + 1, "a role per service"
    for name, spec in services.items():
        if name != "postgres":
            assert "POSTGRES_PASSWORD" not in json.dumps(spec), f"{name} has the superuser's"
    script = INIT_DATABASES.read_text()
    created = dict(re.findall(r"^CREATE ROLE (\w+) LOGIN PASSWORD :'(\w+)';$", script, re.M))
    assert set(created) == {migration_role, *roles.values()}
    read = dict(re.findall(r"^\\getenv (\w+) (\w+)$", script, re.M))
    assert set(read.values()) == DATABASE_PASSWORDS == {
        name for name in services["postgres"]["environment"] if name.startswith("CICA_")
    }
    assert read[created[migration_role]] == "CICA_MIGRATION_DATABASE_PASSWORD"
    for service, role in roles.items():
        assert read[created[role]] == f"CICA_{service.upper()}_DATABASE_PASSWORD"
    databases = dict(re.findall(r"^CREATE DATABASE (\w+) OWNER (\w+);$", script, re.M))
    assert databases == {f"cica_{service}": migration_role for service in SERVICES}


def test_compose_files_it_names_exist() -> None:
    assert (REPO / "deploy" / "Dockerfile").is_file()
    for name, spec in compose_services().items():
        assert set(spec.get("depends_on", {})) <= set(compose_services()), name
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).is_file(), f"{name}: {source}"
            else:
                assert source in compose()["volumes"], f"{name}: volume {source}"


def tls_files(directory: Path, names: list[str]) -> Path:
    """A throwaway CA and a certificate it signs for `names` (and 127.0.0.1), for servers and
    for routes alike, in `directory` under the names the deployments mount them by: tls.crt,
    tls.key and ca.crt (cert-manager's), nats-tls-cert, nats-tls-key and nats-tls-ca
    (compose's secrets)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cica test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alternatives.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    for cert_name, key_name, ca_file in (("tls.crt", "tls.key", "ca.crt"),
                                         ("nats-tls-cert", "nats-tls-key", "nats-tls-ca")):
        (directory / cert_name).write_bytes(certificate.public_bytes(pem))
        (directory / key_name).write_bytes(key_pem)
        (directory / ca_file).write_bytes(ca.public_bytes(pem))
    return directory


TLS_MOUNTS = ("/run/secrets/", "/etc/nats-tls/")
"""Where the deployments mount the TLS files (compose's secrets, the k8s Secret)."""


def runnable_here(tmp_path: Path, config: str, authorization: str) -> Path:
    """`config` and the authorization.conf it includes, in `tmp_path`, with the TLS files it
    names made here for real (throwaway ones), so that a nats-server here can load them."""
    tls = tls_files(tmp_path / "tls", ["nats-1", "nats-2", "nats-3", "localhost"])
    for mount in TLS_MOUNTS:
        config = config.replace(mount, f"{tls}/")
    (tmp_path / "authorization.conf").write_text(authorization)
    (tmp_path / "nats.conf").write_text(config)
    return tmp_path / "nats.conf"


def server_environment(**extra: str) -> dict[str, str]:
    """What a NATS node of the deployments is given: each service's password."""
    return {**{variable: f"pw-{variable.lower()}" for variable in NATS_PASSWORDS}, **extra}


def nats_config_ok(
    tmp_path: Path, config: str, authorization: str, environment: dict[str, str]
) -> None:
    """The real nats-server accepts the configuration (`-t`, its TLS files made here), it
    fsyncs before acknowledging, speaks TLS to clients and routes (routes showing a certificate
    of the CA), and takes the services' users, with no anonymous one."""
    assert authorization == deploy_authorization()
    binary = Path(sys.executable).parent / "nats-server"
    checked = subprocess.run(
        [str(binary), "-t", "-c", str(runnable_here(tmp_path, config, authorization))],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout
    jetstream = re.search(r"^\s*jetstream\s*\{(.*?)^\s*\}", config, re.MULTILINE | re.DOTALL)
    assert jetstream, "no jetstream block"
    assert re.search(r"^\s*sync_interval:\s*always\s*$", jetstream.group(1), re.MULTILINE)
    assert re.search(r"^\s*store_dir:", jetstream.group(1), re.MULTILINE)
    assert re.search(r"^\s*include \./authorization\.conf\s*$", config, re.MULTILINE)
    assert "no_auth_user" not in config + authorization
    assert not re.search(r"^\s*password\s*[:=]", config, re.MULTILINE)  # all in authorization
    # ... and there, every one is a variable of the server's environment.
    written = re.findall(r"^\s*password:\s*(\S+)\s*$", authorization, re.MULTILINE)
    assert written == [f"${password_variable(service)}" for service in SERVICES]
    before_cluster = config.split("cluster {")[0]
    client_tls = re.search(r"^\s*tls\s*\{(.*?)\}", before_cluster, re.DOTALL | re.MULTILINE)
    assert client_tls and "cert_file" in client_tls.group(1) and "key_file" in client_tls.group(1)
    cluster = config.split("cluster {")[1]
    route_tls = re.search(r"tls\s*\{(.*?)\}", cluster, re.DOTALL)
    assert route_tls and re.search(r"verify:\s*true", route_tls.group(1))


def test_compose_nats_nodes_form_a_cluster_that_fsyncs(tmp_path: Path) -> None:
    nodes = nats_nodes()
    for node in nodes:
        mounted = {target: source for source, target, *_ in
                   (v.split(":") for v in compose_services()[node]["volumes"])}  # fmt: skip
        config = (REPO / mounted["/etc/nats/nats.conf"]).read_text()
        included = (REPO / mounted["/etc/nats/authorization.conf"]).read_text()
        nats_config_ok(tmp_path / node, config, included, server_environment())
        assert re.search(rf"^server_name:\s*{node}\s*$", config, re.MULTILINE)
        routes = set(re.findall(r"nats-route://([\w-]+):6222", config))
        assert routes == set(nodes), f"{node}: routes to {sorted(routes)}"
        # Its TLS files are the secrets, and its environment holds the passwords it reads.
        spec = compose_services()[node]
        assert set(spec["secrets"]) == {"nats-tls-cert", "nats-tls-key", "nats-tls-ca"}
        assert set(spec["environment"]) == NATS_PASSWORDS


def test_a_compose_nats_node_lets_in_only_the_services_and_only_over_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/nats/nats-1.conf, run here alone (its ports moved to free ones, its store and TLS
    files to `tmp_path`, its cluster left out): a client without a password is refused, a
    client that will not speak TLS is refused, and a service configured as compose configures
    it (a tls:// URL, the CA's file, its user and its password's file) connects as itself,
    checking the node's certificate with that CA."""
    port, monitor = free_port(), free_port()
    config = (REPO / "deploy" / "nats" / "nats-1.conf").read_text()
    config = config.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}")
    config = config.replace("http: 127.0.0.1:8222", f"http: 127.0.0.1:{monitor}")
    config = config[: config.index("cluster {")]  # one node alone: no cluster to join
    config = config.replace("store_dir: /data", f"store_dir: {json.dumps(str(tmp_path / 'data'))}")
    environment = server_environment()
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)  # the server's environment, as compose gives it
    runnable = runnable_here(tmp_path, config, AUTHORIZATION.read_text())
    node = LocalNats(tmp_path / "data", port, config_path=runnable)
    ca = tmp_path / "tls" / "ca.crt"
    password = tmp_path / "registry.password"
    password.write_text(environment[password_variable("registry")] + "\n")

    async def clients() -> None:
        trusting = ssl.create_default_context(cafile=str(ca))
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(f"tls://localhost:{port}", tls=trusting, allow_reconnect=False)
        with pytest.raises((nats.errors.Error, OSError, TimeoutError)):
            await nats.connect(
                f"nats://registry:{environment[password_variable('registry')]}@127.0.0.1:{port}",
                allow_reconnect=False, connect_timeout=2, max_reconnect_attempts=0,
            )  # fmt: skip
        settings = settings_class("registry")()  # as the composition root makes it
        connection = NatsConnection(settings.nats_servers, name="cica-registry")
        await connection.start()
        try:
            await asyncio.wait_for(connection.connected(), 10)
            assert await connection.ping()
        finally:
            await connection.close()

    for variable, value in {
        "CICA_NATS_URL": f"tls://localhost:{port}",
        "CICA_NATS_TLS_CA_FILE": str(ca),
        "CICA_REGISTRY_NATS_USER": "registry",
        "CICA_REGISTRY_NATS_PASSWORD_FILE": str(password),
    }.items():
        monkeypatch.setenv(variable, value)
    node.start()
    try:
        asyncio.run(clients())
    finally:
        node.stop()


# -------------------------------------------------------------------------------- kubernetes


def manifest_files() -> list[Path]:
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


@cache
def manifests() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, object) for every object of every manifest."""
    return tuple(
        (path.name, document)
        for path in manifest_files()
        for document in yaml.safe_load_all(path.read_text())
        if document is not None
    )


def objects(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def pods() -> Iterator[tuple[str, dict[str, Any]]]:
    for _, doc in manifests():
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == [path.name for path in manifest_files()]
    assert kustomization["namespace"] == next(iter(objects("Namespace")))


@pytest.mark.parametrize(
    ("file", "index"),
    [
        (path.name, index)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for index, document in enumerate(yaml.safe_load_all(path.read_text()))
        if document is not None
    ],
)
def test_manifest_is_valid_by_the_kubernetes_schemas(file: str, index: int) -> None:
    document = list(yaml.safe_load_all((K8S / file).read_text()))[index]
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{file} {document['kind']}/{document['metadata']['name']}: {path}: {error}")


def test_kubernetes_schema_check_catches_a_mistake() -> None:
    deployment = json.loads(json.dumps(objects("Deployment")["registry"]))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = json.loads(json.dumps(objects("Deployment")["registry"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def container_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_replicated_with_probes_on_its_port(service: str) -> None:
    deployment = objects("Deployment")[service]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
    (container,) = pod["spec"]["containers"]
    port = default_port(service)
    command = container["command"]
    assert command[:3] == ["uvicorn", f"services.{service}.app:create_app", "--factory"]
    assert command[command.index("--port") + 1] == str(port)
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path, f"{service} {probe}"
        assert container_port(container, get["port"]) == port, f"{service} {probe}"
    # Resources and a locked-down container, as non-root.
    assert {"requests", "limits"} <= set(container["resources"])
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] != 0
    for each in (*pod["spec"]["containers"], *pod["spec"].get("initContainers", [])):
        assert each["securityContext"]["readOnlyRootFilesystem"] is True
        assert each["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"requests", "limits"} <= set(each["resources"])
    # A Service in front of it on its port, and a disruption budget for it.
    front = objects("Service")[service]
    assert selects(front["spec"]["selector"], labels)
    (service_port,) = front["spec"]["ports"]
    assert service_port["port"] == port
    assert container_port(container, service_port["targetPort"]) == port
    budget = [
        pdb
        for pdb in objects("PodDisruptionBudget").values()
        if selects(pdb["spec"]["selector"]["matchLabels"], labels)
    ]
    assert len(budget) == 1
    assert budget[0]["spec"].get("minAvailable", 0) < deployment["spec"]["replicas"]
    # It waits for the migration Job before it starts.
    (init,) = pod["spec"]["initContainers"]
    assert init["command"][-1] == service


def pod_environment(pod: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """Each container and what it gets: its env entries and the ConfigMaps it reads whole
    (value None where it comes from a Secret)."""
    config_maps = objects("ConfigMap")
    for container in (*pod["containers"], *pod.get("initContainers", [])):
        environment: dict[str, Any] = {}
        for source in container.get("envFrom", []):
            assert "configMapRef" in source, "Secrets go in by key (env), not whole"
            environment.update(config_maps[source["configMapRef"]["name"]]["data"])
        for entry in container.get("env", []):
            environment[entry["name"]] = entry.get("value")
        yield container, environment


def test_manifests_name_only_variables_the_code_reads() -> None:
    known = known_variables()
    for name, pod in pods():
        for container, environment in pod_environment(pod):
            named = {key for key in environment if key.startswith("CICA_")}
            named |= set(CICA_VARIABLE.findall(json.dumps(container.get("env", []))))
            if name == "nats":  # the services' passwords, for authorization.conf
                assert named == NATS_PASSWORDS
                continue
            assert named <= known, f"{name}: {sorted(named - known)} are read by no code"
    config = objects("ConfigMap")["cica-config"]["data"]
    assert set(config) <= known


@pytest.mark.parametrize("service", SERVICES)
def test_manifests_set_what_the_code_needs_on_a_cluster(service: str) -> None:
    pod = objects("Deployment")[service]["spec"]["template"]["spec"]
    (main, environment), *_ = pod_environment(pod)
    for variable in needed_on_containers(service):
        assert variable in environment or own_variable(service, variable) in environment, (
            f"{service}: {variable} is not set"
        )
    # Its own database as its own role (the key `<service>` of the Secret cica-database, never
    # in the clear), in the init container too; never the migration role's URL. Its own token
    # likewise. Of the shared Secrets it gets its own keys and no other.
    assert "CICA_DATABASE_URL" not in environment
    for container, _ in pod_environment(pod):
        references = {
            entry["name"]: entry["valueFrom"]["secretKeyRef"]
            for entry in container.get("env", [])
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        expected = {own_variable(service, "CICA_DATABASE_URL"): {"name": "cica-database",
                                                                 "key": service}}  # fmt: skip
        if container is main:
            expected[f"CICA_{service.upper()}_SERVICE_TOKEN"] = {
                "name": "cica-service-tokens", "key": service
            }
        assert references == expected, container["name"]
    # No key that mints a token: verification keys only.
    assert not MINTING_VARIABLES & set(environment)
    assert "CICA_JWT_PUBLIC_KEY_FILE" in environment or "CICA_JWT_JWKS_FILE" in environment
    # The services it reacts to at their Service names and ports.
    for other in producers(service):
        url = urlsplit(environment[f"CICA_{other.upper()}_URL"])
        assert (url.hostname, url.port) == (other, default_port(other))
    # NATS: every node of the StatefulSet, through its headless Service.
    nats = objects("StatefulSet")["nats"]
    hosts = {urlsplit(url).hostname for url in environment["CICA_NATS_URL"].split(",")}
    assert hosts == {f"nats-{n}.{nats['spec']['serviceName']}" for n in range(3)}
    assert int(environment["CICA_NATS_STREAM_REPLICAS"]) == nats["spec"]["replicas"]
    # Every key is a file inside a mounted Secret that must exist: the token issuer's public
    # key, its checkpoint signing key (one for all replicas, no other service's), the webhook
    # key for notifications.
    files = {k: v for k, v in environment.items() if k.endswith("_FILE")}
    assert {"CICA_JWT_PUBLIC_KEY_FILE", f"CICA_{service.upper()}_SIGNING_KEY_FILE"} <= set(files)
    signing = {k for k in environment if k.endswith("_SIGNING_KEY_FILE")}
    assert signing == {f"CICA_{service.upper()}_SIGNING_KEY_FILE"}
    # Its own NATS identity, the password a file of its own; TLS to every node.
    assert environment[f"CICA_{service.upper()}_NATS_USER"] == service
    assert {f"CICA_{service.upper()}_NATS_PASSWORD_FILE", "CICA_NATS_TLS_CA_FILE"} <= set(files)
    assert {urlsplit(url).scheme for url in environment["CICA_NATS_URL"].split(",")} == {"tls"}
    if service == "notifications":
        assert "CICA_NOTIFICATIONS_WEBHOOK_KEY_FILE" in files
    mounts = {m["mountPath"]: m["name"] for m in main["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    secrets = set()
    for variable, path in files.items():
        volume = volumes[mounts[str(Path(path).parent)]]
        assert "optional" not in volume["secret"], variable
        secrets.add(volume["secret"]["secretName"])
    assert {"cica-jwt-public", f"cica-signing-{service}", "cica-nats-users", "cica-nats-tls"} <= (
        secrets
    )
    # ... and no other: no other service's signing key, no HMAC secret.
    mounted = {v["secret"]["secretName"] for v in volumes.values() if "secret" in v}
    assert mounted == secrets
    # ... of which it sees its own password only, the CA only (not the nodes' key), and the
    # issuer's public key only.
    projected = {
        volume["secret"]["secretName"]: [item["key"] for item in volume["secret"]["items"]]
        for volume in volumes.values()
        if volume.get("secret", {}).get("secretName")
        in {"cica-nats-users", "cica-nats-tls", "cica-jwt-public"}
    }
    assert projected == {
        "cica-nats-users": [service],
        "cica-nats-tls": ["ca.crt"],
        "cica-jwt-public": [Path(environment["CICA_JWT_PUBLIC_KEY_FILE"]).name],
    }


def job_role_settings() -> MigrationSettings:
    (container,) = objects("Job")["cica-migrate"]["spec"]["template"]["spec"]["containers"]
    (role,) = [e["value"] for e in container["env"] if e["name"] == "CICA_SERVICE_DATABASE_ROLE"]
    return MigrationSettings(service_database_role=role)


def test_migrations_run_once_in_a_job_as_the_migration_role() -> None:
    """The Job connects as the migration role (the key `migration` of cica-database) and
    grants each service's role, the same roles as compose's; it holds no key."""
    job = objects("Job")["cica-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["cica", "migrate"]
    environment = {e["name"]: e for e in container["env"]}
    assert set(environment) == {"CICA_DATABASE_URL", "CICA_SERVICE_DATABASE_ROLE"}
    assert environment["CICA_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "cica-database", "key": "migration"
    }
    in_compose = compose_services()["migrate"]["environment"]["CICA_SERVICE_DATABASE_ROLE"]
    roles = {service: job_role_settings().service_role(service) for service in SERVICES}
    assert roles == {
        service: MigrationSettings(service_database_role=in_compose).service_role(service)
        for service in SERVICES
    }
    assert len(set(roles.values())) == len(SERVICES)
    volumes = job["spec"]["template"]["spec"]["volumes"]
    assert all("secret" not in volume for volume in volumes)


def test_no_deployment_gives_anyone_a_key_that_mints_tokens() -> None:
    """Neither compose nor a manifest names the HMAC secret (which mints a token of any
    role) or mounts the Secret that held it."""
    texts = {COMPOSE_FILE.name: COMPOSE_FILE.read_text()}
    texts.update({path.name: path.read_text() for path in manifest_files()})
    for name, text in texts.items():
        assert not MINTING_VARIABLES & set(CICA_VARIABLE.findall(text)), name
    for name, pod in pods():
        for volume in pod.get("volumes", []):
            assert volume.get("secret", {}).get("secretName") != "cica-jwt", name


def test_nats_is_a_three_node_cluster_that_fsyncs(tmp_path: Path) -> None:
    nats = objects("StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    assert objects("Service")[nats["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"
    (claim,) = nats["spec"]["volumeClaimTemplates"]
    (container,) = nats["spec"]["template"]["spec"]["containers"]
    assert {m["name"]: m["mountPath"] for m in container["volumeMounts"]}[
        claim["metadata"]["name"]
    ] == "/data"
    data = objects("ConfigMap")["nats-config"]["data"]
    conf = data["nats.conf"]
    environment = server_environment(POD_NAME="nats-0")
    nats_config_ok(tmp_path, conf, data["authorization.conf"], environment)
    assert data["authorization.conf"] == AUTHORIZATION.read_text()
    assert re.search(r"store_dir:\s*/data\s*$", conf, re.MULTILINE)
    # The passwords from the Secret cica-nats-users, the TLS files from cica-nats-tls.
    passwords = {
        entry["name"]: entry["valueFrom"]["secretKeyRef"]
        for entry in container["env"]
        if entry["name"] in NATS_PASSWORDS
    }
    assert passwords == {
        password_variable(s): {"name": "cica-nats-users", "key": s} for s in SERVICES
    }
    volumes = {v["name"]: v for v in nats["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/etc/nats-tls"]]["secret"]["secretName"] == "cica-nats-tls"
    routes = set(re.findall(r"nats://(nats-\d)\.nats-headless:6222", conf))
    assert routes == {f"nats-{n}" for n in range(3)}
    budget = objects("PodDisruptionBudget")["nats"]
    assert budget["spec"]["maxUnavailable"] == 1


# ------------------------------------------------------------- the init container's wait


def wait_for_schema(tmp_path: Path, service: str, database_url: str) -> int:
    script = tmp_path / "wait_for_schema.py"
    script.write_text(objects("ConfigMap")["cica-scripts"]["data"]["wait_for_schema.py"])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
    environment[f"CICA_{service.upper()}_DATABASE_URL"] = database_url
    finished = subprocess.run(
        [sys.executable, str(script), service, "0"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=60,
    )
    return finished.returncode


async def test_pods_wait_for_the_schema_and_start_once_it_is_current(
    tmp_path: Path, database_url: str, servers: Any
) -> None:
    # A migrated database (the tests' template holds the registry's heads): current.
    assert wait_for_schema(tmp_path, "registry", database_url) == 0
    # An empty one, as before the Job has run: not current (and it says so, with no wait).
    empty = "cica_t_unmigrated"
    admin = make_url(servers.server_url).set(database="postgres").render_as_string(False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{empty}"')
        await connection.execute(f'CREATE DATABASE "{empty}"')
        url = make_url(servers.server_url).set(database=empty).render_as_string(False)
        assert wait_for_schema(tmp_path, "registry", url) == 1
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
        await connection.close()


def test_postgresql_reference_cluster_replicates_synchronously_and_holds_every_database() -> None:
    """deploy/k8s/postgres/ (CloudNativePG; its own resources, so outside the Kubernetes
    schemas): three instances, a commit on two machines, the four databases, one owner (the
    migration role), and the services' roles, which may log in and do nothing else."""
    documents = list(yaml.safe_load_all((K8S / "postgres" / "cloudnativepg.yaml").read_text()))
    assert {doc["apiVersion"] for doc in documents} == {"postgresql.cnpg.io/v1"}
    (cluster,) = [doc for doc in documents if doc["kind"] == "Cluster"]
    assert cluster["spec"]["instances"] == 3
    synchronous = cluster["spec"]["postgresql"]["synchronous"]
    assert synchronous["number"] >= 1
    assert synchronous["dataDurability"] == "required"
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    databases = {initdb["database"]: initdb["owner"]}
    for doc in documents:
        if doc["kind"] == "Database":
            assert doc["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
            databases[doc["spec"]["name"]] = doc["spec"]["owner"]
    assert set(databases) == {f"cica_{service}" for service in SERVICES}
    assert set(databases.values()) == {initdb["owner"]}
    in_compose = make_url(interpolated(
        compose_services()["migrate"]["environment"]["CICA_DATABASE_URL"]
    )).username  # fmt: skip
    assert initdb["owner"] == in_compose
    assert initdb["secret"]["name"]
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == {job_role_settings().service_role(service) for service in SERVICES}
    for name, role in roles.items():
        assert role["login"] is True and role["ensure"] == "present", name
        assert role["passwordSecret"]["name"], name
        assert set(role) == {"name", "ensure", "login", "passwordSecret"}, name
