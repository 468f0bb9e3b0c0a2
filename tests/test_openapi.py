"""Each service's OpenAPI document describes every one of its routes: who may call it, what it
does, and examples drawn from the seed for its parameters, its body and its answer (the bar of
tests/openapi_examples.py), every model's examples valid for it; and who may call each route,
service by service. The documents service's document is held to its own checks, below."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.documents.app import create_app as create_documents_app
from services.meetings import api as meetings_api
from services.meetings.app import create_app as create_meetings_app
from services.notifications import api as notifications_api
from services.notifications import delivery_api
from services.notifications.app import create_app as create_notifications_app
from services.registry import api as registry_api
from services.registry.app import create_app as create_registry_app
from tests.openapi_examples import assert_described_with_examples
from tests.shared.test_service_shell import settings_for


@dataclass(frozen=True)
class Described:
    api: ModuleType  # the routes' router, and the models of their bodies and answers
    create_app: Callable[[], FastAPI]
    seed: tuple[str, ...]  # what the examples draw from the seed
    examples: int  # at least this many model examples

    @property
    def paths(self) -> list[str]:
        return sorted({route.path_format for route in self.api.router.routes})


REGISTRY_SEED = (
    "SOC/OI/88", "2022-02-03", "Кувейт", "Қазақстан", "2024-2026",
    "Council of Heads of State or Government (Summit)", "Secretary General",
    "Organization for Interaction and Cooperation in Asia (OICA)",
    "Trade and Investment", "an example, not a partner of CICA",
)  # fmt: skip
MEETINGS_SEED = (
    "SOC/2022-III", "SOC/2022-III/Agenda/1", "SOC/2022-III/Agenda/2",
    "Asia/Almaty", "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/2/Rev.3",
    "SOC/2021/DRAFT/3/Rev.6", "SUM/2022/DRAFT/4", "SOC/OI/88", "Kuwait",
    "Trade and Investment", "Senior Officials Committee",
)  # fmt: skip
# Notes, notices, inbox and receipts: the seed's note No. SOC/OI/1280.
NOTIFICATIONS_SEED = (
    "SOC/OI/1280", "SOC-OI-1280", "SUM/2022/DRAFT/1/Rev.8", "Astana",
    "presents its compliments to the CICA Member States", "Enclosure: as stated, on 10 p.",
    "assurances of its highest consideration", "Astana, 7 October 2022",
    "свидетельствует свое уважение", "өзінің зор ілтипатын", "KWT",
)  # fmt: skip
# The delivery side: note verbale No. SOC/OI/1280 to Kazakhstan's ministry's webhook.
DELIVERY_SEED = ("SOC/OI/1280", "KAZ", "note_verbale", "whsec_")

SERVICES = {
    "registry": Described(registry_api, create_registry_app, REGISTRY_SEED, examples=15),
    "meetings": Described(meetings_api, create_meetings_app, MEETINGS_SEED, examples=15),
    "notifications": Described(
        notifications_api, create_notifications_app, NOTIFICATIONS_SEED, examples=12
    ),
    "delivery": Described(delivery_api, create_notifications_app, DELIVERY_SEED, examples=8),
}
ROUTES = [(service, path) for service, described in SERVICES.items() for path in described.paths]


@functools.cache
def schema_of(service: str) -> dict:
    return SERVICES[service].create_app().openapi()


@pytest.mark.parametrize(("service", "path"), ROUTES, ids=[f"{s}:{p}" for s, p in ROUTES])
def test_every_route_is_described_with_examples(service, path):
    assert_described_with_examples(schema_of(service), path)


@pytest.mark.parametrize("service", SERVICES)
def test_the_examples_come_from_the_seed(service):
    text = json.dumps(schema_of(service), ensure_ascii=False)
    for drawn in SERVICES[service].seed:
        assert drawn in text, drawn


@pytest.mark.parametrize("service", SERVICES)
def test_every_example_is_valid_for_its_model(service):
    api = SERVICES[service].api
    package = api.__name__.rpartition(".")[0]
    # The request and answer models the routes use, the service's own (in its schemas module).
    models = [
        value
        for value in vars(api).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__.startswith(f"{package}.")
    ]
    checked = 0
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)
            checked += 1
    assert checked >= SERVICES[service].examples


# ------------------------------------------------------------------------------ who may call


def operations(service: str) -> list[tuple[str, str, set[str]]]:
    """Each route of `service` and method, with the roles that may call it."""
    schema = schema_of(service)
    return [
        (path, method, set(operation["x-cica-access"]["roles"]))
        for path in SERVICES[service].paths
        for method, operation in schema["paths"][path].items()
    ]


def test_registry_writes_are_the_secretariats_and_reads_are_public():
    schema = schema_of("registry")
    for path in SERVICES["registry"].paths:
        for method, operation in schema["paths"][path].items():
            roles = operation["x-cica-access"]["roles"]
            if method == "get":
                assert "public" in roles, path
            else:
                assert roles == ["secretariat"], path


def test_meetings_writes_are_the_secretariats_but_objections_and_reads_are_for_member_states():
    """A member state raises and withdraws its objections and places its reservations itself
    (in its own name only); every other write is the Secretariat's."""
    for path, method, roles in operations("meetings"):
        if method == "get":
            assert roles == {"secretariat", "member_state", "auditor", "service"}, path
        elif path.endswith(("/objections", "/objection-withdrawals", "/reservations")):
            assert roles == {"secretariat", "member_state"}, path
        else:
            assert roles == {"secretariat"}, path


