"""`cica up`: the whole system on one machine, watched over by one process.

The supervisor starts PostgreSQL and NATS (unless external ones are named), creates and
migrates the four databases, then runs each service as a uvicorn child process and waits until
every one answers ``/healthz``. From then on it only watches: if any child exits on its own,
everything is stopped and `cica up` exits non-zero, naming it. SIGINT (Ctrl-C), SIGTERM and
SIGHUP stop everything in order (services, then NATS, then PostgreSQL) and exit 0.

With ``--replicas N`` each service runs as N processes (replica r on its port + 10 * (r - 1),
all on the same databases, each told that its peers answer at their replica 1), and with
``--nats-cluster M`` NATS runs as M routed JetStream nodes whose streams are kept on min(3, M)
of them. Where there are several of a kind, one that exits is restarted instead (after 1 s,
doubling up to 30 s, back to 1 s once it has run a minute), since the others serve meanwhile:
that is what running several is for. PostgreSQL, of which there is one, still stops everything.

NATS runs with a user per service (`shared.system.nats_identities`): each password is made once
in ``<state>/keys/nats/`` (0600), the server's configuration holds them (0600), and each service
is told its user and the *path* of its password's file; a client without a password is refused.
With ``CICA_NATS_URL`` naming external servers, each service's identity comes from the
environment (``CICA_<SERVICE>_NATS_USER``, ``CICA_<SERVICE>_NATS_PASSWORD_FILE``) instead.

Every child runs in a session of its own, so a Ctrl-C typed in the terminal reaches only the
supervisor, which then stops the children in order; and every child asks the kernel for
SIGTERM when the supervisor dies, so a supervisor killed with SIGKILL leaves nothing behind.

Each service's output goes, one JSON object a line, to ``<state>/logs/<service>.log``: lines
the service already writes as JSON are kept as they are, other lines (uvicorn's own, a crash's
traceback) are wrapped. Only errors reach the terminal, one line each.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx
from sqlalchemy.engine import make_url

from shared.access.tokens import SECRET_FILE_NAME, ensure_secret_file, keys_configured
from shared.checkpoints import ensure_signing_key_file
from shared.messaging import NatsIdentity
from shared.retry import backoff
from shared.system.devservers import (
    LocalNats,
    LocalNatsCluster,
    LocalPostgres,
    ServerStartError,
    _die_with_parent,
    port_is_open,
)
from shared.system.migrate import prepare_databases
from shared.system.nats_identities import (
    ensure_password_files,
    identity_environment,
    local_authorization,
)
from shared.system.services import DEFAULT_PORTS, SERVICES

DEFAULT_STATE_DIR = Path(".cica")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PG_PORT = 55432
DEFAULT_NATS_PORT = 4222
DEFAULT_SERVICE_PORTS: Mapping[str, int] = DEFAULT_PORTS
"""Each service's port, as `shared.system.services` declares it (its settings' `default_port`)."""
REPLICA_PORT_STEP = 10
DEVELOPMENT_CORS_ORIGINS = (
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
)
"""The browser origins `cica up` lets call the services unless told otherwise: where the usual
development servers of a web client run (3000: React, Next.js; 5173: Vite). Bearer tokens are
no cookies, so a page on these origins reads nothing it could not read with a token of its own."""
"""Replica r (1-based) of a service listens on its port + 10 * (r - 1): 8001-8004, 8011-8014."""
NATS_ROUTE_PORT_OFFSET = 2000
"""A cluster's node i listens for clients on the NATS port + i, for its peers on the NATS port
+ 2000 + i and for monitoring on the NATS port + 4000 + i (4222, 6222, 8222 by default)."""
NATS_HTTP_PORT_OFFSET = 4000
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_STABLE_AFTER = 60.0
"""A process that ran this long before exiting is restarted after the first delay again."""
_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class UpError(Exception):
    """The system could not be brought up, or part of it fell down; the message says why."""


class StopRequested(BaseException):  # named like KeyboardInterrupt: not an error
    """A stop signal arrived. A BaseException, so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class UpOptions:
    state_dir: Path
    host: str = DEFAULT_HOST
    pg_port: int = DEFAULT_PG_PORT
    nats_port: int = DEFAULT_NATS_PORT
    service_ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SERVICE_PORTS))
    external_database_url: str | None = None
    """A PostgreSQL server to use instead of starting one (``CICA_DATABASE_URL``)."""
    external_nats_url: str | None = None
    """NATS server(s) to use instead of starting one (``CICA_NATS_URL``)."""
    startup_timeout: float = 60.0
    stop_timeout: float = 10.0
    replicas: int = 1
    """Processes of each service; with 2 or more a replica that exits is restarted."""
    nats_cluster: int = 1
    """NATS nodes started here; with 2 or more a node that exits is restarted."""
    cors_origins: tuple[str, ...] = DEVELOPMENT_CORS_ORIGINS
    """The browser origins the services allow (CORS), passed as ``CICA_CORS_ORIGINS``."""

    def replica_port(self, service: str, replica: int) -> int:
        return self.service_ports[service] + REPLICA_PORT_STEP * (replica - 1)


