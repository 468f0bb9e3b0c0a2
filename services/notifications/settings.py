from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_NOTIFICATIONS_", extra="ignore")

    service_name: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8004
