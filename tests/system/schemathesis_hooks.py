"""What schemathesis is told of the services beyond their OpenAPI documents, loaded by its
command line through ``SCHEMATHESIS_HOOKS=tests.system.schemathesis_hooks`` (see
tests/system/test_openapi_truth.py). Two things a schema cannot say, and nothing else:

- **A fresh Idempotency-Key for every request.** The document says what a key looks like; that
  a client sends a new key with a new request is the protocol, not the syntax. A fuzzer that
  draws one key twice for two bodies is answered 422 ``/problems/idempotency-key-reused``, as the
  IETF draft says it should be.
- **If-Match as the document declares it.** schemathesis's coverage phase draws header values
  from letters and digits only (its ``ensure_valid_headers_schema``): an entity tag, which is
  quoted (``"7"``), has none, so it sends ``If-Match: 0`` and calls the request valid. Where a
  request it calls valid carries an If-Match the document's pattern refuses, `before_call`
  sends ``*`` (any version) instead, the one valid value of that alphabet's intent.
- **CICA-Source as its description says.** Its syntax (an RFC 9651 dictionary) is more than a
  pattern can say; a request schemathesis calls valid that carries one the service cannot read
  would only ever meet ``/problems/invalid-source``, so it sends the documented example instead
  and the request reaches its route.
- **A named rule may refuse a well-formed request.** schemathesis's ``positive_data_acceptance``
  takes any 422 to a request its schema admits for a lie of the schema. The services answer
  ``/problems/validation-error`` only when a request breaks its documented schema; a rule that
  no JSON Schema can state (a period that ends before it starts, a fact dated before the state's
  last change, a cursor of the right syntax that no page gave) answers 409, 410, 412 or 422 with a
  problem type of its own, ``/problems/<rule>``. `positive_data_acceptance_but_named_rules` is
  schemathesis's own check, which lets those through and nothing else: a 400, a 422
  ``validation-error`` or an ``about:blank`` problem to a request the schema admits still fails.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shared.http.openapi import IF_MATCH, IF_MATCH_PATTERN
from shared.http.provenance import EXAMPLE, SOURCE_HEADER, InvalidSourceError, parse_source

IDEMPOTENCY_KEY = "Idempotency-Key"
NAMED_RULE_STATUSES = frozenset({409, 410, 412, 422})
SCHEMA_PROBLEMS = frozenset({"/problems/validation-error", "about:blank"})


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers
    if not headers:
        return
    names = {name.lower(): name for name in headers}
    if IDEMPOTENCY_KEY.lower() in names:
        headers[names[IDEMPOTENCY_KEY.lower()]] = str(uuid.uuid4())
    if_match = names.get(IF_MATCH.lower())
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if (
        positive
        and if_match is not None
        and isinstance(headers[if_match], str)
        and not re.fullmatch(IF_MATCH_PATTERN, headers[if_match])
    ):
        headers[if_match] = "*"
    source = names.get(SOURCE_HEADER.lower())
    if positive and source is not None and not _readable(headers[source]):
        headers[source] = EXAMPLE


def _readable(source: Any) -> bool:
    try:
        parse_source(str(source))
    except (InvalidSourceError, UnicodeEncodeError):
        return False
    return True


def refused_by_a_named_rule(response: Any) -> bool:
    if response.status_code not in NAMED_RULE_STATUSES:
        return False
    if not response.headers.get("content-type", [""])[0].startswith("application/problem+json"):
        return False
    try:
        problem = response.json()
    except ValueError:
        return False
    kind = problem.get("type") if isinstance(problem, dict) else None
    return isinstance(kind, str) and kind.startswith("/problems/") and kind not in SCHEMA_PROBLEMS


@schemathesis.check
def positive_data_acceptance_but_named_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    try:
        return positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if refused_by_a_named_rule(response):
            return None
        raise
