"""Notifications: registers of notes instead of a series per office (one count that several
prefixes share, restarted each year), and the notes known by reference beside the notes
issued: a note's register, its pages enclosed in all and, for a note on record, where a source
cites it; a number unique in its register (a count restarted each year repeats a number from
one year to the next, so no longer unique alone).

Written out rather than taken from `services.notifications.projections`, so that this revision
makes the same change whatever the projections declare later. The projections' versions go up
with it (``notifications_messages`` 2, ``notifications_registers`` new), so both are rebuilt
from the log on start-up.

Revision ID: notifications_0004
Revises: notifications_0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notifications_0004"
down_revision = "notifications_0003"
branch_labels = None
depends_on = None

MESSAGES = "notifications_messages"


def upgrade() -> None:
    op.drop_table("notifications_series")
    op.create_table(
        "notifications_registers",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("prefixes", JSONB, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("first_number", sa.Integer, nullable=False),
        sa.Column("next_number", sa.Integer, nullable=False),
        sa.Column("issued", sa.Integer, nullable=False),
        sa.Column("on_record", sa.Integer, nullable=False),
        sa.Column("last_number", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_notifications_registers"),
        sa.UniqueConstraint("stream_id", name="uq_notifications_registers_stream_id"),
    )
    op.drop_constraint("uq_notifications_messages_number", MESSAGES, type_="unique")
    op.add_column(MESSAGES, sa.Column("register", sa.Text))
    op.add_column(MESSAGES, sa.Column("pages", sa.Integer))
    op.add_column(MESSAGES, sa.Column("cited_in", JSONB))
    op.create_unique_constraint(
        "uq_notifications_messages_register_sequence", MESSAGES, ["register", "sequence"]
    )


def downgrade() -> None:
    op.drop_constraint("uq_notifications_messages_register_sequence", MESSAGES, type_="unique")
    for column in ("cited_in", "pages", "register"):
        op.drop_column(MESSAGES, column)
    op.create_unique_constraint("uq_notifications_messages_number", MESSAGES, ["number"])
    op.drop_table("notifications_registers")
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
