"""``cica rebuild <service> [<projection>]``: delete a service's projections and replay its log
into them from position 0, printing each one's digest before and after.

The projections are the ones the service's app keeps (what its composition root passes to
`create_service_app`), read from the app as `shared.system.services` declares it. The rebuild
may run while the service does: each batch locks the projection's checkpoint, so the two never
apply an event twice, and the running service follows on from wherever the rebuild has got to.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from shared.collector import settle as settle_collector
from shared.eventstore import EventTypes, PostgresEventStore, create_engine
from shared.projections import Projection, RebuildReport, check_projections, rebuild
from shared.settings import ServiceSettings, service_database_url
from shared.system.services import service_named


def load_projections(service: str) -> list[Projection]:
    """The read models `service`'s app keeps, as its composition root declares them. Read from
    the app itself, so that a projection added in `app.py` (notifications' deliveries) is never
    missed."""
    return service_named(service).projections()


def load_event_types(service: str) -> EventTypes:
    return service_named(service).event_types


def load_settings(service: str) -> ServiceSettings:
    return service_named(service).settings()


async def rebuild_projections(
    database_url: str,
    event_types: EventTypes,
    projections: Sequence[Projection],
    *,
    report: Callable[[RebuildReport], None] = lambda _: None,
) -> list[RebuildReport]:
    """Rebuild each of `projections` on the database `database_url`, one after the other."""
    check_projections(projections, event_types)
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    store = PostgresEventStore(engine, event_types)
    reports = []
    try:
        for projection in projections:
            reports.append(await rebuild(store, projection))
            report(reports[-1])
    finally:
        await store.close()
        await engine.dispose()
    return reports


def describe(service: str, report: RebuildReport) -> str:
    rate = report.events / report.seconds if report.seconds > 0 else float("inf")
    same = "same" if report.digest_after == report.digest_before else "changed"
    return (
        f"{service} {report.name} v{report.version}: replayed {report.events} events "
        f"in {report.seconds:.2f} s ({rate:,.0f} events/s)\n"
        f"  before  position {report.position_before:>10}  digest {report.digest_before}\n"
        f"  after   position {report.position_after:>10}  digest {report.digest_after}  ({same})"
    )


def rebuild_command(
    service: str,
    projection: str | None,
    *,
    server_url: str | None = None,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    """What ``cica rebuild`` does. `server_url` (``--database-url``) names a PostgreSQL server
    whose `cica_<service>` database to use; without it, the service's own settings decide
    (``CICA_<SERVICE>_DATABASE_URL``, else ``CICA_DATABASE_URL``)."""
    declared = load_projections(service)
    if projection is not None:
        chosen = [p for p in declared if p.name == projection]
        if not chosen:
            known = ", ".join(p.name for p in declared) or "none"
            print(
                f"cica rebuild: {service} has no projection {projection!r} (it has: {known})",
                file=stderr,
            )
            return 2
    else:
        chosen = declared
    if not chosen:
        print(f"{service} declares no projections: nothing to rebuild", file=stdout)
        return 0
    database_url = (
        service_database_url(server_url, service) if server_url else load_settings(service).dsn
    )

    def show(report: RebuildReport) -> None:
        print(describe(service, report), file=stdout, flush=True)

    # A replay allocates a batch of records, dicts and models at a time, which outlive the
    # young generations; spare the collector from rescanning everything imported so far, and
    # from promoting each batch (`shared.collector`).
    settle_collector()
    try:
        asyncio.run(
            rebuild_projections(database_url, load_event_types(service), chosen, report=show)
        )
    except (OSError, SQLAlchemyError) as error:
        print(f"cica rebuild: {service}: {type(error).__name__}: {error}", file=stderr)
        return 1
    return 0
