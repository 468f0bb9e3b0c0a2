"""Who may call a route: each route declares a rule, one app-wide dependency enforces it.

A route states its rule with a decorator placed *under* the router's::

    from shared.access import Caller, Role, allow

    @router.post("/documents/{document_id}/amendments", status_code=201)
    @allow(Role.MEMBER_STATE, Role.SECRETARIAT)
    async def propose_amendment(document_id: UUID, body: AmendmentIn, caller: Caller) -> ...:
        ...

or with one of the named rules: `ANYONE` (the public included), `SECRETARIAT_ONLY`,
`LOG_READERS` (Secretariat, auditors, services), `FEED_READERS` (the log readers, and member
states and the public where the service declares its streams' distribution).

`install_access` (called by `create_service_app` before any route is added) makes
`authenticate` a dependency of every route of the app, so a route is guarded whether or not it
asks for the `Caller`:

- no token, and the rule does not admit the public: 401 with ``WWW-Authenticate: Bearer``;
- a token that does not verify (expired, not yet valid, another key, another issuer or
  audience, malformed): 401 with the RFC 6750 ``invalid_token`` challenge, on every route;
- a valid token whose role the rule does not admit: 403 problem+json;
- the token comes in the Authorization header; a route whose rule says so (`query_token`:
  ``GET /live``, for browsers' ``EventSource``, which cannot set headers) also takes it as the
  RFC 6750 §2.3 ``access_token`` query parameter. Any other route given ``?access_token=``
  refuses it (400 ``invalid_request``: it never authenticates there, and the client learns
  why rather than being served as the public), and so does ``/live`` given a token both ways
  (RFC 6750 §2: one method per request);
- a route that declares no rule admits nobody (and fails `check_access_rules`);
- auditors and the public never write: a rule is never taken to admit them on a POST, PUT,
  PATCH or DELETE.

The same judgement is made once more, earlier: `refuse_before_the_body` (installed as the app's
``access_gate``, which `shared.http.admission.AdmissionMiddleware` calls) finds the route a
request goes to and judges its Authorization header before anything reads the request's body.
So a caller the route does not admit gets its 401 or 403 before the body is read, parsed or
validated, and before an Idempotency-Key is claimed for it; the dependency stays, as the guard
inside the app and the source of the `Caller`.

Both judge the token synchronously, with the keys the verifier has. Where they come from an
identity provider (``CICA_JWT_JWKS_URL``, ``CICA_OIDC_ISSUER``), `IdentityProviderKeys`, the
outermost of these middlewares, first awaits whatever fetch of its keys the token calls for (a
key id it has not seen yet, keys past their time to live): so no request blocks the event loop
on the network, and the gate, the idempotency middleware and `authenticate` all judge the token
with the same keys.

Each operation of the app's OpenAPI document carries its rule as ``x-cica-access``
(``{"roles": [...]}``) and its bearer-token security requirement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, QueryParams
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared import context
from shared.access.distribution import StreamDistributions, Viewer, load_viewer
from shared.access.principals import NEVER_WRITE, Principal, Role
from shared.access.tokens import TokenRequestError, TokenVerifier, UnauthenticatedError
from shared.domain import ForbiddenError
from shared.http.routes import api_routes, route_candidates

ACCESS_EXTENSION = "x-cica-access"
SECURITY_SCHEME = "bearer"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
QUERY_TOKEN = "access_token"
"""The query parameter a route whose rule takes one reads the bearer token from (RFC 6750)."""
_RULE_ATTRIBUTE = "__cica_access__"

E = TypeVar("E", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """The roles that may call a route. Applied to an endpoint as a decorator."""

    roles: frozenset[Role]
    query_token: ClassVar[bool] = False
    """Whether the route also takes the token as the `QUERY_TOKEN` query parameter."""

    def __call__(self, endpoint: E) -> E:
        setattr(endpoint, _RULE_ATTRIBUTE, self)
        return endpoint

    def roles_in(self, app: FastAPI) -> frozenset[Role]:
        """The roles admitted in `app` (a rule may depend on what the app declares)."""
        return self.roles

    def roles_for(self, app: FastAPI, method: str) -> frozenset[Role]:
        """The roles admitted to call `method` in `app`: never a role that does not write,
        for a method that writes."""
        roles = self.roles_in(app)
        if method.upper() not in SAFE_METHODS:
            roles = roles - NEVER_WRITE
        return roles


def allow(*roles: Role | str) -> AccessRule:
    """The rule admitting exactly `roles` (`Role.PUBLIC` for callers with no token)."""
    if not roles:
        raise ValueError("name at least one role; a route nobody may call is no route")
    return AccessRule(frozenset(Role(role) for role in roles))


@dataclass(frozen=True)
class FeedRule(AccessRule):
    """A log's readers: `roles` always; member states and the public too when the app
    declares the distribution of its streams (they then read only what it lets them see)."""

    def roles_in(self, app: FastAPI) -> frozenset[Role]:
        if getattr(app.state, "stream_distributions", None) is None:
            return self.roles
        return self.roles | {Role.MEMBER_STATE, Role.PUBLIC}


ANYONE = allow(*Role)
SECRETARIAT_ONLY = allow(Role.SECRETARIAT)
LOG_READERS = allow(Role.SECRETARIAT, Role.AUDITOR, Role.SERVICE)
FEED_READERS = FeedRule(LOG_READERS.roles)


def rule_of(endpoint: Callable[..., Any]) -> AccessRule | None:
    rule = getattr(endpoint, _RULE_ATTRIBUTE, None)
    return rule if isinstance(rule, AccessRule) else None


# ------------------------------------------------------------------ the caller


def bearer_token(headers: Headers) -> str | None:
    """The request's bearer token; None when it sends no Authorization header."""
    values = headers.getlist("authorization")
    if not values:
        return None
    if len(values) > 1:
        raise UnauthenticatedError("Send one Authorization header.", invalid_token=True)
    scheme, _, token = values[0].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise UnauthenticatedError(
            "Send the token as `Authorization: Bearer <token>`.", invalid_token=True
        )
    return token


