"""The meetings service's event types, registered by name and schema version."""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.eventstore import DomainEvent, EventTypes

event_types = EventTypes()


class DocumentSubject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["document"]
    symbol: str


class MembershipApplicationSubject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["membership_application"]
    state: str = Field(pattern=r"^[A-Z]{3}$")


class ChairmanshipSubject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["chairmanship"]
    state: str = Field(pattern=r"^[A-Z]{3}$")
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{4}$")


@event_types.register("DecisionRecorded", version=1)
class DecisionRecorded(DomainEvent):
    """A body's decision at a session (stream_type "meeting"). The contract the registry's
    reactions read (services/registry/reactions.py); the meetings service (issue 6) owns it."""

    decision_id: UUID
    meeting_id: str
    body: Literal["SWG", "SOC", "MC", "SUMMIT"]
    session: str
    decided_on: date
    outcome: Literal[
        "approved",
        "recommended_for_adoption",
        "adopted",
        "continue_consideration",
        "deferred",
        "noted",
    ]
    subject: DocumentSubject | MembershipApplicationSubject | ChairmanshipSubject = Field(
        discriminator="kind"
    )
    text: str
