"""Issue 20: the meetings service's OpenAPI document tells the truth. What a request's schema
admits, parsing admits (days as text, on the calendar; wall-clock times with no offset); the
rules a schema can say, it says (a session of the body's, a zone of the tz database), and the
service refuses what it refuses; agenda items numbered 1, 2, 3... and sub-items lettered a, b,
c... are the rules' (`services.meetings.schemas.AgendaItemsIn` says why); a date written as a
number is no date."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from services.meetings import domain, examples
from services.meetings.app import create_app
from services.meetings.events import AgendaItem, DocumentRef
from services.meetings.schemas import AgendaIn, MeetingIn, SilenceProcedureIn
from tests.meetings.support import SECRETARIAT, meetings


@functools.cache
def _document() -> dict[str, Any]:
    return create_app().openapi()


def admitted_by_schema(model: type[BaseModel], body: dict[str, Any]) -> bool:
    """Whether `model`'s JSON schema in the service's OpenAPI document admits `body`."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}", **_document()}
    return Draft202012Validator(schema).is_valid(body)


def admitted_by_parsing(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


def meeting(**changes: Any) -> dict[str, Any]:
    return {**examples.MEETING_IN, **changes}


WALL_CLOCKS = {
    "the seed's": (meeting(), True),
    "with seconds": (meeting(starts_at_local="10:00:00"), True),
    "with microseconds": (meeting(starts_at_local="10:00:00.250000"), True),
    "with no time, as the Summit's": (
        {k: v for k, v in meeting().items() if k not in ("starts_at_local", "time_zone")}, True),
    "on a leap day": (meeting(starts_on="2024-02-29", ends_on="2024-03-01"), True),
    "on a 29 February of no leap year": (meeting(starts_on="2022-02-29"), False),
    "in 1900, no leap year": (meeting(starts_on="1900-02-29"), False),
    "in 2000, a leap year": (meeting(starts_on="2000-02-29"), True),
    "on 31 April": (meeting(starts_on="2022-04-31"), False),
    "in month 13": (meeting(starts_on="2022-13-01"), False),
    "in the year 0": (meeting(starts_on="0000-01-01"), False),
    "at 24:00": (meeting(starts_at_local="24:00"), False),
    "with an offset": (meeting(starts_at_local="10:00+06:00"), False),
    "with a day": (meeting(starts_at_local="2022-10-10T10:00:00"), False),
    "a day as a number": (meeting(starts_on=1665374400), False),
    "a time as a number": (meeting(starts_at_local=36000), False),
}


@pytest.mark.parametrize(("body", "admitted"), WALL_CLOCKS.values(), ids=WALL_CLOCKS)
def test_a_wall_clock_time_is_admitted_by_its_schema_exactly_when_parsing_admits_it(
    body, admitted
):
    assert admitted_by_schema(MeetingIn, body) is admitted
    assert admitted_by_parsing(MeetingIn, body) is admitted


def test_the_schema_says_a_session_is_its_bodys_and_a_zone_the_tz_databases():
    """The rules are the domain's (`session-of-another-body`, `invalid-request`); the schema
    says them too, and parsing refuses what the schema refuses."""
    cases = [
        (MeetingIn, meeting(session="SUM/2023"), False),
        (MeetingIn, meeting(body="SUMMIT", session="SUM/2023"), True),
        (SilenceProcedureIn, {**examples.SILENCE_PROCEDURE_IN, "session": "SUM/2022"}, False),
        (SilenceProcedureIn, examples.SILENCE_PROCEDURE_IN, True),
        *[(MeetingIn, meeting(time_zone=zone), True)
          for zone in ("Asia/Almaty", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+6")],
        *[(MeetingIn, meeting(time_zone=zone), False)
          for zone in ("Mars/Base", "Asia", "Asia/", "posixrules", "localtime", "")],
    ]
    for model, body, admitted in cases:
        assert admitted_by_schema(model, body) is admitted, body
        assert admitted_by_parsing(model, body) is admitted, body
    assert "posixrules" not in domain.TIME_ZONES


def agenda(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(examples.AGENDA_IN), **changes}


def renumbered(body: dict[str, Any], numbers: list[str]) -> dict[str, Any]:
    body["items"] = [{**item, "number": n} for item, n in zip(body["items"], numbers, strict=True)]
    return body


def test_the_rules_refuse_items_numbered_or_sub_items_lettered_out_of_order():
    """By name (`invalid-request`, 422), not by the schema: `AgendaItemsIn` says why."""
    count = len(examples.AGENDA_IN["items"])
    skipped = renumbered(agenda(), ["1", "3", *[str(n) for n in range(4, count + 2)]])
    relettered = agenda()
    with_subs = next(i for i in relettered["items"] if len(i.get("sub_items", ())) >= 2)
    with_subs["sub_items"][1] = {**with_subs["sub_items"][1], "letter": "z"}
    scheduling = {**dict(MeetingIn.model_validate(examples.MEETING_IN)), "participants": ["KAZ"]}
    events = domain.schedule(domain.meeting(examples.SOC_ID, []), **scheduling)
    state = domain.meeting(examples.SOC_ID, events)

    for body in (agenda(), skipped, relettered):
        assert admitted_by_schema(AgendaIn, body) and admitted_by_parsing(AgendaIn, body)
    for body in (skipped, relettered):
        with pytest.raises(domain.InvalidRequestError, match=r"numbered|lettered"):
            domain.draft_agenda(state, **dict(AgendaIn.model_validate(body)))


def test_an_agenda_parses_into_what_the_events_record():
    """So that the rules compare it with the agenda as circulated (an adoption as circulated is
    not `amended`) as equals; a date in it is text, not a number."""
    parsed = AgendaIn.model_validate(examples.AGENDA_IN)
    dated_by_number = agenda()
    dated_by_number["items"][1]["considers"][0]["dated"] = 0

    assert {type(item) for item in parsed.items} == {AgendaItem}
    assert {type(d) for item in parsed.items for d in item.considers} <= {DocumentRef}
    assert tuple(parsed.items) == tuple(
        AgendaItem.model_validate(item) for item in examples.AGENDA_IN["items"]
    )
    assert not admitted_by_parsing(AgendaIn, dated_by_number)
    assert not admitted_by_schema(AgendaIn, dated_by_number)


async def test_a_date_written_as_a_number_is_refused_and_records_nothing(database_url, servers):
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        head = await app.state.store.head_position()
        read = await client.get("/member-states", params={"on": "0"}, headers=SECRETARIAT)
        scheduled = await client.post(
            "/meetings", json=meeting(starts_on=1665374400), headers=SECRETARIAT
        )
        on_no_day = await client.post(
            "/meetings", json=meeting(ends_on="2022-02-29"), headers=SECRETARIAT
        )
        after = await app.state.store.head_position()

    for refused, where in [(read, ["query", "on"]), (scheduled, ["body", "starts_on"]),
                           (on_no_day, ["body", "ends_on"])]:
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "/problems/validation-error"
        assert [e["loc"] for e in refused.json()["errors"]] == [where]
    assert after == head