def principal_of(headers: Headers, verifier: TokenVerifier) -> Principal:
    """Who the request's headers say is calling: the public without a token, the token's
    principal with a valid one; `UnauthenticatedError` for a token that does not verify."""
    token = bearer_token(headers)
    if token is None:
        return Principal.public()
    return verifier.verify(token)


def request_token(scope: Scope, rule: AccessRule | None) -> str | None:
    """The bearer token of the request `scope` describes, for a route with `rule`: its
    Authorization header, or, where the rule takes one (`AccessRule.query_token`), its
    `QUERY_TOKEN` query parameter; None when it sends neither. `TokenRequestError` (400) for a
    query token on any other route, or for a token sent both ways (or twice)."""
    header = bearer_token(Headers(scope=scope))
    in_query = QueryParams(scope.get("query_string", b"")).getlist(QUERY_TOKEN)
    if not in_query:
        return header
    if rule is None or not rule.query_token:
        raise TokenRequestError(
            f"This route takes no {QUERY_TOKEN} query parameter (only GET /live does); send "
            "the token as `Authorization: Bearer <token>`."
        )
    if header is not None or len(in_query) > 1:
        raise TokenRequestError(
            f"Send the token one way: the Authorization header or one {QUERY_TOKEN} query "
            "parameter, not both."
        )
    if not in_query[0].strip():
        raise UnauthenticatedError(f"The {QUERY_TOKEN} parameter is empty.", invalid_token=True)
    return in_query[0].strip()


def identify(scope: Scope, rule: AccessRule | None) -> tuple[Principal, float | None]:
    """Who the request `scope` describes is calling a route with `rule` (the public without
    a token), and when its token expires (None: no token)."""
    token = request_token(scope, rule)
    if token is None:
        return Principal.public(), None
    return _verifier_of(scope["app"]).verify_with_expiry(token)


def offered_token(scope: Scope) -> str | None:
    """The token the request `scope` describes offers, in its Authorization header or else in
    its `QUERY_TOKEN` query parameter, without judging how it is sent (`request_token` does)."""
    try:
        header = bearer_token(Headers(scope=scope))
    except UnauthenticatedError:
        header = None
    if header is not None:
        return header
    in_query = QueryParams(scope.get("query_string", b"")).get(QUERY_TOKEN, "").strip()
    return in_query or None


