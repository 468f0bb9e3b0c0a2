"""A running service's log over HTTP, as an auditor reads it (``GET /events``), for the tests
that drive `cica up` from outside."""

from __future__ import annotations

from typing import Any

import httpx


def with_token(token: str) -> dict[str, str]:
    """The headers of a request carrying `token`."""
    return {"Authorization": f"Bearer {token}"}


def read_feed(
    client: httpx.Client, url: str, token: str, *, page: int = 1000
) -> list[dict[str, Any]]:
    """The service at `url`'s whole log, page by page, as its feed serves each event."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        answer = client.get(
            f"{url}/events", params={"after": after, "limit": page}, headers=with_token(token)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        events += body["events"]
        if not body["events"] or body["next_after"] >= body["head"]:
            return events
        after = body["next_after"]
