"""Documents: the read models (the document list, the open amendments).

Revision ID: documents_0001
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

from alembic import op

from services.documents.projections import tables

revision = "documents_0001"
down_revision = "kit_0003_projections"
branch_labels = ("documents",)
depends_on = None


def upgrade() -> None:
    tables.create_all(op.get_bind())


def downgrade() -> None:
    tables.drop_all(op.get_bind())
