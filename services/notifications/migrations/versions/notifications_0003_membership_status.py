"""Notifications: the member-state list follows every change of membership the registry
records (suspension, reinstatement, withdrawal besides founding and admission): each state's
changes noted, its status as they leave it (`status`, `status_since`), and a first day of
membership that a state never a member lacks (`member_since` nullable).

Written out rather than taken from `services.notifications.projections`, so that this revision
makes the same change whatever the projections declare later. The projection's version goes
up with it (``notifications_knowledge`` 2), so the list is rebuilt from the log on start-up.

Revision ID: notifications_0003
Revises: notifications_0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notifications_0003"
down_revision = "notifications_0002"
branch_labels = None
depends_on = None

TABLE = "notifications_member_states"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("status", sa.Text, nullable=False, server_default="member"))
    op.add_column(TABLE, sa.Column("status_since", sa.Date))
    op.add_column(TABLE, sa.Column("changes", JSONB, nullable=False, server_default="[]"))
    op.execute(sa.text(f"UPDATE {TABLE} SET status_since = member_since"))
    op.alter_column(TABLE, "status_since", nullable=False)
    op.alter_column(TABLE, "member_since", nullable=True)


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE member_since IS NULL"))
    op.alter_column(TABLE, "member_since", nullable=False)
    op.drop_column(TABLE, "changes")
    op.drop_column(TABLE, "status_since")
    op.drop_column(TABLE, "status")
