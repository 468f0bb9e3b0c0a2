"""Structured logging: one JSON object per line on stdout, for structlog and stdlib loggers alike.

Every line has ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``, ``event`` and ``service``,
plus the context variables bound for the request (``request_id``). Values under keys that
name credentials (``authorization``, ``token``, ``password``, ``secret``, ``cookie``,
``api_key``, ``jwt``...) are replaced by ``[REDACTED]`` wherever they sit in the line, and so
is anything that looks like a bearer token or a JWT inside any string (an error message that
quotes a header, say).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[REDACTED]"

# Whole words of a key, once camelCase and separators are turned into underscores: so
# "access_token", "X-Api-Key" and "clientSecret" are credentials, "secretariat" is not.
_CREDENTIAL_KEY = re.compile(
    r"(?:^|_)(?:authorization|auth|token|tokens|password|passwd|secret|secrets|cookie|"
    r"set_cookie|api_key|apikey|credentials?|private_key|jwt|bearer)(?:_|$)"
)
# A JWT (three base64url parts, the first a JSON header: "eyJ...") or a bearer credential
# (long enough not to be a word: "the bearer of the note" stays), wherever it is in a string.
#
# Linear in the length of the text, whatever it holds (a log line may quote a path or a header a
# client chose): no repetition ever gives back what it took (possessive `*+`, `++`, `{16,}+`, or
# inside an atomic group `(?>...)`), and a JWT is looked for only from the start of a run of
# base64url characters (the lookbehind), the first "eyJ" of the run, once: so no run is scanned
# again from each "eyJ" inside it. What a JWT match keeps before its "eyJ" (`before`) is put
# back by `_redact_text`. The matches are those of the plain pattern
# ``eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*``: whether it matches from an "eyJ"
# depends only on what follows the run the "eyJ" is in.
_TOKEN_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_-])(?>(?P<before>[A-Za-z0-9_-]*?)eyJ)"
    r"[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]++\.[A-Za-z0-9_-]*+"
    r"|(?i:bearer)\s++[A-Za-z0-9._~+/=-]{16,}+"
)
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-.\s]+")


def is_credential_key(key: object) -> bool:
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if not isinstance(key, str):
        return False
    if len(key) > _KEPT_NAME_LENGTH:  # a client's header name, say: not kept
        return _is_credential_name.__wrapped__(key)
    return _is_credential_name(key)


_KEPT_NAME_LENGTH = 64


@functools.lru_cache(maxsize=4096)
def _is_credential_name(key: str) -> bool:
    """Kept per name: every log line asks it of each of its keys, the same few names again
    and again (three regular expressions each time were a third of the access log line's
    cost, profiled under the HTTP benchmark)."""
    words = _SEPARATORS.sub("_", _CAMEL_HUMP.sub("_", key)).lower()
    return _CREDENTIAL_KEY.search(words) is not None


def _redact_text(text: str) -> str:
    """`text` with every JWT and bearer credential in it replaced by `REDACTED`."""
    if "eyJ" not in text and "bearer" not in text.lower():
        # Neither alternative of the pattern can match (a JWT's "eyJ" is literal; "bearer" is
        # matched ignoring case, which for its letters is what `lower` gives): most values of
        # most lines, the access log's path, method and request id each time.
        return text
    return _TOKEN_IN_TEXT.sub(lambda match: (match.group("before") or "") + REDACTED, text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_credential_key(key) else _redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        # A (name, value) pair, as in a list of headers.
        if len(value) == 2 and is_credential_key(value[0]):
            return type(value)((value[0], REDACTED))
        return type(value)(_redacted(item) for item in value)
    return value


def redact_credentials(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: no credential leaves the process in a log line."""
    for key, value in event_dict.items():
        event_dict[key] = REDACTED if is_credential_key(key) else _redacted(value)
    return event_dict


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn repeats each message with terminal colour codes as an extra: not for JSON."""
    event_dict.pop("color_message", None)
    return event_dict


def _bind_service(service: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is when a line is emitted (so a replaced stdout, as
    under test capture, still gets the lines)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(*, service: str, level: str = "INFO") -> None:
    """Route structlog and the stdlib loggers (uvicorn, SQLAlchemy, warnings) to one JSON
    formatter on stdout. Calling it again reconfigures; it never adds a second handler."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper())
    if numeric_level is None:
        raise ValueError(f"unknown log level {level!r}")
    # No line says where it was logged from, nor its thread or process: the standard library
    # need not find them out for every record (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

    common: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _bind_service(service),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *common,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _drop_color_message, *common],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_credentials,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _StdoutHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(numeric_level)

    # uvicorn's own lines go through the root handler; its access log is replaced by ours
    # (shared.http.requests), which never writes the query string.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    uvicorn_access.disabled = True

    # httpx writes every URL it calls, query string (and any token in it) included, at INFO.
    for name in ("sqlalchemy", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
