"""The notifications service's rules, with no database: numbers and their path keys, a register
numbering the notes of several prefixes (and the notes on record beside them), its order, the
membership over time, who is told of a revision, a receipt given once, and the templates
writing the seed's note in English, Russian and Kazakh."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.notifications import domain, templates
from services.notifications.events import (
    Citation,
    Enclosure,
    MemberStateAdmitted,
    MemberStatesRegistered,
    NotePrefixAssigned,
    NoteRegisterOpened,
    NoteSeriesOpened,
    NoteVerbaleIssued,
)
from services.notifications.seed import (
    CLOSING_1280,
    CONTENT_1280,
    DATELINE_1280,
    ENCLOSURE_1280,
    MEMBER_STATES_2022,
    OPENING_1280_EN,
    OPENING_1280_RU,
)
from shared.access import Distribution, Membership, MembershipChange

NOW = datetime(2022, 10, 7, 9, tzinfo=UTC)
FOUNDED = date(1999, 9, 14)
THE_27 = Membership.of((state, MembershipChange.FOUNDING, FOUNDED) for state in MEMBER_STATES_2022)


def note_kwargs(**overrides):  # type: ignore[no-untyped-def]
    values = dict(
        prefix="SOC/OI",
        note_id=uuid4(),
        place="Astana",
        dated=date(2022, 10, 7),
        subject={"en": "s"},
        text={"en": "t"},
        enclosures=(),
        pages=None,
        recipients=["KAZ"],
        membership=THE_27,
        enclosed={},
        corrects=None,
        corrected_exists=False,
        now=NOW,
    )
    values.update(overrides)
    return values


def test_a_number_and_its_path_key_map_one_to_one():
    assert domain.parse_number("SOC/OI/1280") == ("SOC/OI", 1280)
    assert domain.key_of_number("SOC/OI/1280") == "SOC-OI-1280"
    assert domain.number_of_key("SOC-OI-1280") == "SOC/OI/1280"
    assert domain.number_of_key("IO-1256") == "IO/1256"
    for bad in ("1280", "SOC/OI/", "soc/oi/1280", "SOC/OI/0"):
        with pytest.raises(domain.InvalidRequestError):
            domain.parse_number(bad)
    with pytest.raises(domain.NotFoundError):
        domain.number_of_key("SOC-OI")


OPENED_2022 = NoteRegisterOpened(
    name="2022", prefixes=("SOC/OI", "IO"), year=2022, next_number=1280
)
AGENDA = Citation(symbol="SOC/2022-III/Agenda/2", passage="item 5(b)")


def register_2022(*events):  # type: ignore[no-untyped-def]
    return domain.note_register("2022", [OPENED_2022, *events])


def on_record(state, number, day, **overrides):  # type: ignore[no-untyped-def]
    values = dict(note_id=uuid4(), number=number, dated=day, subject={"en": "s"},
                  cited_in=AGENDA, now=NOW)  # fmt: skip
    return domain.record_note(state, **(values | overrides))


def test_a_register_numbers_the_notes_of_its_prefixes_in_one_count():
    first = domain.issue_note(register_2022(), **note_kwargs())
    state = register_2022(*first)
    second = domain.issue_note(state, **note_kwargs(prefix="IO"))
    assert [n.number for n in (*first, *second)] == ["SOC/OI/1280", "IO/1281"]
    assert {n.register_name for n in (*first, *second)} == {"2022"}
    assert domain.issue_note(state, **note_kwargs(note_id=first[0].note_id)) == []
    assert state.note(1280) == first[0] and state.note(1281) is None
    with pytest.raises(domain.InvalidRequestError, match="never issued") as refused:
        domain.issue_note(state, **note_kwargs(corrects="SOC/OI/1279"))
    assert refused.value.rule == "corrects-no-note"


def test_a_register_is_opened_once_and_its_prefixes_are_its_own_for_its_year():
    state = register_2022()
    terms = dict(prefixes=["SOC/OI", "IO"], year=2022, next_number=1280)
    assert domain.open_register(state, **terms) == []
    with pytest.raises(domain.RegisterOpenError):
        domain.open_register(state, **(terms | {"next_number": 1}))
    assigned = [NotePrefixAssigned(prefix="IO", register_name="2022", year=2022)]
    again = dict(prefix="IO", register="2022", year=2022)
    assert domain.assign_prefix(assigned, **again) == []
    with pytest.raises(domain.PrefixInAnotherRegisterError):
        domain.assign_prefix(assigned, **(again | {"register": "IO-2022"}))
    with pytest.raises(domain.PrefixInAnotherRegisterError, match="one register at a time"):
        domain.assign_prefix(assigned, **(again | {"register": "all", "year": None}))
    assert domain.assign_prefix(assigned, **(again | {"register": "2023", "year": 2023}))
    assert domain.register_of(assigned, 2022) == "2022"
    assert domain.register_of(assigned, 2023) is None


def test_a_note_of_a_prefix_or_a_year_the_register_does_not_number_is_refused():
    with pytest.raises(domain.PrefixNotInARegisterError):
        domain.issue_note(register_2022(), **note_kwargs(prefix="SOC"))
    with pytest.raises(domain.PrefixNotInARegisterError):
        domain.issue_note(register_2022(), **note_kwargs(dated=date(2023, 1, 9)))
    with pytest.raises(domain.PrefixNotInARegisterError):
        on_record(register_2022(), "SOC/OI/88", date(2021, 2, 3))
    with pytest.raises(domain.PrefixNotInARegisterError):
        domain.issue_note(domain.note_register("2022", []), **note_kwargs())


def test_the_seeds_three_notes_are_in_the_registers_order():
    """SOC/OI/88 of 3 February, IO/1256 of 3 October, SOC/OI/1280 of 7 October 2022: one
    register, in order, recorded in any order."""
    (io,) = on_record(register_2022(), "IO/1256", date(2022, 10, 3))
    (soc,) = domain.issue_note(register_2022(io), **note_kwargs(dated=date(2022, 10, 7)))
    (kuwait,) = on_record(register_2022(io, soc), "SOC/OI/88", date(2022, 2, 3))
    state = register_2022(io, soc, kuwait)
    assert [n.number for n in state.notes()] == ["SOC/OI/88", "IO/1256", "SOC/OI/1280"]
    assert (state.next_number, state.note(1256)) == (1281, io)


def test_a_higher_number_is_never_dated_before_a_lower_one():
    (soc,) = domain.issue_note(register_2022(), **note_kwargs(dated=date(2022, 10, 7)))
    with pytest.raises(domain.RegisterOrderError, match="SOC/OI/1280 is dated 2022-10-07"):
        domain.issue_note(register_2022(soc), **note_kwargs(dated=date(2022, 10, 6)))
    with pytest.raises(domain.RegisterOrderError):
        on_record(register_2022(soc), "IO/1270", date(2022, 10, 8))
    (io,) = on_record(register_2022(soc), "IO/1256", date(2022, 10, 3))
    with pytest.raises(domain.RegisterOrderError, match="IO/1256"):
        on_record(register_2022(soc, io), "SOC/OI/1257", date(2022, 10, 2))
    assert on_record(register_2022(soc, io), "SOC/OI/1257", date(2022, 10, 3))


def test_a_number_on_record_is_below_the_registers_next_and_taken_once():
    (soc,) = domain.issue_note(register_2022(), **note_kwargs(dated=date(2022, 10, 7)))
    with pytest.raises(domain.NumberBeyondRegisterError, match=r"next number \(1281\)"):
        on_record(register_2022(soc), "SOC/OI/1300", date(2022, 10, 1))
    with pytest.raises(domain.NumberTakenError):
        on_record(register_2022(soc), "IO/1280", date(2022, 10, 7))
    (io,) = on_record(register_2022(soc), "IO/1256", date(2022, 10, 3))
    same = dict(note_id=io.note_id, subject=io.subject)
    assert on_record(register_2022(soc, io), "IO/1256", date(2022, 10, 3), **same) == []
    with pytest.raises(domain.NumberTakenError, match="IO/1256 of 2022-10-03"):
        on_record(register_2022(soc, io), "SOC/OI/1256", date(2022, 10, 3))


def test_a_series_of_the_logs_before_folds_as_a_register_of_its_office():
    opened = NoteSeriesOpened(office="SOC/OI", next_number=1280)
    state = domain.note_register("SOC/OI", [opened])
    (note,) = domain.issue_note(state, **note_kwargs(dated=date(2019, 5, 1)))
    assert (state.prefixes, state.year, note.number) == (("SOC/OI",), None, "SOC/OI/1280")
    with pytest.raises(domain.PrefixNotInARegisterError):
        domain.issue_note(state, **note_kwargs(prefix="IO"))


def test_a_note_of_the_logs_before_is_upcast_into_its_offices_register():
    from services.notifications.events import event_types

    (note,) = domain.issue_note(register_2022(), **note_kwargs(
        enclosures=(Enclosure(symbol="SUM/2022/DRAFT/1/Rev.8", pages=6),
                    Enclosure(symbol="SUM/2022/DRAFT/5", pages=4))))  # fmt: skip
    stored = note.model_dump(mode="json", exclude={"register_name", "pages"})
    upcast = event_types.decode("NoteVerbaleIssued", 1, stored)
    assert isinstance(upcast, NoteVerbaleIssued)
    assert (upcast.register_name, upcast.pages) == ("SOC/OI", 10)


def test_a_notes_pages_are_given_in_all_or_counted_from_its_enclosures():
    rev8 = Enclosure(symbol="SUM/2022/DRAFT/1/Rev.8")
    assert domain.enclosed_pages([rev8], 10) == 10
    assert domain.enclosed_pages([Enclosure(symbol="SUM/2022/DRAFT/5", pages=4)], None) == 4
    assert domain.enclosed_pages([rev8], None) is None
    with pytest.raises(domain.InvalidRequestError, match="count 4 pages, not 10"):
        domain.enclosed_pages([Enclosure(symbol="SUM/2022/DRAFT/5", pages=4)], 10)
    with pytest.raises(domain.InvalidRequestError):
        domain.enclosed_pages([], 10)


def test_a_member_counts_from_its_admission_on():
    history = [
        MemberStatesRegistered(states=MEMBER_STATES_2022, member_since=FOUNDED),
        MemberStateAdmitted(state="KWT", admitted_on=date(2022, 10, 12)),
    ]
    known = domain.members(history)
    assert len(domain.members_on(known, date(2022, 10, 11))) == 27
    assert len(domain.members_on(known, date(2022, 10, 12))) == 28
    noted = domain.note_change(history, state="KWT", change=MembershipChange.ADMITTED,
                               effective_on=date(2022, 10, 12))
    assert noted == [], "an older log's admission is the same fact"


def test_a_revision_is_told_to_the_readers_of_the_document_only():
    known = Membership.of([("KAZ", MembershipChange.FOUNDING, FOUNDED),
                           ("IND", MembershipChange.FOUNDING, FOUNDED)])
    day = date(2022, 10, 11)
    assert domain.told_of_revisions(Distribution.member_states_only(), known, day) == ["IND", "KAZ"]
    assert domain.told_of_revisions(Distribution.general(), known, day) == ["IND", "KAZ"]
    assert domain.told_of_revisions(Distribution.restricted("KWT"), known, day) == ["KWT"]


def test_an_addendum_is_told_to_its_parents_readers_who_may_read_it():
    known = Membership.of([("KAZ", MembershipChange.FOUNDING, FOUNDED),
                           ("IND", MembershipChange.FOUNDING, FOUNDED)])
    day = date(2022, 10, 11)
    members, general = Distribution.member_states_only(), Distribution.general()
    assert domain.told_of_supplement(members, general, known, day) == ["IND", "KAZ"]
    assert domain.told_of_supplement(members, Distribution.restricted("KAZ"), known, day) == [
        "KAZ"], "an addendum restricted to Kazakhstan is not told to India"
    parent = Distribution.restricted("KAZ", "KWT")
    assert domain.told_of_supplement(parent, members, known, day) == ["KAZ"], (
        "Kuwait, not yet a member, reads no member-states-only text")
    assert domain.told_of_supplement(Distribution.restricted("KWT"),
                                     Distribution.restricted("KWT"), known, day) == ["KWT"]


def test_a_circulation_is_told_to_exactly_its_addressees_on_the_day_it_went_out():
    history = [
        MemberStatesRegistered(states=MEMBER_STATES_2022, member_since=FOUNDED),
        MemberStateAdmitted(state="KWT", admitted_on=date(2022, 10, 12)),
    ]
    known = domain.members(history)
    members, general = Distribution.member_states_only(), Distribution.general()
    assert len(domain.addressees(members, known, date(2022, 10, 7))) == 27
    assert "KWT" not in domain.addressees(general, known, date(2022, 10, 7))
    assert len(domain.addressees(general, known, date(2022, 10, 13))) == 28
    assert domain.addressees(Distribution.restricted("KAZ", "KWT"), known,
                             date(2022, 10, 7)) == ["KAZ", "KWT"]


def test_a_receipt_is_given_once_by_a_recipient():
    message, delivery = uuid4(), uuid4()
    kwargs = dict(
        delivery_id=delivery, message_id=message, recipients=["KAZ"], reference="", now=NOW
    )
    (receipt,) = domain.acknowledge([], state="KAZ", **kwargs)
    assert domain.acknowledge([receipt], state="KAZ", **kwargs) == []
    with pytest.raises(domain.NotFoundError):
        domain.acknowledge([], state="IND", **kwargs)


def test_the_templates_write_the_seed_note_in_three_languages():
    texts = templates.render(
        templates.NoteContent.model_validate(CONTENT_1280),
        place="Astana",
        dated=date(2022, 10, 7),
        pages=10,
        addressed_to_all_members=True,
    )
    assert list(texts) == ["en", "ru", "kk"]
    assert texts["en"].split("\n\n")[0] == OPENING_1280_EN
    assert texts["ru"].split("\n\n")[0] == OPENING_1280_RU
    for lang, text in texts.items():
        *_, enclosure, closing, dateline, _addressees = text.split("\n\n")
        assert (enclosure, closing, dateline) == (
            ENCLOSURE_1280[lang],
            CLOSING_1280[lang],
            DATELINE_1280[lang],
        )
    assert (
        templates.dateline("kk", "Almaty", date(2024, 1, 5)) == "Алматы қаласы, 2024 жылғы 5 қаңтар"
    )
    with pytest.raises(templates.UnknownLanguageError):
        templates.render(
            templates.NoteContent(body={"fr": "x"}),
            place="Astana",
            dated=date(2022, 10, 7),
            pages=None,
            addressed_to_all_members=True,
        )
