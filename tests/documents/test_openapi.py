"""The OpenAPI document describes every documents route, with its access rule, and examples
drawn from the seed for what the Secretariat and the member states send."""

from __future__ import annotations

from services.documents.app import create_app
from tests.shared.test_service_shell import settings_for


def test_every_documents_route_is_described_with_seed_examples():
    app = create_app(settings_for("documents", "postgresql://unused/db", "nats://unused:4222"))
    schema = app.openapi()
    paths = schema["paths"]
    ours = {path: item for path, item in paths.items()
            if path.startswith(("/documents", "/symbols", "/translations"))}
    assert set(ours) == {
        "/documents", "/documents/{symbol}", "/documents/{symbol}/revisions",
        "/documents/{symbol}/compare", "/documents/{symbol}/translations",
        "/documents/{symbol}/amendments",
        "/documents/{symbol}/amendments/{amendment_id}/withdrawal",
        "/documents/{symbol}/amendments/{amendment_id}/decline", "/documents/{symbol}/status",
        "/documents/{symbol}/distribution", "/documents/{symbol}/text",
        "/documents/{symbol}/akn", "/symbols/{symbol}", "/translations/needed",
    }
    for path, item in ours.items():
        for method, operation in item.items():
            assert "x-cica-access" in operation, f"{method} {path}"
            assert operation.get("description") or operation.get("summary"), f"{method} {path}"

    def examples(path: str) -> dict:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]
        return body["examples"]

    create = examples("/documents")["astana_statement"]["value"]
    assert create["text"]["title"]["en"] == "DRAFT ASTANA STATEMENT ON CICA TRANSFORMATION"
    assert create["text"]["paragraphs"][0]["text"]["en"].startswith("Recognizing that rapid")
    conclusions = examples("/documents")["conclusions_with_a_blank"]["value"]
    assert "______ in 2024-2026" in conclusions["text"]["paragraphs"][0]["text"]["en"]
    assert examples("/documents/{symbol}/revisions")["rev8"]["value"]["text"]["paragraphs"]
    russian = examples("/documents/{symbol}/translations")["russian"]["value"]
    assert russian["title"].startswith("ПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ")
    assert examples("/documents/{symbol}/amendments")["replace"]["value"]["state"] == "KAZ"
    read = paths["/documents/{symbol}"]["get"]["responses"]["200"]["content"]
    example = read["application/json"]["example"]
    assert example["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
    assert [p["number"] for p in example["paragraphs"]] == ["PP1", "OP5"]
    compared = paths["/documents/{symbol}/compare"]["get"]["responses"]["200"]["content"]
    assert compared["application/json"]["example"]["to_symbol"] == "SUM/2022/DRAFT/1/Rev.8"
