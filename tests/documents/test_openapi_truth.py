"""What the documents service's OpenAPI document says of its requests is what its routes answer:
a symbol and a series carry the grammar the parser applies, a date is ``YYYY-MM-DD`` text, a
revision needs If-Match (428 without it), a rule the schema can say is in it, and a method a
document's part does not take is a 405 (not a 422 for a symbol ``.../status``)."""

from __future__ import annotations

import re

import pytest

from services.documents.app import create_app
from services.documents.deps import NOT_BLANK
from services.documents.symbols import REVISION_SYMBOL_PATTERN, SERIES_PATTERN, SYMBOL_PATTERN
from tests.documents.helpers import SECRETARIAT, documents_app, draft, small_text
from tests.shared.test_service_shell import settings_for

POST_ONLY = ["status", "distribution", "addenda", "corrigenda", "circulation",
             "amendments/00000000-0000-4000-8000-000000000001/withdrawal",
             "amendments/00000000-0000-4000-8000-000000000001/decline"]  # fmt: skip


@pytest.fixture(scope="module")
def schema() -> dict:
    settings = settings_for("documents", "postgresql://unused/db", "nats://unused:4222")
    return create_app(settings).openapi()


def parameter(schema: dict, method: str, path: str, name: str) -> dict:
    operation = schema["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_every_symbol_and_series_parameter_carries_its_grammar(schema):
    symbols = [
        parameter(schema, method, path, "symbol")["schema"]
        for path, item in schema["paths"].items()
        if "{symbol}" in path
        for method in item
    ]
    assert len(symbols) == 21
    assert all(s["pattern"] == SYMBOL_PATTERN for s in symbols)
    assert parameter(schema, "get", "/documents", "series")["schema"]["pattern"] == SERIES_PATTERN
    create = schema["components"]["schemas"]["CreateDraftIn"]
    assert create["properties"]["series"]["pattern"] == SERIES_PATTERN
    assert create["properties"]["symbol"]["pattern"] == REVISION_SYMBOL_PATTERN


def test_a_revision_declares_its_required_if_match_and_its_428(schema):
    if_match = parameter(schema, "post", "/documents/{symbol}/revisions", "If-Match")
    assert if_match["required"] is True
    assert {"412", "428"} <= set(schema["paths"]["/documents/{symbol}/revisions"]["post"][
        "responses"])  # fmt: skip
    for path in ("/documents/{symbol}/status", "/documents/{symbol}/circulation"):
        assert parameter(schema, "post", path, "If-Match")["required"] is False


def test_dates_are_text_and_the_rules_the_schema_can_say_are_in_it(schema):
    models = schema["components"]["schemas"]
    for model, field in [("CreateDraftIn", "dated"), ("ReviseIn", "dated"),
                         ("SupplementIn", "dated"), ("CirculationIn", "dated"),
                         ("CompanionIn", "dated")]:  # fmt: skip
        declared = models[model]["properties"][field]
        assert "date" in str(declared), (model, declared)
    assert models["ReviseIn"]["properties"]["originator"]["pattern"] == NOT_BLANK
    assert re.search(NOT_BLANK, " \t\u3000\x85") is None
    assert re.search(NOT_BLANK, " Secretariat ")
    assert models["CreateDraftIn"]["else"]["required"] == ["originator"]
    assert models["CreateDraftIn"]["then"]["required"] == ["dated"]
    assert models["StatusIn"]["then"]["required"] == ["body"]
    assert len(models["AmendmentIn"]["allOf"]) == 3
    for path in ("/documents/{symbol}", "/documents/{symbol}/text",
                 "/documents/{symbol}/compare", "/documents/{symbol}/circulation"):
        operation = next(iter(schema["paths"][path].values()))
        assert "410" in operation["responses"], path


async def test_what_the_schema_refuses_the_routes_refuse(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        etag = await docs.etag(symbol)
        numeric = await docs.create(draft() | {"dated": 0})
        unpadded = await docs.create(draft() | {"dated": "2022-9-1"})
        missing = await docs.revise(symbol, small_text("Rev 1"), etag=None)
        revised = await docs.revise(symbol, small_text("Rev 1"), etag=etag)
        series = await docs.http.get("/documents", params={"series": " SUM/2022/DRAFT"},
                                     headers=SECRETARIAT)
        as_of = await docs.http.get(f"/documents/{symbol}", params={"as_of": "0"},
                                    headers=SECRETARIAT)

    assert numeric.status_code == unpadded.status_code == 422
    assert numeric.json()["type"] == "/problems/validation-error"
    assert (missing.status_code, missing.json()["type"]) == (
        428, "/problems/precondition-required")
    assert revised.status_code == 201, revised.text
    assert (series.status_code, series.json()["type"]) == (422, "/problems/invalid-symbol")
    assert (as_of.status_code, as_of.json()["type"]) == (422, "/problems/validation-error")


async def test_a_method_a_documents_part_does_not_take_is_a_405(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        parts = {part: await docs.http.get(f"/documents/{symbol}/{part}", headers=SECRETARIAT)
                 for part in POST_ONLY}  # fmt: skip
        companion = await docs.http.post(f"/documents/{symbol}/companions/explanatory_note",
                                         json={}, headers=SECRETARIAT)
        revisions = await docs.http.get(f"/documents/{symbol}/revisions", headers=SECRETARIAT)
        document = await docs.http.get(f"/documents/{symbol}", headers=SECRETARIAT)
        malformed = await docs.http.get("/documents/SUM/2022/DRAFT/1/Rev.0", headers=SECRETARIAT)

    for part, answer in parts.items():
        assert answer.status_code == 405, (part, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (companion.status_code, companion.headers["Allow"]) == (405, "GET"), companion.text
    assert revisions.status_code == document.status_code == 200
    assert (malformed.status_code, malformed.json()["type"]) == (422, "/problems/invalid-symbol")
