from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_REGISTRY_", extra="ignore")

    service_name: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8001
