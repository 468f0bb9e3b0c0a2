"""Structured logging: JSON lines on stdout that name the service and the request, and never
carry a credential."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from shared import context
from shared.context import caused_by
from shared.http.problems import install_problem_handlers
from shared.http.requests import RequestContextMiddleware
from shared.logging import (
    _TOKEN_IN_TEXT,
    REDACTED,
    _redact_text,
    configure_logging,
    is_credential_key,
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back after each test."""
    root = logging.getLogger()
    saved_structlog = structlog.get_config()
    saved_handlers, saved_level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    saved_access = (access.handlers[:], access.propagate, access.disabled)
    quietened = {
        name: logging.getLogger(name).level for name in ("sqlalchemy", "httpx", "httpcore")
    }
    yield
    structlog.reset_defaults()
    structlog.configure(**saved_structlog)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    access.handlers[:], access.propagate, access.disabled = saved_access
    for name, level in quietened.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_a_line_is_json_with_service_level_logger_and_iso_timestamp(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="registry", level="INFO")

    structlog.get_logger("cica.test").info("member admitted", state="KWT")

    [line] = json_lines(capsys.readouterr().out)
    assert line["event"] == "member admitted"
    assert line["state"] == "KWT"
    assert line["service"] == "registry"
    assert line["level"] == "info"
    assert line["logger"] == "cica.test"
    assert datetime.fromisoformat(line["timestamp"]).utcoffset().total_seconds() == 0


def test_credentials_are_redacted_wherever_they_sit(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="registry")

    structlog.get_logger("cica.test").info(
        "calling a ministry",
        authorization="Bearer top-1",
        request={"headers": {"Authorization": "Bearer top-2"}, "clientSecret": "top-3"},
        headers=[("x-api-key", "top-4"), ("accept", "application/json")],
        access_token="top-5",
        password="top-6",
        secretariat="SOC/OI/1280",
    )

    out = capsys.readouterr().out
    [line] = json_lines(out)
    assert not any(f"top-{n}" in out for n in range(1, 7))
    assert line["authorization"] == REDACTED
    assert line["request"] == {"headers": {"Authorization": REDACTED}, "clientSecret": REDACTED}
    assert line["headers"] == [["x-api-key", REDACTED], ["accept", "application/json"]]
    assert line["access_token"] == line["password"] == REDACTED
    assert line["secretariat"] == "SOC/OI/1280"


def test_a_token_quoted_inside_a_message_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="documents")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYXVkaXRvciJ9.c2lnbmF0dXJl"

    structlog.get_logger("cica.test").warning(
        f"feed refused Authorization: Bearer {jwt}",
        error=f"401 for token {jwt} at /events",
        detail={"note": "bearer opaque.service-token-42", "by": "the bearer of the note"},
        id_token=jwt,
    )

    out = capsys.readouterr().out
    [line] = json_lines(out)
    assert jwt not in out and "opaque.service-token-42" not in out
    assert line["detail"]["by"] == "the bearer of the note"
    assert line["event"] == f"feed refused Authorization: {REDACTED}"
    assert line["error"] == f"401 for token {REDACTED} at /events"
    assert line["id_token"] == REDACTED


@pytest.mark.parametrize("word", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_a_bearer_credential_is_redacted_whatever_the_case_of_its_word(word: str) -> None:
    assert _redact_text(f"sent {word} opaque.service-token-42") == f"sent {REDACTED}"


# Texts made of what the pattern looks for, and what is near it: the shortcut that skips the
# pattern when a text cannot match must give what the pattern gives.
_PIECES = st.sampled_from(
    ["eyJ", "eyj", "EYJ", "bearer", "Bearer", "BEARER", "beare", "earer", " ", ".", "-", "_",
     "abcdefghijklmnop", "0123456789", "\u0130", "\u017f", "/", "=", "\t"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_redacting_skips_the_pattern_only_where_it_cannot_match(text: str) -> None:
    by_the_pattern = _TOKEN_IN_TEXT.sub(
        lambda match: (match.group("before") or "") + REDACTED, text
    )
    assert _redact_text(text) == by_the_pattern


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("authorization", True),
        ("Proxy-Authorization", True),
        ("refresh_token", True),
        ("accessToken", True),
        ("password_hash", True),
        ("webhook_secret", True),
        ("set-cookie", True),
        ("secretariat", False),
        ("tokenizer", False),
        ("request_id", False),
    ],
)
def test_credential_keys_are_told_by_their_words(key: str, credential: bool) -> None:
    assert is_credential_key(key) is credential


def test_stdlib_loggers_write_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="documents", level="INFO")

    logging.getLogger("uvicorn.error").warning(
        "Started server process [%d]", 42, extra={"color_message": "\x1b[36m%d\x1b[0m"}
    )
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")  # below WARNING: not written
    logging.getLogger("cica.stdlib").info("with extra", extra={"authorization": "Bearer x"})

    lines = json_lines(capsys.readouterr().out)
    assert [line["event"] for line in lines] == ["Started server process [42]", "with extra"]
    assert all(line["service"] == "documents" for line in lines)
    assert lines[0]["logger"] == "uvicorn.error"
    assert lines[0]["level"] == "warning"
    assert "color_message" not in lines[0]
    assert lines[1]["authorization"] == REDACTED


