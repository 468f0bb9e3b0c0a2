"""The documents app running in-process on the test session's PostgreSQL and NATS, and the
calls its tests make."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from services.documents.app import create_app
from services.documents.seed import astana_rev8_text
from services.registry.seed import MEMBER_STATES_2022
from shared.access import register_founding_members
from tests.access import bearer
from tests.polling import eventually
from tests.shared.test_service_shell import running, settings_for

SECRETARIAT = bearer("secretariat")
AUDITOR = bearer("auditor")
PUBLIC: dict[str, str] = {}
ORIGINATOR = "Chairmanship of Kazakhstan"


def today() -> date:
    return datetime.now(UTC).date()


def dated_today(originator: str = ORIGINATOR) -> dict[str, str]:
    """What a revision request says of its date and originator: today (UTC), `originator`."""
    return {"dated": today().isoformat(), "originator": originator}


def member(state: str) -> dict[str, str]:
    return bearer("member_state", state)


@dataclass
class Documents:
    app: FastAPI
    http: httpx.AsyncClient

    async def caught_up(self) -> int:
        return await self.app.state.projection_runner.wait_until_caught_up(within=20)

    async def handled(self, producer: str, position: int) -> None:
        """Wait until the app's consumer of `producer`'s stream has handled it to `position`."""
        consumer = next(c for c in self.app.state.consumers if c.producer == producer)
        await eventually(
            consumer.tracked_position,
            until=lambda tracked: tracked == position,
            what=f"the {producer} consumer at position {position}",
        )

    async def create(
        self, body: dict[str, Any], headers: dict[str, str] = SECRETARIAT
    ) -> httpx.Response:
        return await self.http.post("/documents", json=body, headers=headers)

    async def revise(
        self,
        symbol: str,
        text: dict[str, Any],
        *,
        etag: str | None,
        basis: str = "",
        incorporates: list[str] | None = None,
        declines: list[str] | None = None,
        dated: str | None = None,
        originator: str = ORIGINATOR,
    ) -> httpx.Response:
        """A new revision, dated today (UTC) unless `dated` says otherwise."""
        headers = dict(SECRETARIAT)
        if etag is not None:
            headers["If-Match"] = etag
        return await self.http.post(
            f"/documents/{symbol}/revisions",
            json={"text": text, "basis": basis, "incorporates": incorporates or [],
                  "declines": declines or [], "dated": dated or today().isoformat(),
                  "originator": originator},
            headers=headers,
        )

    async def amend(
        self, symbol: str, state: str, revision: int, paragraph_id: str = "op-a",
        text: str | None = None,
    ) -> httpx.Response:
        """`state` proposes to replace `paragraph_id` of `revision`."""
        return await self.http.post(
            f"/documents/{symbol}/amendments",
            json={"state": state, "revision": revision, "paragraph_id": paragraph_id,
                  "action": "replace", "text": text or f"We act, says {state}"},
            headers=member(state),
        )

    async def status(
        self, symbol: str, status: str, body: str | None = None, **fields: Any
    ) -> httpx.Response:
        return await self.http.post(
            f"/documents/{symbol}/status",
            json={"status": status, **({"body": body} if body else {}), **fields},
            headers=SECRETARIAT,
        )

    async def translate(self, symbol: str, version: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/documents/{symbol}/translations", json=version, headers=SECRETARIAT
        )

    async def issue(
        self, parent: str, kind: str, body: dict[str, Any] | None = None,
        headers: dict[str, str] = SECRETARIAT,
    ) -> httpx.Response:
        """An addendum (`kind` ``addenda``) or a corrigendum (``corrigenda``) of `parent`."""
        body = body if body is not None else supplement()
        return await self.http.post(f"/documents/{parent}/{kind}", json=body, headers=headers)

    async def circulate(
        self, symbol: str, dated: str, headers: dict[str, str] = SECRETARIAT, **fields: Any
    ) -> httpx.Response:
        return await self.http.post(
            f"/documents/{symbol}/circulation", json={"dated": dated, **fields}, headers=headers
        )

    async def read(
        self, symbol: str, headers: dict[str, str] = SECRETARIAT, **params: Any
    ) -> httpx.Response:
        return await self.http.get(f"/documents/{symbol}", params=params, headers=headers)

    async def etag(self, symbol: str) -> str:
        response = await self.read(symbol)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]


FOUNDED = datetime(1999, 9, 14, tzinfo=UTC)
MEMBERS_BEFORE_KUWAIT = list(MEMBER_STATES_2022)


@asynccontextmanager
async def documents_app(
    database_url: str, nats_url: str, **settings: Any
) -> AsyncIterator[Documents]:
    """The app, with the 27 member states of 2022 recorded as founding members. Its consumers
    of other services' streams are off unless asked for (`consumers_enabled=True`): the
    session's NATS streams carry other tests' decisions."""
    base = settings_for("documents", database_url, nats_url)
    app = create_app(base.model_copy(update={"consumers_enabled": False, **settings}))
    async with running(app) as http:
        await register_founding_members(
            app.state.engine, MEMBERS_BEFORE_KUWAIT, admitted_at=FOUNDED
        )
        yield Documents(app, http)


def small_text(title: str = "Draft statement", *paragraphs: tuple[str, str, str]) -> dict[str, Any]:
    """A text: (id, part, English) paragraphs."""
    paragraphs = paragraphs or (
        ("pp-a", "preamble", "Recognizing change"),
        ("op-a", "operative", "We act"),
    )
    return {
        "title": {"en": title},
        "paragraphs": [{"id": i, "part": p, "text": {"en": t}} for i, p, t in paragraphs],
    }


def draft(
    series: str = "SUM/2022/DRAFT",
    distribution: str = "member_states_only",
    text: dict[str, Any] | None = None,
    document_type: str = "statement",
    states: list[str] | None = None,
) -> dict[str, Any]:
    dist: dict[str, Any] = {"kind": distribution}
    if states:
        dist["states"] = states
    return {
        "series": series,
        "document_type": document_type,
        "language": "en",
        "text": text or small_text(),
        "distribution": dist,
        "originator": ORIGINATOR,
    }


def supplement(title: str = "Addendum", **fields: Any) -> dict[str, Any]:
    """The body of an addendum or a corrigendum, written in English by the Secretariat."""
    return {
        "document_type": "other",
        "language": "en",
        "text": small_text(title, ("p-1", "body", f"{title}, paragraph 1")),
        "originator": "Secretariat",
        **fields,
    }


def rev8_text() -> dict[str, Any]:
    return copy.deepcopy(astana_rev8_text())
