"""The meetings service's rules with no database: given events, when a decision, then these
events or this error."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import uuid4

import pytest

from services.meetings import domain
from services.meetings.events import (
    AgendaItem,
    Annotation,
    ConsideredDocumentRevised,
    ConsideredDocumentSupplemented,
    DecisionRecorded,
    MembershipNoted,
    MemberStateAdmitted,
    MemberStatesRegistered,
    ParticipantAdded,
    ParticipantRemoved,
)
from services.meetings.seed import (
    MEMBER_STATES_2022,
    RECOMMEND_KUWAIT,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
    SUMMIT_MEETING,
)
from shared.access.model import Membership, MembershipChange
from shared.eventstore import DomainEvent
from tests.meetings.support import as_scheduled

MEETING = "SOC-2022-III"
MEMBERS = Membership.of(
    (state, MembershipChange.FOUNDING, date(1999, 9, 14)) for state in MEMBER_STATES_2022)
"""The 27 of 2022, members since 1999."""
AS_MEMBER = {"membership": MEMBERS, "now": datetime(2022, 10, 11, 9, 30, tzinfo=UTC)}
"""A state's say, while it is a member state (the day of the SOC's meeting)."""


def items(raw: list[dict]) -> list[AgendaItem]:
    return [AgendaItem.model_validate(i) for i in raw]


def scheduled() -> list[DomainEvent]:
    return list(domain.schedule(domain.meeting(MEETING, []), participants=MEMBER_STATES_2022,
                                **as_scheduled(SOC_MEETING)))


def annotations(raw: list[dict]) -> list[Annotation]:
    return [Annotation.model_validate(a) for a in raw]


def annotated(history: list[DomainEvent], **changes) -> list[DomainEvent]:
    """The annotated agenda SOC/2022-III/Agenda/2 (with `changes`) recorded on `history`."""
    body = {**SOC_AGENDA_ANNOTATED, **changes}
    return domain.annotate_agenda(
        domain.meeting(MEETING, history), symbol=body["symbol"],
        circulated_on=date.fromisoformat(body["circulated_on"]), title=body["title"],
        annotations=annotations(body["annotations"]))


def drafted_and_revised() -> list[DomainEvent]:
    """The draft agenda circulated, and annotated (it was not revised)."""
    history = scheduled()
    history += domain.draft_agenda(
        domain.meeting(MEETING, history), symbol=SOC_AGENDA_DRAFT["symbol"],
        circulated_on=date(2022, 9, 7), items=items(SOC_AGENDA_DRAFT["items"]))
    return history + annotated(history)


def adopted() -> list[DomainEvent]:
    history = drafted_and_revised()
    return history + domain.adopt_agenda(domain.meeting(MEETING, history),
                                         adopted_on=date(2022, 10, 10))


def test_each_body_recommends_to_the_next():
    assert domain.recommendation_goes_to("SWG") == ("SOC",)
    assert domain.recommendation_goes_to("SOC") == ("MC", "SUMMIT")
    assert domain.recommendation_goes_to("MC") == ("SUMMIT",)
    assert domain.recommendation_goes_to("SUMMIT") == ()


def test_ten_oclock_gmt_plus_six_in_astana_is_four_oclock_utc_and_the_end_has_no_time():
    (event,) = scheduled()
    assert event.time_zone == "Etc/GMT-6"
    assert event.utc_offset_minutes == 360
    assert domain.starts_at(event) == datetime(2022, 10, 10, 4, 0, tzinfo=UTC)
    assert (event.ends_on, event.ends_at_local, domain.ends_at(event)) == (
        date(2022, 10, 11), None, None)
    assert len(event.participants) == 27


def test_the_summit_is_dated_by_its_days_alone():
    (event,) = domain.schedule(domain.meeting("SUM-2022", []), participants=["KAZ"],
                               **as_scheduled(SUMMIT_MEETING))
    assert (event.starts_on, event.ends_on) == (date(2022, 10, 12), date(2022, 10, 13))
    assert (event.starts_at_local, event.time_zone, event.utc_offset_minutes) == (
        None, None, None)
    assert domain.starts_at(event) is None
    assert domain.first_instant(event) == datetime(2022, 10, 12, tzinfo=UTC)


def test_a_meeting_scheduled_before_its_days_and_times_were_apart_still_folds():
    """A ``MeetingScheduled`` of schema version 1 (a start and an end, each a local date-time)
    reads as version 2: the same days and times."""
    from services.meetings.events import event_types

    old = {"meeting_id": MEETING, "body": "SOC", "session": "SOC/2022-III", "title": "SOC",
           "venue": "Astana", "starts_local": "2022-10-10T10:00:00",
           "ends_local": "2022-10-11T18:00:00", "time_zone": "Asia/Almaty",
           "utc_offset_minutes": 360, "participants": ["KAZ"]}
    event = event_types.decode("MeetingScheduled", 1, old)
    assert (event.starts_on, event.starts_at_local, event.ends_on, event.ends_at_local) == (
        date(2022, 10, 10), time(10), date(2022, 10, 11), time(18))
    assert domain.ends_at(event) == datetime(2022, 10, 11, 12, tzinfo=UTC)


def test_a_session_is_scheduled_once_and_in_a_real_zone():
    with pytest.raises(domain.MeetingsError) as refused:
        domain.schedule(domain.meeting(MEETING, scheduled()), participants=["KAZ"],
                        **as_scheduled(SOC_MEETING))
    assert refused.value.rule == "session-scheduled"
    with pytest.raises(domain.InvalidRequestError):
        domain.schedule(domain.meeting(MEETING, []), participants=["KAZ"],
                        **{**as_scheduled(SOC_MEETING), "time_zone": "Asia/Nowhere"})
    with pytest.raises(domain.InvalidRequestError, match="ends on or after") as refused:
        domain.schedule(domain.meeting(MEETING, []), participants=["KAZ"],
                        **{**as_scheduled(SOC_MEETING), "starts_on": date(2022, 10, 12)})
    assert refused.value.rule == "meeting-ends-before-it-starts"
    with pytest.raises(domain.InvalidRequestError, match="ends after it starts") as refused:
        domain.schedule(domain.meeting(MEETING, []), participants=["KAZ"],
                        **{**as_scheduled(SOC_MEETING), "ends_on": date(2022, 10, 10),
                           "ends_at_local": time(9)})
    assert refused.value.rule == "meeting-ends-before-it-starts"
    with pytest.raises(domain.InvalidRequestError, match="read in a time zone"):
        domain.schedule(domain.meeting(MEETING, []), participants=["KAZ"],
                        **{**as_scheduled(SOC_MEETING), "time_zone": None})


def test_the_annotated_agenda_annotates_the_agenda_and_changes_none_of_it():
    history = drafted_and_revised()
    state = domain.meeting(MEETING, history)
    assert state.agenda_symbol == "SOC/2022-III/Agenda/1"
    assert state.revisions == []
    assert state.items == tuple(items(SOC_AGENDA_DRAFT["items"]))
    (agenda_2,) = state.annotated
    assert (agenda_2.symbol, agenda_2.annotates, agenda_2.circulated_on) == (
        "SOC/2022-III/Agenda/2", "SOC/2022-III/Agenda/1", date(2022, 10, 7))
    by_ref = {a.ref: a.text for a in agenda_2.annotations}
    assert by_ref["1"] == ("The draft agenda has been circulated as document "
                           "SOC/2022-III/Agenda/1 on 7 September 2022 and was not revised.")
    assert by_ref["4(a)"] == "recommended by the SWG on 14 September 2022"
    assert annotated(history) == [], "the same annotated agenda again records nothing"


def test_an_annotation_is_on_an_item_the_agenda_has():
    history = drafted_and_revised()[:-1]
    with pytest.raises(domain.NoSuchAgendaItemError, match=r"6, 3\(f\)"):
        annotated(history, annotations=[{"ref": "6", "text": "x"}, {"ref": "3(f)", "text": "x"}])


def test_an_agenda_is_annotated_once_it_is_circulated_and_not_before_its_day():
    with pytest.raises(domain.AgendaNotCirculatedError):
        annotated(scheduled())
    with pytest.raises(domain.MeetingsError) as unrevised:
        domain.revise_agenda(domain.meeting(MEETING, scheduled()), symbol="SOC/2022-III/Agenda/1",
                             circulated_on=date(2022, 9, 7), items=items(SOC_AGENDA_DRAFT["items"]))
    with pytest.raises(domain.MeetingsError) as unadopted:
        domain.adopt_agenda(domain.meeting(MEETING, scheduled()), adopted_on=date(2022, 10, 10))
    assert unrevised.value.rule == unadopted.value.rule == "agenda-not-circulated"
    with pytest.raises(domain.MeetingsError) as again:
        domain.draft_agenda(domain.meeting(MEETING, drafted_and_revised()),
                            symbol="SOC/2022-III/Agenda/3", circulated_on=date(2022, 9, 8),
                            items=items(SOC_AGENDA_DRAFT["items"]))
    assert again.value.rule == "agenda-circulated"
    history = drafted_and_revised()[:-1]
    with pytest.raises(domain.AnnotatedBeforeCirculatedError):
        annotated(history, circulated_on="2022-09-06")
    assert annotated(history, circulated_on="2022-09-07"), "the same day is not before it"


def test_a_symbol_circulated_names_one_text():
    history = drafted_and_revised()
    with pytest.raises(domain.SymbolCirculatedError):
        annotated(history, annotations=[{"ref": "1", "text": "Another text."}])
    with pytest.raises(domain.SymbolCirculatedError):
        annotated(history, symbol="SOC/2022-III/Agenda/1")
    with pytest.raises(domain.SymbolCirculatedError):
        domain.revise_agenda(domain.meeting(MEETING, history), symbol="SOC/2022-III/Agenda/2",
                             circulated_on=date(2022, 10, 8),
                             items=items(SOC_AGENDA_DRAFT["items"]))


def test_items_cite_the_notes_verbales_the_seed_names():
    state = domain.meeting(MEETING, drafted_and_revised())
    assert [(n.number, n.dated) for n in state.item("2").cites_notes] == [
        ("SOC/OI/88", date(2022, 2, 3))]
    assert [(n.number, n.dated) for n in state.item("5(b)").cites_notes] == [
        ("IO/1256", date(2022, 10, 3))]


def test_the_agenda_is_circulated_annotated_and_adopted_as_circulated():
    state = domain.meeting(MEETING, adopted())
    assert state.circulated.symbol == "SOC/2022-III/Agenda/1"
    assert state.adopted.symbol == "SOC/2022-III/Agenda/1"
    assert state.adopted.amended is False
    assert [i.number for i in state.items] == ["1", "2", "3", "4", "5"]
    assert [s.letter for s in state.items[2].sub_items] == ["a", "b", "c", "d", "e"]
    assert state.item("3(c)").considers[0].symbol == "SUM/2022/DRAFT/1/Rev.8"


def test_items_are_numbered_and_sub_items_lettered_in_order():
    raw = SOC_AGENDA_DRAFT["items"]
    skipped = [raw[0], {**raw[2], "number": "3"}]
    with pytest.raises(domain.InvalidRequestError, match="numbered"):
        domain.draft_agenda(domain.meeting(MEETING, scheduled()), symbol="SOC/2022-III/Agenda/1",
                            circulated_on=date(2022, 9, 7), items=items(skipped))
    bad = [dict(raw[0]), {**raw[1]}, {**raw[2], "sub_items": raw[2]["sub_items"][1:]}]
    with pytest.raises(domain.InvalidRequestError, match="lettered"):
        domain.draft_agenda(domain.meeting(MEETING, scheduled()), symbol="SOC/2022-III/Agenda/1",
                            circulated_on=date(2022, 9, 7), items=items(bad))


def test_an_adopted_agenda_changes_only_by_a_recorded_decision():
    history = adopted()
    state = domain.meeting(MEETING, history)
    with pytest.raises(domain.AgendaAdoptedError):
        domain.revise_agenda(state, symbol="SOC/2022-III/Agenda/3",
                             circulated_on=date(2022, 10, 10), items=state.items)
    with pytest.raises(domain.MeetingsError, match="only by a decision") as unrecorded:
        domain.amend_adopted_agenda(state, decision_id=uuid4(), items=state.items)
    assert unrecorded.value.rule == "not-an-agenda-decision"
    with pytest.raises(domain.MeetingsError, match="revise the draft") as unadopted:
        domain.amend_adopted_agenda(domain.meeting(MEETING, drafted_and_revised()),
                                    decision_id=uuid4(), items=state.items)
    assert unadopted.value.rule == "agenda-not-adopted"
    decision = domain.record_decision(
        state, decision_id=uuid4(), item="1", outcome="adopted",
        subject={"kind": "agenda_item", "item": "1"}, text="Agenda amended", decided_on=date(
            2022, 10, 10))
    history += decision
    amended = domain.amend_adopted_agenda(domain.meeting(MEETING, history),
                                          decision_id=decision[0].decision_id,
                                          items=state.items[:4])
    assert len(domain.meeting(MEETING, history + amended).items) == 4


def test_an_agenda_adopted_with_amendments_says_so():
    history = drafted_and_revised()
    state = domain.meeting(MEETING, history)
    (event,) = domain.adopt_agenda(state, adopted_on=date(2022, 10, 10), items=state.items[:4])
    assert event.amended is True


def test_an_agenda_is_adopted_at_the_meeting():
    state = domain.meeting(MEETING, drafted_and_revised())
    with pytest.raises(domain.InvalidRequestError, match="adopted at the meeting") as refused:
        domain.adopt_agenda(state, adopted_on=date(2022, 10, 9))
    assert refused.value.rule == "decided-outside-the-meeting"


def test_decisions_are_on_items_of_the_adopted_agenda():
    from services.meetings.events import MembershipApplicationSubject

    state = domain.meeting(MEETING, adopted())
    subject = MembershipApplicationSubject(kind="membership_application", state="KWT")
    (event,) = domain.record_decision(
        state, decision_id=RECOMMEND_KUWAIT["decision_id"], item="2",
        outcome="recommended_for_adoption", subject=subject, decided_on=date(2022, 10, 11))
    assert isinstance(event, DecisionRecorded)
    assert (event.body, event.session, event.item) == ("SOC", "SOC/2022-III", "2")
    taken = domain.meeting(MEETING, [*adopted(), event])
    assert domain.record_decision(
        taken, decision_id=event.decision_id, item="2", outcome="recommended_for_adoption",
        subject=subject, decided_on=date(2022, 10, 11)) == []  # the same decision again
    with pytest.raises(domain.DecisionIdTakenError):
        domain.record_decision(
            taken, decision_id=event.decision_id, item="2", outcome="recommended_for_adoption",
            subject=subject, text="again", decided_on=date(2022, 10, 11))
    with pytest.raises(domain.InvalidRequestError, match="no item") as no_item:
        domain.record_decision(state, decision_id=uuid4(), item="6", outcome="noted",
                               subject=subject, text="x", decided_on=date(2022, 10, 11))
    assert no_item.value.rule == "no-such-agenda-item"
    with pytest.raises(domain.InvalidRequestError, match="considers") as not_considered:
        domain.record_decision(state, decision_id=uuid4(), item="3(c)", outcome="approved",
                               subject={"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.7"},
                               text="x", decided_on=date(2022, 10, 11))
    assert not_considered.value.rule == "document-not-considered"
    with pytest.raises(domain.InvalidRequestError, match="sits") as outside:
        domain.record_decision(state, decision_id=uuid4(), item="2", outcome="noted",
                               subject=subject, text="x", decided_on=date(2022, 10, 12))
    assert outside.value.rule == "decided-outside-the-meeting"
    with pytest.raises(domain.MeetingsError, match="adopt the agenda") as unadopted:
        domain.record_decision(domain.meeting(MEETING, drafted_and_revised()),
                               decision_id=uuid4(), item="2", outcome="noted", subject=subject,
                               text="x", decided_on=date(2022, 10, 11))
    assert unadopted.value.rule == "agenda-not-adopted"


def test_a_revised_draft_moves_the_item_to_its_newest_revision_and_keeps_the_history():
    history = drafted_and_revised()
    revised = domain.follow_document_revision(
        domain.meeting(MEETING, history), symbol="SUM/2022/DRAFT/1/Rev.9", dated=date(2022, 10,
                                                                                      11))
    assert [(e.item, e.previous.symbol, e.current.symbol) for e in revised] == [
        ("3(c)", "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/1/Rev.9")]
    assert isinstance(revised[0], ConsideredDocumentRevised)
    state = domain.meeting(MEETING, history + revised)
    assert state.item("3(c)").considers[0].symbol == "SUM/2022/DRAFT/1/Rev.9"
    assert state.document_history == revised
    assert domain.follow_document_revision(state, symbol="SUM/2022/DRAFT/1/Rev.9",
                                           dated=None) == []
    assert domain.follow_document_revision(state, symbol="SUM/2022/DRAFT/7/Rev.2",
                                           dated=None) == []


def test_a_revision_after_the_agenda_is_adopted_leaves_the_adopted_agenda_as_it_was():
    """Revising SUM/2022/DRAFT/1 today does not make the SOC's agenda of October 2022, adopted
    on 10 October, consider a text it never saw."""
    state = domain.meeting(MEETING, adopted())
    assert domain.follow_document_revision(state, symbol="SUM/2022/DRAFT/1/Rev.9",
                                           dated=date(2026, 12, 6)) == []
    assert state.item("3(c)").considers[0].symbol == "SUM/2022/DRAFT/1/Rev.8"


def test_an_addendum_is_considered_with_its_parent_after_it_with_its_own_date():
    """SUM/2022/DRAFT/1/Add.1, issued to the text item 3(c) considers, is considered there too,
    after Rev.8; a corrigendum of the addendum comes after the addendum, and the item's history
    of revisions is left as it was."""
    history = drafted_and_revised()
    added = domain.follow_supplement(
        domain.meeting(MEETING, history), symbol="SUM/2022/DRAFT/1/Add.1",
        parent="SUM/2022/DRAFT/1", dated=date(2022, 10, 8))
    assert [(e.item, e.parent.symbol, e.added.symbol, e.added.dated, e.kind) for e in added] == [
        ("3(c)", "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/1/Add.1", date(2022, 10, 8),
         "addendum")]
    assert isinstance(added[0], ConsideredDocumentSupplemented)
    history += added
    corrected = domain.follow_supplement(
        domain.meeting(MEETING, history), symbol="SUM/2022/DRAFT/1/Add.1/Corr.1",
        parent="SUM/2022/DRAFT/1/Add.1", dated=date(2022, 10, 9))
    assert [e.kind for e in corrected] == ["corrigendum"]
    history += corrected
    history += domain.follow_supplement(
        domain.meeting(MEETING, history), symbol="SUM/2022/DRAFT/1/Corr.1",
        parent="SUM/2022/DRAFT/1", dated=date(2022, 10, 9))
    state = domain.meeting(MEETING, history)

    assert [d.symbol for d in state.item("3(c)").considers] == [
        "SUM/2022/DRAFT/1/Rev.8", "SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1/Add.1/Corr.1",
        "SUM/2022/DRAFT/1/Corr.1"]
    assert state.document_history == []
    assert domain.follow_supplement(state, symbol="SUM/2022/DRAFT/1/Add.1",
                                    parent="SUM/2022/DRAFT/1", dated=None) == [], "listed once"
    assert domain.follow_supplement(state, symbol="SUM/2022/DRAFT/7/Add.1",
                                    parent="SUM/2022/DRAFT/7", dated=None) == []
    revised = domain.follow_document_revision(state, symbol="SUM/2022/DRAFT/1/Rev.2/Add.1",
                                              dated=date(2022, 10, 9))
    assert [(e.previous.symbol, e.current.symbol) for e in revised] == [
        ("SUM/2022/DRAFT/1/Add.1", "SUM/2022/DRAFT/1/Rev.2/Add.1")], "an addendum's revision"


def test_an_addendum_issued_after_the_agenda_is_adopted_leaves_the_adopted_agenda_as_it_was():
    state = domain.meeting(MEETING, adopted())
    assert domain.follow_supplement(state, symbol="SUM/2022/DRAFT/1/Add.1",
                                    parent="SUM/2022/DRAFT/1", dated=date(2022, 10, 11)) == []


def test_the_base_of_a_symbol_is_the_document_without_its_revision():
    assert domain.base_symbol("SUM/2022/DRAFT/1/Rev.8") == ("SUM/2022/DRAFT/1", 8)
    assert domain.base_symbol("SUM/2022/DRAFT/1/Rev.2/Add.1") == ("SUM/2022/DRAFT/1/Add.1", 2)
    assert domain.base_symbol("SUM/2022/DRAFT/5/Rev.1/Add.1/Corr.2") == (
        "SUM/2022/DRAFT/5/Add.1/Corr.2", 1)
    assert domain.base_symbol("SOC/2022-III/Agenda/2") == ("SOC/2022-III/Agenda/2", 0)


def _follow(state: domain.Meeting, code: str, change: MembershipChange, on: date,
            membership: Membership) -> list[DomainEvent]:
    return list(domain.follow_membership(state, state_code=code, change=change, effective_on=on,
                                         membership=membership))


def test_a_state_admitted_before_a_meeting_takes_part_in_it():
    """The SOC meets from 10 October 2022: Kuwait admitted on the 12th does not take part,
    admitted on the 1st it does; a participant already is not added again."""
    state = domain.meeting(MEETING, scheduled())
    admitted = MembershipChange.ADMITTED

    def admitted_on(day: date) -> Membership:
        return Membership.of([*((s, MembershipChange.FOUNDING, date(1999, 9, 14))
                                for s in MEMBER_STATES_2022), ("KWT", admitted, day)])

    later = date(2022, 10, 12)
    assert _follow(state, "KWT", admitted, later, admitted_on(later)) == []
    earlier = date(2022, 10, 1)
    (event,) = _follow(state, "KWT", admitted, earlier, admitted_on(earlier))
    assert isinstance(event, ParticipantAdded) and event.change is admitted
    assert "KWT" in domain.meeting(MEETING, [*scheduled(), event]).participants
    assert _follow(state, "KAZ", MembershipChange.FOUNDING, date(1999, 9, 14), MEMBERS) == []


def test_a_state_suspended_by_a_meetings_first_day_no_longer_takes_part_in_it():
    """India suspended from 1 October 2022 leaves the SOC's meeting of the 10th; suspended
    from the 11th (the meeting under way), it stays; reinstated from the 5th it is back."""
    state = domain.meeting(MEETING, scheduled())
    suspended, reinstated = MembershipChange.SUSPENDED, MembershipChange.REINSTATED
    changes = [(s, MembershipChange.FOUNDING, date(1999, 9, 14)) for s in MEMBER_STATES_2022]
    before = Membership.of([*changes, ("IND", suspended, date(2022, 10, 1))])
    (removed,) = _follow(state, "IND", suspended, date(2022, 10, 1), before)
    assert isinstance(removed, ParticipantRemoved)
    assert (removed.change, removed.effective_on) == (suspended, date(2022, 10, 1))
    without = domain.meeting(MEETING, [*scheduled(), removed])
    assert "IND" not in without.participants and len(without.participants) == 26
    assert _follow(without, "IND", suspended, date(2022, 10, 1), before) == []

    during = Membership.of([*changes, ("IND", suspended, date(2022, 10, 11))])
    assert _follow(state, "IND", suspended, date(2022, 10, 11), during) == []

    back = Membership.of([*changes, ("IND", suspended, date(2022, 10, 1)),
                          ("IND", reinstated, date(2022, 10, 5))])
    (added,) = _follow(without, "IND", reinstated, date(2022, 10, 5), back)
    assert isinstance(added, ParticipantAdded)
    assert "IND" in domain.meeting(MEETING, [*scheduled(), removed, added]).participants


def test_member_states_over_time():
    """Logs written before the registry's events were followed fold as they did."""
    known = domain.members([
        MemberStatesRegistered(states=MEMBER_STATES_2022, member_since=date(1999, 9, 14)),
        MemberStateAdmitted(state="KWT", admitted_on=date(2022, 10, 12)),
        MembershipNoted(state="IND", change=MembershipChange.WITHDRAWN,
                        effective_on=date(2024, 2, 1)),
    ])
    assert len(known.on(date(2022, 10, 11))) == 27
    assert len(known.on(date(2022, 10, 12))) == 28
    assert "IND" not in known.on(date(2024, 2, 1)) and len(known.on(date(2024, 2, 1))) == 27


