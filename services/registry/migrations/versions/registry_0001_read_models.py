"""The registry's read models: membership facts, observers and partners, chairmanships,
priority areas and coordinators, bodies' names and renaming proposals.

Written out rather than taken from `services.registry.projections`, so that this revision
creates the same tables whatever the projections declare later (a change there gets a
revision of its own).

Revision ID: registry_0001
Revises: kit_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "registry_0001"
down_revision = "kit_0001"
branch_labels = ("registry",)
depends_on = None

TABLES = (
    "registry_membership_facts",
    "registry_observers",
    "registry_partner_agreements",
    "registry_chairmanship_facts",
    "registry_priority_areas",
    "registry_coordinator_appointments",
    "registry_body_names",
    "registry_renaming_proposals",
)


def _recorded_at() -> sa.Column:
    return sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "registry_membership_facts",
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("fact", sa.Text, nullable=False),
        sa.Column("status", sa.Text),
        sa.Column("names", JSONB),
        sa.Column("effective_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.Column("decision", JSONB),
        sa.Column("note", JSONB),
        sa.PrimaryKeyConstraint("position", name="pk_registry_membership_facts"),
    )
    op.create_index("ix_registry_membership_facts_state", "registry_membership_facts", ["state"])
    op.create_table(
        "registry_observers",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("names", JSONB, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.PrimaryKeyConstraint("key", name="pk_registry_observers"),
    )
    op.create_table(
        "registry_partner_agreements",
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("names", JSONB, nullable=False),
        sa.Column("agreement", sa.Text, nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.PrimaryKeyConstraint("position", name="pk_registry_partner_agreements"),
    )
    op.create_index("ix_registry_partner_agreements_key", "registry_partner_agreements", ["key"])
    op.create_table(
        "registry_chairmanship_facts",
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("starts", sa.Integer, nullable=False),
        sa.Column("ends", sa.Integer, nullable=False),
        sa.Column("chair", sa.Text),
        sa.Column("effective_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.Column("decision", JSONB),
        sa.PrimaryKeyConstraint("position", name="pk_registry_chairmanship_facts"),
    )
    op.create_index("ix_registry_chairmanship_facts_period", "registry_chairmanship_facts", ["period"])
    op.create_table(
        "registry_priority_areas",
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("dimension", sa.Text, nullable=False),
        sa.Column("names", JSONB, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.PrimaryKeyConstraint("area", name="pk_registry_priority_areas"),
    )
    op.create_table(
        "registry_coordinator_appointments",
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("term_ends_on", sa.Date),
        _recorded_at(),
        sa.Column("decision", JSONB),
        sa.PrimaryKeyConstraint("position", name="pk_registry_coordinator_appointments"),
    )
    op.create_index(
        "ix_registry_coordinator_appointments_area", "registry_coordinator_appointments", ["area"]
    )
    op.create_table(
        "registry_body_names",
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("fact", sa.Text, nullable=False),
        sa.Column("names", JSONB, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.Column("decision", JSONB),
        sa.Column("proposal_id", sa.Text),
        sa.PrimaryKeyConstraint("position", name="pk_registry_body_names"),
    )
    op.create_index("ix_registry_body_names_body", "registry_body_names", ["body"])
    op.create_table(
        "registry_renaming_proposals",
        sa.Column("proposal_id", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("names", JSONB, nullable=False),
        sa.Column("proposed_by", JSONB, nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        _recorded_at(),
        sa.PrimaryKeyConstraint("proposal_id", name="pk_registry_renaming_proposals"),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
