"""`cica audit`: an auditor's tools, over HTTP with an auditor token.

- `shared.system.audit.verify`: ``verify`` and ``export``, and the fetching and checking of a
  service's log that the others build on.
- `shared.system.audit.history`: ``replay``, ``state --as-of`` and ``trace``.
- `shared.system.audit.command`: the command line, which imports both.

Each imports only the ones listed before it.
"""
