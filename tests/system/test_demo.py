"""`cica demo` (what `make demo` runs) against a system `cica up` started here, on free ports and
a temporary state dir, as a user runs both: the October 2022 scenario lands in every service,
every chain verifies, and a second run appends nothing to any log.

One system start serves both runs (the start is most of the time this test takes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.system.test_make_up import REPO, SERVICES, CicaUp, distinct_free_ports

pytestmark = pytest.mark.slow

DEMO_DEADLINE = 240.0


@pytest.fixture
def system(tmp_path: Path) -> Iterator[CicaUp]:
    run = CicaUp(tmp_path / "state", distinct_free_ports(), tmp_path / "cica-up.out")
    try:
        run.start()
        run.wait_until_healthy()
        yield run
    finally:
        run.kill()


def urls(system: CicaUp) -> dict[str, str]:
    return {name: f"http://127.0.0.1:{port}" for name, port in system.ports.services.items()}


def cica_demo(system: CicaUp) -> subprocess.CompletedProcess[str]:
    """`cica demo` with the system's URLs and state dir: it mints its own tokens."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
    command = [sys.executable, "-m", "shared.cli", "demo", "--state-dir", str(system.state_dir)]
    for service, url in urls(system).items():
        command += ["--url", f"{service}={url}"]
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True,
        timeout=DEMO_DEADLINE,
    )  # fmt: skip


def heads(client: httpx.Client, system: CicaUp, token: str) -> dict[str, int]:
    found = {}
    for service, url in urls(system).items():
        page = client.get(f"{url}/events", params={"limit": 1}, headers=bearer(token))
        assert page.status_code == 200, page.text
        found[service] = page.json()["head"]
    return found


def settled_heads(client: httpx.Client, system: CicaUp, token: str) -> dict[str, int]:
    """The heads once no reaction is still landing: the same in two reads half a second apart
    (the demo waits for the reactions it can see; a service may still note others' events)."""
    deadline = time.monotonic() + 30.0
    last = heads(client, system, token)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = heads(client, system, token)
        if now == last:
            return now
        last = now
    return last


def member_state_token(system: CicaUp, state: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CICA_")}
    command = [sys.executable, "-m", "shared.cli", "token", "--state-dir", str(system.state_dir),
               "--role", "member_state", "--state", state]  # fmt: skip
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()


def poll(
    read: Callable[[], httpx.Response],
    until: Callable[[httpx.Response], bool],
    within: float = 30.0,
) -> httpx.Response:
    """The first answer `until` accepts, or the last one after `within` seconds."""
    deadline = time.monotonic() + within
    while not until(answer := read()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return answer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_demo_loads_october_2022_verifies_every_chain_and_a_second_run_appends_nothing(
    system: CicaUp,
) -> None:
    first = cica_demo(system)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Every chain verified." in first.stdout

    auditor = system.token("auditor")
    secretariat = system.token("secretariat")
    service = urls(system)
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        before = settled_heads(client, system, auditor)
        second = cica_demo(system)
        after = heads(client, system, auditor)

        members = client.get(f"{service['registry']}/members").json()
        agenda = client.get(
            f"{service['meetings']}/meetings/SOC-2022-III/agenda", headers=bearer(secretariat)
        ).json()
        russian = client.get(
            f"{service['documents']}/documents/SUM/2022/DRAFT/1",
            params={"lang": "ru"},
            headers=bearer(secretariat),
        ).json()
        rev3 = client.get(
            f"{service['documents']}/documents/SUM/2022/DRAFT/1/Rev.3",
            headers=bearer(secretariat),
        )
        kazakhstan = member_state_token(system, "KAZ")
        read_by_kazakhstan = poll(
            lambda: client.get(
                f"{service['documents']}/documents/SUM/2022/DRAFT/1", headers=bearer(kazakhstan)
            ),
            until=lambda response: response.status_code != 404,
        )
        chains = {
            name: client.get(f"{url}/events/verify", headers=bearer(auditor)).json()
            for name, url in service.items()
        }

    assert second.returncode == 0, second.stdout + second.stderr
    assert after == before
    assert all(before[name] > 0 for name in ("registry", "documents", "meetings"))
    assert "recorded" not in second.stdout.split("What each service holds")[0]

    assert members["count"] == 28
    assert "KWT" in {state["code"] for state in members["member_states"]}
    assert {state["names"]["kk"] for state in members["member_states"]} >= {"Қазақстан"}

    assert agenda["status"] == "adopted"
    [item3] = [item for item in agenda["items"] if item["number"] == "3"]
    [item3c] = [sub for sub in item3["sub_items"] if sub["letter"] == "c"]
    assert [d["symbol"] for d in item3c["considers"]] == ["SUM/2022/DRAFT/1/Rev.8"]

    assert russian["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
    assert russian["language"] == "ru"
    assert russian["title"] == "ПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ О ТРАНСФОРМАЦИИ СВМДА"
    assert rev3.status_code == 410
    assert rev3.json()["type"] == "/problems/revision-not-held"

    assert read_by_kazakhstan.status_code == 200  # a founding member, learnt from the registry

    assert set(chains) == set(SERVICES)
    for name, chain in chains.items():
        assert chain["ok"], (name, chain)
        assert chain["head_position"] == after[name]
