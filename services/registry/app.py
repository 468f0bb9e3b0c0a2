"""The registry service's composition root."""

from fastapi import FastAPI

from services.registry.events import event_types
from services.registry.settings import RegistrySettings
from shared.app import create_service_app


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(settings or RegistrySettings(), event_types=event_types)
