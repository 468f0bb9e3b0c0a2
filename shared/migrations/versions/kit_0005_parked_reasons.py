"""Parked messages say why: the rule that refused a reaction, and whether it waits for a
prerequisite (tried again as the record moves on) or for a person.

Revision ID: kit_0005_parked_reasons
Revises: kit_0002_transport (the branch that holds parked_messages)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0005_parked_reasons"
down_revision = "kit_0002_transport"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parked_messages", sa.Column("rule", sa.Text, nullable=True))
    op.add_column(
        "parked_messages",
        sa.Column("waiting", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_parked_messages_waiting",
        "parked_messages",
        ["producer", "id"],
        postgresql_where=sa.text("waiting AND resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_parked_messages_waiting", table_name="parked_messages")
    op.drop_column("parked_messages", "waiting")
    op.drop_column("parked_messages", "rule")
