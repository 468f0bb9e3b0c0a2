"""The system layer: the code that drives the four services, and the only code that knows them
all, from one declaration (`shared.system.services`).

- `shared.system.cli`: the ``cica`` command.
- `shared.system.supervisor` and `shared.system.devservers`: ``cica up``, PostgreSQL and NATS
  on this machine.
- `shared.system.migrate`: the services' databases and their migrations (``cica migrate``).
- `shared.system.rebuild`: ``cica rebuild``.
- `shared.system.asyncapi`: the whole system's event catalogue (``cica asyncapi``).
- `shared.system.audit`: ``cica audit``.
- `shared.system.demo`: ``cica demo``.

It imports the services and the kit; neither imports it. Importing this package itself loads
no service: only the modules that need the declaration do.
"""
