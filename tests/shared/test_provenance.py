"""The ``CICA-Source`` of a write (shared/http/provenance.py): read strictly, refused with a
named 422 that records nothing, and kept in the metadata of every event the write appends."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.http.openapi import document_conventions
from shared.http.provenance import (
    EXAMPLE,
    SOURCE_HEADER,
    InvalidSourceError,
    SourceStatus,
    parse_source,
    source_header,
)
from tests.database import events_in
from tests.shared.test_http_with_store import _client_on

AGENDA_ITEM_2 = 'cites="SOC/2022-III/Agenda/2", passage="item 2", status=record'


def test_a_source_is_read_into_the_metadata_it_becomes():
    assert parse_source(AGENDA_ITEM_2) == {
        "status": "record", "cites": "SOC/2022-III/Agenda/2", "passage": "item 2",
    }  # fmt: skip
    assert parse_source(EXAMPLE) == parse_source(AGENDA_ITEM_2)


def test_what_a_client_writes_with_source_header_reads_back_the_same():
    value = source_header(
        SourceStatus.INFERRED, cites="SOC/2022-III/Agenda/2", passage="item 1",
        note='"was not revised": its items are Agenda/2\'s, without the annotations',
    )  # fmt: skip
    assert parse_source(value)["note"] == (
        '"was not revised": its items are Agenda/2\'s, without the annotations'
    )


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("cites=\"SOC/OI/1280\"", "no status"),
        ("status=rumour, cites=\"SOC/OI/1280\"", "none of"),
        ('status="record", cites="SOC/OI/1280"', "none of"),
        ("status=record", "no cites"),
        ('status=inferred, cites="SOC/2022-III/Agenda/2"', "no note"),
        ("status=unverified", "no note"),
        ('status=record, cites=SOC', "something else than a string"),
        ('status=record, cites=("a" "b")', "as a list"),
        ('status=record, cites="SOC/OI/1280";page=1', "with parameters"),
        ('status=record, cites="SOC/OI/1280", author="KAZ"', "key 'author'"),
        ('status=record, cites="   "', "empty"),
        ('status=record, cites="' + "x" * 501 + '"', "longer than 500"),
        ("status=record, cites=\"" + "x" * 2100 + "\"", "longer than 2048 bytes"),
        ("status=record, cites=\"unterminated", "not a Structured Field"),
        ("status=example, note=\"Сноска\"", "no header can"),
    ],
)
def test_each_rule_of_the_header_refuses_what_breaks_it(value, said):
    with pytest.raises(InvalidSourceError) as refused:
        parse_source(value)
    assert said in refused.value.detail


def test_an_example_and_an_unverified_fact_need_no_citation():
    assert parse_source("status=example") == {"status": "example"}
    assert parse_source('status=unverified, note="the working names"')["status"] == "unverified"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_hostile_headers_are_refused_by_the_rule_and_nothing_else(value):
    """Whatever the bytes, the answer is a source or the named refusal: never another error
    (which the service would answer as a 500)."""
    try:
        source = parse_source(value)
    except InvalidSourceError as refused:
        assert refused.type_ == "/problems/invalid-source"
    else:
        assert set(source) <= {"status", "cites", "passage", "note"}
        assert source["status"] in set(SourceStatus)


def test_every_write_declares_the_header_and_no_read_does():
    schema = {
        "paths": {
            "/drafts": {
                "post": {"responses": {"201": {"description": "ok"}}},
                "get": {"responses": {"200": {"description": "ok"}}},
            }
        }
    }
    document_conventions(schema)
    document_conventions(schema)  # idempotent
    post, get = schema["paths"]["/drafts"]["post"], schema["paths"]["/drafts"]["get"]
    assert [p["name"] for p in post["parameters"]] == [SOURCE_HEADER]
    assert "422" in post["responses"]
    assert "parameters" not in get


async def test_the_source_reaches_the_metadata_of_what_the_write_appends(database_url):
    async with _client_on(database_url) as client:
        created = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"}, headers={SOURCE_HEADER: AGENDA_ITEM_2}
        )
        assert created.status_code == 201
        plain = await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/5"})
        assert plain.status_code == 201
    first, second = await events_in(database_url)
    assert json.loads(first["metadata"])["source"] == {
        "status": "record", "cites": "SOC/2022-III/Agenda/2", "passage": "item 2",
    }  # fmt: skip
    assert "source" not in json.loads(second["metadata"])


async def test_an_unreadable_source_is_a_named_422_and_records_nothing(database_url):
    async with _client_on(database_url) as client:
        refused = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"},
            headers={SOURCE_HEADER: "status=rumour", "Idempotency-Key": "k-rumour-1"},
        )  # fmt: skip
        twice = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"},
            headers=[(SOURCE_HEADER, AGENDA_ITEM_2), (SOURCE_HEADER, AGENDA_ITEM_2)],
        )  # fmt: skip
        # The refused request claimed no key: the same key with a good source goes through.
        accepted = await client.post(
            "/drafts", json={"symbol": "SUM/2022/DRAFT/1"},
            headers={SOURCE_HEADER: AGENDA_ITEM_2, "Idempotency-Key": "k-rumour-1"},
        )  # fmt: skip
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "/problems/invalid-source"
    assert twice.status_code == 422
    assert "more than once" in twice.json()["detail"]
    assert accepted.status_code == 201
    assert len(await events_in(database_url)) == 1


async def test_a_read_ignores_the_header(database_url):
    async with _client_on(database_url) as client:
        created = await client.post("/drafts", json={"symbol": "SUM/2022/DRAFT/1"})
        read = await client.get(created.headers["location"], headers={SOURCE_HEADER: "nonsense"})
    assert read.status_code == 200
