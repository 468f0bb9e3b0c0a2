"""What the notifications service's OpenAPI document says of its requests is what its routes
answer: a note's number and its path key carry the syntax the service parses, a date is
``YYYY-MM-DD`` text, a note has `content` or `text` (one of them), its templates' languages are
declared; and what the schema cannot say is a rule of the service's, named: the Secretariat
acknowledging for no state (422 ``state-not-named``: a member state's token names its own), or
for a state a note did not go to (422 ``not-a-recipient``, not a 404 of a note it reads)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications import domain
from services.notifications.app import create_app
from services.notifications.seed import ISSUE_1280
from services.notifications.templates import LANGUAGES
from tests.notifications.support import (
    SECRETARIAT,
    get,
    notifications,
    notifications_settings,
    post,
    the_27_and_the_register_of_2022,
)


def matches(pattern: str, text: str) -> bool:
    """`text` matches `pattern` as JSON Schema reads it (``$``: the end of the text)."""
    assert pattern.startswith("^") and pattern.endswith("$"), pattern
    return re.fullmatch(pattern[1:-1], text) is not None


def parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except (domain.InvalidRequestError, domain.NotFoundError):
        return False
    return True


NUMBERISH = "SOCIAB019/- \n"


@given(
    st.one_of(
        st.from_regex(domain.NOTE_NUMBER[1:-1], fullmatch=True),
        st.from_regex(domain.NOTE_KEY[1:-1], fullmatch=True),
        st.text(NUMBERISH, max_size=30),
        st.text(max_size=30),
    )
)
def test_a_note_number_and_its_key_match_their_patterns_exactly_when_they_parse(text):
    assert matches(domain.NOTE_NUMBER, text) == parses(domain.parse_number, text), text
    assert matches(domain.NOTE_KEY, text) == parses(domain.number_of_key, text), text


@pytest.fixture(scope="module")
def schema() -> dict:
    settings = notifications_settings("postgresql://unused/db", "nats://unused:4222")
    return create_app(settings).openapi()


def test_the_document_declares_the_syntax_and_the_rules_it_can_say(schema):
    models = schema["components"]["schemas"]
    note = models["NoteIn"]
    assert note["properties"]["dated"]["format"] == "date"
    assert note["properties"]["corrects"]["anyOf"][0]["pattern"] == domain.NOTE_NUMBER
    assert [option["required"] for option in note["oneOf"]] == [["content"], ["text"]]
    assert models["NoteContent"]["properties"]["body"]["propertyNames"] == {
        "enum": list(LANGUAGES)
    }
    parameters = {
        (path, p["name"]): p["schema"]
        for path, item in schema["paths"].items()
        for operation in item.values()
        for p in operation.get("parameters", [])
    }
    assert parameters[("/notes/{note}", "note")]["pattern"] == domain.NOTE_KEY
    assert parameters[("/notes", "office")]["pattern"].startswith("^[A-Z]")
    assert parameters[("/member-states", "on")]["format"] == "date"
    on_record = models["NoteOnRecordIn"]
    assert on_record["properties"]["number"]["pattern"] == domain.NOTE_NUMBER
    assert on_record["properties"]["dated"]["format"] == "date"
    assert set(on_record["required"]) == {"number", "dated", "subject", "cited_in"}
    assert models["RegisterIn"]["properties"]["prefixes"]["minItems"] == 1
    for pattern in (domain.NOTE_KEY, domain.NOTE_NUMBER):
        assert "?P<" not in pattern  # ECMA 262 has no Python-style named groups


async def test_what_the_schema_refuses_the_routes_refuse(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/notes", ISSUE_1280)
        numeric_day = await get(client, "/member-states", status=422, on="0")
        both = await post(client, "/notes", {**ISSUE_1280, "text": {"en": "In full."}},
                          status=422)  # fmt: skip
        neither = await post(client, "/notes", {k: v for k, v in ISSUE_1280.items()
                                                if k != "content"}, status=422)  # fmt: skip
        unknown = await post(client, "/notes", {**ISSUE_1280, "corrects": "1280"}, status=422)
        unnamed = await post(client, "/notes/SOC-OI-1280/receipt", {}, headers=SECRETARIAT,
                             status=422)  # fmt: skip
        not_a_recipient = await post(client, "/notes/SOC-OI-1280/receipt", {"state": "KWT"},
                                     headers=SECRETARIAT, status=422)  # fmt: skip
        version = await app.state.store.stream_version("register-2022")

    assert numeric_day["type"] == "/problems/validation-error"
    for refused in (both, neither, unknown):
        assert refused.json()["type"] == "/problems/validation-error", refused.text
    assert unnamed.json()["type"] == "/problems/state-not-named"
    assert not_a_recipient.json()["type"] == "/problems/not-a-recipient"
    assert not_a_recipient.json()["state"] == "KWT"
    assert version == 2, "opened, 1280: nothing else was recorded"
