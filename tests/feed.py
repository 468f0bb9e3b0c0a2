"""A running service's log over HTTP, as an auditor reads it (``GET /events``), for the tests
that drive `cica up` from outside."""

from __future__ import annotations

import re
import time
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


def heads_of(client: httpx.Client, urls: Mapping[str, str], token: str) -> dict[str, int]:
    """Each service's log head, by the name `urls` gives it."""
    found = {}
    for name, url in urls.items():
        page = client.get(f"{url}/events", params={"limit": 1}, headers=with_token(token))
        assert page.status_code == 200, page.text
        found[name] = page.json()["head"]
    return found


def settled_heads(
    client: httpx.Client, urls: Mapping[str, str], token: str, *, within: float = 60.0
) -> dict[str, int]:
    """The heads once no reaction is still landing: every consumer has handled every
    producer's log to the heads read, every read model has caught up with its log, and the
    heads read again after that are the same (not "nothing changed for a while": a consumer
    waiting for a redelivery changes nothing for seconds). Fails after `within` seconds."""
    deadline = time.monotonic() + within
    last = heads_of(client, urls, token)
    while True:
        if consumers_caught_up(client, urls, token, last) and all(
            projections_caught_up(client, url, token) for url in urls.values()
        ):
            now = heads_of(client, urls, token)
            if now == last:
                return now
            last = now
        else:
            time.sleep(0.2)
            last = heads_of(client, urls, token)
        assert time.monotonic() < deadline, f"the logs did not settle in {within:g} s: {last}"
