"""Which body may take which outcome on which subject: the Organization's competences, declared
once, in the registry's terms (its body codes and the powers its facts rest on), and checked
wherever a decision is recorded or followed: the meetings service when a body decides (at a
meeting or by silence procedure), the registry when it follows an admission, a chairmanship or
an appointment, the documents service when a decision changes a document's status.

Each row of `COMPETENCES` names its source. What the seed says (`shared/seed/` of the project):

- the SWG recommends drafts to the SOC (the draft annotated agenda SOC/2022-III/Agenda/2 of
  7 October 2022, items 3 and 4: "recommended by the SWG", "recommended by the SWG on
  14 September 2022"; the draft agenda itself, SOC/2022-III/Agenda/1 of 7 September 2022, "was
  not revised");
- the SOC approves drafts and recommends their adoption by the Summit (items 3 and 4: "The SOC
  will consider approving the following draft documents and recommending their adoption by the
  Summit"; item 4(a): "Approval of Kyrgyzstan as Co-coordinator");
- the SOC considers the draft decision on an accession "for adoption by the Sixth CICA Summit"
  (item 2, citing paragraph 11.3 of the Rules of Procedure): the SOC recommends an admission,
  the Summit adopts it;
- documents are adopted by the Summit, the Ministerial Council and the SOC (PP5 of the Astana
  Statement, SUM/2022/DRAFT/1/Rev.8: "documents adopted by the Meetings of Heads of State or
  Government, the Meetings of Ministers of Foreign Affairs and the Senior Officials
  Committee"), each its own documents: a document of the ``SUM/`` series by the Summit;
- the Summit decides the chairmanships (draft conclusions SUM/2022/DRAFT/5, paragraph 5: "took
  decisions on CICA Chairmanships"), and its own and the Ministerial Council's next meetings
  (the same paragraph: "and on the next meetings of the CICA Summit in 2026 and CICA
  Ministerial Council in 2024").

Procedural outcomes (continue consideration, defer, take note) decide nothing and are open to
every body on every subject; so is any outcome on an agenda item itself (the adoption of the
body's own agenda), which no other service follows.

Pure: this module imports nothing but the standard library and the kit's `domain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain import RefusedError


class Power(StrEnum):
    """What a decision does, in the registry's terms."""

    RECOMMEND = "recommend"
    APPROVE = "approve"
    ADOPT = "adopt"
    ADMIT = "admit"
    APPOINT = "appoint"
    DECIDE_CHAIRMANSHIP = "decide_chairmanship"
    DECIDE_NEXT_MEETING = "decide_next_meeting"


PROCEDURAL = frozenset({"continue_consideration", "deferred", "noted"})
"""Outcomes that decide nothing: open to every body on every subject."""

RECOMMENDS_TO: dict[str, tuple[str, ...]] = {
    "SWG": ("SOC",),
    "SOC": ("MC", "SUMMIT"),
    "MC": ("SUMMIT",),
    "SUMMIT": (),
}
"""Which bodies a body's recommendation goes to."""

SERIES_OF: dict[str, str] = {"SUMMIT": "SUM", "MC": "MC", "SOC": "SOC", "SWG": "SWG"}
"""The first segment of the symbols of a body's sessions and documents (``SUM/2022/DRAFT/1``
is the Summit's)."""


@dataclass(frozen=True)
class Competence:
    body: str
    subject: str
    """The kind of subject (``document``, ``membership_application``, ``chairmanship``,
    ``coordinator``, ``next_meeting``)."""
    outcome: str
    power: Power
    source: str


_AGENDA = "draft annotated agenda SOC/2022-III/Agenda/2 (7 October 2022)"
_PP5 = "PP5 of the Astana Statement (SUM/2022/DRAFT/1/Rev.8)"

