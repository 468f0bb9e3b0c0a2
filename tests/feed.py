"""A running service's log over HTTP, as an auditor reads it (``GET /events``), for the tests
that drive `cica up` from outside."""

from __future__ import annotations

import re
from collections.abc import Mapping
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


_APPLIED = re.compile(r'^cica_consumer_applied_position\{producer="([a-z]+)"\} ([0-9.e+]+)$')


def applied_positions(client: httpx.Client, url: str, token: str) -> dict[str, int] | None:
    """The position of each producer's log the service at `url` has handled (its `/metrics`:
    ``cica_consumer_applied_position``, read from the service's tracking table, so any replica
    answers for all); None when the service cannot say (its database away)."""
    answer = client.get(f"{url}/metrics", headers=with_token(token))
    if answer.status_code != 200:
        return None
    found = (_APPLIED.match(line) for line in answer.text.splitlines())
    return {match[1]: int(float(match[2])) for match in found if match}


def consumers_caught_up(
    client: httpx.Client, urls: Mapping[str, str], token: str, heads: Mapping[str, int]
) -> bool:
    """Whether every service has handled every producer's log up to its head in `heads`: a
    reaction still to come is not "nothing changed"."""
    for url in urls.values():
        applied = applied_positions(client, url, token)
        if applied is None or any(done < heads.get(p, 0) for p, done in applied.items()):
            return False
    return True


def projections_caught_up(client: httpx.Client, url: str, token: str) -> bool:
    """Whether every read model of the service at `url` has applied its log to the head, with
    no error."""
    answer = client.get(f"{url}/projections", headers=with_token(token))
    if answer.status_code != 200:
        return False
    body = answer.json()
    return all(p["position"] == body["head"] and p["error"] is None for p in body["projections"])
