"""Documents: the read models (the document list, the open amendments).

Written out rather than taken from `services.documents.projections`, so that this revision
creates the same tables whatever the projections declare later (a change there gets a revision
of its own).

Revision ID: documents_0001
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "documents_0001"
down_revision = "kit_0003_projections"
branch_labels = ("documents",)
depends_on = None


def _distribution() -> list[sa.Column]:
    return [
        sa.Column("distribution", sa.Text, nullable=False),
        sa.Column("distribution_states", ARRAY(sa.Text), nullable=False, server_default="{}"),
    ]


def upgrade() -> None:
    op.create_table(
        "documents_list",
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("symbol", sa.Text, nullable=False),
        sa.Column("series", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("document_type", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("revision_languages", ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_body", sa.Text),
        sa.Column("open_points", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_distribution(),
        sa.PrimaryKeyConstraint("stream_id", name="pk_documents_list"),
    )
    op.create_table(
        "documents_open_amendments",
        sa.Column("amendment_id", sa.Text, nullable=False),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("paragraph_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("new_paragraph_id", sa.Text),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        *_distribution(),
        sa.PrimaryKeyConstraint("amendment_id", name="pk_documents_open_amendments"),
    )
    op.create_index(
        "ix_documents_open_amendments_stream_id", "documents_open_amendments", ["stream_id"]
    )
    op.create_table(
        "documents_amendment_distributions",
        sa.Column("stream_id", sa.Text, nullable=False),
        *_distribution(),
        sa.PrimaryKeyConstraint("stream_id", name="pk_documents_amendment_distributions"),
    )


def downgrade() -> None:
    op.drop_table("documents_amendment_distributions")
    op.drop_index("ix_documents_open_amendments_stream_id", "documents_open_amendments")
    op.drop_table("documents_open_amendments")
    op.drop_table("documents_list")
