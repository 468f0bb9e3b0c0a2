"""The delivery side's OpenAPI: every route says who may call it and what it does, with
examples drawn from the seed (note verbale No. SOC/OI/1280 to Kazakhstan's ministry) for its
parameters, its body and its answer."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from services.notifications import delivery_api
from services.notifications.app import create_app
from tests.openapi_examples import assert_described_with_examples

PATHS = sorted({route.path for route in delivery_api.router.routes})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def schema() -> dict:
    return create_app().openapi()


@pytest.mark.parametrize("path", PATHS)
def test_every_delivery_route_is_described_with_examples(schema, path):
    assert_described_with_examples(schema, path)


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
