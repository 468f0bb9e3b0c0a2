"""The meetings service's composition root."""

from fastapi import FastAPI

from services.meetings.events import event_types
from services.meetings.settings import MeetingsSettings
from shared.app import create_service_app


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    return create_service_app(settings or MeetingsSettings(), event_types=event_types)
