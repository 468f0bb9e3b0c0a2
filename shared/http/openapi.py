"""What a service's OpenAPI document says beyond what FastAPI writes, so that a generated client
or a fuzzer that believes it is right:

- **operationIds** are the route functions' names (``revise_draft``, not FastAPI's
  ``revise_draft_documents__symbol__revisions_post``), unique in a service: `operation_id` is
  the app's ``generate_unique_id_function``, and `document_conventions` refuses a document
  where two operations share one.
- **A parameter is never null.** FastAPI writes an optional parameter as ``anyOf: [T, null]``;
  a query or a header is absent or a string, and a generator that believes the null sends the
  text ``null`` (``Last-Event-ID: null``). The null branch is dropped.
- **If-Match** is declared with the name and the syntax the API reads (one quoted version, or
  ``*``); where it is read, 412 is declared (the version moved), and 428 where it is required.
- **CICA-Source** is declared on every write (`shared.http.provenance`), with its 422.
- **413** where a body is read (the body limit), **503** with its ``Retry-After`` header
  everywhere (the database is away).
- **A map with constrained keys is closed**: ``additionalProperties: false`` beside
  ``patternProperties`` (see `_closed_maps`).

The problem answers themselves (``4XX``, 422, 503 as problem+json) are `shared.http.problems`'
`document_problems`; this runs after it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from shared.http.problems import PROBLEM_JSON, document_problems
from shared.http.provenance import DESCRIPTION as SOURCE_DESCRIPTION
from shared.http.provenance import EXAMPLE as SOURCE_EXAMPLE
from shared.http.provenance import MAX_HEADER as SOURCE_MAX
from shared.http.provenance import SOURCE_HEADER, WRITE_METHODS

IF_MATCH = "If-Match"
IF_MATCH_PATTERN = r'^(\*|"[1-9][0-9]{0,17}")$'
"""One strong entity tag holding a stream version (``"7"``: what the API's ETags are), or
``*``: exactly what `shared.http.etag.expected_version_from_if_match` accepts."""

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}


def operation_id(route: APIRoute) -> str:
    """A route's operationId: its function's name (FastAPI's ``route.name``)."""
    return route.name


def _problem(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) == len(branches):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _closed_maps(node: Any) -> None:
    """``additionalProperties: false`` beside every ``patternProperties`` that lacks it: a
    ``dict`` whose keys pydantic constrains (language codes, paragraph ids) refuses a key
    that matches no pattern, where JSON Schema would allow it."""
    if isinstance(node, dict):
        if "patternProperties" in node and "properties" not in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _closed_maps(value)
    elif isinstance(node, list):
        for value in node:
            _closed_maps(value)


SOURCE_PARAMETER = {
    "name": SOURCE_HEADER,
    "in": "header",
    "required": False,
    "description": SOURCE_DESCRIPTION,
    "schema": {"type": "string", "maxLength": SOURCE_MAX, "examples": [SOURCE_EXAMPLE]},
}


def _declare_source(method: str, operation: dict[str, Any]) -> None:
    if method.upper() not in WRITE_METHODS:
        return
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name") == SOURCE_HEADER for p in parameters):
        parameters.append(dict(SOURCE_PARAMETER))
    operation["responses"].setdefault("422", _problem("The request breaks a rule"))


def document_conventions(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite an app's OpenAPI document as the module says. Idempotent."""
    _closed_maps(schema)
    seen: Counter[str] = Counter()
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _declare_source(method, operation)
            if "operationId" in operation:
                seen[operation["operationId"]] += 1
            responses = operation["responses"]
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = _without_null(parameter["schema"])
                if parameter.get("in") == "header" and parameter["name"].lower() == "if-match":
                    parameter["name"] = IF_MATCH
                    parameter["schema"] = {
                        **parameter["schema"],
                        "type": "string",
                        "pattern": IF_MATCH_PATTERN,
                        "examples": ['"1"', "*"],
                    }
                    responses.setdefault(
                        "412",
                        _problem("If-Match names a version that is no longer the current one"),
                    )
                    if parameter.get("required"):
                        responses.setdefault("428", _problem("If-Match is required here"))
            if "requestBody" in operation:
                responses.setdefault("413", _problem("The body is larger than the service takes"))
            unavailable = responses.get("503")
            if unavailable is not None:
                unavailable.setdefault("headers", {"Retry-After": RETRY_AFTER})
    twice = sorted(name for name, count in seen.items() if count > 1)
    if twice:
        raise ValueError(f"operationIds used by more than one operation: {', '.join(twice)}")
    return schema


def install_openapi_conventions(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document declare its problem answers (`document_problems`) and
    follow the conventions above."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return document_conventions(document_problems(generate()))

    app.openapi = openapi  # type: ignore[method-assign]
