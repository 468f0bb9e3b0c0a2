from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MeetingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_MEETINGS_", extra="ignore")

    service_name: ClassVar[str] = "meetings"
    default_port: ClassVar[int] = 8003