def test_a_proposed_decision_with_an_objection_is_not_taken():
    history = adopted()
    subject = {"kind": "membership_application", "state": "KWT"}
    decision_id = uuid4()
    proposed = domain.propose_decision(
        domain.meeting(MEETING, history), decision_id=decision_id, item="2",
        outcome="recommended_for_adoption", subject=subject, text="Kuwait",
        decided_on=date(2022, 10, 11))
    history += proposed
    with pytest.raises(domain.NotParticipantError):
        domain.object_to_decision(domain.meeting(MEETING, history), decision_id=decision_id,
                                  member_state="FRA", **AS_MEMBER)
    objected = domain.object_to_decision(domain.meeting(MEETING, history),
                                         decision_id=decision_id, member_state="IND", **AS_MEMBER)
    history += objected
    assert domain.object_to_decision(domain.meeting(MEETING, history), decision_id=decision_id,
                                     member_state="IND", **AS_MEMBER) == []
    with pytest.raises(domain.NoConsensusError):
        domain.record_decision(domain.meeting(MEETING, history), decision_id=decision_id,
                               item="2", outcome="recommended_for_adoption", subject=subject,
                               text="Kuwait", decided_on=date(2022, 10, 11))


def _proposed_kuwait(history: list, decision_id) -> list:
    return domain.propose_decision(
        domain.meeting(MEETING, history), decision_id=decision_id, item="2",
        outcome="recommended_for_adoption",
        subject={"kind": "membership_application", "state": "KWT"}, text="Kuwait",
        decided_on=date(2022, 10, 11))


