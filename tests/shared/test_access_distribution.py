"""Distribution, admitted members and acting in a state's name, on a small app that reads and
writes the way the services will: a list and a search in SQL, a single read, the `/events`
feed and a delivery to a state, a statement made in a state's name; on real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Column, MetaData, Table, Text, select

from shared import context
from shared.access import (
    ANYONE,
    GENERAL,
    MEMBER_STATES_ONLY,
    Caller,
    CallerView,
    Distribution,
    MembershipChange,
    Principal,
    Role,
    StateCode,
    TokenVerifier,
    Viewer,
    act_for,
    admitted_members,
    allow,
    distribution_columns,
    install_access,
    is_member_at,
    load_viewer,
    member_since,
    membership_changes,
    read_membership,
    record_admission,
    record_membership_change,
    register_founding_members,
    visible_records,
)
from shared.access.model import Period
from shared.eventstore import (
    NO_STREAM,
    DomainEvent,
    EventTypes,
    PostgresEventStore,
    RecordedEvent,
    create_engine,
)
from shared.http import install_http_conventions
from shared.http.problems import ProblemError
from shared.logging import configure_logging
from shared.ops import router as ops_router
from tests.access import bearer, expired_bearer, token, token_settings
from tests.database import events_in
from tests.shared.test_logging import restore_logging  # noqa: F401  (autouse: logging put back)

event_types = EventTypes()


@event_types.register("DocumentFiled")
class DocumentFiled(DomainEvent):
    symbol: str
    title: str
    distribution: Distribution


@event_types.register("StatementMade")
class StatementMade(DomainEvent):
    state: str
    text: str


projection = MetaData()
documents = Table(
    "access_test_documents",
    projection,
    Column("id", Text, primary_key=True),
    Column("symbol", Text, nullable=False),
    Column("title", Text, nullable=False),
    *distribution_columns(),
)


class DocumentNotFoundError(ProblemError):
    status = 404
    title = "Document not found"
    type_ = "/problems/document-not-found"

    def __init__(self, document_id: str) -> None:
        super().__init__(f"There is no document {document_id}.", document_id=document_id)


class DocumentOut(BaseModel):
    id: str
    symbol: str
    title: str


class StatementIn(BaseModel):
    state: StateCode
    text: str


class StatementOut(BaseModel):
    stream_id: str
    state: str


def store_of(request: Request) -> PostgresEventStore:
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(store_of)]
router = APIRouter()


@router.get("/documents")
@ANYONE
async def list_documents(
    request: Request, viewer: CallerView, q: str | None = None
) -> list[DocumentOut]:
    """The list, and with `q` the search: both in SQL, the distribution rule in the WHERE."""
    query = (
        select(documents.c.id, documents.c.symbol, documents.c.title)
        .where(viewer.where(documents.c.distribution, documents.c.distribution_states))
        .order_by(documents.c.symbol)
    )
    if q:
        query = query.where(documents.c.title.ilike(f"%{q}%"))
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [DocumentOut(id=r.id, symbol=r.symbol, title=r.title) for r in rows]


@router.get("/documents/{document_id}")
@ANYONE
async def read_document(request: Request, document_id: str, viewer: CallerView) -> DocumentOut:
    async with request.app.state.engine.connect() as connection:
        row = (
            await connection.execute(select(documents).where(documents.c.id == document_id))
        ).one_or_none()
    if row is None:
        raise DocumentNotFoundError(document_id)
    viewer.require(
        Distribution.of_row(row.distribution, row.distribution_states),
        DocumentNotFoundError(document_id),
    )
    return DocumentOut(id=row.id, symbol=row.symbol, title=row.title)


@router.post("/statements", status_code=201)
@allow(Role.MEMBER_STATE, Role.SECRETARIAT)
async def make_statement(body: StatementIn, caller: Caller, store: Store) -> StatementOut:
    state = act_for(caller, body.state)
    stream_id = f"statement-{uuid.uuid4()}"
    await store.append(
        stream_id, [StatementMade(state=state, text=body.text)], stream_type="statement",
        expected_version=NO_STREAM,
    )
    return StatementOut(stream_id=stream_id, state=state)


async def document_distributions(
    engine: Any, records: Sequence[RecordedEvent]
) -> Mapping[str, Distribution]:
    """The app's `StreamDistributions`: a document stream has its document's distribution;
    statements are left out (only those who see everything read them in the feed)."""
    ids = {record.stream_id for record in records}
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(documents.c.id, documents.c.distribution, documents.c.distribution_states)
            .where(documents.c.id.in_(ids))
        )
        return {r.id: Distribution.of_row(r.distribution, r.distribution_states) for r in rows}


@dataclass
class Library:
    http: httpx.AsyncClient
    store: PostgresEventStore
    engine: Any
    database_url: str
    ids: dict[str, str]

    async def file(self, symbol: str, title: str, distribution: Distribution) -> str:
        document_id = f"doc-{uuid.uuid4()}"
        await self.store.append(
            document_id,
            [DocumentFiled(symbol=symbol, title=title, distribution=distribution)],
            stream_type="document",
            expected_version=NO_STREAM,
        )
        async with self.engine.begin() as connection:
            await connection.execute(
                documents.insert().values(
                    id=document_id, symbol=symbol, title=title, **distribution.as_row()
                )
            )
        self.ids[symbol] = document_id
        return document_id

    async def listed(self, headers: dict[str, str], q: str | None = None) -> list[str]:
        response = await self.http.get("/documents", params={"q": q} if q else {},
                                       headers=headers)
        assert response.status_code == 200, response.text
        return [d["symbol"] for d in response.json()]

    async def fed(self, headers: dict[str, str]) -> list[str]:
        """Every stream id the caller reads in the whole feed, paging as a client does."""
        streams: list[str] = []
        after = 0
        while True:
            page = await self.http.get(
                "/events", params={"after": after, "limit": 2}, headers=headers
            )
            assert page.status_code == 200, page.text
            body = page.json()
            streams += [event["stream_id"] for event in body["events"]]
            if body["next_after"] >= body["head"]:
                return streams
            after = body["next_after"]

    def symbols_of(self, streams: list[str]) -> list[str]:
        by_id = {document_id: symbol for symbol, document_id in self.ids.items()}
        return sorted(by_id[s] for s in streams if s in by_id)


FOUNDED = datetime(1999, 9, 14, tzinfo=UTC)
PUBLIC: dict[str, str] = {}
KAZ = bearer(Role.MEMBER_STATE, "KAZ")
RUS = bearer(Role.MEMBER_STATE, "RUS")
KWT = bearer(Role.MEMBER_STATE, "KWT")
SECRETARIAT = bearer(Role.SECRETARIAT)
AUDITOR = bearer(Role.AUDITOR)


@pytest.fixture
async def library(database_url: str) -> AsyncIterator[Library]:
    engine = create_engine(database_url)
    store = PostgresEventStore(engine, event_types)
    async with engine.begin() as connection:
        await connection.run_sync(projection.create_all)
    await register_founding_members(engine, ["KAZ", "RUS"], admitted_at=FOUNDED)
    app = FastAPI()
    install_http_conventions(app)
    install_access(
        app,
        TokenVerifier.from_settings(token_settings()),
        stream_distributions=document_distributions,
    )
    app.include_router(ops_router)
    app.include_router(router)
    app.state.engine = engine
    app.state.store = store
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cica.test")
    lib = Library(http, store, engine, database_url, {})
    await lib.file("SOC/2024/1", "Provisional agenda", GENERAL)
    await lib.file("SOC/2024/2", "Draft conclusions", MEMBER_STATES_ONLY)
    await lib.file("SOC/2024/3", "Draft conclusions on the chairmanship",
                   Distribution.restricted("KAZ"))
    await lib.file("SOC/2024/4", "Application of Kuwait", Distribution.restricted("KWT"))
    try:
        yield lib
    finally:
        await http.aclose()
        await store.close()
        await engine.dispose()


# ------------------------------------------------------------------ distribution


async def test_a_restricted_document_is_absent_from_every_read_of_a_non_recipient(library):
    restricted = library.ids["SOC/2024/3"]
    for caller in (RUS, KWT, PUBLIC):
        assert "SOC/2024/3" not in await library.listed(caller)
        assert "SOC/2024/3" not in await library.listed(caller, q="conclusions")
        assert restricted not in await library.fed(caller)
        hidden = await library.http.get(f"/documents/{restricted}", headers=caller)
        missing = await library.http.get("/documents/doc-that-never-was", headers=caller)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["type"] == missing.json()["type"] == "/problems/document-not-found"
        assert hidden.json()["title"] == missing.json()["title"]

    assert await library.listed(KAZ, q="conclusions") == ["SOC/2024/2", "SOC/2024/3"]
    assert (await library.http.get(f"/documents/{restricted}", headers=KAZ)).status_code == 200
    assert restricted in await library.fed(KAZ)


async def test_each_caller_reads_what_its_distribution_allows(library):
    everything = ["SOC/2024/1", "SOC/2024/2", "SOC/2024/3", "SOC/2024/4"]
    assert await library.listed(PUBLIC) == ["SOC/2024/1"]
    assert await library.listed(RUS) == ["SOC/2024/1", "SOC/2024/2"]
    assert await library.listed(KAZ) == ["SOC/2024/1", "SOC/2024/2", "SOC/2024/3"]
    assert await library.listed(SECRETARIAT) == everything
    assert await library.listed(AUDITOR) == everything
    assert library.symbols_of(await library.fed(PUBLIC)) == ["SOC/2024/1"]
    assert library.symbols_of(await library.fed(RUS)) == ["SOC/2024/1", "SOC/2024/2"]
    assert library.symbols_of(await library.fed(AUDITOR)) == everything


async def test_a_state_not_yet_admitted_reads_member_documents_from_its_admission_on(library):
    member_only = library.ids["SOC/2024/2"]
    # Kuwait applies: it gets the papers on its application, not the members' documents.
    assert await library.listed(KWT) == ["SOC/2024/1", "SOC/2024/4"]
    assert (await library.http.get(f"/documents/{member_only}", headers=KWT)).status_code == 404
    assert member_only not in await library.fed(KWT)

    # The Summit admits it; the registry's MemberAdmitted reaches this service.
    admitted_event = uuid.uuid4()
    async with library.engine.begin() as connection:
        await record_admission(
            connection, state="KWT", admitted_at=datetime.now(UTC) - timedelta(seconds=1),
            event_id=admitted_event,
        )

    assert await library.listed(KWT) == ["SOC/2024/1", "SOC/2024/2", "SOC/2024/4"]
    assert (await library.http.get(f"/documents/{member_only}", headers=KWT)).status_code == 200
    assert member_only in await library.fed(KWT)


async def test_an_admission_that_takes_effect_later_opens_nothing_yet(library):
    async with library.engine.begin() as connection:
        await record_admission(
            connection, state="QAT", admitted_at=datetime.now(UTC) + timedelta(days=30)
        )
    assert await library.listed(bearer(Role.MEMBER_STATE, "QAT")) == ["SOC/2024/1"]


async def test_recording_the_same_registry_event_again_changes_nothing(library):
    first, later = datetime(2022, 10, 13, tzinfo=UTC), datetime(2022, 10, 14, tzinfo=UTC)
    event_id = uuid.uuid4()
    for admitted_at in (first, later, first):
        async with library.engine.begin() as connection:
            await record_admission(
                connection, state="KWT", admitted_at=admitted_at, event_id=event_id
            )
    async with library.engine.connect() as connection:
        members = await admitted_members(connection)
        before_kuwait = await admitted_members(connection, at=first - timedelta(days=1))
        rows = (await connection.execute(
            select(membership_changes).where(membership_changes.c.state == "KWT"))).all()
    assert members == {"KAZ": FOUNDED, "KWT": first, "RUS": FOUNDED}
    assert set(before_kuwait) == {"KAZ", "RUS"}
    assert len(rows) == 1


async def record_change(library, state: str, change: MembershipChange, at: datetime) -> None:
    async with library.engine.begin() as connection:
        await record_membership_change(
            connection, state=state, change=change, effective_at=at, event_id=uuid.uuid4()
        )


async def test_a_suspended_state_reads_as_the_public_until_it_is_reinstated(library):
    member_only = library.ids["SOC/2024/2"]
    now = datetime.now(UTC)
    await record_change(library, "RUS", MembershipChange.SUSPENDED, now - timedelta(seconds=1))
    suspended = (await library.listed(RUS), await library.fed(RUS),
                 (await library.http.get(f"/documents/{member_only}", headers=RUS)).status_code)
    await record_change(library, "RUS", MembershipChange.REINSTATED, now)
    reinstated = await library.listed(RUS)

    assert suspended[0] == ["SOC/2024/1"]
    assert member_only not in suspended[1]
    assert suspended[2] == 404
    assert reinstated == ["SOC/2024/1", "SOC/2024/2"]


async def test_a_withdrawn_state_loses_member_access_from_its_effective_date_not_before(library):
    withdrawal = datetime.now(UTC) + timedelta(days=30)
    await record_change(library, "RUS", MembershipChange.WITHDRAWN, withdrawal)
    assert await library.listed(RUS) == ["SOC/2024/1", "SOC/2024/2"], "not yet in effect"
    async with library.engine.connect() as connection:
        assert await is_member_at(connection, "RUS", withdrawal - timedelta(seconds=1))
        assert not await is_member_at(connection, "RUS", withdrawal)
        known = await read_membership(connection)
    assert known.periods["RUS"] == (Period(FOUNDED.date(), withdrawal.date()),)

    await record_change(library, "RUS", MembershipChange.WITHDRAWN, datetime.now(UTC))
    assert await library.listed(RUS) == ["SOC/2024/1"]


async def test_a_state_admitted_at_the_first_instant_a_calendar_has_reads_as_a_member(library):
    """asyncpg stores 0001-01-01T00:00Z as -infinity and reads it back naive: the admitted list
    reads it back with its time zone, and the state reads as a member, no error."""
    dawn = datetime(1, 1, 1, tzinfo=UTC)
    async with library.engine.begin() as connection:
        await record_admission(connection, state="QAT", admitted_at=dawn)
    async with library.engine.connect() as connection:
        members = await admitted_members(connection)
        since = await member_since(connection, "QAT")

    assert members["QAT"] == since == dawn and since.tzinfo is not None
    assert "SOC/2024/2" in await library.listed(bearer(Role.MEMBER_STATE, "QAT"))


async def test_a_delivery_to_a_state_carries_only_what_the_state_may_read(library):
    """What a webhook or a live stream does before sending an event to a state's endpoint."""
    records = await library.store.read_all(after=0, limit=100)
    delivery = Principal(role=Role.MEMBER_STATE, subject="webhook:mfa.gov.ru", state="RUS")
    viewer = await load_viewer(library.engine, delivery)
    sent = await visible_records(
        viewer, records, engine=library.engine, stream_distributions=document_distributions
    )
    assert library.symbols_of([r.stream_id for r in sent]) == ["SOC/2024/1", "SOC/2024/2"]

    closed = await visible_records(
        viewer, records, engine=library.engine, stream_distributions=None
    )
    assert closed == [], "a service that declares no distribution feeds member states nothing"


