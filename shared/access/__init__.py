"""Access: who may read and write what, enforced the same way in every service.

- tokens (`shared.access.tokens`): bearer JWTs verified against the configured keys;
- rules (`shared.access.rules`): each route declares who may call it; one dependency enforces;
- distribution (`shared.access.distribution`): general / member states only / restricted,
  applied by every read path;
- members (`shared.access.members`): the admitted member states each service knows.

A service's routes use::

    from shared.access import ANYONE, Caller, CallerView, Role, act_for, allow
"""

from shared.access.distribution import (
    GENERAL,
    MEMBER_STATES_ONLY,
    Distribution,
    DistributionKind,
    NotVisibleError,
    StreamDistributions,
    Viewer,
    by_stream_type,
    distribution_columns,
    every_stream,
    load_viewer,
    visible_records,
)
from shared.access.members import (
    admitted_member_states,
    admitted_members,
    member_since,
    record_admission,
    register_founding_members,
)
from shared.access.principals import (
    ActingForAnotherStateError,
    ForbiddenError,
    Principal,
    Role,
    StateCode,
    UnauthenticatedError,
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
from shared.access.tokens import TokenSettings, TokenVerifier, mint_token

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
    "admitted_member_states",
    "admitted_members",
    "allow",
    "authenticate",
    "by_stream_type",
    "check_access_rules",
    "distribution_columns",
    "every_stream",
    "install_access",
    "load_viewer",
    "member_since",
    "mint_token",
    "record_admission",
    "register_founding_members",
    "visible_records",
]
