"""Notifications: the delivery side's read model (messages to deliver, ministry endpoints,
deliveries).

Written out rather than taken from `services.notifications.delivery_projections`, so that this
revision creates the same tables whatever the projection declares later (a change there gets a
revision of its own); tests/notifications/test_delivery_migrations.py compares the two.

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notifications_0002"
down_revision = "notifications_0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications_delivery_messages",
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_notifications_delivery_messages"),
    )
    op.create_table(
        "notifications_webhook_endpoints",
        sa.Column("endpoint_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("languages", JSONB, nullable=False),
        sa.Column("kinds", JSONB, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("previous_until", TIMESTAMP),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("registered_position", sa.BigInteger, nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("endpoint_id", name="pk_notifications_webhook_endpoints"),
    )
    op.create_index(
        "ix_notifications_webhook_endpoints_state", "notifications_webhook_endpoints", ["state"]
    )
    op.create_table(
        "notifications_deliveries",
        sa.Column("delivery_id", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("message_position", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("requeued", sa.Boolean, nullable=False),
        sa.Column("endpoint_id", sa.Text),
        sa.Column("next_attempt_at", TIMESTAMP),
        sa.Column("last_attempted_at", TIMESTAMP),
        sa.Column("last_outcome", sa.Text),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_notifications_deliveries"),
    )
    for column in ("message_id", "state", "status"):
        op.create_index(
            f"ix_notifications_deliveries_{column}", "notifications_deliveries", [column]
        )


def downgrade() -> None:
    for table in (
        "notifications_deliveries",
        "notifications_webhook_endpoints",
        "notifications_delivery_messages",
    ):
        op.drop_table(table)
