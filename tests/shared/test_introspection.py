"""A service describes itself: `GET /projections` to its staff (each read model's position and
digest, which a replay from position 0 reproduces) and `GET /asyncapi.json` to anyone (its
events, valid AsyncAPI 3.0); and `cica rebuild` replays a service's log into its projections."""

from __future__ import annotations

import importlib
import io

import pytest

from shared.app import create_service_app
from shared.eventstore import EventTypes, PostgresEventStore, create_engine
from shared.projections import Projection, ProjectionError, catch_up, replay_digest
from shared.system.rebuild import describe, load_projections, rebuild_command, rebuild_projections
from tests.access import AUDITOR, token_settings
from tests.shared.member_list import (
    code,
    event_types,
    member_list,
    rows,
    state_history,
    tables,
    tallies,
)
from tests.shared.test_asyncapi import validate
from tests.shared.test_service_shell import SERVICES, running, service_app


def settings_for(service: str, database_url: str, nats_url: str):  # type: ignore[no-untyped-def]
    module = importlib.import_module(f"services.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings")
    return cls(
        database_url=database_url,
        nats_url=nats_url,
        consumers_enabled=False,
        tokens=token_settings(),
    )


async def with_member_list_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    await engine.dispose()


async def test_get_projections_shows_each_projection_position_and_digest_to_an_auditor(
    database_url, servers
):
    await with_member_list_tables(database_url)
    settings = settings_for("registry", database_url, servers.nats_url)
    app = create_service_app(settings, event_types=event_types, projections=[member_list()])
    async with running(app) as client:
        store = app.state.store
        for _ in range(3):
            await state_history(store, code(), renames=1)
        head = await app.state.projection_runner.wait_until_caught_up()
        response = await client.get("/projections", headers=AUDITOR)
        replayed = await replay_digest(store, member_list(), until=head)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["head"] == head
    [shown] = body["projections"]
    assert shown["name"] == "test_member_list"
    assert (shown["version"], shown["declared_version"]) == (1, 1)
    assert shown["position"] == head
    assert shown["digest"] == replayed
    assert shown["error"] is None


async def test_a_service_without_projections_lists_none(database_url, servers):
    settings = settings_for("meetings", database_url, servers.nats_url)
    app = create_service_app(settings, event_types=EventTypes())
    async with running(app) as client:
        response = await client.get("/projections", headers=AUDITOR)

    assert response.status_code == 200
    assert response.json() == {"head": 0, "projections": []}


def test_a_projection_of_an_unknown_event_type_is_refused_when_the_app_is_built():
    from services.registry.settings import RegistrySettings

    projection = Projection("test_typo", version=1, tables=[tallies])
    projection.on("StateAdmited")(lambda *_: None)

    with pytest.raises(ProjectionError, match="StateAdmited"):
        create_service_app(RegistrySettings(), event_types=event_types, projections=[projection])


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_its_asyncapi_document_to_anyone(service, database_url, servers):
    app = service_app(service, settings_for(service, database_url, servers.nats_url))
    async with running(app) as client:
        response = await client.get("/asyncapi.json")

    assert response.status_code == 200, response.text
    document = response.json()
    validate(document)
    assert document["info"]["title"] == f"CICA {service} events"
    for channel in document["channels"].values():
        mine = channel["x-cica-producer"] == service
        assert mine or service in channel["x-cica-consumers"]


# ----------------------------------------------------------------------------- cica rebuild


async def test_rebuilding_gives_the_live_digest_back_and_says_so(database_url):
    await with_member_list_tables(database_url)
    engine = create_engine(database_url)
    store = PostgresEventStore(engine, event_types)
    try:
        for _ in range(4):
            await state_history(store, code(), renames=2)
        await catch_up(store, [member_list()])
        tally_before = await rows(engine, tallies)
    finally:
        await store.close()
        await engine.dispose()

    [report] = await rebuild_projections(database_url, event_types, [member_list()])
    text = describe("registry", report)
    engine = create_engine(database_url)
    try:
        tally_after = await rows(engine, tallies)
    finally:
        await engine.dispose()

    assert report.digest_before == report.digest_after
    assert report.position_before == report.position_after == report.events == 4 * 5
    assert tally_after == tally_before, "rebuilt, not applied on top of the old rows"
    assert f"digest {report.digest_before}" in text
    assert "(same)" in text


def test_cica_rebuild_names_the_projections_a_service_has_when_asked_for_another():
    out, err = io.StringIO(), io.StringIO()
    declared = ", ".join(p.name for p in load_projections("registry")) or "none"

    assert rebuild_command("registry", "no_such_projection", stdout=out, stderr=err) == 2
    assert err.getvalue() == (
        f"cica rebuild: registry has no projection 'no_such_projection' (it has: {declared})\n"
    )
    assert out.getvalue() == ""