class _StopSignals:
    """Turns a SIGINT/SIGTERM/SIGHUP into `StopRequested`, raised in the main thread.

    Some steps must not be cut in half: initdb, a server's start, a migration (and asyncio
    code would take a foreign exception for a failure of its own). Those run `deferred`: a
    signal then only takes note, and `StopRequested` is raised when the step is done; a
    second signal raises at once. Once stopping, signals are ignored, so that they cannot
    interrupt the orderly stop.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._armed = False
        self._deferring: str | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        self._armed = True
        for sig in _STOP_SIGNALS:
            if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
                continue  # started under nohup: a closed terminal must not stop us
            self._previous[sig] = signal.signal(sig, self._handle)

    def disarm(self) -> None:
        self._armed = False

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @contextlib.contextmanager
    def deferred(self, step: str) -> Iterator[None]:
        """Run a step that a signal must not interrupt; `step` completes "stopping once ..."."""
        self._deferring = step
        try:
            yield
        finally:
            self._deferring = None
        if self.received is not None and self._armed:
            raise StopRequested(self.received)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self._armed:
            _say(f"({name} received: already stopping)")
            return
        if self.received is None:
            self.received = signum
            if self._deferring is None:
                raise StopRequested(signum)
            _say(f"{name} received: stopping once {self._deferring} (again to stop now)")
            return
        if self._deferring is not None:
            raise StopRequested(signum)


def _say(message: str = "", *, error: bool = False) -> None:
    print(message, file=sys.stderr if error else sys.stdout, flush=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _shown(path: Path) -> str:
    """`path` relative to the current directory when it lies beneath it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _without_password(url: str) -> str:
    """A URL (or a comma-separated list of them) fit to print: passwords masked."""
    return ",".join(re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", part) for part in url.split(","))


# ------------------------------------------------------------------------------ log lines

_UVICORN_LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(.*)$")
_ERROR_LEVELS = {"error", "critical", "exception", "fatal"}


class _LogPump:
    """Copies a child's output into its log file as JSON lines, and errors to the terminal.

    A line that is a JSON object is kept as it is. A line of uvicorn's own format
    (``INFO:     Started server process``) becomes a record of that level; the lines that
    follow it without a prefix (a traceback) inherit its level.
    """

    def __init__(self, service: str, source: IO[bytes], log_path: Path) -> None:
        self._service = service
        self._source = source
        self._log_path = log_path
        self._level = "info"
        self._thread = threading.Thread(target=self._run, name=f"log-{service}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        with self._log_path.open("a", encoding="utf-8") as log:
            for raw in iter(self._source.readline, b""):
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if not text.strip():
                    continue
                line, level, message, first = self._record(text)
                log.write(line + "\n")
                log.flush()
                if first and level in _ERROR_LEVELS:
                    _say(f"[{self._service}] {level}: {message.splitlines()[0] if message else ''}")
            self._source.close()

    def _record(self, text: str) -> tuple[str, str, str, bool]:
        """The JSON line for `text`, its level, its message, and whether it begins a record
        (rather than continuing a traceback)."""
        if text.startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(text)
                if isinstance(parsed, dict):
                    self._level = "info"
                    level = str(parsed.get("level") or parsed.get("levelname") or "").lower()
                    message = str(parsed.get("event") or parsed.get("message") or "")
                    return text, level, message, True
        match = _UVICORN_LINE.match(text)
        first = match is not None or text.startswith("Traceback (most recent call last)")
        if match:
            self._level = match.group(1).lower()
            message = match.group(2)
        else:
            if first:
                self._level = "error"
            message = text
        record = {
            "timestamp": _now(),
            "level": self._level,
            "service": self._service,
            "logger": "output",
            "event": message,
        }
        return json.dumps(record, ensure_ascii=False), self._level, message, first


def _render_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a service log, as text a person reads."""
    try:
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return "    (no log)"
    rendered = []
    for line in tail:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and record.get("logger") == "output":
            text = str(record.get("event", ""))  # a line of plain output: show it as it was
        elif isinstance(record, dict):
            text = f"{record.get('level', '')} {record.get('event') or record.get('message', '')}"
            if record.get("exception"):
                text += f"\n{record['exception']}"
        else:
            text = line
        rendered.extend(f"    {part}" for part in text.rstrip().splitlines())
    return "\n".join(rendered) or "    (empty log)"


def _tail_of_file(path: Path, lines: int = 20) -> str:
    try:
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return "    (no log)"
    return "\n".join(f"    {line}" for line in tail)


# ------------------------------------------------------------------------------ services


@dataclass
class ServiceProcess:
    """One service, run by uvicorn as a child process."""

    name: str
    host: str
    port: int
    log_path: Path
    app_target: str
    """The app factory uvicorn runs (`Service.app_target`): ``services.registry.app:create_app``."""
    replica: int = 1
    replicated: bool = False
    process: subprocess.Popen[bytes] | None = None
    _pump: _LogPump | None = None
    restart: _Restart | None = None

    @property
    def label(self) -> str:
        """How the supervisor names it: ``registry``, or ``registry-2`` among replicas."""
        return f"{self.name}-{self.replica}" if self.replicated else self.name

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in _WILDCARD_HOSTS else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def spawn(self, environment: Mapping[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            started = {
                "timestamp": _now(),
                "level": "info",
                "service": self.name,
                "logger": "cica.up",
                "event": "starting",
                "port": self.port,
                "replica": self.replica,
            }
            log.write(json.dumps(started) + "\n")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                self.app_target,
                "--factory",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-access-log",
                "--no-use-colors",
            ],
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches the supervisor only
            preexec_fn=_die_with_parent,  # SIGTERM if the supervisor dies, even by SIGKILL
        )

    def start_log_pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self._pump = _LogPump(self.label, self.process.stdout, self.log_path)
        self._pump.start()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def finish_log(self, timeout: float = 5.0) -> None:
        if self._pump is not None:
            self._pump.join(timeout)
            self._pump = None


@dataclass
class _Restart:
    """When a process that exited is started again: after 1 s, then 2, 4, ... up to 30 s;
    back to 1 s once it has run for a minute."""

    started_at: float = field(default_factory=time.monotonic)
    exits: int = 0
    """Exits in a row, each before the process had run for `RESTART_STABLE_AFTER`."""
    due: float | None = None

    def exited(self) -> float:
        """Note an exit; the delay before the restart (the kit's backoff)."""
        if time.monotonic() - self.started_at >= RESTART_STABLE_AFTER:
            self.exits = 0
        self.exits += 1
        delay = backoff(self.exits, base=RESTART_FIRST_DELAY, cap=RESTART_MAX_DELAY)
        self.due = time.monotonic() + delay
        return delay

    def is_due(self) -> bool:
        return self.due is not None and time.monotonic() >= self.due

    def restarted(self) -> None:
        self.due = None
        self.started_at = time.monotonic()


def _describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


# ------------------------------------------------------------------------------ supervisor


class Supervisor:
    """Starts the system in order, watches it, and stops what it started in reverse order."""

    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.state_dir = options.state_dir.resolve()
        self.log_dir = self.state_dir / "logs"
        self.postgres: LocalPostgres | None = None
        self.nats: LocalNats | None = None
        self.nats_cluster: LocalNatsCluster | None = None
        self.server_url = ""
        self.nats_url = ""
        self.database_urls: dict[str, str] = {}
        replicated = options.replicas > 1
        self.services = [
            ServiceProcess(
                service.name,
                options.host,
                options.replica_port(service.name, replica),
                self.log_dir
                / (f"{service.name}-{replica}.log" if replica > 1 else f"{service.name}.log"),
                service.app_target,
                replica=replica,
                replicated=replicated,
                restart=_Restart() if replicated else None,
            )
            for replica in range(1, options.replicas + 1)
            for service in SERVICES
        ]
        self._node_restarts: dict[int, _Restart] = {}
        self._lock: IO[str] | None = None
        # The HMAC secret this machine's tokens are signed with (None: the environment
        # configures the token keys itself, CICA_JWT_*).
        self.jwt_secret_file: Path | None = None
        # Each service's NATS identity on the server started here (none: external NATS, whose
        # identities the environment gives).
        self.nats_identities: dict[str, NatsIdentity] = {}

    # ------------------------------------------------------------------ starting

    def start(self, signals: _StopSignals) -> None:
        """Start everything in order; a stop signal takes effect between steps (see
        `_StopSignals`), and at any moment while waiting for the services to answer."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        self._check_ports()
        if not keys_configured(os.environ):
            self.jwt_secret_file = ensure_secret_file(self.state_dir / SECRET_FILE_NAME)
        with signals.deferred("PostgreSQL has started"):
            self._start_postgres()
        with signals.deferred("NATS has started"):
            self._start_nats()
        with signals.deferred("the migrations are done"):
            self._prepare_databases()
        with signals.deferred("the services are started"):
            self._start_services()
        self._wait_until_healthy()

    def _take_lock(self) -> None:
        lock = (self.state_dir / "up.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise UpError(
                f"another `cica up` is running with the state dir {_shown(self.state_dir)}"
            ) from None
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def _check_ports(self) -> None:
        wanted: list[tuple[str, int, str]] = [
            (service.label, service.port, f"--port {service.name}=N") for service in self.services
        ]
        if self.options.external_nats_url is None and self.options.nats_cluster > 1:
            for i in range(self.options.nats_cluster):
                base = self.options.nats_port + i
                wanted.append((f"NATS node {i + 1}", base, "--nats-port N"))
                wanted.append((f"NATS node {i + 1}'s routes", base + NATS_ROUTE_PORT_OFFSET,
                               "--nats-port N"))  # fmt: skip
                wanted.append((f"NATS node {i + 1}'s monitoring", base + NATS_HTTP_PORT_OFFSET,
                               "--nats-port N"))  # fmt: skip
        elif self.options.external_nats_url is None:
            wanted.append(("NATS", self.options.nats_port, "--nats-port N"))
        if self.options.external_database_url is None:
            wanted.append(("PostgreSQL", self.options.pg_port, "--pg-port N"))
        seen: dict[int, str] = {}
        for name, port, _flag in wanted:
            if port in seen:
                raise UpError(f"{name} and {seen[port]} are both given port {port}")
            seen[port] = name
        pg_pid_file = self.state_dir / "postgres" / "postmaster.pid"
        for name, port, flag in wanted:
            if name == "PostgreSQL" and pg_pid_file.exists():
                continue  # our own cluster left running: LocalPostgres stops it first
            if port_is_open("127.0.0.1", port):
                raise UpError(f"port {port} for {name} is in use; choose another with {flag}")

    def _start_postgres(self) -> None:
        if self.options.external_database_url is not None:
            self.server_url = self.options.external_database_url
            return
        postgres = LocalPostgres(self.state_dir / "postgres", self.options.pg_port, fsync=True)
        _say(
            f"starting PostgreSQL on 127.0.0.1:{postgres.port} "
            f"(data in {_shown(postgres.data_dir)})"
        )
        self.postgres = postgres
        try:
            postgres.start()
        except (ServerStartError, subprocess.CalledProcessError, OSError) as error:
            raise UpError(f"PostgreSQL did not start: {_start_failure(error)}") from error
        self.server_url = postgres.url

    def _start_nats(self) -> None:
        if self.options.external_nats_url is not None:
            self.nats_url = self.options.external_nats_url
            return
        if self.options.nats_cluster > 1:
            self._start_nats_cluster()
            return
        self.nats_identities = ensure_password_files(self.state_dir / "keys" / "nats")
        nats = LocalNats(
            self.state_dir / "nats",
            self.options.nats_port,
            authorization=local_authorization(self.nats_identities),
        )
        _say(
            f"starting NATS with JetStream on 127.0.0.1:{nats.port} "
            f"(store in {_shown(nats.store_dir)})"
        )
        self.nats = nats
        try:
            nats.start()
        except (ServerStartError, OSError) as error:
            raise UpError(f"NATS did not start: {_start_failure(error)}") from error
        self.nats_url = nats.url

    def _start_nats_cluster(self) -> None:
        port = self.options.nats_port
        self.nats_identities = ensure_password_files(self.state_dir / "keys" / "nats")
        cluster = LocalNatsCluster(
            self.options.nats_cluster,
            self.state_dir / "nats-cluster",
            client_port=port,
            route_port=port + NATS_ROUTE_PORT_OFFSET,
            http_port=port + NATS_HTTP_PORT_OFFSET,
            authorization=local_authorization(self.nats_identities),
        )
        last = port + cluster.size - 1
        _say(
            f"starting a cluster of {cluster.size} NATS nodes with JetStream on 127.0.0.1:"
            f"{port}-{last} (stores in {_shown(cluster.base_dir)})"
        )
        self.nats_cluster = cluster
        try:
            cluster.start(self.options.startup_timeout)
        except (ServerStartError, OSError) as error:
            raise UpError(f"the NATS cluster did not start: {_start_failure(error)}") from error
        self._node_restarts = {i: _Restart() for i in range(cluster.size)}
        self.nats_url = cluster.url

    def _prepare_databases(self) -> None:
        _say("creating and migrating the databases")
        try:
            self.database_urls = prepare_databases(self.server_url)
        except Exception as error:  # reported and fatal: `cica up` stops and exits non-zero
            raise UpError(
                f"could not prepare the databases on {_without_password(self.server_url)}: "
                f"{type(error).__name__}: {error}"
            ) from error

    def _service_environment(self, name: str) -> dict[str, str]:
        environment = dict(os.environ)
        prefix = f"CICA_{name.upper()}_"
        environment[prefix + "DATABASE_URL"] = self.database_urls[name]
        environment[prefix + "NATS_URL"] = self.nats_url
        if name in self.nats_identities:  # the user and the path of its password, never it
            environment.update(identity_environment(name, self.nats_identities[name]))
        if self.nats_cluster is not None and not environment.get("CICA_NATS_STREAM_REPLICAS"):
            environment["CICA_NATS_STREAM_REPLICAS"] = str(min(3, self.nats_cluster.size))
        if self.jwt_secret_file is not None:  # the path, never the secret itself
            environment["CICA_JWT_SECRET_FILE"] = str(self.jwt_secret_file)
        # Each service signs its log's checkpoints with its own key, kept between runs so that
        # auditors' pinned keys stay valid (shared/checkpoints.py); the environment's wins.
        if not environment.get(prefix + "SIGNING_KEY_FILE"):
            key_file = self.state_dir / "keys" / f"{name}-checkpoints.pem"
            environment[prefix + "SIGNING_KEY_FILE"] = str(ensure_signing_key_file(key_file))
        # The notifications service derives each ministry endpoint's signing secret from its
        # webhook key (services/notifications/webhooks.py): kept between runs, so secrets
        # handed to ministries stay valid; the environment's wins.
        if name == "notifications" and not (
            environment.get(prefix + "WEBHOOK_KEY") or environment.get(prefix + "WEBHOOK_KEY_FILE")
        ):
            key_file = self.state_dir / "keys" / "notifications-webhooks.key"
            environment[prefix + "WEBHOOK_KEY_FILE"] = str(ensure_secret_file(key_file))
        # Each service heals gaps from the others' feeds: tell it where they answer (replica 1).
        for other in self.services:
            if other.replica == 1:
                environment[f"CICA_{other.name.upper()}_URL"] = other.url
        environment["CICA_CORS_ORIGINS"] = ",".join(self.options.cors_origins)
        environment["PYTHONUNBUFFERED"] = "1"
        return environment

    def _start_services(self) -> None:
        _say("starting " + ", ".join(f"{s.label} on :{s.port}" for s in self.services))
        for service in self.services:
            service.spawn(self._service_environment(service.name))
        # Threads only now: every child above was forked with no other thread running.
        for service in self.services:
            service.start_log_pump()

    def _wait_until_healthy(self) -> None:
        timeout = self.options.startup_timeout
        deadline = time.monotonic() + timeout
        waiting = list(self.services)
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while waiting:
                for service in list(waiting):
                    code = service.exit_code()
                    if code is not None:
                        raise UpError(
                            f"{service.label} {_describe_exit(code)} while starting; "
                            f"the end of {_shown(service.log_path)}:\n"
                            f"{_render_tail(service.log_path)}"
                        )
                    with contextlib.suppress(httpx.TransportError):
                        if client.get(f"{service.url}/healthz").status_code == 200:
                            waiting.remove(service)
                if not waiting:
                    return
                if time.monotonic() > deadline:
                    tails = "\n".join(
                        f"the end of {_shown(s.log_path)}:\n{_render_tail(s.log_path)}"
                        for s in waiting
                    )
                    names = ", ".join(s.label for s in waiting)
                    raise UpError(
                        f"no answer from /healthz of {names} within {timeout:g}s\n{tails}"
                    )
                time.sleep(0.1)

    # ------------------------------------------------------------------ running

    def summary(self) -> str:
        width = max(len(name) for name in (*(s.label for s in self.services), "PostgreSQL"))
        lines = ["", "CICA Secretariat is up.", ""]
        for service in self.services:
            lines.append(
                f"  {service.label:<{width}}  {service.url:<24}  API docs {service.url}/docs"
            )
        if self.options.replicas > 1:
            lines.append(f"  ({self.options.replicas} replicas of each service, restarted if "
                         "they exit)")  # fmt: skip
        lines.append("")
        if self.postgres is not None:
            where = f"started here, data in {_shown(self.postgres.data_dir)}"
        else:
            where = "external, from CICA_DATABASE_URL"
        lines.append(f"  {'PostgreSQL':<{width}}  {_without_password(self.server_url)}  ({where})")
        databases = ", ".join(make_url(url).database or "" for url in self.database_urls.values())
        lines.append(f"  {'databases':<{width}}  {databases}")
        if self.nats is not None:
            where = f"JetStream, started here, store in {_shown(self.nats.store_dir)}"
        elif self.nats_cluster is not None:
            replicas = min(3, self.nats_cluster.size)
            where = (
                f"a cluster of {self.nats_cluster.size} started here, streams on {replicas} "
                f"nodes, stores in {_shown(self.nats_cluster.base_dir)}"
            )
        else:
            where = "external, from CICA_NATS_URL"
        lines.append(f"  {'NATS':<{width}}  {_without_password(self.nats_url)}  ({where})")
        if self.nats_identities:
            keys = next(iter(self.nats_identities.values())).password_file.parent
            lines.append(f"  {'':<{width}}  a user per service, no anonymous access; "
                         f"passwords in {_shown(keys)}")  # fmt: skip
        logs = [_shown(self.log_dir / "<service>.log")]
        logs += [_shown(server.log_path) for server in (self.postgres, self.nats) if server]
        if self.nats_cluster is not None:
            logs += [_shown(node.log_path) for node in self.nats_cluster.nodes]
        lines.append(f"  {'logs':<{width}}  {', '.join(logs)}")
        origins = ", ".join(self.options.cors_origins) or "none (no cross-origin browser calls)"
        lines.append(f"  {'CORS':<{width}}  {origins}")
        lines += ["", *self._token_help()]
        lines += ["", "Ctrl-C stops everything.", ""]
        return "\n".join(lines)

    def _token_help(self) -> list[str]:
        """How to call the services with a token (never a token itself)."""
        if self.jwt_secret_file is None:
            return ["Tokens: the services verify them with the keys CICA_JWT_* configure."]
        cica = Path(sys.executable).parent / "cica"
        command = (_shown(cica) if cica.exists() else "cica") + " token"
        if self.state_dir != DEFAULT_STATE_DIR.resolve():
            command += f" --state-dir {_shown(self.state_dir)}"
        url = self.services[0].url
        return [
            f"Tokens are signed with {_shown(self.jwt_secret_file)}; get one with",
            f"  {command} --role secretariat|member_state|auditor|service "
            "[--state KAZ] [--ttl 1h]",
            f'  curl -H "Authorization: Bearer $({command} --role auditor)" {url}/events',
        ]

    def watch(self) -> None:
        """Return never: raise UpError when a child exits on its own (a stop signal raises
        StopRequested from wherever this is). A replica of a replicated service, or a node of
        a NATS cluster, is restarted instead, with backoff."""
        while True:
            for service in self.services:
                code = service.exit_code()
                if code is not None and service.restart is not None:
                    self._restart_service(service, code)
                    continue
                if code is not None:
                    raise UpError(
                        f"{service.label} {_describe_exit(code)} on its own; stopping everything. "
                        f"The end of {_shown(service.log_path)}:\n"
                        f"{_render_tail(service.log_path)}"
                    )
            for name, server in (("PostgreSQL", self.postgres), ("NATS", self.nats)):
                process = server.process if server is not None else None
                if process is not None and process.poll() is not None:
                    assert server is not None
                    raise UpError(
                        f"{name} {_describe_exit(process.returncode)} on its own; stopping "
                        f"everything. The end of {_shown(server.log_path)}:\n"
                        f"{_tail_of_file(server.log_path)}"
                    )
            if self.nats_cluster is not None:
                self._watch_nats_nodes(self.nats_cluster)
            time.sleep(0.25)

    def _restart_service(self, service: ServiceProcess, code: int) -> None:
        """A replica exited: say so, and start it again once its backoff is over."""
        restart = service.restart
        assert restart is not None and service.process is not None
        if restart.due is None:
            delay = restart.exited()
            _say(
                f"{service.label} {_describe_exit(code)} on its own; restarting it in "
                f"{delay:g}s (the other replicas serve meanwhile)",
                error=True,
            )
            return
        if not restart.is_due():
            return
        service.finish_log(0.5)
        service.spawn(self._service_environment(service.name))
        service.start_log_pump()
        restart.restarted()
        _say(f"{service.label} restarted on :{service.port}")

    def _watch_nats_nodes(self, cluster: LocalNatsCluster) -> None:
        for i, node in enumerate(cluster.nodes):
            restart = self._node_restarts[i]
            if node.process is not None and node.process.poll() is not None:
                code = node.process.returncode
                node.process = None
                delay = restart.exited()
                _say(
                    f"NATS node {i + 1} {_describe_exit(code)} on its own; restarting it in "
                    f"{delay:g}s (the others keep the streams)",
                    error=True,
                )
            elif node.process is None and restart.is_due():
                try:
                    node.start(self.options.startup_timeout)
                except (ServerStartError, OSError) as error:
                    node.process = None
                    delay = restart.exited()
                    _say(f"NATS node {i + 1} did not restart ({error}); again in {delay:g}s",
                         error=True)  # fmt: skip
                    continue
                restart.restarted()
                _say(f"NATS node {i + 1} restarted on 127.0.0.1:{node.port}")

    # ------------------------------------------------------------------ stopping

    def stop(self) -> None:
        """Stop what was started: the services (SIGTERM, then SIGKILL after the stop
        timeout), then NATS, then PostgreSQL. Safe to call at any point of `start`."""
        running = [s for s in self.services if s.exit_code() is None and s.process is not None]
        if running:
            _say("stopping " + ", ".join(s.label for s in running))
            for service in running:
                assert service.process is not None
                service.process.terminate()
            deadline = time.monotonic() + self.options.stop_timeout
            for service in running:
                assert service.process is not None
                try:
                    service.process.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _say(
                        f"{service.label} did not stop within {self.options.stop_timeout:g}s: "
                        "killing it",
                        error=True,
                    )
                    service.process.kill()
                    service.process.wait()
        for service in self.services:
            service.finish_log()
        if self.nats is not None:
            _say("stopping NATS")
            self.nats.stop()
            self.nats = None
        if self.nats_cluster is not None:
            _say("stopping the NATS cluster")
            self.nats_cluster.stop()
            self.nats_cluster = None
        if self.postgres is not None:
            _say("stopping PostgreSQL")
            self.postgres.stop()
            self.postgres = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _start_failure(error: BaseException) -> str:
    if isinstance(error, subprocess.CalledProcessError) and error.stderr:
        detail = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
        return f"{error}\n{detail}".rstrip()
    return str(error)


def run_up(options: UpOptions) -> int:
    """Bring the system up, keep it up until a stop signal, stop it. The exit status: 0 after
    a stop signal, 1 when something would not start or fell down."""
    signals = _StopSignals()
    supervisor = Supervisor(options)
    status = 1
    try:
        signals.install()
        try:
            supervisor.start(signals)
            _say(supervisor.summary())
            supervisor.watch()
        except UpError as error:
            signals.disarm()
            _say(f"cica up: {error}", error=True)
            status = 1
    except StopRequested as stop:
        signals.disarm()
        _say(f"\n{signal.Signals(stop.signum).name} received: stopping everything")
        status = 0
    finally:
        signals.disarm()
        try:
            supervisor.stop()
        finally:
            signals.restore()
    if status == 0:
        _say("stopped.")
    return status
