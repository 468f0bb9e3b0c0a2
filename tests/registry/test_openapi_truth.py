"""Issue 20: the registry's OpenAPI document tells the truth. What a request's schema admits,
parsing admits (names keyed by language with the English one, dates as text, a decision as the
events record it), and what its schema refuses is refused; a date written as a number is no
date."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from services.registry import examples
from services.registry.app import create_app
from services.registry.events import DecisionRef, NoteRef
from services.registry.schemas import AdmissionIn, ApplicationIn, ObserverIn, WithdrawalIn
from tests.registry.support import SECRETARIAT, register_known_members, registry


@functools.cache
def _document() -> dict[str, Any]:
    return create_app().openapi()


def admitted_by_schema(model: type[BaseModel], body: dict[str, Any]) -> bool:
    """Whether `model`'s JSON schema in the registry's OpenAPI document admits `body`."""
    document = _document()
    schema = {"$ref": f"#/components/schemas/{model.__name__}", **document}
    return Draft202012Validator(schema).is_valid(body)


def admitted_by_parsing(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


APPLICATIONS = {
    "the seed's": (examples.APPLICATION, True),
    "names in English only": ({**examples.APPLICATION, "names": {"en": "Kuwait"}}, True),
    "no English name": ({**examples.APPLICATION, "names": {"ru": "Кувейт"}}, False),
    "no name at all": ({**examples.APPLICATION, "names": {}}, False),
    "a language that is no ISO 639-1 code": (
        {**examples.APPLICATION, "names": {"en": "Kuwait", "EN": "Kuwait"}}, False
    ),
    "an empty name": ({**examples.APPLICATION, "names": {"en": ""}}, False),
    "a date as a number": ({**examples.APPLICATION, "applied_on": 0}, False),
    "a note dated by a number": (
        {**examples.APPLICATION, "application_note": {"number": "SOC/OI/88", "dated": 0}}, False
    ),
}


@pytest.mark.parametrize(("body", "admitted"), APPLICATIONS.values(), ids=APPLICATIONS)
def test_an_application_is_admitted_by_its_schema_exactly_when_parsing_admits_it(body, admitted):
    assert admitted_by_schema(ApplicationIn, body) is admitted
    assert admitted_by_parsing(ApplicationIn, body) is admitted


def test_the_schema_says_an_observer_state_is_known_by_its_alpha_3_code():
    """The rule is the domain's (`invalid-fact`); the schema says it too, and parsing refuses
    what the schema refuses."""
    state = {"kind": "state", "names": {"en": "Japan"}, "effective_on": "2002-06-04"}
    for body, admitted in [({**state, "key": "JPN"}, True), ({**state, "key": "JAPAN"}, False),
                           ({**state, "kind": "organisation", "key": "JAPAN"}, True)]:
        assert admitted_by_schema(ObserverIn, body) is admitted
        assert admitted_by_parsing(ObserverIn, body) is admitted


def test_a_decision_and_a_note_parse_into_what_the_events_record():
    """So that the rules compare them with the recorded ones (the same decision again records
    nothing) as equals."""
    admission = AdmissionIn.model_validate(examples.ADMISSION)
    withdrawal = WithdrawalIn.model_validate(examples.WITHDRAWAL)

    assert type(admission.decision) is DecisionRef
    assert admission.decision == DecisionRef.model_validate(examples.KUWAIT_DECISION)
    assert type(withdrawal.note) is NoteRef


async def test_a_date_written_as_a_number_is_refused_and_records_nothing(database_url, servers):
    async with registry(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await register_known_members(client)
        head = await app.state.store.head_position()
        read = await client.get("/members", params={"effective": "0"})
        written = await client.post(
            "/chairmanships", json={"period": "2024-2026", "effective_on": 0}, headers=SECRETARIAT
        )
        decided = await client.post(
            "/member-states/KAZ/suspension",
            json={"effective_on": "2023-01-01", "reason": "a test",
                  "decision": {**examples.KUWAIT_DECISION, "decision_id": str(uuid.uuid4()),
                               "decided_on": 1672531200}},
            headers=SECRETARIAT,
        )
        after = await app.state.store.head_position()

    for refused, where in [(read, ["query", "effective"]), (written, ["body", "effective_on"]),
                           (decided, ["body", "decision", "decided_on"])]:
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "/problems/validation-error"
        assert [e["loc"] for e in refused.json()["errors"]] == [where]
    assert after == head


async def test_a_get_on_the_known_members_paths_is_a_405_that_says_post():
    """``/member-states/known-members`` (and its former path ``founding-members``) is no
    state's path (a code is three capitals)."""
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://cica.test") as client:
        answers = [
            await client.request(method, f"/member-states/{path}")
            for method in ("GET", "OPTIONS")
            for path in ("known-members", "founding-members")
        ]
    assert [(a.status_code, a.headers.get("allow")) for a in answers] == [(405, "POST")] * 4
