"""The registry's policies on the meetings service's decisions (`DecisionRecorded`, stream
`CICA_MEETINGS`, schema v1).

- The SOC recommends a membership application for adoption → `AdmissionRecommended`.
- The Summit adopts a membership application → `MemberAdmitted`, admitted on the decision's
  date, and the state counted among the admitted members (shared.access) from then on.
- The Summit adopts a chairmanship → `ChairmanshipAssigned` for the period.
- The SOC approves a coordinator or co-coordinator of a priority area → `CoordinatorAppointed`
  from the decision's date (agenda item 4(a) of the SOC's annotated agenda: Kyrgyzstan as
  co-coordinator of "Trade and Investment").

Each is appended in the reaction's transaction with the decision's event as its cause, and
with event ids derived from that event's id: delivered twice, a decision records nothing new
(the consumer's tracking skips it; and the domain and the store would too).

The registry's domain checks each as it checks a command, competence included
(`shared.competence`: the SWG's "adopted" on an application is not the Summit's admission). A
decision it refuses raises, and the consumer parks it with the rule that refused it
(`GET /admin/parked`), never acked and forgotten; one whose prerequisite is not recorded yet
(the application behind a recommendation or an admission, the recommendation behind an
admission) is parked as waiting and applied when it comes. A procedural outcome (noted,
deferred, continue consideration), or a subject the registry keeps nothing of (a document, an
agenda item, the Summit's decision on the next meetings of the Summit and the Ministerial
Council, ``next_meeting``), is not the registry's to follow: it records nothing and parks
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from services.registry import commands
from services.registry.commands import Command
from services.registry.events import CoordinatorRole, DecisionRef
from shared.competence import PROCEDURAL, check_competence
from shared.consumers import ReactionContext, Reactions
from shared.envelope import ForeignEvent

log = structlog.get_logger("cica.registry.reactions")

reactions = Reactions("registry")

MEETINGS = "meetings"
ACTOR = "service:registry"
IDS = "registry-"
"""The prefix of the ids derived from a decision's event: ``uuid5(cause, "registry-<i>")``."""


def decision_of(event: ForeignEvent) -> DecisionRef:
    data = event.data
    return DecisionRef(
        decision_id=data["decision_id"],
        body=data["body"],
        session=data["session"],
        decided_on=data["decided_on"],
        outcome=data["outcome"],
    )


FOLLOWED: dict[tuple[str, str], Callable[[dict[str, Any], DecisionRef], Command]] = {
    ("membership_application", "recommended_for_adoption"): (
        lambda subject, decision: commands.recommendation(subject["state"], decision)
    ),
    ("membership_application", "adopted"): (
        lambda subject, decision: commands.admission(subject["state"], decision)
    ),
    ("chairmanship", "adopted"): (
        lambda subject, decision: commands.chair_assignment(
            subject["period"], state=subject["state"], effective_on=decision.decided_on,
            decision=decision,
        )
    ),
    ("coordinator", "approved"): (
        lambda subject, decision: commands.coordinator_appointment(
            subject["area"], state=subject["state"], role=CoordinatorRole(subject["role"]),
            effective_on=decision.decided_on, decision=decision,
        )
    ),
}
"""The decisions the registry follows, by subject kind and outcome."""

KEPT = {kind for kind, _ in FOLLOWED}
"""The subjects the registry keeps: a decision on one of them with an outcome that is neither
followed nor procedural is checked against the competences (and refused if no body may take
it)."""


@reactions.on(MEETINGS, "DecisionRecorded")
async def when_a_decision_is_recorded_follow_it_in_the_registry(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    subject = event.data["subject"]  # v1 and later (its fields only grow)
    body, outcome = event.data["body"], event.data["outcome"]
    kind = subject.get("kind")
    if kind not in KEPT or outcome in PROCEDURAL:
        return
    decision = decision_of(event)
    follow = FOLLOWED.get((kind, outcome))
    if follow is None:
        check_competence(body, subject, outcome)  # refused (and parked) if no body takes it
        return  # a body may take it, and the registry records nothing of it
    recorded = await ctx.decide_and_append(*follow(subject, decision), ids=IDS, actor=ACTOR)
    await commands.record_membership_changes(ctx.connection, recorded, event_ids=ctx.event_ids(IDS))
    log.info(
        "registry.decision_followed",
        decision_id=str(decision.decision_id),
        stream_id=recorded.stream_id,
        recorded=[e.event_type for e in recorded.events],
    )
