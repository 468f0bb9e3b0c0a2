from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_DOCUMENTS_", extra="ignore")

    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8002
