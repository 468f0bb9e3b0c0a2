"""The tables of the event-sourcing kit, as SQLAlchemy Core, shared by every service database.

`events` is the log: the source of truth, append-only (a trigger refuses UPDATE, DELETE and
TRUNCATE). `idempotency_keys` remembers the answers to POST requests that carried an
`Idempotency-Key`, so a retry gets the first answer; it is a cache of answers, not a record.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

BIGINT_MAX = 2**63 - 1
"""The largest position or id the tables hold (BIGINT): a route's integer parameter that is
compared with one is bounded by it, so a larger one is a 422, not a database error."""

events = Table(
    "events",
    metadata,
    # Gapless and in commit order: assigned by the store under the log's lock, not by a sequence
    # (a sequence leaves holes when a transaction rolls back).
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("stream_id", Text, nullable=False),
    Column("stream_type", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    UniqueConstraint("event_id"),
    UniqueConstraint("stream_id", "version"),
    CheckConstraint("position > 0", name="position_positive"),
    CheckConstraint("version > 0", name="version_positive"),
    CheckConstraint("schema_version > 0", name="schema_version_positive"),
)

# "A stream as of an instant" walks one stream by time.
Index("ix_events_stream_recorded_at", events.c.stream_id, events.c.recorded_at)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("fingerprint", LargeBinary(32), nullable=False),
    Column("state", Text, nullable=False),  # 'pending' | 'done'
    Column("status_code", Integer),
    Column("headers", JSONB),
    Column("body", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("state in ('pending', 'done')", name="state_known"),
)

# The trigger that makes the log append-only in the database itself. A superuser can still
# disable it; the hash chain (and, later, signed checkpoints) is what finds such edits.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION cica_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""

APPEND_ONLY_TRIGGERS = (
    "CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION cica_events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION cica_events_append_only()",
)

# ---------------------------------------------------------------------------- the transport

# How far this service's relay has published its log to NATS (one row: the service's stream).
relay_progress = Table(
    "relay_progress",
    metadata,
    Column("stream", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Which events of other services this service has handled: one row per (producer, position),
# committed in the same transaction as the handler's writes. Positions of a producer are
# handled in order and without gaps, so the greatest position is where the consumer stands;
# its hash is what the next message's prevhash must be (shared/consumers.py).
tracking = Table(
    "tracking",
    metadata,
    Column("producer", Text, primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("outcome", Text, nullable=False),  # 'applied' | 'parked'
    Column("handled_at", DateTime(timezone=True), nullable=False),
    # The event's hash in its producer's chain; None for rows tracked before hashes were.
    Column("hash", LargeBinary(32)),
    UniqueConstraint("producer", "event_id"),
    CheckConstraint("outcome in ('applied', 'parked')", name="outcome_known"),
)

# Events whose handler kept failing: kept with their error until retried after a fix.
parked_messages = Table(
    "parked_messages",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("producer", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    # The rule that refused the reaction (a `DomainError`'s); None for a fault.
    Column("rule", Text),
    # Waiting for a prerequisite not recorded yet: tried again as the record moves on.
    Column("waiting", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("producer", "position"),
    Index(
        "ix_parked_messages_waiting",
        "producer",
        "id",
        postgresql_where=text("waiting AND resolved_at IS NULL"),
    ),
)
