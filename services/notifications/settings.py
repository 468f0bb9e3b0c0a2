from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import MIN_SECRET_BYTES, ServiceSettings, read_secret_file, service_url


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_NOTIFICATIONS_", extra="ignore")

    service_name: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8004

    # Where the services it reacts to answer (CICA_<SERVICE>_URL): their feeds heal what NATS
    # lost.
    registry_url: str = service_url("registry", 8001)
    documents_url: str = service_url("documents", 8002)
    meetings_url: str = service_url("meetings", 8003)

    # ---- webhooks (services/notifications/webhooks.py, delivery.py)
    # The key every endpoint's signing secret is derived from (at least 32 bytes):
    # CICA_NOTIFICATIONS_WEBHOOK_KEY, or the file CICA_NOTIFICATIONS_WEBHOOK_KEY_FILE. Without
    # one, endpoints cannot be registered and no webhook is sent.
    webhook_key: SecretStr | None = None
    webhook_key_file: Path | None = None
    # Development only: endpoints on http and on private, loopback or link-local addresses.
    allow_private_endpoints: bool = False
    delivery_enabled: bool = True
    delivery_timeout: float = Field(10.0, gt=0)
    """Seconds a receiver has to answer an attempt."""
    delivery_max_attempts: int = Field(8, ge=1)
    delivery_base_delay: float = Field(2.0, gt=0)
    delivery_max_delay: float = Field(3600.0, gt=0)
    delivery_poll_interval: float = Field(5.0, gt=0)
    delivery_concurrency: int = Field(16, ge=1)
    secret_rotation_grace_hours: float = Field(24.0, ge=0)
    """How long an endpoint's previous secret still signs, beside the new one, by default."""

    def webhook_key_bytes(self) -> bytes | None:
        """The webhook key, from the setting or its file; None when neither is set."""
        # An empty variable (docker compose's ${...:-}) is no key at all.
        if self.webhook_key is not None and self.webhook_key.get_secret_value():
            value = self.webhook_key.get_secret_value().encode()
        elif self.webhook_key_file is not None and str(self.webhook_key_file) not in ("", "."):
            value = read_secret_file(self.webhook_key_file)
        else:
            return None
        if len(value) < MIN_SECRET_BYTES:
            raise ValueError(f"the webhook key must be at least {MIN_SECRET_BYTES} bytes")
        return value