@pytest.mark.parametrize(
    ("principal", "member", "readable"),
    [
        (Principal.public(), False, {"general"}),
        (Principal(Role.MEMBER_STATE, "d", "RUS"), True, {"general", "members"}),
        (Principal(Role.MEMBER_STATE, "d", "KAZ"), True, {"general", "members", "kaz"}),
        (Principal(Role.MEMBER_STATE, "d", "KWT"), False, {"general", "kwt"}),
        (Principal(Role.SECRETARIAT, "s"), False, {"general", "members", "kaz", "kwt"}),
        (Principal(Role.AUDITOR, "a"), False, {"general", "members", "kaz", "kwt"}),
        (Principal(Role.SERVICE, "service:x"), False, {"general", "members", "kaz", "kwt"}),
    ],
)
def test_the_rule_in_memory(principal, member, readable):
    distributions = {
        "general": GENERAL,
        "members": MEMBER_STATES_ONLY,
        "kaz": Distribution.restricted("KAZ", "TUR"),
        "kwt": Distribution.restricted("KWT"),
    }
    viewer = Viewer(principal, is_member=member)
    assert set(viewer.filter(distributions, distributions.__getitem__)) == readable


def test_a_distribution_names_states_exactly_when_restricted():
    assert Distribution.restricted("TUR", "KAZ", "KAZ").states == ("KAZ", "TUR")
    with pytest.raises(ValidationError):
        Distribution.restricted()
    with pytest.raises(ValidationError):
        Distribution(kind="general", states=("KAZ",))
    with pytest.raises(ValidationError):
        Distribution.restricted("Kazakhstan")
    assert Distribution.model_validate_json('{"kind": "member_states_only"}') == MEMBER_STATES_ONLY


