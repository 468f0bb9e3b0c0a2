"""Each service's NATS identity, and the server's `authorization` block that grants it.

One user per service, named after it, with the permissions the kit derives from what the
service declares (`shared.messaging.permissions`: its own subjects and stream, its durable
consumers on the streams of the services it reacts to, its own inbox), and no anonymous
user, so a client without a password is refused. The same block serves every place NATS runs:
``cica up`` writes it into the configuration of the server it starts, with the passwords it
made in the state dir; the tests' server adds a harness user of its own; and the
configurations in ``deploy/`` hold it with each password taken from the server's environment
(``$CICA_<SERVICE>_NATS_PASSWORD``), as ``tests/system/test_deploy.py`` checks.

A password is made once per service, 48 random bytes in URL-safe base64, in a file only its
owner reads (0600), and kept between runs; a service is told the file's path
(``CICA_<SERVICE>_NATS_PASSWORD_FILE``), never the password.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.access.tokens import ensure_secret_file
from shared.messaging import NatsIdentity, permissions
from shared.system.services import SERVICES, Service

PASSWORD_VARIABLE = "CICA_{SERVICE}_NATS_PASSWORD"
"""Where the configurations in deploy/ take each service's password from (the server's
environment; the services themselves read it from a file)."""


@dataclass(frozen=True)
class NatsUser:
    """A user of the server's configuration: its name, its password as the configuration
    writes it (a quoted literal, or a ``$VARIABLE`` of the server's environment), and what it
    may do (None: everything, for the tests' harness only)."""

    name: str
    password: str
    permissions: Mapping[str, list[str]] | None


def service_permissions(service: Service) -> dict[str, list[str]]:
    return permissions(service.name, service.reactions.producers())


def password_variable(service: str) -> str:
    return PASSWORD_VARIABLE.format(SERVICE=service.upper())


def literal(password: str) -> str:
    """A password as a quoted string of the configuration."""
    return json.dumps(password)


def service_users(passwords: Mapping[str, str]) -> list[NatsUser]:
    """A user per service, its password as `passwords` writes it."""
    return [
        NatsUser(service.name, passwords[service.name], service_permissions(service))
        for service in SERVICES
    ]


def service_users_from_environment() -> list[NatsUser]:
    """The users of the configurations in deploy/: each password from the server's
    environment."""
    return service_users({s.name: f"${password_variable(s.name)}" for s in SERVICES})


def authorization_block(users: Iterable[NatsUser]) -> str:
    """The server configuration's ``authorization`` block: these users and no other (no
    ``no_auth_user``: a client without a password is refused)."""
    lines = ["authorization {", "  users: ["]
    for user in users:
        lines += ["    {", f"      user: {json.dumps(user.name)}"]
        lines.append(f"      password: {user.password}")
        if user.permissions is not None:
            lines.append("      permissions: {")
            for direction in ("publish", "subscribe"):
                subjects = user.permissions[direction]
                lines += [f"        {direction}: {{", "          allow: ["]
                lines += [f"            {json.dumps(subject)}" for subject in subjects]
                lines += ["          ]", "        }"]
            lines.append("      }")
        lines.append("    }")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def ensure_password_files(directory: Path) -> dict[str, NatsIdentity]:
    """Each service's identity, its password made once in `directory` (0600) and kept."""
    return {
        service.name: NatsIdentity(
            service.name, ensure_secret_file(directory / f"{service.name}.password")
        )
        for service in SERVICES
    }


def identity_environment(service: str, identity: NatsIdentity) -> dict[str, str]:
    """The variables that give `service` its identity: the user, and the password's file."""
    prefix = f"CICA_{service.upper()}_"
    return {
        prefix + "NATS_USER": identity.user,
        prefix + "NATS_PASSWORD_FILE": str(identity.password_file),
    }


def local_authorization(identities: Mapping[str, NatsIdentity]) -> str:
    """The block for a server this machine runs, the passwords written out (the file that
    holds it is as private as the password files)."""
    return authorization_block(
        service_users({name: literal(identity.password()) for name, identity in identities.items()})
    )


DEPLOY_HEADER = """\
# The services' NATS users and what each may do, as the code declares them: written by
# `python -m shared.system.nats_identities > deploy/nats/authorization.conf` (the k8s ConfigMap
# holds the same text; tests/system/test_deploy.py checks both). Each password comes from the
# server's environment, $CICA_<SERVICE>_NATS_PASSWORD, never from a file in the repository.
# No anonymous user: a client without a password is refused.
"""


def deploy_authorization() -> str:
    """The ``authorization.conf`` of the configurations in deploy/."""
    return DEPLOY_HEADER + authorization_block(service_users_from_environment())


if __name__ == "__main__":
    print(deploy_authorization(), end="")