def test_an_objected_decision_is_not_taken_under_a_fresh_id_either():
    """Consensus is on what is decided: the same item and subject under another id meets the
    objection to the draft."""
    history = adopted()
    drafted = uuid4()
    history += _proposed_kuwait(history, drafted)
    history += domain.object_to_decision(domain.meeting(MEETING, history), decision_id=drafted,
                                         member_state="IND", **AS_MEMBER)
    with pytest.raises(domain.NoConsensusError, match="IND") as refused:
        domain.record_decision(domain.meeting(MEETING, history), decision_id=uuid4(), item="2",
                               outcome="recommended_for_adoption",
                               subject={"kind": "membership_application", "state": "KWT"},
                               text="Kuwait, again", decided_on=date(2022, 10, 11))
    assert refused.value.members["objections"] == ["IND"]
    # Another subject under the same item is not held up by it.
    (other,) = domain.record_decision(
        domain.meeting(MEETING, history), decision_id=uuid4(), item="2", outcome="deferred",
        subject={"kind": "membership_application", "state": "BHR"}, text="Later",
        decided_on=date(2022, 10, 11))
    assert isinstance(other, DecisionRecorded)


@pytest.mark.parametrize(
    "change",
    [{"outcome": "deferred"}, {"text": "Another text"},
     {"subject": {"kind": "membership_application", "state": "BHR"}}],
)
def test_a_proposed_decision_is_taken_as_proposed_or_not_at_all(change: dict) -> None:
    history = adopted()
    drafted = uuid4()
    history += _proposed_kuwait(history, drafted)
    decision = {"decision_id": drafted, "item": "2", "outcome": "recommended_for_adoption",
                "subject": {"kind": "membership_application", "state": "KWT"},
                "text": "Kuwait", "decided_on": date(2022, 10, 11)}
    state = domain.meeting(MEETING, history)
    with pytest.raises(domain.NotAsProposedError):
        domain.record_decision(state, **{**decision, **change})
    with pytest.raises(domain.NotAsProposedError):
        domain.propose_decision(state, **{**decision, **change})
    assert domain.propose_decision(state, **decision) == []  # the same draft again: nothing
    (taken,) = domain.record_decision(state, **decision)
    assert (taken.outcome, taken.text) == ("recommended_for_adoption", "Kuwait")


