"""The notifications service's rules, with no database: numbers and their path keys, a series
numbering its notes, the membership over time, who is told of a revision, a receipt given once,
and the templates writing the seed's note in English, Russian and Kazakh."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.notifications import domain, templates
from services.notifications.events import (
    Enclosure,
    MemberStateAdmitted,
    MemberStatesRegistered,
    NoteSeriesOpened,
)
from services.notifications.seed import (
    CLOSING_1280,
    CONTENT_1280,
    DATELINE_1280,
    ENCLOSURE_1280,
    ENCLOSURES,
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
        note_id=uuid4(),
        place="Astana",
        dated=date(2022, 10, 7),
        subject={"en": "s"},
        text={"en": "t"},
        enclosures=(),
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


def test_a_series_numbers_its_notes_one_after_another():
    opened = NoteSeriesOpened(office="SOC/OI", next_number=1280)
    first = domain.issue_note(domain.series("SOC/OI", [opened]), **note_kwargs())
    state = domain.series("SOC/OI", [opened, *first])
    second = domain.issue_note(state, **note_kwargs())
    assert [n.number for n in (*first, *second)] == ["SOC/OI/1280", "SOC/OI/1281"]
    assert domain.issue_note(state, **note_kwargs(note_id=first[0].note_id)) == []
    assert state.note(1280) == first[0] and state.note(1281) is None
    assert domain.open_series(state, next_number=1280) == []
    with pytest.raises(domain.SeriesOpenError):
        domain.open_series(state, next_number=1)
    with pytest.raises(domain.NotFoundError):
        domain.issue_note(domain.series("IO", []), **note_kwargs())
    with pytest.raises(domain.InvalidRequestError, match="never issued"):
        domain.issue_note(state, **note_kwargs(corrects="SOC/OI/1279"))


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
        enclosures=tuple(Enclosure.model_validate(e) for e in ENCLOSURES),
        addressed_to_all_members=True,
    )
    assert list(texts) == ["en", "ru", "kk"]
    assert texts["en"].split("\n\n")[0] == OPENING_1280_EN
    assert texts["ru"].split("\n\n")[0] == OPENING_1280_RU
    for lang, text in texts.items():
        *_, enclosure, closing, dateline = text.split("\n\n")
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
            enclosures=(),
            addressed_to_all_members=True,
        )
