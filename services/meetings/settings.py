from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, service_url


class MeetingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CICA_MEETINGS_", extra="ignore")

    service_name: ClassVar[str] = "meetings"
    default_port: ClassVar[int] = 8003

    # Where the services it reacts to answer (CICA_<SERVICE>_URL): their feeds heal what NATS
    # lost.
    registry_url: str = service_url("registry", 8001)
    documents_url: str = service_url("documents", 8002)

    silence_check_interval: float = 5.0
    """Seconds between the service's checks for silence procedures whose deadline has come
    (and one check at start-up, for those that came while it was down)."""

    seat_time_zone: str = "Asia/Almaty"
    """The IANA time zone of the Secretariat's seat (Astana: the tz database's Asia/Almaty), in
    which a silence procedure's day is reckoned: the member states on the day it starts, and the
    date of the decision taken at its deadline."""

    @field_validator("seat_time_zone")
    @classmethod
    def _a_real_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"{value!r} is not an IANA time zone") from error
        return value
