"""What `cica up` gives NATS and each service (without starting anything): a user per service,
the service told its user and the *file* of its password, never the password; a configuration
that lets in those users only; nothing of the kind when NATS is external. `test_make_up.py`
runs it for real (an anonymous client refused, the files private)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.system.devservers import LocalNats, LocalNatsCluster
from shared.system.nats_identities import ensure_password_files, local_authorization
from shared.system.services import SERVICE_NAMES
from shared.system.supervisor import Supervisor, UpOptions


def prepared(tmp_path: Path, **options: object) -> Supervisor:
    supervisor = Supervisor(UpOptions(state_dir=tmp_path, **options))  # type: ignore[arg-type]
    supervisor.database_urls = {name: f"postgresql://db/cica_{name}" for name in SERVICE_NAMES}
    supervisor.nats_url = "nats://127.0.0.1:4222"
    return supervisor


def test_each_service_is_told_its_user_and_the_file_of_its_password_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("CICA_NATS_URL", "CICA_REGISTRY_NATS_USER"):
        monkeypatch.delenv(variable, raising=False)
    supervisor = prepared(tmp_path)
    supervisor.nats_identities = ensure_password_files(tmp_path / "keys" / "nats")
    passwords = {name: i.password() for name, i in supervisor.nats_identities.items()}
    for name in SERVICE_NAMES:
        environment = supervisor._service_environment(name)
        prefix = f"CICA_{name.upper()}_"
        assert environment[prefix + "NATS_USER"] == name
        password_file = Path(environment[prefix + "NATS_PASSWORD_FILE"])
        assert password_file.read_text().strip() == passwords[name]
        assert password_file.stat().st_mode & 0o077 == 0
        shown = repr(environment)
        assert not [other for other, password in passwords.items() if password in shown]
        others = [n for n in SERVICE_NAMES if n != name]
        assert not [n for n in others if f"CICA_{n.upper()}_NATS_PASSWORD_FILE" in environment]
    # Made once and kept: a second run has the same passwords.
    again = ensure_password_files(tmp_path / "keys" / "nats")
    assert {name: i.password() for name, i in again.items()} == passwords


def test_with_external_nats_the_identities_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CICA_REGISTRY_NATS_USER", "registry-prod")
    monkeypatch.setenv("CICA_REGISTRY_NATS_PASSWORD_FILE", "/run/secrets/registry")
    supervisor = prepared(tmp_path, external_nats_url="tls://nats.example:4222")
    supervisor._start_nats()
    environment = supervisor._service_environment("registry")
    assert supervisor.nats_identities == {}
    assert environment["CICA_REGISTRY_NATS_URL"] == "tls://nats.example:4222"
    assert environment["CICA_REGISTRY_NATS_USER"] == "registry-prod"
    assert environment["CICA_REGISTRY_NATS_PASSWORD_FILE"] == "/run/secrets/registry"
    assert not (tmp_path / "keys" / "nats").exists()


def test_the_servers_cica_up_starts_name_the_services_users_and_no_anonymous_one(
    tmp_path: Path,
) -> None:
    identities = ensure_password_files(tmp_path / "keys")
    authorization = local_authorization(identities)
    single = LocalNats(tmp_path / "nats", 4222, authorization=authorization)
    cluster = LocalNatsCluster(3, tmp_path / "cluster", 4222, 6222, 8222,
                               authorization=authorization)  # fmt: skip
    for config in (single.config(), *(cluster.node_config(i) for i in range(3))):
        users = re.findall(r'^\s*user: "([^"]+)"$', config, re.MULTILINE)
        assert users == list(SERVICE_NAMES)
        assert "no_auth_user" not in config
        for name, identity in identities.items():
            assert f'password: "{identity.password()}"' in config, name
    assert not single.is_open
    assert LocalNats(tmp_path / "open", 4223).is_open
