"""Registers of notes over HTTP (issue 21): one count that several prefixes share, restarted each
year, so that SOC/OI/88 of 3 February 2022, IO/1256 of 3 October 2022 (both known from the
annotated agenda that cites them) and SOC/OI/1280 of 7 October 2022 (issued) are all recorded,
in order; each rule of a register refused with its problem, and nothing recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from services.notifications.events import NoteSeriesOpened
from services.notifications.seed import (
    ISSUE_1280,
    NOTES_ON_RECORD,
    REGISTER_2022,
)
from shared.eventstore import NO_STREAM, DomainEvent, EventTypes, PostgresEventStore
from tests.notifications.support import (
    AUDITOR,
    get,
    member,
    notifications,
    post,
    the_27,
    the_27_and_the_register_of_2022,
)

NOTE_88, NOTE_1256 = NOTES_ON_RECORD
AGENDA_ITEM_2 = NOTE_88["cited_in"]


async def test_the_seeds_three_notes_are_recorded_in_one_register_in_order(
    database_url, servers
):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        issued = (await post(client, "/notes", ISSUE_1280)).json()
        mou = await post(client, "/notes/on-record", NOTE_1256)
        kuwait = await post(client, "/notes/on-record", NOTE_88)
        again = await post(client, "/notes/on-record", NOTE_88, status=200)
        listed = await get(client, "/notes")
        read = await get(client, "/notes/SOC-OI-88")
        by_register = await get(client, "/notes", register="2022", office="IO")
        (register,) = (await get(client, "/registers"))["registers"]
        a_state = await get(client, "/notes", member("KAZ"))
        auditor = await get(client, "/notes", AUDITOR)
        receipts = await get(client, "/notes/SOC-OI-88/receipts", status=409)
        ack = (await post(client, "/notes/IO-1256/receipt", {"state": "KAZ"}, status=409)).json()
        stream = await app.state.store.read_stream("register-2022")

    assert kuwait.headers["location"] == "/notes/SOC-OI-88"
    note = kuwait.json()
    assert note == again.json() == read, "the same record again records nothing"
    assert (note["kind"], note["number"], note["dated"]) == ("on_record", "SOC/OI/88", "2022-02-03")
    assert (note["register_name"], note["sequence"], note["office"]) == ("2022", 88, "SOC/OI")
    assert note["subject"] == {"en": "Application by Kuwait for CICA membership"}
    assert note["cited_in"] == {"symbol": "SOC/2022-III/Agenda/2", "passage": "item 2"}
    assert (note["text"], note["recipients"], note["place"], note["issued_at"]) == (
        {}, [], None, None)  # fmt: skip
    assert mou.json()["subject"] == NOTE_1256["subject"]
    assert [(n["number"], n["kind"]) for n in listed["notes"]] == [
        ("SOC/OI/88", "on_record"),
        ("IO/1256", "on_record"),
        ("SOC/OI/1280", "issued"),
    ], "in register order, not in the order recorded"
    assert listed["notes"][2] == issued
    assert listed["notes"][0] == read, "the read model shows the note as the log holds it"
    assert [n["number"] for n in by_register["notes"]] == ["IO/1256"]
    assert (register["issued"], register["on_record"], register["next_number"]) == (1, 2, 1281)
    assert [n["number"] for n in a_state["notes"]] == ["SOC/OI/1280"], (
        "a state reads the notes addressed to it; the log holds no recipients of a cited one"
    )
    assert len(auditor["notes"]) == 3
    assert receipts["type"] == ack["type"] == "/problems/note-on-record-only"
    assert [r.event_type for r in stream] == [
        "NoteRegisterOpened",
        "NoteVerbaleIssued",
        "NoteRecordedByReference",
        "NoteRecordedByReference",
    ]


async def test_a_note_is_not_issued_under_the_id_of_a_note_on_record(database_url, servers):
    """An id names one note: issuing under a note on record's id is a named 409 that records
    nothing (it was a 500: the request was taken for a retry of an issued note)."""
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        mou = (await post(client, "/notes/on-record", NOTE_1256)).json()
        head = await app.state.store.head_position()
        refused = await post(client, "/notes", {**ISSUE_1280, "note_id": mou["note_id"]},
                             status=409)
        after = await app.state.store.head_position()

    assert refused.json()["type"] == "/problems/note-id-taken"
    assert refused.json()["number"] == "IO/1256"
    assert after == head


async def test_a_note_on_record_is_refused_out_of_the_registers_rules(database_url, servers):
    """Each rule, with its problem: a number at or past the register's next (the register
    issues it itself), a number taken, a date out of the register's order, a prefix no register
    numbers that year. Nothing is recorded."""
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/notes", ISSUE_1280)
        await post(client, "/notes/on-record", NOTE_1256)
        beyond = await post(
            client, "/notes/on-record", {**NOTE_1256, "number": "IO/1300", "dated": "2022-10-08"},
            status=422,
        )  # fmt: skip
        taken = await post(
            client, "/notes/on-record", {**NOTE_1256, "number": "SOC/OI/1256"}, status=409
        )
        changed = await post(
            client, "/notes/on-record", {**NOTE_1256, "dated": "2022-10-04"}, status=409
        )
        after_1280 = await post(
            client, "/notes/on-record", {**NOTE_88, "number": "SOC/OI/1270", "dated": "2022-10-08"},
            status=409,
        )  # fmt: skip
        before_1256 = await post(
            client, "/notes/on-record", {**NOTE_88, "number": "SOC/OI/1257", "dated": "2022-10-01"},
            status=409,
        )  # fmt: skip
        no_register = await post(
            client, "/notes/on-record", {**NOTE_88, "number": "SOC/88"}, status=422
        )
        other_year = await post(
            client, "/notes/on-record", {**NOTE_88, "dated": "2021-02-03"}, status=422
        )
        issued_out_of_order = await post(
            client, "/notes", {**ISSUE_1280, "dated": "2022-10-06"}, status=409
        )
        version = await app.state.store.stream_version("register-2022")

    assert beyond.json()["type"] == "/problems/number-beyond-the-register"
    assert "next number (1281)" in beyond.json()["detail"]
    assert taken.json()["type"] == changed.json()["type"] == "/problems/number-taken"
    assert "IO/1256 of 2022-10-03" in taken.json()["detail"]
    assert after_1280.json()["type"] == before_1256.json()["type"] == "/problems/register-order"
    assert after_1280.json()["contradicts"] == "SOC/OI/1280"
    assert before_1256.json()["contradicts"] == "IO/1256"
    assert no_register.json()["type"] == other_year.json()["type"] == (
        "/problems/prefix-not-in-a-register"
    )
    assert issued_out_of_order.json()["type"] == "/problems/register-order"
    assert version == 3, "opened, 1280, 1256: the refused requests recorded nothing"


async def test_a_prefix_belongs_to_one_register_a_year(database_url, servers):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27(app)
        await post(client, "/registers", REGISTER_2022)
        io_alone = await post(
            client,
            "/registers",
            {"name": "IO-2022", "prefixes": ["IO"], "year": 2022, "next_number": 1},
            status=409,
        )
        every_year = await post(
            client,
            "/registers",
            {"name": "SOC", "prefixes": ["SOC", "SOC/OI"], "year": None, "next_number": 1},
            status=409,
        )
        next_year = await post(
            client, "/registers", {**REGISTER_2022, "name": "2023", "year": 2023, "next_number": 1}
        )
        registers = await get(client, "/registers")
        orphan = await app.state.store.stream_version("register-IO-2022")
        soc = await app.state.store.stream_version("prefix-SOC")

    assert io_alone.json()["type"] == "/problems/prefix-in-another-register"
    assert io_alone.json()["register"] == "2022"
    assert every_year.json()["type"] == "/problems/prefix-in-another-register"
    assert next_year.status_code == 201
    assert [r["name"] for r in registers["registers"]] == ["2022", "2023"]
    assert (orphan, soc) == (0, 0), "a register refused records nothing, in no stream"


async def test_a_number_of_two_years_is_read_with_its_year(database_url, servers):
    """A count restarted each year numbers a note of each year alike: SOC/OI/1 of 2022 and of
    2023 are two notes; read by number alone, the answer asks for the year."""
    first = {**ISSUE_1280, "dated": "2022-01-10"}
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27(app)
        await post(client, "/registers", {**REGISTER_2022, "next_number": 1})
        await post(client, "/registers", {**REGISTER_2022, "name": "2023", "year": 2023,
                                          "next_number": 1})  # fmt: skip
        of_2022 = (await post(client, "/notes", first)).json()
        of_2023 = (await post(client, "/notes", {**first, "dated": "2023-01-10"})).json()
        ambiguous = await get(client, "/notes/SOC-OI-1", status=422)
        read_2023 = await get(client, "/notes/SOC-OI-1", year=2023)
        listed = await get(client, "/notes")
        same_id = await post(
            client, "/notes", {**first, "note_id": of_2022["note_id"], "dated": "2023-02-01"},
            status=409,
        )  # fmt: skip

    assert same_id.json()["type"] == "/problems/event-id-conflict", (
        "a note's id is its own: sent again in another year, it names another note's event"
    )
    assert of_2022["number"] == of_2023["number"] == "SOC/OI/1"
    assert (of_2022["register_name"], of_2023["register_name"]) == ("2022", "2023")
    assert ambiguous["type"] == "/problems/number-of-several-years"
    assert read_2023 == of_2023
    assert [n["register_name"] for n in listed["notes"]] == ["2022", "2023"]


class NoteVerbaleIssuedV1(DomainEvent):
    """`NoteVerbaleIssued` as the logs before the registers hold it (schema version 1): no
    register, each enclosure with its own pages, a subject always."""

    note_id: UUID
    number: str
    office: str
    sequence: int
    place: str
    dated: date
    subject: dict[str, str]
    text: dict[str, str]
    languages: tuple[str, ...]
    enclosures: tuple[dict, ...] = ()
    recipients: tuple[str, ...]
    addressed_to_all_members: bool
    corrects: str | None = None
    issued_at: datetime


async def test_a_log_written_before_the_registers_reads_on(database_url, servers):
    """A series per office of an older log (``series-SOC-OI``: `NoteSeriesOpened`, then a v1
    note) is the register of that office, of every year: its note reads with its register and
    its pages in all, the next note of SOC/OI takes the series' next number in the same stream,
    and no new register may take SOC/OI."""
    old_types = EventTypes()
    old_types.register("NoteSeriesOpened", version=1)(NoteSeriesOpened)
    old_types.register("NoteVerbaleIssued", version=1)(NoteVerbaleIssuedV1)
    old_note = NoteVerbaleIssuedV1(
        note_id=uuid4(), number="SOC/OI/1280", office="SOC/OI", sequence=1280, place="Astana",
        dated=date(2022, 10, 7), subject={"en": "Draft documents"}, text={"en": "The text."},
        languages=("en",), recipients=("KAZ",), addressed_to_all_members=False,
        enclosures=({"symbol": "SUM/2022/DRAFT/1/Rev.8", "pages": 6, "title": {}},
                    {"symbol": "SUM/2022/DRAFT/5", "pages": 4, "title": {}}),
        issued_at=datetime(2022, 10, 7, 9, tzinfo=UTC),
    )  # fmt: skip
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27(app)
        old = PostgresEventStore(app.state.store.engine, old_types)
        await old.append(
            "series-SOC-OI",
            [NoteSeriesOpened(office="SOC/OI", next_number=1280), old_note],
            stream_type="note_series",
            expected_version=NO_STREAM,
        )
        read = await get(client, "/notes/SOC-OI-1280")
        after = (await post(client, "/notes", {**ISSUE_1280, "dated": "2022-10-08"})).json()
        taken = await post(client, "/registers", REGISTER_2022, status=409)
        registers = await get(client, "/registers")
        stream = await app.state.store.read_stream("series-SOC-OI")

    assert (read["register_name"], read["pages"], read["kind"]) == ("SOC/OI", 10, "issued")
    assert read["subject"] == {"en": "Draft documents"}
    assert (after["number"], after["register_name"]) == ("SOC/OI/1281", "SOC/OI")
    assert [(r.event_type, r.schema_version) for r in stream] == [
        ("NoteSeriesOpened", 1), ("NoteVerbaleIssued", 1), ("NoteVerbaleIssued", 2)
    ], "the old log kept as written, the new note after it"
    assert taken.json()["type"] == "/problems/prefix-in-another-register"
    assert [(r["name"], r["year"], r["next_number"]) for r in registers["registers"]] == [
        ("SOC/OI", None, 1282)
    ]
