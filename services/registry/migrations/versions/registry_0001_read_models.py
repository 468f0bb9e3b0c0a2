"""The registry's read models: membership facts, observers and partners, chairmanships,
priority areas and coordinators, bodies' names and renaming proposals.

Revision ID: registry_0001
Revises: kit_0001
Create Date: 2026-11-27
"""

from alembic import op

from services.registry.projections import tables

revision = "registry_0001"
down_revision = "kit_0001"
branch_labels = ("registry",)
depends_on = None


def upgrade() -> None:
    tables.create_all(op.get_bind())


def downgrade() -> None:
    tables.drop_all(op.get_bind())