# ------------------------------------------------------------------ acting for a state


async def test_a_member_state_cannot_speak_for_another_state_by_editing_the_body(library):
    before = len(await events_in(library.database_url))
    forged = await library.http.post(
        "/statements", json={"state": "RUS", "text": "We object."}, headers=KAZ
    )
    assert forged.status_code == 403
    assert forged.json()["type"] == "/problems/acting-for-another-state"
    assert forged.json()["state"] == "RUS"
    assert len(await events_in(library.database_url)) == before

    own = await library.http.post(
        "/statements", json={"state": "KAZ", "text": "We agree."}, headers=KAZ
    )
    for_a_state = await library.http.post(
        "/statements", json={"state": "RUS", "text": "Received by note verbale."},
        headers=SECRETARIAT,
    )
    by_auditor = await library.http.post(
        "/statements", json={"state": "KAZ", "text": "x"}, headers=AUDITOR
    )
    bad_code = await library.http.post(
        "/statements", json={"state": "kz", "text": "x"}, headers=KAZ
    )
    assert own.status_code == 201 and own.json()["state"] == "KAZ"
    assert for_a_state.status_code == 201 and for_a_state.json()["state"] == "RUS"
    assert by_auditor.status_code == 403, "auditors write nothing"
    assert bad_code.status_code == 422
    assert len(await events_in(library.database_url)) == before + 2


