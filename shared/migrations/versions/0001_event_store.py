"""The event-sourcing kit: the append-only event log and the idempotency keys.

Revision ID: kit_0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

from shared.eventstore.schema import (
    APPEND_ONLY_FUNCTION,
    APPEND_ONLY_TRIGGERS,
    events,
    idempotency_keys,
)

revision = "kit_0001"
down_revision = None
branch_labels = ("kit",)
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    events.create(bind)
    idempotency_keys.create(bind)
    op.execute(APPEND_ONLY_FUNCTION)
    for statement in APPEND_ONLY_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS idempotency_keys")
    op.execute("DROP TABLE IF EXISTS events")
    op.execute("DROP FUNCTION IF EXISTS cica_events_append_only()")
