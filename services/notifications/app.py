"""The notifications service's composition root."""

from fastapi import FastAPI

from services.notifications.events import event_types
from services.notifications.settings import NotificationsSettings
from shared.app import create_service_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(settings or NotificationsSettings(), event_types=event_types)
