"""`cica rebuild` and `cica audit replay` fold the read models each service's app keeps: read
from the app itself, a projection wired in `app.py` only (notifications' deliveries) or named
otherwise in its module (documents' `PROJECTIONS`) is not missed."""

import pytest

from shared.system.rebuild import load_projections
from shared.system.services import SERVICE_NAMES as SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_rebuild_folds_every_read_model_the_service_keeps(service):
    import importlib

    app = importlib.import_module(f"services.{service}.app").create_app()
    kept = [p.name for p in app.state.projections]
    assert kept, f"{service} keeps read models"
    assert [p.name for p in load_projections(service)] == kept


def test_the_deliveries_and_the_documents_list_are_among_them():
    assert "notifications_deliveries" in {p.name for p in load_projections("notifications")}
    assert "document_list" in {p.name for p in load_projections("documents")}
