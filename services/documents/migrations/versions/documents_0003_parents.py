"""Documents: the document list names the parent of an addendum or a corrigendum (`parent`,
indexed), so that a document's read lists the addenda and corrigenda issued to it.

Written out rather than taken from `services.documents.projections`, so that this revision
makes the same change whatever the projections declare later. The projection's version goes
up with it, so the list is rebuilt from the log on start-up.

Revision ID: documents_0003
Revises: documents_0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0003"
down_revision = "documents_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents_list", sa.Column("parent", sa.Text, nullable=True))
    op.create_index("ix_documents_list_parent", "documents_list", ["parent"])


def downgrade() -> None:
    op.drop_index("ix_documents_list_parent", table_name="documents_list")
    op.drop_column("documents_list", "parent")
