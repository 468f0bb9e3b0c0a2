"""The Organization's competences, declared once (shared/competence.py): what each body may
decide, as the seed documents say it."""

from __future__ import annotations

import pytest

from shared.competence import (
    COMPETENCES,
    OutsideCompetenceError,
    Power,
    check_competence,
    powers_of,
)
from shared.http.problems import domain_problem_type, domain_status

KUWAIT = {"kind": "membership_application", "state": "KWT"}
ASTANA = {"kind": "document", "symbol": "SUM/2022/DRAFT/1/Rev.8"}
PLAN = {"kind": "document", "symbol": "SOC/2021/DRAFT/3"}
KYRGYZSTAN = {"kind": "coordinator", "state": "KGZ", "area": "trade-and-investment",
              "role": "co_coordinator"}
CHAIR = {"kind": "chairmanship", "state": "AZE", "period": "2024-2026"}


@pytest.mark.parametrize(("body", "subject", "outcome", "power"), [
    ("SWG", ASTANA, "recommended_for_adoption", Power.RECOMMEND),
    ("SOC", ASTANA, "approved", Power.APPROVE),
    ("SOC", ASTANA, "recommended_for_adoption", Power.RECOMMEND),
    ("SUMMIT", ASTANA, "adopted", Power.ADOPT),
    ("SOC", PLAN, "adopted", Power.ADOPT),
    ("SOC", KUWAIT, "recommended_for_adoption", Power.RECOMMEND),
    ("SUMMIT", KUWAIT, "adopted", Power.ADMIT),
    ("SOC", KYRGYZSTAN, "approved", Power.APPOINT),
    ("SUMMIT", CHAIR, "adopted", Power.DECIDE_CHAIRMANSHIP),
    ("SWG", ASTANA, "continue_consideration", None),
    ("SUMMIT", KUWAIT, "deferred", None),
    ("SWG", {"kind": "agenda_item", "item": "1"}, "adopted", None),
])
def test_what_the_seed_says_each_body_decides(body, subject, outcome, power):
    assert check_competence(body, subject, outcome) is power


@pytest.mark.parametrize(("body", "subject", "outcome"), [
    ("SWG", ASTANA, "adopted"),  # the SWG recommends
    ("SOC", ASTANA, "adopted"),  # a Summit document is the Summit's to adopt
    ("MC", ASTANA, "adopted"),
    ("SUMMIT", PLAN, "adopted"),  # and an SOC document the SOC's
    ("SUMMIT", ASTANA, "recommended_for_adoption"),  # the Summit recommends to nobody
    ("SWG", KUWAIT, "adopted"),
    ("SOC", KUWAIT, "adopted"),
    ("SWG", KUWAIT, "recommended_for_adoption"),
    ("SWG", KYRGYZSTAN, "approved"),
    ("SOC", CHAIR, "adopted"),
    ("SOC", {"kind": "no_such_subject"}, "adopted"),
])
def test_what_no_row_allows_is_refused_with_the_rule(body, subject, outcome):
    with pytest.raises(OutsideCompetenceError) as refused:
        check_competence(body, subject, outcome)
    assert domain_status(refused.value) == 409
    assert domain_problem_type(refused.value) == "/problems/outside-competence"
    assert refused.value.members["body"] == body


def test_every_row_names_its_source_and_each_body_has_its_powers():
    assert all(row.source for row in COMPETENCES)
    assert {row.power for row in powers_of("SWG")} == {Power.RECOMMEND}
    assert {row.power for row in powers_of("SUMMIT")} == {
        Power.ADOPT, Power.ADMIT, Power.DECIDE_CHAIRMANSHIP, Power.DECIDE_NEXT_MEETING}
