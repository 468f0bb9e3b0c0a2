"""The delivery side's OpenAPI: every route says who may call it and what it does, with
examples drawn from the seed (note verbale No. SOC/OI/1280 to Kazakhstan's ministry) for its
parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.notifications import delivery_api
from services.notifications.app import create_app

PATHS = sorted({route.path for route in delivery_api.router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


def _resolve(schema: dict, node: dict) -> dict:
    for option in node.get("anyOf", []):  # an optional body: the model, or nothing
        if "$ref" in option:
            node = option
    ref = node.get("$ref")
    if ref is None:
        return node
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


@pytest.mark.parametrize("path", PATHS)
def test_every_delivery_route_is_described_with_examples(schema, path):
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
    for drawn in ("SOC/OI/1280", "KAZ", "note_verbale", "whsec_"):
        assert drawn in text, drawn


def test_who_may_call_each_delivery_route(schema):
    roles = {
        (path, method): set(operation["x-cica-access"]["roles"])
        for path in PATHS
        for method, operation in schema["paths"][path].items()
    }
    readers = {"secretariat", "member_state", "auditor"}
    writers = {"secretariat", "member_state"}
    assert roles == {
        ("/endpoints", "post"): writers,
        ("/endpoints", "get"): readers,
        ("/endpoints/{endpoint_id}", "get"): readers,
        ("/endpoints/{endpoint_id}", "delete"): writers,
        ("/endpoints/{endpoint_id}/secret", "post"): writers,
        ("/deliveries", "get"): readers,
        ("/deliveries/{delivery_id}", "get"): readers,
        ("/deliveries/{delivery_id}/redeliver", "post"): {"secretariat"},
    }


def test_every_example_is_valid_for_its_model():
    models = [
        value
        for value in vars(delivery_api).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == delivery_api.__name__
    ]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= 8
