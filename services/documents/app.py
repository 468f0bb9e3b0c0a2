"""The documents service's composition root."""

from fastapi import FastAPI

from services.documents.events import event_types
from services.documents.settings import DocumentsSettings
from shared.app import create_service_app


def create_app(settings: DocumentsSettings | None = None) -> FastAPI:
    return create_service_app(settings or DocumentsSettings(), event_types=event_types)
