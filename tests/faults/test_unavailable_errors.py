"""Regression (found by the PostgreSQL restart fault test): a request that opened a connection
while PostgreSQL was shutting down got a 500. asyncpg refuses with ``CannotConnectNowError``
(SQLSTATE 57P03, "the database system is shutting down"), which SQLAlchemy wraps in a plain
``DBAPIError``, none of the unavailable errors the problem handlers knew. It is a 503 with
``Retry-After`` now, wherever it is raised; a driver error about the statement stays a 500."""

from __future__ import annotations

import asyncpg.exceptions
import httpx
import pytest
import sqlalchemy.exc
from fastapi import FastAPI

from shared.http import install_http_conventions
from shared.http.problems import PROBLEM_JSON, database_unavailable


def wrapped(error: Exception) -> sqlalchemy.exc.DBAPIError:
    """What SQLAlchemy's asyncpg dialect raises for `error` met while connecting."""
    try:
        try:
            raise error
        except Exception as cause:
            adapted = Exception(f"{type(cause).__name__}: {cause}")
            raise adapted from cause
    except Exception as orig:
        return sqlalchemy.exc.DBAPIError("SELECT 1", None, orig)


SHUTTING_DOWN = asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")
TERMINATED = asyncpg.exceptions.AdminShutdownError("terminating connection")
DUPLICATE = asyncpg.exceptions.UniqueViolationError("duplicate key value")


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_http_conventions(app)

    @app.get("/in-a-route")
    async def in_a_route() -> None:
        raise error

    return app


LOST = asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle")
# A connection told by a server shutting down that it ends, and not closed yet.
BEING_LOST = asyncpg.exceptions.InternalClientError(
    "cannot switch to state 12; another operation (2) is in progress"
)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(SHUTTING_DOWN), wrapped(TERMINATED), SHUTTING_DOWN, TERMINATED, LOST,
        BEING_LOST, wrapped(BEING_LOST),
    ],
    ids=[
        "57P03", "57P01", "57P03-from-the-driver", "57P01-from-the-driver", "lost-connection",
        "being-lost-from-the-driver", "being-lost",
    ],
)  # fmt: skip
async def test_a_database_shutting_down_is_a_503_with_retry_after(error: Exception) -> None:
    """Through SQLAlchemy (wrapped) or from the reads the store sends to the driver itself
    (`read_committed`, `read_all`, `head_position`: asyncpg's own errors)."""
    transport = httpx.ASGITransport(app=app_raising(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/in-a-route")

    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["type"] == "/problems/unavailable"


@pytest.mark.parametrize("error", [wrapped(DUPLICATE), DUPLICATE], ids=["wrapped", "driver"])
async def test_a_driver_error_about_the_statement_is_still_a_500(error: Exception) -> None:
    transport = httpx.ASGITransport(app=app_raising(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/in-a-route")

    assert answer.status_code == 500
    assert answer.json()["type"] == "/problems/internal-error"


def test_which_errors_say_the_database_is_unavailable() -> None:
    assert database_unavailable(wrapped(SHUTTING_DOWN))
    assert database_unavailable(SHUTTING_DOWN)
    assert database_unavailable(ConnectionRefusedError())
    assert not database_unavailable(wrapped(DUPLICATE))
    assert not database_unavailable(ValueError("no"))