COMPETENCES: tuple[Competence, ...] = (
    Competence("SWG", "document", "recommended_for_adoption", Power.RECOMMEND,
               f"{_AGENDA}, item 3: drafts recommended by the SWG"),
    Competence("SWG", "coordinator", "recommended_for_adoption", Power.RECOMMEND,
               f"{_AGENDA}, item 4(a): recommended by the SWG on 14 September 2022"),
    Competence("SOC", "document", "approved", Power.APPROVE,
               f"{_AGENDA}, item 3: the SOC will consider approving the draft documents"),
    Competence("SOC", "document", "recommended_for_adoption", Power.RECOMMEND,
               f"{_AGENDA}, item 3: and recommending their adoption by the Summit"),
    Competence("SOC", "document", "adopted", Power.ADOPT,
               f"{_PP5}: documents adopted by the Senior Officials Committee"),
    Competence("SOC", "membership_application", "recommended_for_adoption", Power.RECOMMEND,
               f"{_AGENDA}, item 2, paragraph 11.3 of the Rules of Procedure"),
    Competence("SOC", "coordinator", "approved", Power.APPOINT,
               f"{_AGENDA}, item 4(a): approval of Kyrgyzstan as Co-coordinator"),
    Competence("MC", "document", "adopted", Power.ADOPT,
               f"{_PP5}: documents adopted by the Meetings of Ministers of Foreign Affairs"),
    Competence("SUMMIT", "document", "adopted", Power.ADOPT,
               f"{_PP5}: documents adopted by the Meetings of Heads of State or Government"),
    Competence("SUMMIT", "membership_application", "adopted", Power.ADMIT,
               f"{_AGENDA}, item 2: for adoption by the Sixth CICA Summit"),
    Competence("SUMMIT", "chairmanship", "adopted", Power.DECIDE_CHAIRMANSHIP,
               "draft conclusions SUM/2022/DRAFT/5, paragraph 5: took decisions on CICA "
               "Chairmanships"),
    Competence("SUMMIT", "next_meeting", "adopted", Power.DECIDE_NEXT_MEETING,
               "draft conclusions SUM/2022/DRAFT/5, paragraph 5: and on the next meetings of "
               "the CICA Summit in 2026 and CICA Ministerial Council in 2024"),
)  # fmt: skip


class OutsideCompetenceError(
    RefusedError, title="Outside the body's competence", rule="outside-competence"
):
    """A body decided what is not its to decide: nothing is recorded, nothing follows."""


def competence_of(body: str, subject: Mapping[str, Any], outcome: str) -> Competence | None:
    """The row that lets `body` take `outcome` on `subject` (a decision's subject as JSON),
    or None when none does. A procedural outcome, or an agenda item, is not looked up."""
    kind = subject.get("kind")
    for row in COMPETENCES:
        if (row.body, row.subject, row.outcome) != (body, kind, outcome):
            continue
        if row.power is Power.ADOPT and not _own_document(body, subject):
            continue
        return row
    return None


def _own_document(body: str, subject: Mapping[str, Any]) -> bool:
    symbol = str(subject.get("symbol", ""))
    return symbol.split("/", 1)[0] == SERIES_OF.get(body)


def check_competence(body: str, subject: Mapping[str, Any], outcome: str) -> Power | None:
    """The power `body` uses in taking `outcome` on `subject`: None for a procedural outcome or
    a decision on an agenda item; `OutsideCompetenceError` when no row allows it."""
    kind = subject.get("kind")
    if outcome in PROCEDURAL or kind == "agenda_item":
        return None
    row = competence_of(body, subject, outcome)
    if row is None:
        raise OutsideCompetenceError(
            f"The {body} does not take {outcome!r} on a {kind}{_symbol(subject)}: "
            f"{_allowed(body, kind)}.",
            body=body,
            outcome=outcome,
            subject_kind=kind,
        )
    return row.power


def _symbol(subject: Mapping[str, Any]) -> str:
    return f" ({subject['symbol']})" if subject.get("symbol") else ""


def _allowed(body: str, kind: object) -> str:
    rows = [r for r in COMPETENCES if r.subject == kind]
    mine = sorted({r.outcome for r in rows if r.body == body})
    others = sorted({f"{r.body} {r.outcome}" for r in rows if r.body != body})
    said = f"it may take {', '.join(mine)}" if mine else "it takes no decision on it"
    if kind == "document" and any(r.power is Power.ADOPT for r in rows if r.body == body):
        said += f" (adopting documents of the {SERIES_OF[body]}/ series only)"
    return said + (f"; {'; '.join(others)}" if others else "")


def powers_of(body: str) -> list[Competence]:
    """Every row for `body`, in declaration order."""
    return [row for row in COMPETENCES if row.body == body]
