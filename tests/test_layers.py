"""The layers hold: the contracts `make test` runs (`lint-imports`, pyproject's
[tool.importlinter]) cover the whole kit, and a domain module loads no framework or driver when
it is imported, indirectly included (what a static contract cannot see: a package that imports
its adapters at run time)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import shared
from shared.system.services import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = {
    contract["id"]: contract
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}
FRAMEWORKS_AND_DRIVERS = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "asyncpg",
    "nats",
    "jwt",
    "cryptography",
    "httpx",
)


def test_the_kit_contract_names_every_module_of_the_kit() -> None:
    """A module added to `shared` is under the kit's contract, unless it is the system layer."""
    kit = {f"shared.{module.name}" for module in pkgutil.iter_modules(shared.__path__)}
    assert set(CONTRACTS["kit"]["source_modules"]) == kit - {"shared.system"}


def test_every_service_is_independent_of_the_others() -> None:
    assert set(CONTRACTS["services-independent"]["modules"]) == {
        f"services.{name}" for name in SERVICE_NAMES
    }


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_importing_a_services_domain_and_events_loads_no_framework_or_driver(
    service: str,
) -> None:
    probe = (
        "import json, sys\n"
        f"import services.{service}.domain, services.{service}.events\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORKS_AND_DRIVERS!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def test_the_probe_sees_a_framework_when_one_is_loaded() -> None:
    """The check above can fail: the kit's HTTP conventions do load FastAPI."""
    probe = (
        "import json, sys\nimport shared.http.writes\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORKS_AND_DRIVERS!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert {"fastapi", "sqlalchemy"} <= set(json.loads(result.stdout))
