"""``Idempotency-Key`` on POST: a retried command gets the first answer instead of running twice.

A pure ASGI middleware. The answers live in the service's own PostgreSQL table
``idempotency_keys`` (through ``app.state.engine``), so every process of the service shares
them. For a POST that carries the header:

- the key is claimed (a ``pending`` row holding the request's fingerprint: sha256 over the
  method, path, query string, body and If-Match header) in a short transaction of its own, then
  the request runs;
- an answer below 500 is stored with the row (``done``) before the client receives its last
  byte; an answer of 500 or more, or an exception, releases the key so the client can retry;
- the same key with the same request again: the stored answer (status, body, Content-Type,
  ETag, Location), marked ``Idempotent-Replayed: true``;
- the same key with another request: 422 (a request with another If-Match is another request:
  a 412 answered to a stale If-Match is never replayed to one that sends a fresh one); while
  the first request with the key is still running: 409 with ``Retry-After``;
- a ``pending`` row that nothing has kept alive for a whole lease (its request's process died)
  is taken over by the next request that has the same fingerprint;
- an answer to keep, or a key to give up, that the database does not take because it is away
  for a moment (a restart, a dropped connection) is written once it is back, within
  `DEFERRED_OUTCOME_LIMIT`: the client has its answer meanwhile, and a retry with the key gets
  the 409 until then, not for a whole lease (a 503 answered in the outage would otherwise hold
  its key for up to the lease, 60 s by default; an answer not kept would be run again). A
  process that stops before then leaves them to the lease, as one that dies does.

A claim must not be taken over while its request still runs, or the command runs twice. Two
things see to it:

- a heartbeat: while the request runs, a task tied to it refreshes the claim's ``updated_at``
  every third of the lease (a short transaction each time, holding no connection in between),
  and is stopped when the request answers, fails or is cancelled. A handler slower than the
  lease keeps its key, and a retry meanwhile gets the 409; only a claim whose process no longer
  beats (dead, or stopped for a whole lease) is ever taken over;
- fencing: each claim has a token, the moment it was made (the row's ``created_at``, stamped
  anew by a takeover; two claims of one key are at least a lease apart, so they never share
  one). The heartbeat, the stored answer and the release are each an UPDATE or DELETE
  conditional on the token, so a request that lost its claim (its process was paused past the
  lease, or could not reach the database to beat) never stores its answer over the new claim's,
  nor releases the new claim's key: it logs ``idempotency.claim_lost`` and its client still
  gets its answer, which no retry will replay.

What fencing cannot undo is the work of a request taken over anyway: it and the new claimant
both ran the command. The event log then holds what the two runs decided, each on the state it
read. Both appends state the version they decided on, so they never interleave. A command sent
with If-Match (an expected version) appends once: the later run gets a conflict (412). One sent
without it is decided again on the newer state, so its rules see the first run's events: a
command they refuse the second time appends once, and one they allow twice is recorded twice.
The answer kept for retries is the new claimant's either way, even when it is the conflict or
the refusal and the events are the first run's. It takes a process stopped, or cut off from its
database, for longer than the lease (60 s by default) to get there.

A POST without the header passes through untouched. Keys belong to the caller: the same key
sent by two callers (two principals, see `shared.access`) names two entries, so one client can
neither replay nor block another's answer; a caller keeps its keys across new tokens. A caller
the route does not admit never gets this far (`shared.http.admission` refuses it first), so no
key is ever claimed for a request that is refused for who sent it.

Secrets are never kept: a route whose answer shows a secret once (a webhook's signing secret)
declares the members that hold it with `@withheld_from_replays("secret")`. The stored answer,
and so every replay, has them null and lists them in ``withheld``; the first answer alone
carries them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from sqlalchemy import ColumnElement, Interval, and_, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.eventstore.schema import idempotency_keys
from shared.http.problems import ProblemError, database_unavailable, problem_response
from shared.http.text import read_body, replaying

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

IDEMPOTENCY_KEY_HEADER = "idempotency-key"
IF_MATCH_HEADER = "if-match"
WITHHELD_MEMBER = "withheld"
REPLAYED_HEADER = "idempotent-replayed"
DEFAULT_LEASE = timedelta(seconds=60)
# The headers of an answer that a replay repeats (with the status and the body).
REPLAYED_RESPONSE_HEADERS = frozenset({"content-type", "etag", "location"})

DEFERRED_OUTCOME_LIMIT = timedelta(minutes=10)
"""How long an outcome the database missed (an answer to keep, a key to give up) is tried
again; past it, the claim is left to its lease (a retry then takes it over and runs again)."""
_DEFERRED_MOST = 10_000  # outcomes waiting at once (those of the requests in flight in an outage)
_DEFERRED_FIRST_PAUSE = 0.1  # seconds before the next attempt, doubled after each failure...
_DEFERRED_LONGEST_PAUSE = 1.0  # ...up to this: less than the 409's Retry-After

_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_CLAIM_ATTEMPTS = 3

log = structlog.get_logger("cica.idempotency")

E = TypeVar("E", bound=Callable[..., Any])
_WITHHELD_ATTRIBUTE = "__cica_withheld_from_replays__"


def withheld_from_replays(*members: str) -> Callable[[E], E]:
    """Declare that a route's JSON answer shows secrets, once, in these top-level `members`:
    the answer kept for an Idempotency-Key (and so every replay of it) has them null and names
    them in ``withheld``, so that the secret is never at rest in the ``idempotency_keys``
    table. Placed under the router's decorator, like the access rule::

        @router.post("/endpoints", status_code=201)
        @WRITERS
        @withheld_from_replays("secret")
        async def register_endpoint(...) -> EndpointWithSecretOut: ...
    """
    if not members:
        raise ValueError("name at least one member of the answer to withhold")

    def declare(endpoint: E) -> E:
        setattr(endpoint, _WITHHELD_ATTRIBUTE, frozenset(members))
        return endpoint

    return declare


def withheld_members(scope: Scope) -> frozenset[str]:
    """The members the route that answered `scope` withholds from replays (none if it
    declares none, or if no route answered)."""
    endpoint = getattr(scope.get("route"), "endpoint", None)
    members = getattr(endpoint, _WITHHELD_ATTRIBUTE, None)
    return members if isinstance(members, frozenset) else frozenset()


def without_secrets(body: bytes, members: frozenset[str]) -> bytes | None:
    """`body` as it may be kept: each of `members` of its JSON object null, and named in
    ``withheld``; `body` itself when it holds none of them (a problem, say); None when it is no
    JSON object yet may hold them (it cannot be kept)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    present = sorted(member for member in members if member in answer)
    if not present:
        return body
    for member in present:
        answer[member] = None
    answer[WITHHELD_MEMBER] = present
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


