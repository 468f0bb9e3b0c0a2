from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, service_url


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_REGISTRY_", extra="ignore")

    service_name: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8001

    # Where each service of the system answers (CICA_<SERVICE>_URL), for this one to heal gaps
    # from the feeds of those it reacts to; the deployments set all four.
    registry_url: str = service_url("registry", 8001)
    documents_url: str = service_url("documents", 8002)
    meetings_url: str = service_url("meetings", 8003)
    notifications_url: str = service_url("notifications", 8004)
