from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, service_url


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_DOCUMENTS_", extra="ignore")

    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8002

    # Where the services it reacts to answer (CICA_<SERVICE>_URL): their feeds heal what NATS
    # lost.
    registry_url: str = service_url("registry", 8001)
    meetings_url: str = service_url("meetings", 8003)
