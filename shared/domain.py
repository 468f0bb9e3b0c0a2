"""What every service's domain shares: the kinds of refusal a rule can give.

A domain module raises these, and knows nothing of HTTP. Each error names the rule it applies
(`rule`, a short slug such as ``"no-membership-application"``) and says in its `detail` what
went wrong this time; extension members (`members`) carry the facts a program needs (the state,
the symbol...). The HTTP layer (`shared.http.problems`) turns each kind into its status and the
rule into the problem's type (``/problems/<rule>``), in one place. A subclass names its title
and rule as class keywords (it inherits those it does not name)::

    class NotAMemberError(RefusedError, title="Not a member", rule="not-a-member"): ...

The kinds:

- `RefusedError`: the rules do not allow this now (the thing exists, the request is
  well-formed): 409;
- `NotFoundError`: what the command names does not exist (or the caller may not know it does): 404;
- `InvalidError`: the facts given cannot be true together (a period that ends before it
  starts): 422;
- `ForbiddenError`: the caller is known, and this is not theirs to do: 403;
- `GoneError`: it existed, and is no longer held: 410.

This module imports nothing but the standard library, so a domain module that uses it stays
pure: testable with no framework, database or network.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A command the rules refuse. Use one of the kinds below, not this class itself."""

    title: ClassVar[str] = "Refused by the rules"
    rule: ClassVar[str] = "refused"

    def __init_subclass__(
        cls, *, title: str | None = None, rule: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if title is not None:
            cls.title = title
        if rule is not None:
            cls.rule = rule

    def __init__(self, detail: str | None = None, /, **members: Any) -> None:
        self.detail: str = detail if detail is not None else self.title
        self.members: dict[str, Any] = members
        super().__init__(self.detail)


class RefusedError(DomainError):
    """The rules do not allow this now."""


class NotFoundError(DomainError, title="Not Found", rule="not-found"):
    """What the command names does not exist, or the caller may not know that it does."""


class InvalidError(DomainError, title="Invalid request", rule="invalid-request"):
    """The facts given cannot be true (together)."""


class ForbiddenError(DomainError, title="Forbidden", rule="forbidden"):
    """The caller is known, and this is not theirs to do."""


class GoneError(DomainError, title="Gone", rule="gone"):
    """It existed, and is no longer held."""


class AwaitingError(RefusedError, title="Awaiting a prerequisite", rule="awaiting-prerequisite"):
    """What the command rests on is not recorded yet (the application behind an admission, the
    recommendation before it). A command is refused (409); a reaction to another service's
    event waits instead: the consumer parks it as waiting, tries it again as the service's
    record moves on, and applies it once the prerequisite is there."""
