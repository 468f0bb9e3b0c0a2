"""The meetings service's OpenAPI document describes every one of its routes: who may call it,
what it does, and examples drawn from the seed for its parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.meetings import api
from services.meetings.app import create_app

PATHS = sorted({route.path for route in api.router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if ref is None:
        return node
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


@pytest.mark.parametrize("path", PATHS)
def test_every_meetings_route_is_described_with_examples(schema, path):
    for method, operation in schema["paths"][path].items():
        where = f"{method.upper()} {path}"
        assert operation.get("x-cica-access"), where
        assert operation.get("description"), f"{where} says what it does"
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("path", "query"):
                assert "examples" in parameter or parameter["schema"].get("examples"), (
                    f"{where}: {parameter['name']} has an example"
                )
        body = operation.get("requestBody")
        if body is not None:
            model = _resolve(schema, body["content"]["application/json"]["schema"])
            assert model.get("examples"), f"{where}: its body has an example"
        ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
        answer = _resolve(schema, ok["content"]["application/json"]["schema"])
        assert answer.get("examples"), f"{where}: its answer has an example"


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