def test_a_decision_id_is_taken_once_for_one_meeting():
    decision_id = uuid4()
    (taken,) = domain.assign_decision_id([], decision_id=decision_id, meeting_id=MEETING)
    assert domain.assign_decision_id([taken], decision_id=decision_id, meeting_id=MEETING) == []
    with pytest.raises(domain.DecisionIdTakenError, match=MEETING):
        domain.assign_decision_id([taken], decision_id=decision_id, meeting_id="SUM-2022")


@pytest.mark.parametrize(
    "change",
    [{"outcome": "deferred"}, {"text": "Another text"}, {"decided_on": date(2022, 10, 12)},
     {"subject": {"kind": "membership_application", "state": "BHR"}}],
)
@pytest.mark.parametrize("proposed", [False, True], ids=["taken at once", "taken as proposed"])
def test_a_decision_taken_is_recorded_again_as_taken_or_refused(change: dict, proposed: bool):
    """The same decision again records nothing; other content under its id, once it is taken,
    is another decision under a taken id, refused as it would be at another meeting."""
    history = adopted()
    decision_id = uuid4()
    decision = {"decision_id": decision_id, "item": "2", "outcome": "recommended_for_adoption",
                "subject": {"kind": "membership_application", "state": "KWT"},
                "text": "Kuwait", "decided_on": date(2022, 10, 11)}
    if proposed:
        history += _proposed_kuwait(history, decision_id)
    history += domain.record_decision(domain.meeting(MEETING, history), **decision)
    taken = domain.meeting(MEETING, history)
    assert domain.record_decision(taken, **decision) == []  # the same decision again
    with pytest.raises(domain.DecisionIdTakenError, match=str(decision_id)) as refused:
        domain.record_decision(taken, **{**decision, **change})
    assert refused.value.rule == "decision-id-taken"
    assert refused.value.members == {"decision_id": str(decision_id), "meeting_id": MEETING}


