"""The transport: the relay's progress, the consumers' tracking rows and parked messages.

Revision ID: kit_0002_transport
Revises: kit_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.eventstore.schema import relay_progress

revision = "kit_0002_transport"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    relay_progress.create(op.get_bind())
    # Written out as they were then: kit_0006_tracking_hashes and kit_0005_parked_reasons add
    # what came later.
    op.create_table(
        "tracking",
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("producer", "position", name="pk_tracking"),
        sa.UniqueConstraint("producer", "event_id", name="uq_tracking_producer_event_id"),
        sa.CheckConstraint(
            "outcome in ('applied', 'parked')", name="ck_tracking_outcome_known"
        ),
    )
    op.create_table(
        "parked_messages",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_parked_messages"),
        sa.UniqueConstraint("producer", "position", name="uq_parked_messages_producer_position"),
    )


def downgrade() -> None:
    for name in ("parked_messages", "tracking", "relay_progress"):
        op.drop_table(name)
