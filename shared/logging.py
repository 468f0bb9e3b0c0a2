"""Placeholder until structured logging lands."""

from __future__ import annotations


def configure_logging(*, service: str, level: str = "INFO") -> None:
    return None
