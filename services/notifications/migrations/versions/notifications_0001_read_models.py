"""Notifications: the read models (messages and their recipients, note series, member states,
documents' distributions).

Written out rather than taken from `services.notifications.projections`, so that this
revision creates the same tables whatever the projections declare later (a change there gets a
revision of its own); tests/notifications/test_migrations.py compares the two.

Revision ID: notifications_0001
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "notifications_0001"
down_revision = "kit_0003_projections"
branch_labels = ("notifications",)
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications_messages",
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("number", sa.Text),
        sa.Column("office", sa.Text),
        sa.Column("sequence", sa.Integer),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("place", sa.Text),
        sa.Column("dated", sa.Date),
        sa.Column("subject", JSONB, nullable=False),
        sa.Column("text", JSONB, nullable=False),
        sa.Column("languages", JSONB, nullable=False),
        sa.Column("enclosures", JSONB, nullable=False),
        sa.Column("recipients", JSONB, nullable=False),
        sa.Column("addressed_to_all_members", sa.Boolean, nullable=False),
        sa.Column("corrects", sa.Text),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("causation_id", sa.Text),
        sa.PrimaryKeyConstraint("message_id", name="pk_notifications_messages"),
        sa.UniqueConstraint("position", name="uq_notifications_messages_position"),
        sa.UniqueConstraint("number", name="uq_notifications_messages_number"),
    )
    op.create_table(
        "notifications_recipients",
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("delivery_id", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("acknowledged_at", TIMESTAMP),
        sa.Column("receipt_reference", sa.Text),
        sa.PrimaryKeyConstraint("message_id", "state", name="pk_notifications_recipients"),
        sa.UniqueConstraint("delivery_id", name="uq_notifications_recipients_delivery_id"),
    )
    op.create_index(
        "ix_notifications_recipients_state_position",
        "notifications_recipients",
        ["state", "position"],
    )
    op.create_table(
        "notifications_series",
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("first_number", sa.Integer, nullable=False),
        sa.Column("next_number", sa.Integer, nullable=False),
        sa.Column("issued", sa.Integer, nullable=False),
        sa.Column("last_number", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("office", name="pk_notifications_series"),
        sa.UniqueConstraint("stream_id", name="uq_notifications_series_stream_id"),
    )
    op.create_table(
        "notifications_member_states",
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("member_since", sa.Date, nullable=False),
        sa.Column("admitted", sa.Boolean, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("state", name="pk_notifications_member_states"),
    )
    op.create_table(
        "notifications_documents",
        sa.Column("symbol", sa.Text, nullable=False),
        sa.Column("distribution", sa.Text, nullable=False),
        sa.Column("distribution_states", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("symbol", name="pk_notifications_documents"),
    )


def downgrade() -> None:
    for table in (
        "notifications_documents",
        "notifications_member_states",
        "notifications_series",
        "notifications_recipients",
        "notifications_messages",
    ):
        op.drop_table(table)
