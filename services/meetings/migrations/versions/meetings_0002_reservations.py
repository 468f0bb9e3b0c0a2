"""Meetings: the reservations and interpretative statements placed on drafts and decisions.

Written out rather than taken from `services.meetings.projections`, like meetings_0001; the
projection's new version rebuilds it from the log on start-up.

Revision ID: meetings_0002
Revises: meetings_0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "meetings_0002"
down_revision = "meetings_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings_reservations",
        sa.Column("position", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("decision_id", sa.Text, nullable=False),
        sa.Column("meeting_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_meetings_reservations"),
    )
    op.create_index(
        "ix_meetings_reservations_decision_id", "meetings_reservations", ["decision_id"]
    )


def downgrade() -> None:
    op.drop_table("meetings_reservations")
