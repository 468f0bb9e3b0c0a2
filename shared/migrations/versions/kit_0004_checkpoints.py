"""Checkpoints: the signed heads of the log (tree size, Merkle root, chain hash, signature).

Written out rather than taken from `shared.checkpoints`, so that this revision creates the same
table whatever the module declares later.

Revision ID: kit_0004_checkpoints
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0004_checkpoints"
down_revision = "kit_0003_projections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("time", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name="pk_checkpoints"),
        sa.CheckConstraint("tree_size > 0", name="ck_checkpoints_tree_size_positive"),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