def test_notifications_writes_are_the_secretariats_but_receipts_are_the_states_own():
    for path, method, roles in operations("notifications"):
        if method == "post" and path.endswith("/receipt"):
            assert roles == {"secretariat", "member_state"}, path
        elif method == "post":
            assert roles == {"secretariat"}, path
        elif path.endswith("/receipts"):
            assert roles == {"secretariat", "auditor"}, path
        else:
            assert "public" not in roles and "secretariat" in roles, path


def test_who_may_call_each_delivery_route():
    roles = {(path, method): roles for path, method, roles in operations("delivery")}
    readers = {"secretariat", "member_state", "auditor"}
    writers = {"secretariat", "member_state"}
    assert roles == {
        ("/endpoints", "post"): writers,
        ("/endpoints", "get"): readers,
        ("/endpoints/{endpoint_id}", "get"): readers,
        ("/endpoints/{endpoint_id}", "delete"): writers,
        ("/endpoints/{endpoint_id}/secret", "post"): writers,
        ("/deliveries", "get"): readers,
        ("/deliveries/{delivery_id}", "get"): readers,
        ("/deliveries/{delivery_id}/redeliver", "post"): {"secretariat"},
    }


# ------------------------------------------------------------------------------ documents


def test_every_documents_route_is_described_with_seed_examples():
    """Every documents route, with its access rule, and examples drawn from the seed for what
    the Secretariat and the member states send."""
    app = create_documents_app(
        settings_for("documents", "postgresql://unused/db", "nats://unused:4222")
    )
    schema = app.openapi()
    paths = schema["paths"]
    ours = {path: item for path, item in paths.items()
            if path.startswith(("/documents", "/symbols", "/translations"))}  # fmt: skip
    assert set(ours) == {
        "/documents", "/documents/{symbol}", "/documents/{symbol}/revisions",
        "/documents/{symbol}/compare", "/documents/{symbol}/translations",
        "/documents/{symbol}/amendments",
        "/documents/{symbol}/amendments/{amendment_id}/withdrawal",
        "/documents/{symbol}/amendments/{amendment_id}/decline", "/documents/{symbol}/status",
        "/documents/{symbol}/distribution", "/documents/{symbol}/text",
        "/documents/{symbol}/akn", "/symbols/{symbol}", "/translations/needed",
        "/documents/{symbol}/addenda", "/documents/{symbol}/corrigenda",
        "/documents/{symbol}/circulation", "/documents/{symbol}/companions",
        "/documents/{symbol}/companions/{kind}",
    }  # fmt: skip
    for path, item in ours.items():
        for method, operation in item.items():
            assert "x-cica-access" in operation, f"{method} {path}"
            assert operation.get("description") or operation.get("summary"), f"{method} {path}"

    def examples(path: str) -> dict:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]
        return body["examples"]

    create = examples("/documents")["astana_statement"]["value"]
    assert create["text"]["title"]["en"] == "DRAFT ASTANA STATEMENT ON CICA TRANSFORMATION"
    assert create["text"]["paragraphs"][0]["text"]["en"].startswith("Recognizing that rapid")
    conclusions = examples("/documents")["conclusions_with_a_blank"]["value"]
    assert "______ in 2024-2026" in conclusions["text"]["paragraphs"][0]["text"]["en"]
    assert examples("/documents/{symbol}/revisions")["rev8"]["value"]["text"]["paragraphs"]
    russian = examples("/documents/{symbol}/translations")["russian"]["value"]
    assert russian["title"].startswith("ПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ")
    assert examples("/documents/{symbol}/amendments")["replace"]["value"]["state"] == "KAZ"
    circulated = examples("/documents/{symbol}/circulation")["rev8_by_note_1280"]["value"]
    assert (circulated["dated"], circulated["note"]) == ("2022-10-07", "SOC/OI/1280")
    assert set(examples("/documents/{symbol}/addenda")) == {"addendum"}, "no note as an addendum"
    note = examples("/documents/{symbol}/companions")["explanatory_note"]["value"]
    assert note["paragraphs"][0]["en"].startswith("It is of utmost")
    assert (note["dated"], note["note"]) == ("2022-10-07", "SOC/OI/1280")
    read = paths["/documents/{symbol}"]["get"]["responses"]["200"]["content"]
    example = read["application/json"]["example"]
    assert example["symbol"] == "SUM/2022/DRAFT/1/Rev.8"
    assert [p["number"] for p in example["paragraphs"]] == ["PP1", "OP5"]
    compared = paths["/documents/{symbol}/compare"]["get"]["responses"]["200"]["content"]
    assert compared["application/json"]["example"]["to_symbol"] == "SUM/2022/DRAFT/1/Rev.8"