async def test_the_caller_is_the_actor_of_the_events_it_appends(library):
    made = await library.http.post(
        "/statements", json={"state": "KAZ", "text": "We agree."},
        headers=bearer(Role.MEMBER_STATE, "KAZ", subject="delegation-kaz-01"),
    )
    (row,) = [
        r for r in await events_in(library.database_url)
        if r["stream_id"] == made.json()["stream_id"]
    ]
    assert json.loads(row["metadata"])["actor"] == "member_state:KAZ:delegation-kaz-01"


async def test_the_callers_actor_ends_with_its_request(library):
    """The app runs in this test's own task (httpx's ASGI transport): what the request named
    as its actor is not the actor of what this task appends next."""
    await library.http.post(
        "/statements", json={"state": "KAZ", "text": "We agree."},
        headers=bearer(Role.MEMBER_STATE, "KAZ", subject="delegation-kaz-01"),
    )
    assert context.actor.get() is None


async def test_the_callers_actor_ends_with_its_request_under_access_control_alone():
    """The same where the app has access control and none of the HTTP conventions (as a
    test's feed served in process): what names the actor also bounds it."""
    app = FastAPI()
    install_access(app, TokenVerifier.from_settings(token_settings()))
    seen: list[str | None] = []

    @app.get("/whoami")
    @ANYONE
    async def whoami() -> None:
        seen.append(context.actor.get())

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as http:
        answer = await http.get("/whoami", headers=bearer(Role.AUDITOR))

    assert answer.status_code == 200, answer.text
    assert seen == ["auditor:dev:auditor"]
    assert context.actor.get() is None


