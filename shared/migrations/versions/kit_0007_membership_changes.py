"""Membership as periods: ``membership_changes`` (each founding membership, admission,
suspension, reinstatement and withdrawal the registry recorded, with the moment it takes
effect) replaces ``admitted_member_states`` (admissions only), so that a suspended or withdrawn
state loses member-only access from its effective date. Each admitted state is carried over as
the change it was: founding when no registry event is named, admitted otherwise.

Written out rather than taken from `shared.access.members`, so that this revision creates the
same table whatever the module declares later.

Revision ID: kit_0007_membership_changes
Revises: kit_0002_access (the branch that holds admitted_member_states)
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "kit_0007_membership_changes"
down_revision = "kit_0002_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "membership_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), unique=True),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("state ~ '^[A-Z]{3}$'", name="membership_state_code"),
        sa.CheckConstraint(
            "change IN ('founding', 'admitted', 'suspended', 'reinstated', 'withdrawn')",
            name="membership_change_kind",
        ),
    )
    op.execute(
        "INSERT INTO membership_changes (state, change, effective_at, event_id, recorded_at) "
        "SELECT state, CASE WHEN event_id IS NULL THEN 'founding' ELSE 'admitted' END, "
        "admitted_at, event_id, recorded_at FROM admitted_member_states ORDER BY recorded_at"
    )
    op.drop_table("admitted_member_states")


def downgrade() -> None:
    op.create_table(
        "admitted_member_states",
        sa.Column("state", sa.Text, primary_key=True),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("state ~ '^[A-Z]{3}$'", name="state_code"),
    )
    op.execute(
        "INSERT INTO admitted_member_states (state, admitted_at, event_id) "
        "SELECT DISTINCT ON (state) state, effective_at, event_id FROM membership_changes "
        "WHERE change IN ('founding', 'admitted', 'reinstated') ORDER BY state, effective_at"
    )
    op.drop_table("membership_changes")
