"""The meetings service's OpenAPI document describes every one of its routes: who may call it,
what it does, and examples drawn from the seed for its parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.meetings import api
from services.meetings.app import create_app
from tests.openapi_examples import assert_described_with_examples

PATHS = sorted({route.path for route in api.router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


@pytest.mark.parametrize("path", PATHS)
def test_every_meetings_route_is_described_with_examples(schema, path):
    assert_described_with_examples(schema, path)


def test_the_examples_come_from_the_seed(schema):
    text = json.dumps(schema, ensure_ascii=False)
    for drawn in ("SOC/2022-III", "SOC/2022-III/Agenda/1", "SOC/2022-III/Agenda/2",
                  "Asia/Almaty", "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/2/Rev.3",
                  "SOC/2021/DRAFT/3/Rev.6", "SUM/2022/DRAFT/4", "SOC/OI/88", "Kuwait",
                  "Trade and Investment", "Senior Officials Committee"):
        assert drawn in text, drawn


def test_writes_are_the_secretariats_but_objections_and_reads_are_for_member_states(schema):
    for path in PATHS:
        for method, operation in schema["paths"][path].items():
            roles = set(operation["x-cica-access"]["roles"])
            if method == "get":
                assert roles == {"secretariat", "member_state", "auditor", "service"}, path
            elif path.endswith("/objections"):
                assert roles == {"secretariat", "member_state"}, path
            else:
                assert roles == {"secretariat"}, path


def test_every_example_is_valid_for_its_model():
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
