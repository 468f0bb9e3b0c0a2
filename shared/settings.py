"""Settings every service has, read by pydantic-settings with the service's own prefix.

Each service subclasses `ServiceSettings` in its `settings.py` with ``env_prefix =
"CICA_<SERVICE>_"``. Two variables are common to the whole system and carry no service
prefix: ``CICA_DATABASE_URL`` (a PostgreSQL *server*; each service uses its own database
``cica_<service>`` on it) and ``CICA_NATS_URL``. A service-specific
``CICA_<SERVICE>_DATABASE_URL`` or ``CICA_<SERVICE>_NATS_URL`` wins over them.

Each service connects to NATS as an identity of its own: ``CICA_<SERVICE>_NATS_USER`` and the
file holding its password, ``CICA_<SERVICE>_NATS_PASSWORD_FILE`` (a file, so that the password
is in no environment a process listing or a crash report shows). ``cica up`` makes them; on
containers they come from Secrets. Where the servers speak TLS with certificates of a private
CA, ``CICA_NATS_TLS_CA_FILE`` names that CA (system-wide).

Which browser origins may call the services (CORS) is system-wide too: ``CICA_CORS_ORIGINS``,
comma-separated (``https://app.cica.example,https://ministry.example``); none by default, so
that no page of another origin may read an answer unless the deployment says so.

Where the other services answer (for a consumer to heal gaps from a producer's ``GET /events``)
is each service's own setting, declared with `service_url`: ``CICA_<PRODUCER>_URL``, by default
the producer's port on this machine. The kit names no service: it reads whichever the service
declares (`ServiceSettings.feed_urls`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:55432/postgres"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_ISSUER = "cica"
DEFAULT_AUDIENCE = "cica"
MIN_SECRET_BYTES = 32
_SERVICE_URL_OF = "cica_service_url_of"
# An origin as a browser sends it: scheme, host, maybe a port; no path, no wildcard.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def cors_origins(value: str | Iterable[str]) -> tuple[str, ...]:
    """The origins `value` names (comma-separated text, or each one), checked: each is
    ``scheme://host[:port]`` as a browser sends it in ``Origin``; ``*`` is refused (the
    origins a browser may call from are named, never all of them)."""
    items = value.split(",") if isinstance(value, str) else value
    origins = tuple(item.strip() for item in items if item.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"{origin!r} is not an origin: write scheme://host[:port] "
                "(https://app.example.org), no path, no trailing slash, no wildcard"
            )
    return origins


def service_database_url(server_url: str, service: str) -> str:
    """The URL of `service`'s own database on the server `server_url` points at."""
    return make_url(server_url).set(database=f"cica_{service}").render_as_string(
        hide_password=False
    )


def asyncpg_url(url: str) -> str:
    """The same URL with SQLAlchemy's asyncpg driver named in it."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def service_url(service: str, port: int) -> Any:
    """A setting for where `service` answers: the variable ``CICA_<SERVICE>_URL``, by default
    its `port` on this machine (where ``cica up`` runs it). A service's settings declare one
    per service it reacts to, as ``<name>_url: str = service_url("<name>", <port>)``: a
    consumer reads that producer's ``GET /events`` there (`ServiceSettings.feed_urls`)."""
    return Field(
        f"http://127.0.0.1:{port}",
        validation_alias=f"CICA_{service.upper()}_URL",
        json_schema_extra={_SERVICE_URL_OF: service},
    )


def read_secret_file(path: Path) -> bytes:
    return path.read_bytes().strip()


@dataclass(frozen=True)
class NatsIdentity:
    """Who a NATS connection is: a user, and the file its password is kept in (read at each
    connection, so a password file replaced in place is used from the next reconnection)."""

    user: str
    password_file: Path

    def password(self) -> str:
        return read_secret_file(self.password_file).decode()