def test_configuring_twice_writes_each_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="meetings", level="INFO")
    configure_logging(service="meetings", level="INFO")

    structlog.get_logger().info("agenda adopted")

    assert len(json_lines(capsys.readouterr().out)) == 1


def test_the_level_filters_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="meetings", level="warning")

    structlog.get_logger().info("quiet")
    structlog.get_logger().warning("loud")

    assert [line["event"] for line in json_lines(capsys.readouterr().out)] == ["loud"]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(service="meetings", level="chatty")


def logged_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.get("/notes/{number}")
    async def read_note(number: str) -> dict[str, str]:
        structlog.get_logger("cica.notes").info("note read", number=number)
        return {"number": number}

    @app.get("/boom")
    async def fail() -> None:
        raise RuntimeError("could not connect: password=hunter2")

    return app


async def get_logged(path: str, headers: dict[str, str]) -> httpx.Response:
    """GET `path` from `logged_app()`, the notifications service's logging configured."""
    configure_logging(service="notifications")
    transport = httpx.ASGITransport(app=logged_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        return await client.get(path, headers=headers)


async def test_a_request_writes_one_access_line_with_its_id_and_no_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = await get_logged(
        "/notes/1280?token=sesame",
        headers={"X-Request-ID": "req-42", "Authorization": "Bearer open-sesame"},
    )

    out = capsys.readouterr().out
    note, access = json_lines(out)
    assert response.status_code == 200
    assert note["event"] == "note read"
    assert note["request_id"] == "req-42"
    assert note["correlation_id"] == "req-42", "what it appends is correlated by the request id"
    assert access["event"] == "request"
    assert access["logger"] == "cica.access"
    assert {k: access[k] for k in ("method", "path", "status", "request_id", "service")} == {
        "method": "GET",
        "path": "/notes/1280",
        "status": 200,
        "request_id": "req-42",
        "service": "notifications",
    }
    assert isinstance(access["duration_ms"], float)
    assert "sesame" not in out  # neither the query string nor the Authorization header


async def test_an_unexpected_exception_is_logged_with_its_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = await get_logged("/boom", headers={"X-Request-ID": "req-500"})

    error, access = json_lines(capsys.readouterr().out)
    assert response.status_code == 500
    assert "hunter2" not in response.text
    assert error["event"] == "unhandled exception"
    assert error["level"] == "error"
    assert error["request_id"] == "req-500"
    assert "Traceback" in error["exception"]
    assert "RuntimeError: could not connect" in error["exception"]
    assert access["status"] == 500
    assert access["request_id"] == "req-500"


def test_a_reaction_logs_the_event_it_handles_as_cause_and_its_correlation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="registry")
    log = structlog.get_logger("cica.test")

    with caused_by("3f0c6e9e-decision", "req-soc-42"):
        assert context.causation_id.get() == "3f0c6e9e-decision"
        log.info("member admitted", state="KWT")
    log.info("after the reaction")

    during, after = json_lines(capsys.readouterr().out)
    assert during["causation_id"] == "3f0c6e9e-decision"
    assert during["correlation_id"] == "req-soc-42"
    assert "causation_id" not in after and "correlation_id" not in after
    assert context.causation_id.get() is None
