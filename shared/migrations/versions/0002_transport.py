"""The transport: the relay's progress, the consumers' tracking rows and parked messages.

Revision ID: kit_0002_transport
Revises: kit_0001
Create Date: 2026-11-26
"""

from alembic import op

from shared.eventstore.schema import parked_messages, relay_progress, tracking

revision = "kit_0002_transport"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in (relay_progress, tracking, parked_messages):
        table.create(bind)


def downgrade() -> None:
    for name in ("parked_messages", "tracking", "relay_progress"):
        op.drop_table(name)
