"""ETag / If-Match: optimistic concurrency over HTTP.

A stream's representation carries its version as a strong entity tag (``ETag: "7"``). A client
that wants its write to apply only to what it has read sends it back (``If-Match: "7"``); the
command appends expecting that version. When the store finds another version, the client gets
412 Precondition Failed if it sent If-Match, and 409 Conflict if it did not (it expected
nothing in particular, yet the append still conflicted, e.g. with a concurrent writer).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.eventstore.errors import ConcurrencyError
from shared.http.problems import PROBLEM_JSON, ProblemError, problem_body

# A strong entity tag holding a stream version (versions start at 1): ``"7"``.
_VERSION_TAG = re.compile(r'"([1-9][0-9]{0,17})"')


class InvalidIfMatchError(
    ProblemError, status=400, title="Invalid If-Match header", type_="/problems/invalid-if-match"
):

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


def entity_tag(version: int) -> str:
    """The strong entity tag of a stream at `version`: ``"7"``."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    """Say on `response` which version of the stream it shows (or has just written)."""
    response.headers["ETag"] = entity_tag(version)


def expected_version_from_if_match(header: str | None) -> int | None:
    """The stream version an If-Match header expects.

    None when the header is absent or is ``*`` (any current version will do). A header that is
    not exactly one strong entity tag holding a version raises `InvalidIfMatchError` (400),
    with the reason.
    """
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return None
    if not value:
        raise InvalidIfMatchError('If-Match is empty; send the ETag you read, e.g. "3", or *.')
    if "," in value:
        raise InvalidIfMatchError("If-Match must carry exactly one entity tag.")
    if value.startswith("W/"):
        raise InvalidIfMatchError(
            "If-Match needs a strong entity tag; weak tags (W/...) never match."
        )
    match = _VERSION_TAG.fullmatch(value)
    if match is None:
        if value.isdigit():
            raise InvalidIfMatchError(f'Entity tags are quoted: send If-Match: "{value}".')
        raise InvalidIfMatchError(
            f"If-Match {value[:40]!r} is not an entity tag of this API (a quoted version)."
        )
    return int(match.group(1))


async def expected_version(
    if_match: Annotated[str | None, Header(description='The ETag you read, e.g. "3".')] = None,
) -> int | None:
    """Dependency: the version the request's If-Match expects (None: no expectation)."""
    return expected_version_from_if_match(if_match)


ExpectedVersion = Annotated[int | None, Depends(expected_version)]


async def version_conflict_handler(request: Request, exc: Exception) -> Response:
    """The store's `ConcurrencyError`: 412 when the client made its write conditional
    (If-Match) and the condition failed; 409 when it did not and the write conflicted anyway
    (another writer got there first)."""
    assert isinstance(exc, ConcurrencyError)
    conditional = "if-match" in request.headers
    status = 412 if conditional else 409
    body = problem_body(
        request.scope,
        status=status,
        title="Precondition Failed" if conditional else "Version conflict",
        type_="/problems/precondition-failed" if conditional else "/problems/version-conflict",
        detail=_conflict_detail(exc),
        members={
            "stream_id": exc.stream_id,
            "expected_version": exc.expected_version,
            "actual_version": exc.actual_version,
        },
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _conflict_detail(exc: ConcurrencyError) -> str:
    if exc.expected_version == 0:
        return (
            f"{exc.stream_id} exists already (version {exc.actual_version}); nothing was changed."
        )
    return (
        f"{exc.stream_id} is at version {exc.actual_version}, not at version "
        f"{exc.expected_version} as the request expected; nothing was changed. Read it again "
        "and decide on the current version."
    )
