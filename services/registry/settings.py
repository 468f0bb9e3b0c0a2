from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, service_url


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_REGISTRY_", extra="ignore")

    service_name: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8001

    # Where the services it reacts to answer (CICA_<SERVICE>_URL): their feeds heal what NATS
    # lost.
    meetings_url: str = service_url("meetings", 8003)
