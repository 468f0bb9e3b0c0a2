"""Access: the admitted member states, which the distribution rule reads.

Revision ID: kit_0002_access
Revises: kit_0001
Create Date: 2026-11-27
"""

from alembic import op

from shared.access.members import admitted_member_states

revision = "kit_0002_access"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    admitted_member_states.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("admitted_member_states")