class IdentityProviderKeys:
    """Fetches the identity provider's keys a request's token calls for
    (`TokenVerifier.ensure_keys_for`) before anything judges the token; refuses nothing
    itself. Installed by `install_access` for a verifier with an identity provider."""

    def __init__(self, app: ASGIApp, *, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (token := offered_token(scope)) is not None:
            await self.verifier.ensure_keys_for(token)
        await self.app(scope, receive, send)


def _verifier_of(app: Any) -> TokenVerifier:
    verifier = getattr(app.state, "token_verifier", None)
    if verifier is None:
        raise RuntimeError("this app has no access control: call install_access(app, ...)")
    return verifier


async def authenticate(request: Request) -> Principal:
    """The app-wide dependency: who is calling, and whether the route admits them. From here
    to the end of the request, the principal is the actor recorded in the metadata of the
    events it appends; `RequestActor`, which `install_access` installs with it, gives each
    request an actor of its own and restores the one before when the request ends. (A plain
    function, not a generator that resets it: FastAPI's exit stack and cancel scope for a
    generator dependency cost about 5% of a service's CPU on every request, profiled.)"""
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    rule = rule_of(endpoint) if endpoint is not None else None
    principal, expires_at = identify(request.scope, rule)
    judge(principal, rule, request.app, request.method)
    request.state.principal = principal
    request.state.token_expires_at = expires_at
    context.actor.set(actor_of(principal))
    return principal


class RequestActor:
    """Each request's actor is its own: none until `authenticate` names one, and the one before
    is back when the request ends, so that it never outlives its request where the app runs
    in its caller's task (an app called in process, through httpx's ASGI transport)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = context.actor.set(None)
        try:
            await self.app(scope, receive, send)
        finally:
            context.actor.reset(token)


def judge(principal: Principal, rule: AccessRule | None, app: Any, method: str) -> None:
    """Nothing when `rule` admits `principal` to call `method` in `app`; else the refusal:
    `UnauthenticatedError` (401) for the public, `ForbiddenError` (403) for anyone else."""
    if rule is not None and principal.role in rule.roles_for(app, method):
        return
    if principal.is_public:
        raise UnauthenticatedError("This needs a bearer token (Authorization: Bearer ...).")
    if rule is None:
        raise ForbiddenError("This route declares no access rule, so nobody may call it.")
    raise ForbiddenError(f"A {principal.role.value} caller may not do this.")


def refuse_before_the_body(scope: Scope) -> None:
    """Raise the refusal `authenticate` would give the request `scope` describes, judged from
    the declared rule of the API route it goes to and its token (`request_token`) alone:
    nothing of its body is read. Does nothing when no API route of the app matches it fully (the app
    answers 404 or 405, or serves a route that is not an API operation, such as /docs) or when
    the route admits the caller (the app then runs `authenticate` as always)."""
    app = scope["app"]
    endpoint = endpoint_of(app, scope)
    if endpoint is None:
        return
    rule = rule_of(endpoint)
    principal, _ = identify(scope, rule)
    judge(principal, rule, app, scope["method"])


ENDPOINTS_KEPT = 1024
"""Paths whose endpoint `endpoint_of` keeps, per app."""
KEPT_PATH_LENGTH = 512
"""The longest path `endpoint_of` keeps (what it keeps is bounded in bytes too)."""


def endpoint_of(app: Any, scope: Scope) -> Callable[..., Any] | None:
    """The endpoint of the API route the app's router will pick for `scope` (the first that
    matches path and method, in the router's order), None when that is no API route. The
    router's own matching on a copy of the scope: the decision is the router's, not a second
    opinion of it.

    What it found is kept per app for the path, method and route table it was found for, at
    most `ENDPOINTS_KEPT` paths of `KEPT_PATH_LENGTH` characters or fewer, the oldest dropped
    first: matching tries the routes one by one (about 4% of a service's CPU under load,
    profiled), and a client calls the same paths again and again. A path not kept costs what
    it cost before."""
    key = (scope["type"], scope.get("method"), scope.get("root_path", ""), scope["path"],
           len(app.router.routes))  # fmt: skip
    kept: dict[tuple[Any, ...], Callable[..., Any] | None] | None = getattr(
        app.state, "cica_endpoints", None
    )
    if kept is None:
        kept = app.state.cica_endpoints = {}
    elif key in kept:
        return kept[key]
    endpoint = _match_endpoint(app, scope)
    if len(scope["path"]) > KEPT_PATH_LENGTH:
        return endpoint
    if len(kept) >= ENDPOINTS_KEPT:
        del kept[next(iter(kept))]
    kept[key] = endpoint
    return endpoint


def _match_endpoint(app: Any, scope: Scope) -> Callable[..., Any] | None:
    probe = {**scope, "fastapi": {}}  # matching reads (and may write) FastAPI's scope entry
    for route, candidate in route_candidates(app):
        match, _ = candidate.matches(probe)
        if match is Match.FULL:
            return route.endpoint if isinstance(route, APIRoute) else None
    return None


def actor_of(principal: Principal) -> str:
    """How event metadata names the caller: ``member_state:KAZ:delegation-kaz-01``."""
    return ":".join(part for part in (principal.role.value, principal.state, principal.subject)
                    if part)


Caller = Annotated[Principal, Depends(authenticate)]
"""The principal of the request (already admitted by the route's rule)."""


async def current_viewer(request: Request, caller: Caller) -> Viewer:
    if caller.role is not Role.MEMBER_STATE:  # no membership to look up
        return Viewer(caller)
    return await load_viewer(request.app.state.engine, caller)


CallerView = Annotated[Viewer, Depends(current_viewer)]
"""The caller as the distribution rule sees it (see `shared.access.distribution`)."""


def idempotency_scope(scope: Scope) -> str | None:
    """Whose Idempotency-Key a request uses: the caller's `Principal.scope_key` (the same for
    every token of one caller), or None when its token does not verify (the request is then
    refused, and no answer is stored)."""
    try:
        return principal_of(Headers(scope=scope), _verifier_of(scope["app"])).scope_key
    except UnauthenticatedError:
        return None


# ------------------------------------------------------------------ the app


def install_access(
    app: FastAPI,
    verifier: TokenVerifier,
    *,
    stream_distributions: StreamDistributions | None = None,
) -> None:
    """Guard every route of `app` with `authenticate` and describe the rules in its OpenAPI
    document. Call it before adding any route (a route added before is not guarded: this
    raises rather than leave one so), and after the middlewares that judge a token (the access
    gate's and the idempotency middleware's): a verifier with an identity provider adds
    `IdentityProviderKeys` outside them. `stream_distributions` declares the distribution of
    the app's streams, for the feed (see `FEED_READERS`)."""
    if any(type(route) is not Route for route in app.routes):
        raise RuntimeError("install_access must come before the app's routes are added")
    if verifier.remote is not None:
        app.add_middleware(IdentityProviderKeys, verifier=verifier)
    app.state.token_verifier = verifier
    app.state.stream_distributions = stream_distributions
    app.state.idempotency_scope = idempotency_scope
    app.state.access_gate = refuse_before_the_body
    app.add_middleware(RequestActor)
    app.router.dependencies.append(Depends(authenticate))
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return describe_access(app, generate())

    app.openapi = openapi  # type: ignore[method-assign]


@dataclass(frozen=True)
class RouteAccess:
    method: str
    path: str
    endpoint: str
    roles: frozenset[Role] | None  # None: the route declares no rule


def access_table(app: FastAPI) -> list[RouteAccess]:
    """Every operation of `app` (hidden ones included) and the roles it admits."""
    table = []
    for path, route in api_routes(app):
        rule = rule_of(route.endpoint)
        for method in sorted(route.methods or ()):
            table.append(
                RouteAccess(
                    method=method,
                    path=path,
                    endpoint=f"{route.endpoint.__module__}.{route.endpoint.__qualname__}",
                    roles=rule.roles_for(app, method) if rule is not None else None,
                )
            )
    return table


def check_access_rules(app: FastAPI) -> list[str]:
    """What is wrong with the app's rules: routes that declare none, and write routes whose
    rule names a role that never writes. Empty when all is well."""
    faults = []
    for path, route in api_routes(app):
        rule = rule_of(route.endpoint)
        for method in sorted(route.methods or ()):
            where = f"{method} {path} ({route.endpoint.__module__}.{route.endpoint.__qualname__})"
            if rule is None:
                faults.append(f"{where} declares no access rule")
            elif method not in SAFE_METHODS and rule.roles_in(app) & NEVER_WRITE:
                names = ", ".join(sorted(r.value for r in rule.roles_in(app) & NEVER_WRITE))
                faults.append(f"{where} writes, yet its rule admits {names}")
    return faults


def describe_access(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Write each operation's rule (``x-cica-access``) and security requirement into the
    OpenAPI `schema`, in place; returns it."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "`cica token --role ROLE [--state XXX]` mints one on a machine "
        "running `cica up`.",
    }
    paths = schema.get("paths", {})
    for row in access_table(app):
        operation = paths.get(row.path, {}).get(row.method.lower())
        if operation is None:
            continue
        if row.roles is None:
            operation.pop(ACCESS_EXTENSION, None)
            operation["security"] = [{SECURITY_SCHEME: []}]
            continue
        operation[ACCESS_EXTENSION] = {"roles": sorted(role.value for role in row.roles)}
        operation["security"] = (
            [{}, {SECURITY_SCHEME: []}] if Role.PUBLIC in row.roles else [{SECURITY_SCHEME: []}]
        )
    return schema
