"""Documents: the document list notes which languages of the latest revision are unofficial
translations only (`unofficial_languages`), so that `GET /translations/needed` counts only
official language versions as done.

Written out rather than taken from `services.documents.projections`, so that this revision
makes the same change whatever the projections declare later. The projection's version goes
up with it, so the list is rebuilt from the log on start-up.

Revision ID: documents_0002
Revises: documents_0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "documents_0002"
down_revision = "documents_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "documents_list",
        sa.Column("unofficial_languages", ARRAY(sa.Text), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_column("documents_list", "unofficial_languages")
