"""The registry's policies on the meetings service's decisions (`DecisionRecorded`, stream
`CICA_MEETINGS`, schema v1).

- The SOC recommends a membership application for adoption → `AdmissionRecommended`.
- The Summit adopts a membership application → `MemberAdmitted`, admitted on the decision's
  date, and the state counted among the admitted members (shared.access) from then on.
- The Summit adopts a chairmanship → `ChairmanshipAssigned` for the period.

Each is appended in the reaction's transaction with the decision's event as its cause, and
with event ids derived from that event's id: delivered twice, a decision records nothing new
(the consumer's tracking skips it; and the domain and the store would too).

A decision the registry's rules refuse (an adoption for a state that never applied, a state
already a member by another decision, a chair already assigned) is a business refusal, not a
fault: the reaction records nothing, logs ``registry.decision_refused`` with the reason, and
the consumer goes on. A subject kind, body or outcome the registry has no policy on is ignored.
Only a malformed event (lacking the v1 contract's fields) raises, so that it is retried and
then parked with its error (`GET /admin/parked`).
"""

from __future__ import annotations

import structlog

from services.registry import commands
from services.registry.events import DecisionRef
from shared.consumers import ReactionContext, Reactions
from shared.domain import DomainError
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


@reactions.on(MEETINGS, "DecisionRecorded")
async def when_a_decision_is_recorded_follow_it_in_the_registry(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    subject = event.data["subject"]  # v1 and later (its fields only grow)
    body, outcome = event.data["body"], event.data["outcome"]
    kind = subject.get("kind")
    decision = decision_of(event)
    if kind == "membership_application" and body == "SOC" and (
        outcome == "recommended_for_adoption"
    ):
        command = commands.recommendation(subject["state"], decision)
    elif kind == "membership_application" and body == "SUMMIT" and outcome == "adopted":
        command = commands.admission(subject["state"], decision)
    elif kind == "chairmanship" and body == "SUMMIT" and outcome == "adopted":
        command = commands.chair_assignment(
            subject["period"], state=subject["state"], effective_on=decision.decided_on,
            decision=decision,
        )
    else:
        return
    try:
        recorded = await ctx.decide_and_append(*command, ids=IDS, actor=ACTOR)
    except DomainError as refusal:
        log.warning(
            "registry.decision_refused",
            decision_id=str(decision.decision_id),
            event_id=str(event.event_id),
            body=body,
            outcome=outcome,
            subject=subject,
            reason=refusal.detail,
        )
        return
    await commands.count_members(ctx.connection, recorded, event_ids=ctx.event_ids(IDS))
    log.info(
        "registry.decision_followed",
        decision_id=str(decision.decision_id),
        stream_id=recorded.stream_id,
        recorded=[e.event_type for e in recorded.events],
    )
