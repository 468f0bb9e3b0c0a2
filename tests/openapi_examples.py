"""The bar every service's OpenAPI document is held to, route by route: who may call it, what
it does, and an example for each path and query parameter, for its body and for its answer."""

from __future__ import annotations


def resolve(schema: dict, node: dict) -> dict:
    """The schema `node` names: itself, or the component its `$ref` points at (for an
    optional body, the model among `anyOf`)."""
    for option in node.get("anyOf", []):
        if "$ref" in option:
            node = option
    ref = node.get("$ref")
    if ref is None:
        return node
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def assert_described_with_examples(schema: dict, path: str) -> None:
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
            model = resolve(schema, body["content"]["application/json"]["schema"])
            assert model.get("examples"), f"{where}: its body has an example"
        ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
        answer = resolve(schema, ok["content"]["application/json"]["schema"])
        assert answer.get("examples"), f"{where}: its answer has an example"
