"""The tracking rows keep each applied event's hash, so that a consumer checks that the next
message continues its producer's chain (shared/consumers.py). Rows tracked before have none:
the first message after them is checked against its own hash only.

Written out rather than taken from `shared.eventstore.schema`, so that this revision adds the
same column whatever the module declares later.

Revision ID: kit_0006_tracking_hashes
Revises: kit_0005_parked_reasons
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0006_tracking_hashes"
down_revision = "kit_0005_parked_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tracking", sa.Column("hash", sa.LargeBinary(32), nullable=True))


def downgrade() -> None:
    op.drop_column("tracking", "hash")
