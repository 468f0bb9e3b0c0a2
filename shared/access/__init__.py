"""Access: who may read and write what, enforced the same way in every service.

- principals (`shared.access.principals`): roles, the principal a request acts as, `act_for`;
- distributions as values (`shared.access.model`): general / member states only / restricted;
- tokens (`shared.access.tokens`): bearer JWTs verified against the configured keys;
- rules (`shared.access.rules`): each route declares who may call it; one dependency enforces;
- distribution (`shared.access.distribution`): the rule every read path applies;
- members (`shared.access.members`): the member states each service knows, as periods
  (admitted, suspended, reinstated, withdrawn), from the registry's events.

A service's routes use::

    from shared.access import ANYONE, Caller, CallerView, Role, act_for, allow

The first two modules are pure (pydantic only), and events and domain modules use them. The
others stand on FastAPI, SQLAlchemy and PyJWT, so this package resolves each name on first use
(PEP 562): ``from shared.access import StateCode`` in a domain module loads none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the module that defines it.
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "GENERAL",
            "MEMBER_STATES_ONLY",
            "Distribution",
            "DistributionKind",
            "Membership",
            "MembershipChange",
        ),
        "model",
    ),
    **dict.fromkeys(
        (
            "NotVisibleError",
            "StreamDistributions",
            "Viewer",
            "by_stream_type",
            "distribution_columns",
            "every_stream",
            "load_viewer",
            "may_show_the_public",
            "visible_records",
        ),
        "distribution",
    ),
    **dict.fromkeys(
        (
            "admitted_members",
            "is_member_at",
            "member_since",
            "read_membership",
            "membership_changes",
            "record_admission",
            "record_membership_change",
            "record_membership_event",
            "register_founding_members",
        ),
        "members",
    ),
    **dict.fromkeys(
        (
            "ActingForAnotherStateError",
            "ForbiddenError",
            "Principal",
            "Role",
            "StateCode",
            "act_for",
        ),
        "principals",
    ),
    **dict.fromkeys(
        (
            "ACCESS_EXTENSION",
            "ANYONE",
            "FEED_READERS",
            "LOG_READERS",
            "SECRETARIAT_ONLY",
            "AccessRule",
            "Caller",
            "CallerView",
            "access_table",
            "allow",
            "authenticate",
            "check_access_rules",
            "install_access",
        ),
        "rules",
    ),
    **dict.fromkeys(
        ("TokenSettings", "TokenVerifier", "UnauthenticatedError", "mint_token"), "tokens"
    ),
}

__all__ = [
    "ACCESS_EXTENSION",
    "ANYONE",
    "FEED_READERS",
    "GENERAL",
    "LOG_READERS",
    "MEMBER_STATES_ONLY",
    "SECRETARIAT_ONLY",
    "AccessRule",
    "ActingForAnotherStateError",
    "Caller",
    "CallerView",
    "Distribution",
    "DistributionKind",
    "ForbiddenError",
    "Membership",
    "MembershipChange",
    "NotVisibleError",
    "Principal",
    "Role",
    "StateCode",
    "StreamDistributions",
    "TokenSettings",
    "TokenVerifier",
    "UnauthenticatedError",
    "Viewer",
    "access_table",
    "act_for",
    "admitted_members",
    "allow",
    "authenticate",
    "by_stream_type",
    "check_access_rules",
    "distribution_columns",
    "every_stream",
    "install_access",
    "is_member_at",
    "load_viewer",
    "may_show_the_public",
    "member_since",
    "membership_changes",
    "mint_token",
    "read_membership",
    "record_admission",
    "record_membership_change",
    "record_membership_event",
    "register_founding_members",
    "visible_records",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from shared.access.distribution import (
        NotVisibleError,
        StreamDistributions,
        Viewer,
        by_stream_type,
        distribution_columns,
        every_stream,
        load_viewer,
        may_show_the_public,
        visible_records,
    )
    from shared.access.members import (
        admitted_members,
        is_member_at,
        member_since,
        membership_changes,
        read_membership,
        record_admission,
        record_membership_change,
        record_membership_event,
        register_founding_members,
    )
    from shared.access.model import (
        GENERAL,
        MEMBER_STATES_ONLY,
        Distribution,
        DistributionKind,
        Membership,
        MembershipChange,
    )
    from shared.access.principals import (
        ActingForAnotherStateError,
        ForbiddenError,
        Principal,
        Role,
        StateCode,
        act_for,
    )
    from shared.access.rules import (
        ACCESS_EXTENSION,
        ANYONE,
        FEED_READERS,
        LOG_READERS,
        SECRETARIAT_ONLY,
        AccessRule,
        Caller,
        CallerView,
        access_table,
        allow,
        authenticate,
        check_access_rules,
        install_access,
    )
    from shared.access.tokens import TokenSettings, TokenVerifier, UnauthenticatedError, mint_token
