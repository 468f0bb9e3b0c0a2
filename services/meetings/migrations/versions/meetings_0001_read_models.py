"""The meetings service's read models: meetings, agenda items, decisions, silence procedures.

Revision ID: meetings_0001
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

from alembic import op

from services.meetings.projections import tables

revision = "meetings_0001"
down_revision = "kit_0003_projections"
branch_labels = ("meetings",)
depends_on = None


def upgrade() -> None:
    tables.create_all(op.get_bind())


def downgrade() -> None:
    tables.drop_all(op.get_bind())
