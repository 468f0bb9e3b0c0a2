"""Meetings: the read models (meetings, agenda items, decisions, silence procedures).

Written out rather than taken from `services.meetings.projections`, so that this revision
creates the same tables whatever the projections declare later (a change there gets a revision
of its own); tests/meetings/test_migrations.py compares the two.

Revision ID: meetings_0001
Revises: kit_0003_projections
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "meetings_0001"
down_revision = "kit_0003_projections"
branch_labels = ("meetings",)
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meetings_meetings",
        sa.Column("meeting_id", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("venue", sa.Text, nullable=False),
        sa.Column("starts_local", sa.Text, nullable=False),
        sa.Column("ends_local", sa.Text, nullable=False),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("participants", JSONB, nullable=False),
        sa.Column("agenda_symbol", sa.Text),
        sa.Column("agenda_status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meetings_meetings"),
        sa.UniqueConstraint("session", name="uq_meetings_meetings_session"),
    )
    op.create_index("ix_meetings_meetings_body", "meetings_meetings", ["body"])
    op.create_table(
        "meetings_agenda_items",
        sa.Column("meeting_id", sa.Text, nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("letter", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("annotation", sa.Text, nullable=False),
        sa.Column("action", sa.Text),
        sa.Column("considers", JSONB, nullable=False),
        sa.Column("document_bases", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "ref", name="pk_meetings_agenda_items"),
    )
    op.create_table(
        "meetings_decisions",
        sa.Column("position", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("decision_id", sa.Text, nullable=False),
        sa.Column("meeting_id", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("item", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("subject", JSONB, nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_meetings_decisions"),
        sa.UniqueConstraint("decision_id", name="uq_meetings_decisions_decision_id"),
    )
    op.create_index("ix_meetings_decisions_meeting_id", "meetings_decisions", ["meeting_id"])
    op.create_table(
        "meetings_silence_procedures",
        sa.Column("procedure_id", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("meeting_id", sa.Text),
        sa.Column("draft", JSONB, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("deadline", TIMESTAMP, nullable=False),
        sa.Column("participants", JSONB, nullable=False),
        sa.Column("objections", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("concluded_at", TIMESTAMP),
        sa.Column("decision_id", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("procedure_id", name="pk_meetings_silence_procedures"),
    )
    op.create_index(
        "ix_meetings_silence_procedures_deadline", "meetings_silence_procedures", ["deadline"]
    )


def downgrade() -> None:
    for table in ("meetings_silence_procedures", "meetings_decisions", "meetings_agenda_items",
                  "meetings_meetings"):
        op.drop_table(table)
