"""A small HTTP client for the demo: one base URL per service, the Secretariat's bearer token on
every request, a deterministic ``Idempotency-Key`` on every POST (so a retried or repeated step
is answered, not run twice), and an RFC 9457 problem shown as what it says, not as a trace."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from shared.http.provenance import SOURCE_HEADER
from shared.system.supervisor import DEFAULT_HOST, DEFAULT_SERVICE_PORTS

DEFAULT_URLS: Mapping[str, str] = {
    name: f"http://{DEFAULT_HOST}:{port}" for name, port in DEFAULT_SERVICE_PORTS.items()
}
KEY_PREFIX = "cica-demo"
CONFLICT_ATTEMPTS = 5
RETRY_WITHIN = 90.0
"""How long one request is sent again while its service is unavailable (its database or the
service itself restarting), longer than an Idempotency-Key's lease on a request whose process
died (60 s)."""
RETRIED_PROBLEMS = frozenset({"/problems/unavailable", "/problems/idempotency-key-in-progress"})


class DemoError(Exception):
    """A request that failed: the service, the request, and the problem it answered."""


def problem_text(response: httpx.Response) -> str:
    """`409 Conflict: KWT has applied already (/problems/...)`, or the body's start if it is
    no problem+json."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:300]}"
    if not isinstance(body, dict):
        return f"{response.status_code}: {str(body)[:300]}"
    title = body.get("title") or response.reason_phrase
    detail = body.get("detail")
    if isinstance(detail, list):  # a validation error: the first few complaints
        detail = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" for d in detail[:3]
        )
    kind = f" ({body['type']})" if body.get("type") else ""
    return f"{response.status_code} {title}: {detail or ''}{kind}".rstrip(": ")


def _is_version_conflict(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        return response.json().get("type") == "/problems/version-conflict"
    except ValueError:
        return False


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds to wait before sending a request again, if its answer asks for that: a 503,
    or a 409 for a request with the same key still running; None for any other answer."""
    if response.status_code == 409:
        try:
            kind = response.json().get("type")
        except (ValueError, AttributeError):
            return None
        if kind not in RETRIED_PROBLEMS:
            return None
    elif response.status_code != 503:
        return None
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), 10.0)
    except ValueError:
        return 1.0


def idempotency_key(step: str, body: Any) -> str:
    """The same step with the same body always sends the same key; a changed body, a new one
    (else the service would answer 422 for a key reused with another request)."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f"{KEY_PREFIX}:{step}:{digest[:16]}"


class DemoClient:
    def __init__(
        self,
        urls: Mapping[str, str],
        token: str,
        *,
        auditor_token: str | None = None,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        retry_within: float = RETRY_WITHIN,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.token = token
        self.auditor_token = auditor_token or token
        self.http = httpx.Client(timeout=timeout, trust_env=False, transport=transport)
        self.retry_within = retry_within
        self._answered: set[str] = set()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DemoClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _url(self, service: str, path: str) -> str:
        try:
            return self.urls[service] + path
        except KeyError:
            raise DemoError(f"no URL for the {service} service") from None

    def _send(
        self, method: str, service: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request, sent again while the service says to (503, or 409 for its key still
        in progress, both with ``Retry-After``) or, once it has answered before, while it does
        not answer (restarting): within `retry_within` seconds. A repeated POST is safe: it
        carries the same Idempotency-Key."""
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        url = self._url(service, path)
        deadline = time.monotonic() + self.retry_within
        while True:
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as error:
                if service not in self._answered or time.monotonic() > deadline:
                    raise DemoError(
                        f"{service} does not answer at {self.urls[service]} "
                        f"({type(error).__name__}): is the system running (`make up`)?"
                    ) from None
                time.sleep(0.5)
                continue
            self._answered.add(service)
            wait = _retry_after(response)
            if wait is None or time.monotonic() + wait > deadline:
                return response
            time.sleep(wait)

    def get(self, service: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer, whatever its status: the caller decides what a 404 means."""
        return self._send("GET", service, path, **kwargs)

    def read(self, service: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a 200; anything else is a `DemoError` with the problem."""
        response = self.get(service, path, **kwargs)
        if response.status_code != 200:
            raise DemoError(f"{service}: GET {path} answered {problem_text(response)}")
        return response.json()

    def read_all(
        self, service: str, path: str, items: str, *, params: Mapping[str, Any] = {}
    ) -> list[Any]:
        """Every item of a paged list (`items`, the answer's member that holds them), page after
        page, following each answer's ``next_after``."""
        found: list[Any] = []
        after: str | None = None
        while True:
            cursor = {"after": after} if after else {}
            page = self.read(service, path, params={**params, **cursor})
            found += page[items]
            after = page.get("next_after")
            if not after:
                return found

    def find(self, service: str, path: str, **kwargs: Any) -> Any | None:
        """The JSON of a 200, None for a 404; anything else is a `DemoError`."""
        response = self.get(service, path, **kwargs)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DemoError(f"{service}: GET {path} answered {problem_text(response)}")
        return response.json()

    def post(
        self,
        service: str,
        path: str,
        body: Any,
        *,
        step: str,
        source: str,
        headers: Mapping[str, str] = {},
    ) -> Any:
        """POST with the step's Idempotency-Key and the `source` of what it records (a
        ``CICA-Source`` value: `shared.http.provenance.source_header`); a 2xx answer's JSON,
        else a `DemoError`. There is no POST without a source: the demo records nothing that
        does not say where it comes from.

        A version conflict (409: a reaction appended to the same stream between the service's
        read and its write) is sent again, decided on the newer state, under a key of its own
        (the service keeps the 409 as the first key's answer)."""
        key = idempotency_key(f"{service}:{step}", body)
        for attempt in range(CONFLICT_ATTEMPTS):
            sent_key = key if attempt == 0 else f"{key}:again{attempt}"
            response = self._send(
                "POST", service, path, json=body,
                headers={"Idempotency-Key": sent_key, SOURCE_HEADER: source, **headers},
            )  # fmt: skip
            if not _is_version_conflict(response):
                break
            time.sleep(0.2 * (attempt + 1))
        if not 200 <= response.status_code < 300:
            raise DemoError(f"{service}: POST {path} answered {problem_text(response)}")
        return response.json()

    def wait_for(
        self,
        what: str,
        check: Callable[[], bool],
        *,
        within: float = 30.0,
        every: float = 0.2,
    ) -> float:
        """Poll `check` until it holds (a reaction has reached a read model); the seconds it
        took, or a `DemoError` naming what did not happen within `within` seconds."""
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > within:
                raise DemoError(f"not within {within:.0f}s: {what}")
            time.sleep(every)
        return time.monotonic() - started