def _agenda_decision(history: list, *, item: str = "1") -> list:
    subject = ({"kind": "agenda_item", "item": item} if item == "1" else
               {"kind": "membership_application", "state": "KWT"})
    return domain.record_decision(
        domain.meeting(MEETING, history), decision_id=uuid4(), item=item,
        outcome="adopted" if item == "1" else "recommended_for_adoption", subject=subject,
        text="Decided", decided_on=date(2022, 10, 10 if item == "1" else 11))


def test_an_agenda_is_amended_only_by_a_decision_on_the_agenda_used_once():
    history = adopted()
    state = domain.meeting(MEETING, history)
    (kuwait,) = _agenda_decision(history, item="2")
    history += [kuwait]
    with pytest.raises(domain.NotAnAgendaDecisionError):
        domain.amend_adopted_agenda(domain.meeting(MEETING, history),
                                    decision_id=kuwait.decision_id, items=state.items)
    (on_agenda,) = _agenda_decision(history)
    history += [on_agenda]
    (amended,) = domain.amend_adopted_agenda(domain.meeting(MEETING, history),
                                             decision_id=on_agenda.decision_id,
                                             items=state.items[:4])
    history += [amended]
    again = domain.meeting(MEETING, history)
    assert domain.amend_adopted_agenda(again, decision_id=on_agenda.decision_id,
                                       items=state.items[:4]) == []  # the same, again
    with pytest.raises(domain.AgendaDecisionUsedError):
        domain.amend_adopted_agenda(again, decision_id=on_agenda.decision_id,
                                    items=state.items[:3])


def test_an_amendment_never_removes_an_item_that_carries_a_decision():
    history = adopted()
    items = domain.meeting(MEETING, history).items
    last = items[-1].number
    history += domain.record_decision(
        domain.meeting(MEETING, history), decision_id=uuid4(), item=last, outcome="approved",
        subject={"kind": "agenda_item", "item": last}, text="Decided",
        decided_on=date(2022, 10, 11))
    (on_agenda,) = _agenda_decision(history)
    history += [on_agenda]
    with pytest.raises(domain.DecidedItemRemovedError) as refused:
        domain.amend_adopted_agenda(domain.meeting(MEETING, history),
                                    decision_id=on_agenda.decision_id, items=items[:-1])
    assert refused.value.members["items"] == [last]
    (kept,) = domain.amend_adopted_agenda(domain.meeting(MEETING, history),
                                          decision_id=on_agenda.decision_id, items=items)
    assert kept.items == items
