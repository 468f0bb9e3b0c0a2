"""Who is calling: the roles of the system, the principal a request acts as, and the refusal a
caller without the right gets (`ForbiddenError`, a `shared.domain` refusal: pure, like the rest
of this module, so that events and domain modules may use `StateCode` and `Principal`).

A request with no token is the public (`Principal.public()`, role `Role.PUBLIC`); a request
with a valid bearer token acts as the principal its claims name (`shared.access.tokens`, which
also holds `UnauthenticatedError`, the 401 of a missing or invalid token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from shared.domain import ForbiddenError

# ISO 3166-1 alpha-3, as the registry records a state: three capital letters ("KAZ", "KWT").
STATE_CODE_PATTERN = r"^[A-Z]{3}$"
_STATE_CODE = re.compile(STATE_CODE_PATTERN)

StateCode = Annotated[str, StringConstraints(pattern=STATE_CODE_PATTERN)]
"""A state code in a request or event body: three capital letters, ISO 3166-1 alpha-3."""

REALM = "cica"


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    """The Secretariat: writes, and reads everything."""
    MEMBER_STATE = "member_state"
    """A member state's delegation or ministry: acts for its own state only."""
    AUDITOR = "auditor"
    """Reads every log and every document, writes nothing."""
    SERVICE = "service"
    """One of the four services, reading another's feed."""
    PUBLIC = "public"
    """No token at all. Never a role a token can claim."""


TOKEN_ROLES = frozenset(Role) - {Role.PUBLIC}
# Roles that may never write, whatever a route declares.
NEVER_WRITE = frozenset({Role.AUDITOR, Role.PUBLIC})
# Roles that see every document and every event, whatever its distribution.
SEE_EVERYTHING = frozenset({Role.SECRETARIAT, Role.AUDITOR, Role.SERVICE})


def is_state_code(value: object) -> bool:
    return isinstance(value, str) and _STATE_CODE.fullmatch(value) is not None


@dataclass(frozen=True)
class Principal:
    """Who a request acts as. `subject` is the token's ``sub`` (None for the public);
    `state` is the member state's code, set exactly when `role` is `Role.MEMBER_STATE`."""

    role: Role
    subject: str | None = None
    state: str | None = None

    def __post_init__(self) -> None:
        if (self.role is Role.MEMBER_STATE) != (self.state is not None):
            raise ValueError("a member_state principal has a state code, and no other does")
        if self.state is not None and not is_state_code(self.state):
            raise ValueError(f"not an ISO 3166 alpha-3 code: {self.state!r}")

    @classmethod
    def public(cls) -> Principal:
        return cls(role=Role.PUBLIC)

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    @property
    def sees_everything(self) -> bool:
        """Secretariat, auditors and services read every document and event."""
        return self.role in SEE_EVERYTHING

    @property
    def scope_key(self) -> str:
        """A stable name of this caller, the same for every token it is given: what a
        cache of answers (Idempotency-Key) is partitioned by."""
        return f"{self.role.value}/{self.state or ''}/{self.subject or ''}"

    def may_act_for(self, state: str) -> bool:
        """Whether this caller may speak in `state`'s name: a member state for itself only;
        the Secretariat for any state (it records what a state sent it by note verbale)."""
        if self.role is Role.SECRETARIAT:
            return True
        return self.role is Role.MEMBER_STATE and self.state == state

    def __repr__(self) -> str:
        parts = [self.role.value]
        if self.state:
            parts.append(self.state)
        if self.subject:
            parts.append(repr(self.subject))
        return f"Principal({', '.join(parts)})"


class ActingForAnotherStateError(ForbiddenError):
    rule = "acting-for-another-state"

    def __init__(self, caller: Principal, state: str) -> None:
        super().__init__(
            f"A member state acts in its own name only: this token is {caller.state}'s, the "
            f"request speaks for {state}.",
            state=state,
        )


def act_for(caller: Principal, state: str) -> str:
    """The state a request speaks for (`state`, as the body gives it), once it is certain the
    caller may speak for it; else `ActingForAnotherStateError` (403). Use it on every body
    field that names the acting state (an amendment's proposer, an objection, a receipt)::

        @router.post("/silence-procedures/{id}/objections", status_code=201)
        @allow(Role.MEMBER_STATE, Role.SECRETARIAT)
        async def raise_objection(id: UUID, body: ObjectionIn, caller: Caller) -> ...:
            state = act_for(caller, body.state)
    """
    if caller.may_act_for(state):
        return state
    if caller.role is Role.MEMBER_STATE:
        raise ActingForAnotherStateError(caller, state)
    raise ForbiddenError(f"A {caller.role.value} caller does not act in a state's name.")