class InvalidIdempotencyKeyError(
    ProblemError,
    status=400,
    title="Invalid Idempotency-Key",
    type_="/problems/invalid-idempotency-key",
): ...


class IdempotencyKeyReusedError(
    ProblemError,
    status=422,
    title="Idempotency-Key reused",
    type_="/problems/idempotency-key-reused",
):

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was first used with another request (method, path, query or "
            "body); use a new key for a new request."
        )


class IdempotencyKeyInProgressError(
    ProblemError,
    status=409,
    title="Request in progress",
    type_="/problems/idempotency-key-in-progress",
):

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry later to "
            "get its answer."
        )
        self.headers["Retry-After"] = "1"


def request_fingerprint(
    method: str, path: str, query_string: bytes, body: bytes, *, if_match: str | None = None
) -> bytes:
    """sha256 over the parts that make two requests "the same request" (length-prefixed, so
    that no two different requests share the bytes hashed). The If-Match header is a part when
    the request sends one: a write conditional on another version is another request."""
    digest = hashlib.sha256()
    parts = [method.upper().encode(), path.encode(), query_string, body]
    if if_match is not None:
        parts.append(if_match.encode("latin-1"))
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def idempotency_key_of(headers: Headers) -> str | None:
    """The request's Idempotency-Key: None when absent; `InvalidIdempotencyKeyError` unless it
    is one value of 1 to 255 printable ASCII characters."""
    values = headers.getlist(IDEMPOTENCY_KEY_HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidIdempotencyKeyError("Send one Idempotency-Key header, not several.")
    if not _VALID_KEY.fullmatch(values[0]):
        raise InvalidIdempotencyKeyError(
            "An Idempotency-Key is 1 to 255 printable ASCII characters (a UUID will do)."
        )
    return values[0]


@dataclass
class StoredAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> Response:
        response = Response(self.body, status_code=self.status)
        for name, value in self.headers:
            response.headers.append(name, value)
        response.headers[REPLAYED_HEADER] = "true"
        return response


@dataclass
class _Claimed:
    """This request owns `key` under `token` (when it claimed it: the row's created_at), as
    long as the row still has that token. `lost` once it found out that it no longer does."""

    key: str
    token: datetime
    lost: bool = False

    def owned(self) -> ColumnElement[bool]:
        """The condition of every write this claimant makes: its claim is still the key's."""
        table = idempotency_keys
        return and_(
            table.c.key == self.key,
            table.c.state == "pending",
            table.c.created_at == self.token,
        )

    def found_lost(self, when: str) -> None:
        """Log, once, that the key was taken over (or forgotten) under this claimant."""
        if not self.lost:
            self.lost = True
            log.warning("idempotency.claim_lost", key=self.key, when=when)


@dataclass
class _Outcome:
    """What became of a claimed request, to be written: its answer kept (an UPDATE) or its key
    given up (a DELETE), `statement` conditional on the claim (`_Claimed.owned`)."""

    engine: AsyncEngine
    claim: _Claimed
    statement: Executable
    when: str  # "storing its answer", "releasing its key": what `found_lost` says
    until: float = 0.0  # time.monotonic() past which it is no longer tried, once deferred

    async def write(self) -> None:
        async with self.engine.begin() as connection:
            written = (await connection.execute(self.statement)).rowcount
        if not written:
            self.claim.found_lost(self.when)


class _Heartbeat:
    """Keeps a claim alive while its request runs: refreshes its ``updated_at`` every `every`
    seconds, in a transaction of its own each time, until `stop`. A beat that cannot reach the
    database is tried again at the next one (the lease has room for two missed beats); a beat
    that finds the claim gone ends the heartbeat, since nothing can bring it back."""

    def __init__(self, engine: AsyncEngine, claim: _Claimed, *, every: float) -> None:
        self._engine = engine
        self._claim = claim
        self._every = every
        self._stopped = asyncio.Event()
        self._task = asyncio.create_task(self._beat(), name="idempotency-heartbeat")

    async def _beat(self) -> None:
        refresh = update(idempotency_keys).where(self._claim.owned()).values(updated_at=func.now())
        while True:
            try:
                await asyncio.wait_for(self._stopped.wait(), self._every)
            except TimeoutError:
                pass  # time for a beat
            else:
                return
            try:
                async with self._engine.begin() as connection:
                    kept = (await connection.execute(refresh)).rowcount
            except (OSError, SQLAlchemyError) as error:
                log.warning("idempotency.heartbeat_failed", key=self._claim.key, error=repr(error))
                continue
            if not kept:
                self._claim.found_lost("keeping it alive")
                return

    async def stop(self) -> None:
        """End the heartbeat: at once when it is waiting, after its beat when it is beating
        (so that no beat is cut off in the middle of its transaction), or, should the database
        hang, after one more period at most."""
        self._stopped.set()
        await asyncio.wait({self._task}, timeout=self._every)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class _CapturedAnswer:
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        lease: timedelta = DEFAULT_LEASE,
        methods: Iterable[str] = ("POST",),
    ) -> None:
        self.app = app
        self.lease = lease
        self.methods = frozenset(method.upper() for method in methods)
        self._deferred: deque[_Outcome] = deque()
        self._deferred_writer: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        try:
            key = idempotency_key_of(Headers(scope=scope))
        except InvalidIdempotencyKeyError as error:
            await problem_response(scope, error)(scope, receive, send)
            return
        if key is None:
            await self.app(scope, receive, send)
            return
        owner = _owner_of(scope)
        if owner is None:  # credentials that do not verify: the app refuses, nothing is kept
            await self.app(scope, receive, send)
            return
        key = scoped_key(owner, key)

        body = await read_body(receive)
        if body is None:  # the client went away before sending its request
            return
        if_match = Headers(scope=scope).getlist(IF_MATCH_HEADER)
        fingerprint = request_fingerprint(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            body,
            if_match=",".join(if_match) if if_match else None,
        )
        engine = _engine_of(scope)
        try:
            outcome = await self._claim(engine, key, fingerprint)
        except (IdempotencyKeyReusedError, IdempotencyKeyInProgressError) as error:
            await problem_response(scope, error)(scope, receive, send)
            return
        if isinstance(outcome, StoredAnswer):
            await outcome.response()(scope, receive, send)
            return

        await self._run_and_remember(scope, replaying(body, receive), send, engine, outcome)

    async def _run_and_remember(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        engine: AsyncEngine,
        claim: _Claimed,
    ) -> None:
        """Run the request with its claim kept alive, and keep its answer (or release the key)."""
        answer = _CapturedAnswer()
        stored = False
        heartbeat = _Heartbeat(engine, claim, every=self.lease.total_seconds() / 3)

        async def remember_then_send(message: Message) -> None:
            nonlocal stored
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = [
                    (name.decode("latin-1").lower(), value.decode("latin-1"))
                    for name, value in message.get("headers", ())
                    if name.decode("latin-1").lower() in REPLAYED_RESPONSE_HEADERS
                ]
            elif message["type"] == "http.response.body":
                answer.chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
                if complete and answer.status is not None and answer.status < 500:
                    # Stored before the client has the whole answer, so that a retry the
                    # client makes as soon as it has it finds it.
                    kept = _keepable(scope, b"".join(answer.chunks))
                    if kept is not None:
                        # The heartbeat ends first: a beat after the answer is stored would
                        # find the claim no longer pending, and take it for lost.
                        await heartbeat.stop()
                        await self._store(engine, claim, answer.status, answer.headers, kept)
                        stored = True
            await send(message)

        try:
            await self.app(scope, receive, remember_then_send)
        except BaseException:
            await heartbeat.stop()
            if not stored:
                await self._release(engine, claim)
            raise
        await heartbeat.stop()
        if not stored:
            await self._release(engine, claim)

    async def _claim(
        self, engine: AsyncEngine, key: str, fingerprint: bytes
    ) -> _Claimed | StoredAnswer:
        """Take the key for this request, or find what became of the request that has it."""
        table = idempotency_keys
        claim = insert(table).values(
            key=key,
            fingerprint=fingerprint,
            state="pending",
            created_at=func.now(),
            updated_at=func.now(),
        )
        # A takeover makes a new claim: a new token, so that the claimant it replaces can no
        # longer keep it alive, store an answer in it, or release it.
        claim = claim.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"created_at": func.now(), "updated_at": func.now()},
            where=and_(
                table.c.state == "pending",
                table.c.fingerprint == claim.excluded.fingerprint,
                table.c.updated_at < func.now() - literal(self.lease, Interval()),
            ),
        ).returning(table.c.created_at)
        find = select(
            table.c.fingerprint, table.c.state, table.c.status_code, table.c.headers, table.c.body
        ).where(table.c.key == key)

        for _ in range(_CLAIM_ATTEMPTS):
            async with engine.begin() as connection:
                token = (await connection.execute(claim)).scalar_one_or_none()
            if token is not None:
                return _Claimed(key=key, token=token)
            async with engine.begin() as connection:
                row = (await connection.execute(find)).one_or_none()
            if row is None:
                continue  # released meanwhile (its answer was a 5xx): claim it again
            if row.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError()
            if row.state == "pending":
                raise IdempotencyKeyInProgressError()
            return StoredAnswer(
                status=row.status_code,
                headers=[(name, value) for name, value in row.headers],
                body=row.body,
            )
        raise IdempotencyKeyInProgressError()

    async def _store(
        self,
        engine: AsyncEngine,
        claim: _Claimed,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        """Keep the answer, if the claim is still this request's (else the new claimant's
        answer, or its claim, stays: see the module's docstring)."""
        statement = (
            update(idempotency_keys)
            .where(claim.owned())
            .values(
                state="done",
                status_code=status,
                headers=[list(pair) for pair in headers],
                body=body,
                updated_at=func.now(),
            )
        )
        await self._settle(_Outcome(engine, claim, statement, "storing its answer"))

    async def _release(self, engine: AsyncEngine, claim: _Claimed) -> None:
        """Give the key up (no answer to keep), if the claim is still this request's."""
        statement = delete(idempotency_keys).where(claim.owned())
        await self._settle(_Outcome(engine, claim, statement, "releasing its key"))

    async def _settle(self, outcome: _Outcome) -> None:
        """Write `outcome` now; if the database does not answer, once it is back (deferred)."""
        try:
            await outcome.write()
        except Exception as error:
            if not database_unavailable(error):
                raise
            self._defer(outcome, error)

    def _defer(self, outcome: _Outcome, error: Exception) -> None:
        """Queue `outcome` for `_write_deferred`, starting it if it is not running."""
        log.warning(
            "idempotency.outcome_deferred",
            key=outcome.claim.key,
            when=outcome.when,
            error=repr(error),
        )
        if len(self._deferred) >= _DEFERRED_MOST:
            self._abandon(self._deferred.popleft(), "too many waiting")
        outcome.until = time.monotonic() + DEFERRED_OUTCOME_LIMIT.total_seconds()
        self._deferred.append(outcome)
        if self._deferred_writer is None or self._deferred_writer.done():
            self._deferred_writer = asyncio.create_task(
                self._write_deferred(), name="idempotency-deferred-outcomes"
            )

    async def _write_deferred(self) -> None:
        """Write the deferred outcomes, oldest first: one attempt at a time while the database
        is away (pausing twice as long after each failure, up to `_DEFERRED_LONGEST_PAUSE`),
        the rest at once when one is written."""
        pause = _DEFERRED_FIRST_PAUSE
        while self._deferred:
            await asyncio.sleep(pause)
            outcome = self._deferred[0]
            if time.monotonic() > outcome.until:
                self._taken_off(outcome)
                self._abandon(outcome, "the database was away too long")
                continue
            try:
                await outcome.write()
            except Exception as error:
                if database_unavailable(error):
                    pause = min(max(2 * pause, _DEFERRED_FIRST_PAUSE), _DEFERRED_LONGEST_PAUSE)
                    continue
                self._taken_off(outcome)
                self._abandon(outcome, repr(error))
                continue
            self._taken_off(outcome)
            log.info("idempotency.outcome_written", key=outcome.claim.key, when=outcome.when)
            pause = 0.0

    def _taken_off(self, outcome: _Outcome) -> None:
        """`outcome` off the queue, unless `_defer` dropped it meanwhile (the queue was full
        while it was being written): then the first is another, left where it is."""
        if self._deferred and self._deferred[0] is outcome:
            self._deferred.popleft()

    @staticmethod
    def _abandon(outcome: _Outcome, reason: str) -> None:
        """Leave the claim to its lease: a retry with its fingerprint takes it over then."""
        log.error(
            "idempotency.outcome_abandoned",
            key=outcome.claim.key,
            when=outcome.when,
            reason=reason,
        )


async def forget_idempotency_keys(engine: AsyncEngine, *, older_than: timedelta) -> int:
    """Delete the answers (and abandoned claims) last touched more than `older_than` ago; a
    retry after that runs the request again. Returns how many keys were forgotten."""
    table = idempotency_keys
    statement = delete(table).where(
        table.c.updated_at < func.now() - literal(older_than, Interval())
    )
    async with engine.begin() as connection:
        return (await connection.execute(statement)).rowcount


async def forget_idempotency_keys_periodically(
    engine: AsyncEngine, *, older_than: timedelta, every: timedelta
) -> None:
    """`forget_idempotency_keys` for ever, every `every` (a service's background task)."""
    while True:
        try:
            forgotten = await forget_idempotency_keys(engine, older_than=older_than)
            if forgotten:
                log.info("idempotency.forgotten", keys=forgotten)
        except (OSError, SQLAlchemyError) as error:  # the database is away: try next time
            log.warning("idempotency.forget_failed", error=repr(error))
        await asyncio.sleep(every.total_seconds())


def scoped_key(owner: str, key: str) -> str:
    """The stored key: the client's key within its caller's scope, so that one caller can
    neither replay nor block another's answer. (A key has no newline, so the pair is
    unambiguous.)"""
    return f"{owner}\n{key}" if owner else key


def _owner_of(scope: Scope) -> str | None:
    """Whose keys the request uses: the app's ``idempotency_scope(scope)`` (installed by
    `shared.access.install_access`: the caller, or None for credentials that do not verify);
    one scope for all when the app has no access control."""
    resolve: Any = getattr(scope["app"].state, "idempotency_scope", None)
    return resolve(scope) if resolve is not None else ""


def _keepable(scope: Scope, body: bytes) -> bytes | None:
    """The answer `body` as it may be kept: without the secrets its route withholds from
    replays; None when it cannot be kept (its key is then released, and a retry runs again)."""
    members = withheld_members(scope)
    if not members:
        return body
    kept = without_secrets(body, members)
    if kept is None:
        log.warning("idempotency.answer_not_kept", path=scope.get("path"))
    return kept


def _engine_of(scope: Scope) -> AsyncEngine:
    engine: Any = getattr(scope["app"].state, "engine", None)
    if engine is None:
        raise RuntimeError("IdempotencyMiddleware needs the service's engine in app.state.engine")
    return engine