class NatsServers(list[str]):
    """The NATS servers' URLs, as a list (what `shared.messaging.NatsConnection` takes), with
    how to reach them: the identity to connect as, and the CA of their certificates."""

    def __init__(
        self,
        urls: Iterable[str],
        *,
        identity: NatsIdentity | None = None,
        tls_ca_file: Path | None = None,
    ) -> None:
        super().__init__(urls)
        self.identity = identity
        self.tls_ca_file = tls_ca_file


class TokenSettings(BaseSettings):
    """How bearer tokens are verified (and, on one machine, signed): ``CICA_JWT_*``, one
    configuration for the whole system, and ``CICA_OIDC_ISSUER``, the identity provider found
    by OpenID Connect discovery. See `shared.access.tokens`.

    With ``CICA_OIDC_ISSUER`` set, a token's ``iss`` must be that issuer, as its discovery
    document names it, unless ``CICA_JWT_ISSUER`` is set too and says otherwise."""

    # An empty variable (docker compose's ${CICA_JWT_SECRET:-}) is no key at all.
    model_config = SettingsConfigDict(env_prefix="CICA_JWT_", extra="ignore", env_ignore_empty=True)

    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    secret: SecretStr | None = None
    secret_file: Path | None = None
    public_key_file: Path | None = None
    jwks_file: Path | None = None
    leeway_seconds: int = Field(30, ge=0, le=600)
    # An identity provider's keys, fetched over https: its JWKS at CICA_JWT_JWKS_URL, or the
    # one its discovery document names (CICA_OIDC_ISSUER); not both.
    jwks_url: str | None = None
    oidc_issuer: str | None = Field(None, validation_alias="CICA_OIDC_ISSUER")
    # Fetched again when a token names a key id they lack, or once they are older than
    # CICA_JWT_JWKS_MAX_AGE_SECONDS (or the answer's Cache-Control max-age, if shorter); but
    # never more than once per CICA_JWT_JWKS_REFRESH_MIN_SECONDS, each fetch given
    # CICA_JWT_JWKS_TIMEOUT_SECONDS in all.
    jwks_refresh_min_seconds: float = Field(30.0, ge=0)
    jwks_max_age_seconds: float = Field(300.0, gt=0)
    jwks_timeout_seconds: float = Field(5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _issuer_of_the_identity_provider(self) -> TokenSettings:
        if self.oidc_issuer is not None and "issuer" not in self.model_fields_set:
            self.issuer = self.oidc_issuer
        return self

    def hmac_secret(self) -> bytes | None:
        """The HMAC secret, from ``CICA_JWT_SECRET`` or the file ``CICA_JWT_SECRET_FILE``."""
        if self.secret is not None:
            value = self.secret.get_secret_value().encode()
        elif self.secret_file is not None:
            value = read_secret_file(self.secret_file)
        else:
            return None
        if len(value) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT HMAC secret must be at least {MIN_SECRET_BYTES} bytes")
        return value


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str]
    default_port: ClassVar[int]

    database_url: str | None = None
    nats_url: str | None = None
    # How many NATS nodes keep a copy of each JetStream stream (and, by inheritance, of each
    # durable consumer): 1 on one machine, 3 on a three-node cluster. System-wide.
    nats_stream_replicas: int = Field(1, ge=1, le=5, validation_alias="CICA_NATS_STREAM_REPLICAS")
    system_database_url: str = Field(DEFAULT_SERVER_URL, validation_alias="CICA_DATABASE_URL")
    system_nats_url: str = Field(DEFAULT_NATS_URL, validation_alias="CICA_NATS_URL")
    # Its NATS identity (see the module's docstring); none: anonymous, which a server with
    # users refuses. The CA of the servers' certificates is system-wide.
    nats_user: str | None = None
    nats_password_file: Path | None = None
    nats_tls_ca_file: Path | None = Field(None, validation_alias="CICA_NATS_TLS_CA_FILE")
    log_level: str = "INFO"
    group_commit_max_events: int = Field(2000, ge=1)
    relay_enabled: bool = True
    # How long an Idempotency-Key's answer is kept for retries (then forgotten hourly).
    idempotency_retention_hours: float = Field(24.0, gt=0)
    consumers_enabled: bool = True
    consumer_max_attempts: int = Field(5, ge=1)
    consumer_retry_base_delay: float = Field(0.2, gt=0)
    # How bearer tokens are verified: CICA_JWT_* (see shared/access/tokens.py), system-wide.
    tokens: TokenSettings = Field(default_factory=TokenSettings)
    # The token this service shows when it reads another's feed, where no HMAC secret lets
    # it mint its own (a deployment with an identity provider): CICA_<SERVICE>_SERVICE_TOKEN.
    service_token: SecretStr | None = None
    # The Ed25519 key the log's checkpoints are signed with (PEM, or the 32-byte seed raw or in
    # base64): CICA_<SERVICE>_SIGNING_KEY_FILE. None: an ephemeral key (see shared/checkpoints).
    signing_key_file: Path | None = None
    # How often the log's head is signed, if it grew: CICA_<SERVICE>_CHECKPOINT_INTERVAL_SECONDS.
    checkpoint_interval_seconds: float = Field(300.0, gt=0)
    # Live updates (GET /live, shared/live.py): how many clients may follow the log at once
    # (more get 503 with Retry-After); how many of them may be the public's (callers with no
    # token: always fewer than the whole, so the public never takes the last slots from the
    # Secretariat); how many one caller may hold (a token's subject, or the public's address;
    # more get 429); and how often an idle stream sends a comment line so that proxies keep it
    # open.
    live_max_subscribers: int = Field(100, ge=1)
    live_max_public_subscribers: int = Field(20, ge=0)
    live_max_streams_per_caller: int = Field(5, ge=1)
    live_heartbeat_seconds: float = Field(15.0, gt=0)
    # The largest request body accepted, in bytes (more: 413 before the route runs):
    # CICA_<SERVICE>_MAX_BODY_BYTES.
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1)
    # Whether clients reach the service over https (directly or through a TLS proxy): then
    # every answer carries Strict-Transport-Security. CICA_<SERVICE>_HTTPS; off by default, so
    # that plain http on one machine keeps working.
    https: bool = False
    # GET /metrics (shared/metrics.py) is for the Secretariat, auditors and services; true
    # opens it to callers without a token too (a cluster whose scraper carries none).
    metrics_public: bool = False
    # The browser origins allowed to call the API (CORS): CICA_CORS_ORIGINS, comma-separated,
    # system-wide; none by default (see the module's docstring and shared/app.py).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias="CICA_CORS_ORIGINS"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _check_cors_origins(cls, value: Any) -> tuple[str, ...]:
        return cors_origins(value)

    @property
    def dsn(self) -> str:
        """This service's database, as a plain ``postgresql://`` URL."""
        return self.database_url or service_database_url(
            self.system_database_url, self.service_name
        )

    @property
    def feed_urls(self) -> dict[str, str]:
        """Where each service this one knows of answers, by name: its settings declared with
        `service_url` (a consumer reads a producer's ``GET /events`` there)."""
        return {
            extra[_SERVICE_URL_OF]: getattr(self, name)
            for name, info in type(self).model_fields.items()
            if isinstance(extra := info.json_schema_extra, dict) and _SERVICE_URL_OF in extra
        }

    @property
    def nats_servers(self) -> NatsServers:
        """The NATS servers' URLs, with this service's identity (CICA_<SERVICE>_NATS_USER and
        CICA_<SERVICE>_NATS_PASSWORD_FILE; none: anonymous) and the CA of their certificates
        (CICA_NATS_TLS_CA_FILE): what the service's NATS connection is made from."""
        identity = None
        if self.nats_user is not None:
            if self.nats_password_file is None:
                raise ValueError(
                    f"CICA_{self.service_name.upper()}_NATS_USER is set without "
                    f"CICA_{self.service_name.upper()}_NATS_PASSWORD_FILE"
                )
            identity = NatsIdentity(self.nats_user, self.nats_password_file)
        return NatsServers(
            (self.nats_url or self.system_nats_url).split(","),
            identity=identity,
            tls_ca_file=self.nats_tls_ca_file,
        )
