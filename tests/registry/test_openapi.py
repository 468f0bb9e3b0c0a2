"""The registry's OpenAPI document describes every one of its routes: who may call it, what it
does, and examples drawn from the seed for its parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest

from services.registry.api import router
from services.registry.app import create_app
from tests.openapi_examples import assert_described_with_examples

REGISTRY_PATHS = sorted({route.path for route in router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


@pytest.mark.parametrize("path", REGISTRY_PATHS)
def test_every_registry_route_is_described_with_examples(schema, path):
    assert_described_with_examples(schema, path)


def test_the_examples_come_from_the_seed(schema):
    text = json.dumps(schema, ensure_ascii=False)
    for drawn in ("SOC/OI/88", "2022-02-03", "Кувейт", "Қазақстан", "2024-2026",
                  "Council of Heads of State or Government (Summit)", "Secretary General",
                  "Organization for Interaction and Cooperation in Asia (OICA)",
                  "Trade and Investment", "International Organization for Migration"):
        assert drawn in text, drawn


def test_writes_are_the_secretariats_and_reads_are_public(schema):
    for path in REGISTRY_PATHS:
        for method, operation in schema["paths"][path].items():
            roles = operation["x-cica-access"]["roles"]
            if method == "get":
                assert "public" in roles, path
            else:
                assert roles == ["secretariat"], path


def test_every_example_is_valid_for_its_model():
    from pydantic import BaseModel

    from services.registry import api

    models = [
        value for value in vars(api).values()
        if isinstance(value, type) and issubclass(value, BaseModel)
        and value.__module__ == api.__name__
    ]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= 15
