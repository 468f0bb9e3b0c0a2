"""Projections: each read model's checkpoint (its version and the last position applied).

Revision ID: kit_0003_projections
Revises: kit_0001
Create Date: 2026-11-26
"""

from alembic import op

from shared.projections import projection_checkpoints

revision = "kit_0003_projections"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    projection_checkpoints.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("projection_checkpoints")
