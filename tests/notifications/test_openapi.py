"""The notifications service's OpenAPI document describes every route of its notes, notices,
inbox and receipts: who may call it, what it does, and examples drawn from the seed's note
No. SOC/OI/1280 for its parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.notifications import api
from services.notifications.app import create_app
from tests.openapi_examples import assert_described_with_examples

PATHS = sorted({route.path for route in api.router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


@pytest.mark.parametrize("path", PATHS)
def test_every_notifications_route_is_described_with_examples(schema, path):
    assert_described_with_examples(schema, path)


def test_the_examples_come_from_the_seed(schema):
    text = json.dumps(schema, ensure_ascii=False)
    for drawn in (
        "SOC/OI/1280",
        "SOC-OI-1280",
        "SUM/2022/DRAFT/1/Rev.8",
        "Astana",
        "presents its compliments to the CICA Member States",
        "Enclosure: as stated, on 10 p.",
        "assurances of its highest consideration",
        "Astana, 7 October 2022",
        "свидетельствует свое уважение",
        "өзінің зор ілтипатын",
        "KWT",
    ):
        assert drawn in text, drawn


def test_writes_are_the_secretariats_but_receipts_are_the_states_own(schema):
    for path in PATHS:
        for method, operation in schema["paths"][path].items():
            roles = set(operation["x-cica-access"]["roles"])
            if method == "post" and path.endswith("/receipt"):
                assert roles == {"secretariat", "member_state"}, path
            elif method == "post":
                assert roles == {"secretariat"}, path
            elif path.endswith("/receipts"):
                assert roles == {"secretariat", "auditor"}, path
            else:
                assert "public" not in roles and "secretariat" in roles, path


def test_every_example_is_valid_for_its_model():
    models = [
        value
        for value in vars(api).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == api.__name__
    ]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= 12
