"""Meetings: a meeting dated by its days, with a start or end time only when a source gives one
(`MeetingScheduled` v2), listed by `first_instant`; a decision's text optional, with the
document that records it and the recommendation it follows; the notes verbales an agenda item
cites.

Written out rather than taken from `services.meetings.projections`, like meetings_0001. The
meetings projection's new version (4) rebuilds its rows from the log on start-up, so the rows
this revision finds are deleted first (its new columns have no value to give them).

Revision ID: meetings_0003
Revises: meetings_0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "meetings_0003"
down_revision = "meetings_0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
MEETINGS_TABLES = (
    "meetings_meetings", "meetings_agenda_items", "meetings_decisions", "meetings_reservations",
)


def _empty() -> None:
    for table in MEETINGS_TABLES:
        op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    _empty()
    op.drop_column("meetings_meetings", "starts_local")
    op.drop_column("meetings_meetings", "ends_local")
    op.add_column("meetings_meetings", sa.Column("starts_on", sa.Date, nullable=False))
    op.add_column("meetings_meetings", sa.Column("starts_at_local", sa.Text))
    op.add_column("meetings_meetings", sa.Column("ends_on", sa.Date, nullable=False))
    op.add_column("meetings_meetings", sa.Column("ends_at_local", sa.Text))
    op.add_column("meetings_meetings", sa.Column("first_instant", TIMESTAMP, nullable=False))
    op.alter_column("meetings_meetings", "time_zone", nullable=True)
    op.alter_column("meetings_meetings", "starts_at", nullable=True)
    op.alter_column("meetings_meetings", "ends_at", nullable=True)
    op.alter_column("meetings_decisions", "text", nullable=True)
    op.add_column("meetings_decisions", sa.Column("recorded_in", JSONB))
    op.add_column("meetings_decisions", sa.Column("on_recommendation_of", JSONB))
    op.add_column("meetings_agenda_items", sa.Column("cites_notes", JSONB, nullable=False))
    op.add_column("meetings_agenda_items", sa.Column("note_numbers", JSONB, nullable=False))


def downgrade() -> None:
    _empty()
    op.drop_column("meetings_agenda_items", "note_numbers")
    op.drop_column("meetings_agenda_items", "cites_notes")
    op.drop_column("meetings_decisions", "on_recommendation_of")
    op.drop_column("meetings_decisions", "recorded_in")
    op.alter_column("meetings_decisions", "text", nullable=False)
    op.alter_column("meetings_meetings", "ends_at", nullable=False)
    op.alter_column("meetings_meetings", "starts_at", nullable=False)
    op.alter_column("meetings_meetings", "time_zone", nullable=False)
    for column in ("first_instant", "ends_at_local", "ends_on", "starts_at_local", "starts_on"):
        op.drop_column("meetings_meetings", column)
    op.add_column("meetings_meetings", sa.Column("starts_local", sa.Text, nullable=False))
    op.add_column("meetings_meetings", sa.Column("ends_local", sa.Text, nullable=False))
