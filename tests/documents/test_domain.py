"""The rules of a document's life, with no database: given events, when a command, then new
events or an error."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.documents import domain
from services.documents.domain import (
    AmendmentNotOpenError,
    Document,
    DocumentNotEditableError,
    InvalidAmendmentError,
    InvalidStatusChangeError,
    InvalidTextError,
    InvalidTranslationError,
    NotTheProposerError,
)
from services.documents.events import (
    AmendmentAction,
    AmendmentDeclined,
    AmendmentProposed,
    AmendmentWithdrawn,
    DistributionChanged,
    DocumentStatusChanged,
    DocumentText,
    DocumentType,
    Paragraph,
    Part,
    Status,
    SubItem,
    TranslationAdded,
)
from services.documents.symbols import parse_symbol
from shared.access import GENERAL, MEMBER_STATES_ONLY
from shared.http.problems import domain_status
from tests.documents.history import (
    CREATED,
    ORIGINAL,
    ORIGINATOR,
    TODAY,
    adopted,
    given,
    proposed,
    revise,
    revised,
    text,
)

# ------------------------------------------------------------------- creating and revising


def test_creating_a_draft_records_its_base_symbol_text_date_and_originator():
    event = domain.create_draft(
        symbol=parse_symbol("SUM/2022/DRAFT/1"),
        document_type=DocumentType.STATEMENT,
        language="en",
        text=ORIGINAL,
        distribution=MEMBER_STATES_ONLY,
        originator=f"  {ORIGINATOR} ",
        dated=date(2022, 6, 1),
        today=TODAY,
    )
    assert event == CREATED


def test_a_text_with_a_paragraph_id_twice_is_refused():
    twice = text(("p", Part.PREAMBLE, "a"), ("p", Part.OPERATIVE, "b"))
    with pytest.raises(InvalidTextError, match="appears twice"):
        revise(given(), text=twice)


def test_a_text_whose_parts_are_in_other_languages_than_its_title_is_refused():
    mixed = ORIGINAL.model_copy(update={"title": {"en": "T", "ru": "Т"}})
    with pytest.raises(InvalidTextError, match="same languages"):
        revise(given(), text=mixed)


def test_a_revision_takes_the_next_number_and_its_suffix():
    event = revise(given(revised(1)), basis="as recommended by the SWG")
    assert (event.revision, event.symbol, event.basis) == (2, "SUM/2022/DRAFT/1/Rev.2",
                                                           "as recommended by the SWG")
    assert (event.dated, event.originator) == (TODAY, ORIGINATOR)


def test_an_adopted_document_refuses_a_further_revision():
    document = given(*(revised(n) for n in range(1, 9)), adopted(8))
    with pytest.raises(DocumentNotEditableError) as error:
        revise(document)
    assert domain_status(error.value) == 409
    assert "SUM/2022/DRAFT/1/Rev.8" in error.value.detail


def test_a_withdrawn_document_refuses_a_revision():
    withdrawn = DocumentStatusChanged(status=Status.WITHDRAWN, revision=0)
    with pytest.raises(DocumentNotEditableError):
        revise(given(withdrawn))


def test_paragraph_numbers_follow_their_place_and_ids_survive_renumbering():
    first = given(revised(1, ("pp-a", Part.PREAMBLE, "A"), ("pp-b", Part.PREAMBLE, "B")))
    second = given(revised(1, ("pp-new", Part.PREAMBLE, "N"), ("pp-a", Part.PREAMBLE, "A"),
                           ("pp-b", Part.PREAMBLE, "B")))
    assert [(n, p.id) for n, p in domain.numbered(first.latest.text)] == [
        ("PP1", "pp-a"), ("PP2", "pp-b")]
    assert [(n, p.id) for n, p in domain.numbered(second.latest.text)] == [
        ("PP1", "pp-new"), ("PP2", "pp-a"), ("PP3", "pp-b")]


def test_a_blank_still_open_is_listed_as_an_open_point():
    conclusions = text(("c5", Part.BODY, "Took decisions on CICA Chairmanships of Kazakhstan in "
                                          "2022-2024 and ______ in 2024-2026, and on the next"))
    points = domain.open_points(conclusions, "en")
    assert [(p.paragraph_id, p.number) for p in points] == [("c5", "1")]
    assert "______ in 2024-2026" in points[0].context


# ---------------------------------------------------------------------------------- status


def test_a_body_recommending_the_draft_makes_it_recommended_by_that_body():
    decision = uuid.uuid4()
    event = domain.status_for_decision(
        given(), revision=0, outcome="recommended_for_adoption", body="SWG",
        decision_id=decision,
        session="SWG/2022-V", decided_on=date(2022, 9, 14),
    )
    assert event is not None
    assert (event.status, event.body, event.decision_id) == (Status.RECOMMENDED, "SWG", decision)
    assert given(event).recommended_by == "SWG"


def test_continue_consideration_keeps_a_draft_a_draft():
    event = domain.status_for_decision(
        given(), revision=0, outcome="continue_consideration", body="SWG",
        decision_id=uuid.uuid4(),
        session=None, decided_on=date(2022, 10, 4),
    )
    assert event is None


@pytest.mark.parametrize("outcome", ["deferred", "noted"])
def test_deferred_and_noted_change_nothing(outcome):
    assert domain.status_for_decision(
        given(), revision=0, outcome=outcome, body="SOC", decision_id=uuid.uuid4(), session=None,
        decided_on=date(2022, 10, 10),
    ) is None


def test_the_same_decision_twice_changes_the_status_once():
    decision = uuid.uuid4()
    first = domain.status_for_decision(given(), revision=0, outcome="approved", body="SOC",
                                       decision_id=decision, session=None, decided_on=None)
    assert first is not None
    assert domain.status_for_decision(given(first), revision=0, outcome="approved", body="SOC",
                                      decision_id=decision, session=None, decided_on=None) is None


def test_an_adopted_document_changes_status_no_more():
    with pytest.raises(InvalidStatusChangeError):
        domain.change_status(given(adopted(0)), Status.WITHDRAWN)


def test_distribution_changes_and_derestriction():
    document = given(DistributionChanged(distribution=GENERAL, reason="derestricted"))
    assert document.distribution == GENERAL
    assert domain.change_distribution(document, GENERAL) is None
    assert domain.change_distribution(document, MEMBER_STATES_ONLY) == DistributionChanged(
        distribution=MEMBER_STATES_ONLY)


# ------------------------------------------------------------------------------ amendments


def test_a_member_state_proposes_an_amendment_to_a_paragraph_of_a_revision():
    amendment_id = uuid.uuid4()
    event = domain.propose_amendment(
        given(), amendment_id=amendment_id, state="KAZ", revision=0, paragraph_id="op-a",
        action=AmendmentAction.INSERT_AFTER, text="We also act",
    )
    assert event.state == "KAZ"
    assert event.new_paragraph_id == f"am-{amendment_id.hex[:12]}"


def test_an_amendment_to_a_paragraph_the_revision_lacks_is_refused():
    with pytest.raises(InvalidAmendmentError, match="no paragraph"):
        domain.propose_amendment(given(), amendment_id=uuid.uuid4(), state="KAZ", revision=0,
                                 paragraph_id="op-z", action=AmendmentAction.DELETE)


def test_a_deletion_carries_no_text_and_a_replacement_needs_one():
    with pytest.raises(InvalidAmendmentError):
        domain.propose_amendment(given(), amendment_id=uuid.uuid4(), state="KAZ", revision=0,
                                 paragraph_id="op-a", action=AmendmentAction.DELETE, text="x")
    with pytest.raises(InvalidAmendmentError):
        domain.propose_amendment(given(), amendment_id=uuid.uuid4(), state="KAZ", revision=0,
                                 paragraph_id="op-a", action=AmendmentAction.REPLACE, text=" ")


def test_only_the_proposing_state_withdraws_its_amendment():
    amendment = proposed("KAZ")
    document = given(amendment)
    with pytest.raises(NotTheProposerError) as error:
        domain.withdraw_amendment(document, amendment_id=amendment.amendment_id, state="RUS")
    assert domain_status(error.value) == 403
    event = domain.withdraw_amendment(document, amendment_id=amendment.amendment_id, state="KAZ")
    assert event == AmendmentWithdrawn(amendment_id=amendment.amendment_id, state="KAZ")


def test_a_withdrawn_amendment_is_neither_withdrawn_again_nor_taken_in():
    amendment = proposed("KAZ")
    withdrawn = AmendmentWithdrawn(amendment_id=amendment.amendment_id, state="KAZ")
    document = given(amendment, withdrawn)
    with pytest.raises(AmendmentNotOpenError):
        domain.withdraw_amendment(document, amendment_id=amendment.amendment_id, state="KAZ")
    with pytest.raises(AmendmentNotOpenError):
        revise(document, incorporates=[amendment.amendment_id])


def test_an_amendment_taken_into_a_revision_is_no_longer_open():
    amendment = proposed("KAZ")
    document = given(amendment, revised(1, incorporates=(amendment.amendment_id,)))
    assert document.open_amendments() == []
    assert document.amendments[amendment.amendment_id].incorporated_in == 1
    with pytest.raises(AmendmentNotOpenError):
        domain.decline_amendment(document, amendment_id=amendment.amendment_id)


def test_an_amendment_to_an_adopted_document_is_refused():
    with pytest.raises(DocumentNotEditableError):
        domain.propose_amendment(given(adopted(0)), amendment_id=uuid.uuid4(), state="KAZ",
                                 revision=0, paragraph_id="op-a", action=AmendmentAction.DELETE)


def test_taking_amendments_in_builds_the_next_text():
    replace, insert = proposed("KAZ"), AmendmentProposed(
        amendment_id=uuid.uuid4(), state="RUS", revision=0, paragraph_id="pp-a",
        action=AmendmentAction.INSERT_AFTER, text="Noting", new_paragraph_id="pp-rus")
    document = given(replace, insert)
    new = domain.apply_amendments(ORIGINAL, document.open_amendments(), "en")
    assert [(p.id, p.text["en"]) for p in new.paragraphs] == [
        ("pp-a", "Recognizing change"), ("pp-rus", "Noting"), ("op-a", "We act together")]


# ------------------------------------------------------------------------ folding on a copy


def test_a_copy_of_a_document_takes_events_without_changing_the_original():
    """The commands keep folded documents and fold the next events onto a copy
    (`shared.commands.Folds`): every event must leave the document copied from as it was."""
    incorporated, withdrawn, declined, closed = (proposed(s) for s in ("KAZ", "RUS", "CHN", "IND"))
    original = given(incorporated, withdrawn, declined, closed, translation(0))
    before = repr(original)

    copy = original.copy()
    Document.fold(
        [
            AmendmentWithdrawn(amendment_id=withdrawn.amendment_id, state="RUS"),
            AmendmentDeclined(amendment_id=declined.amendment_id, reason="Out of scope"),
            revised(1, incorporates=(incorporated.amendment_id,)),
            translation(0, official=False),
            DistributionChanged(distribution=GENERAL),
            adopted(1),
        ],
        copy,
    )

    assert repr(original) == before
    assert [r.status for r in copy.revisions] == [Status.DRAFT, Status.ADOPTED]
    assert copy.amendments[incorporated.amendment_id].incorporated_in == 1
    assert copy.amendments[closed.amendment_id].status is not original.amendments[
        closed.amendment_id].status


# ------------------------------------------------------------------------ language versions


def translation(revision: int, **changes) -> TranslationAdded:
    values = dict(revision=revision, language="ru", official=True, title="Проект заявления",
                  opening="Мы, главы государств,",
                  paragraphs={"pp-a": "Признавая перемены", "op-a": "Мы действуем"})
    values.update(changes)
    return TranslationAdded(**values)


def test_a_language_version_older_than_the_latest_revision_is_stale():
    document = given(translation(0))
    assert [(v.language, v.revision, v.stale) for v in domain.language_versions(document)] == [
        ("en", 0, False), ("ru", 0, False)]
    document = given(translation(0), revised(1, ("pp-a", Part.PREAMBLE, "Recognizing change"),
                                             ("op-a", Part.OPERATIVE, "We act now")))
    assert [(v.language, v.revision, v.stale) for v in domain.language_versions(document)] == [
        ("en", 1, False), ("ru", 0, True)]
    needs = {n.language: n for n in domain.translation_needs(document)}
    assert needs["ru"].translated_revision == 0
    assert needs["ru"].paragraphs == ("op-a",)
    assert needs["kk"].translated_revision is None
    assert needs["kk"].paragraphs == ("pp-a", "op-a")
    assert "en" not in needs


def test_a_language_version_translates_every_paragraph():
    with pytest.raises(InvalidTranslationError, match="missing"):
        domain.add_translation(given(), revision=0, language="ru", official=True, title="Т",
                               opening="Мы", paragraphs={"pp-a": "П"})


def test_a_translation_merges_into_its_revision_text():
    document = given(translation(0))
    assert document.revision(0).text.paragraphs[0].text == {
        "en": "Recognizing change", "ru": "Признавая перемены"}


def test_sub_items_keep_their_ids():
    with_items = DocumentText(title={"en": "T"}, paragraphs=(Paragraph(
        id="op5", part=Part.OPERATIVE, text={"en": "We decide that:"},
        items=(SubItem(id="op5-1", text={"en": "renamed"}),)),))
    document = given(revised(1, incorporates=()).model_copy(update={"text": with_items}))
    assert document.latest.text.paragraphs[0].items[0].id == "op5-1"