# ------------------------------------------------------------------ idempotency per caller


async def test_an_idempotency_key_belongs_to_its_caller(library):
    key = str(uuid.uuid4())
    body = {"state": "KAZ", "text": "Proposed OP3."}
    alice = await library.http.post(
        "/statements", json=body,
        headers={**bearer(Role.SECRETARIAT, subject="alice"), "Idempotency-Key": key},
    )
    bob = await library.http.post(
        "/statements", json=body,
        headers={**bearer(Role.SECRETARIAT, subject="bob"), "Idempotency-Key": key},
    )
    alice_again = await library.http.post(
        "/statements", json=body,
        headers={
            "Authorization": f"Bearer {token(Role.SECRETARIAT, subject='alice', ttl=timedelta(hours=2))}",  # noqa: E501
            "Idempotency-Key": key,
        },
    )

    assert alice.status_code == bob.status_code == alice_again.status_code == 201
    assert "idempotent-replayed" not in bob.headers, "bob never gets alice's answer"
    assert bob.json()["stream_id"] != alice.json()["stream_id"]
    assert alice_again.headers["idempotent-replayed"] == "true", "a new token, the same caller"
    assert alice_again.json() == alice.json()
    statements = [r for r in await events_in(library.database_url)
                  if r["event_type"] == "StatementMade"]
    assert len(statements) == 2


async def test_a_bad_token_with_an_idempotency_key_keeps_nothing(library):
    key = str(uuid.uuid4())
    body = {"state": "KAZ", "text": "We agree."}
    refused = await library.http.post(
        "/statements", json=body, headers={**expired_bearer(), "Idempotency-Key": key}
    )
    made = await library.http.post(
        "/statements", json=body, headers={**KAZ, "Idempotency-Key": key}
    )
    assert refused.status_code == 401
    assert made.status_code == 201 and "idempotent-replayed" not in made.headers


# ------------------------------------------------------------------ logs


async def test_tokens_never_reach_the_logs(library, capsys):
    configure_logging(service="access-test", level="DEBUG")
    secret_token = token(Role.MEMBER_STATE, "KAZ")
    expired = expired_bearer()["Authorization"].removeprefix("Bearer ")
    await library.http.get("/documents", headers={"Authorization": f"Bearer {secret_token}"})
    await library.http.get("/documents", headers={"Authorization": f"Bearer {expired}"})
    await library.http.post(
        "/statements", json={"state": "KAZ", "text": "x"},
        headers={"Authorization": f"Bearer {secret_token}", "Idempotency-Key": "k-1"},
    )
    out = capsys.readouterr().out
    assert '"path": "/documents"' in out, "the access log was written"
    assert secret_token not in out and expired not in out
    assert secret_token.split(".")[1] not in out, "not even the claims part"
