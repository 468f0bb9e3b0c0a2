"""Access: the admitted member states, which the distribution rule reads (replaced by
``membership_changes`` in kit_0007; written out here as it was, so that this revision creates
the same table whatever the kit declares later).

Revision ID: kit_0002_access
Revises: kit_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "kit_0002_access"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admitted_member_states",
        sa.Column("state", sa.Text, primary_key=True),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("state ~ '^[A-Z]{3}$'", name="state_code"),
    )


def downgrade() -> None:
    op.drop_table("admitted_member_states")
