"""Signed checkpoints of a service's log, and the Merkle proofs that tie events and later logs
to them (issue 10). A hash chain alone proves nothing against someone who can rewrite the
table and recompute every hash; a signed head that auditors keep does.

What a checkpoint says. The service signs, with its Ed25519 key, the statement

    {"chain_hash": <hex>, "format": "cica-checkpoint/v1", "key_id": <hex>,
     "root_hash": <hex>, "service": <name>, "time": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
     "tree_size": <n>}

serialised by JCS (RFC 8785: sorted keys, no spaces), where `tree_size` is the log's position
n, `root_hash` the RFC 9162 Merkle tree hash of its first n events (leaf data: each event's
chain hash, see `shared.merkle`), `chain_hash` the chain hash of the event at n, and `key_id`
the first 8 bytes of SHA-256 of the raw 32-byte public key, in hex. The signature is Ed25519
over exactly those bytes, served in standard base64. Anyone can rebuild the bytes from the
fields and check it with the key `GET /keys` publishes.

When. Every `checkpoint_interval_seconds` (CICA_<SERVICE>_CHECKPOINT_INTERVAL_SECONDS) if the
log grew since the newest checkpoint, and on demand (`POST /checkpoints`, the Secretariat;
auditors never write, by the kit's access rule, and read the periodic ones). Replicas sharing a
log may both sign one size: the first row wins, the other is dropped.

Where. The `checkpoints` table (kit migration kit_0004_checkpoints), `GET /checkpoints`, and
NATS: each new checkpoint is published (core NATS, best effort: the table is the record) as
JSON on `cica.<service>.checkpoints` with `Nats-Msg-Id: checkpoint-<n>`. The service's
JetStream stream captures `cica.<service>.>`, so the stream keeps a copy of every checkpoint
beside the events, out of reach of whoever administers the database; consumers of the stream
acknowledge and skip that subject.

Keys. `signing_key_file` (CICA_<SERVICE>_SIGNING_KEY_FILE): a PEM (PKCS#8) Ed25519 private
key, or its 32-byte seed raw or in base64. `cica up` makes one per service under its state
directory. With none configured the service makes an ephemeral key at start and logs a
warning: its checkpoints then verify only against that run's key, so an auditor who pinned an
earlier key sees them fail, as it should.

Cost. The service keeps its log's Merkle tree in memory (`LogTree`, ~96 bytes per event),
filled from the stored hashes in one pass on first use and extended by the new rows after;
roots and proofs then cost O(log n).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import rfc8785
import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    LargeBinary,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.access import LOG_READERS, Role, allow
from shared.eventstore.hashing import format_instant
from shared.eventstore.schema import events, metadata
from shared.http.problems import ProblemError
from shared.merkle import MerkleTree, ProofError

log = structlog.get_logger(__name__)

FORMAT = "cica-checkpoint/v1"
LIST_MAX_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # a BIGINT
_SYNC_BATCH = 50_000

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("chain_hash", LargeBinary(32), nullable=False),
    Column("time", Text, nullable=False),  # exactly as signed
    Column("service", Text, nullable=False),
    Column("key_id", Text, nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("tree_size > 0", name="tree_size_positive"),
)


# --------------------------------------------------------------------------------- keys


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).digest()[:8].hex()


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from `path`: PEM (PKCS#8), or the 32-byte seed raw or base64."""
    content = path.read_bytes()
    if b"-----BEGIN" in content:
        key = serialization.load_pem_private_key(content, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    if len(content) == 32:
        return Ed25519PrivateKey.from_private_bytes(content)
    try:
        seed = base64.b64decode(content.strip(), validate=True)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise ValueError(f"{path} is neither a PEM Ed25519 key nor a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def ensure_signing_key_file(path: Path) -> Path:
    """Create `path` holding a fresh Ed25519 key (PEM, 0600) unless it exists; return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return path


# ------------------------------------------------------------------------ the statement


@dataclass(frozen=True, slots=True)
class Checkpoint:
    service: str
    tree_size: int
    root_hash: bytes
    chain_hash: bytes
    time: str
    key_id: str
    signature: bytes

    def statement(self) -> bytes:
        return statement_bytes(
            service=self.service,
            tree_size=self.tree_size,
            root_hash=self.root_hash,
            chain_hash=self.chain_hash,
            time=self.time,
            key_id=self.key_id,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "service": self.service,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "chain_hash": self.chain_hash.hex(),
            "time": self.time,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Checkpoint:
        """Raises ValueError (KeyError, TypeError) on a malformed checkpoint."""
        if value.get("format", FORMAT) != FORMAT:
            raise ValueError(f"unknown checkpoint format {value.get('format')!r}")
        return cls(
            service=str(value["service"]),
            tree_size=int(value["tree_size"]),
            root_hash=bytes.fromhex(value["root_hash"]),
            chain_hash=bytes.fromhex(value["chain_hash"]),
            time=str(value["time"]),
            key_id=str(value["key_id"]),
            signature=base64.b64decode(value["signature"], validate=True),
        )


def statement_bytes(
    *, service: str, tree_size: int, root_hash: bytes, chain_hash: bytes, time: str, key_id: str
) -> bytes:
    """The bytes a checkpoint's signature covers (JCS of the statement's fields)."""
    return rfc8785.dumps(
        {
            "format": FORMAT,
            "service": service,
            "tree_size": tree_size,
            "root_hash": root_hash.hex(),
            "chain_hash": chain_hash.hex(),
            "time": time,
            "key_id": key_id,
        }
    )


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    service: str,
    tree_size: int,
    root_hash: bytes,
    chain_hash: bytes,
    time: str | None = None,
) -> Checkpoint:
    kid = key_id(raw_public_key(key))
    when = time or format_instant(datetime.now(UTC))
    unsigned = Checkpoint(service, tree_size, root_hash, chain_hash, when, kid, b"")
    return Checkpoint(
        service, tree_size, root_hash, chain_hash, when, kid, key.sign(unsigned.statement())
    )


def signature_ok(checkpoint: Checkpoint, public_key: bytes) -> bool:
    """Is `checkpoint` signed by the key `public_key` (raw 32 bytes), under that key's id?"""
    if key_id(public_key) != checkpoint.key_id:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            checkpoint.signature, checkpoint.statement()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def jwk_of(public_key: bytes) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(public_key).rstrip(b"=").decode(),
        "kid": key_id(public_key),
        "alg": "EdDSA",
        "use": "sig",
    }


# ------------------------------------------------------------------------- the log tree


class LogTree:
    """The Merkle tree of a service's log, kept in memory and brought up to date from the
    stored chain hashes on each use (only the rows it has not seen are read)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.tree = MerkleTree()
        self._chain_hashes = bytearray()  # 32 bytes an event: the leaves' data
        self._lock = asyncio.Lock()

    async def sync(self) -> MerkleTree:
        async with self._lock:
            while True:
                query = (
                    select(events.c.position, events.c.hash)
                    .where(events.c.position > len(self.tree))
                    .order_by(events.c.position)
                    .limit(_SYNC_BATCH)
                )
                async with self.engine.connect() as connection:
                    rows = (await connection.execute(query)).all()
                for position, digest in rows:
                    if position != len(self.tree) + 1:
                        log.error("checkpoints.log_has_a_gap", missing=len(self.tree) + 1)
                        return self.tree
                    value = bytes(digest)
                    self.tree.append(value)
                    self._chain_hashes += value
                if len(rows) < _SYNC_BATCH:
                    return self.tree

    def chain_hash(self, position: int) -> bytes:
        """The chain hash of the event at `position` (as last synchronised)."""
        return bytes(self._chain_hashes[(position - 1) * 32 : position * 32])


class Checkpointer:
    """Signs the log's head into the `checkpoints` table and publishes it."""

    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        key: Ed25519PrivateKey,
        publish: Any = None,
    ) -> None:
        self.service = service
        self.engine = engine
        self.key = key
        self.public_key = raw_public_key(key)
        self.tree = LogTree(engine)
        self._publish = publish
        self._lock = asyncio.Lock()

    async def latest(self) -> Checkpoint | None:
        query = select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1)
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _checkpoint_of(row) if row else None

    async def checkpoint(self) -> Checkpoint | None:
        """A checkpoint of the log's head: a new one if the log grew since the newest, else
        the newest. None while the log is empty."""
        async with self._lock:
            tree = await self.tree.sync()
            size = len(tree)
            latest = await self.latest()
            if size == 0 or (latest is not None and latest.tree_size >= size):
                return latest
            made = sign_checkpoint(
                self.key,
                service=self.service,
                tree_size=size,
                root_hash=tree.root(size),
                chain_hash=self.tree.chain_hash(size),
            )
            statement = pg_insert(checkpoints).values(
                tree_size=made.tree_size,
                root_hash=made.root_hash,
                chain_hash=made.chain_hash,
                time=made.time,
                service=made.service,
                key_id=made.key_id,
                public_key=self.public_key,
                signature=made.signature,
                created_at=datetime.now(UTC),
            )
            async with self.engine.begin() as connection:
                inserted = await connection.execute(
                    statement.on_conflict_do_nothing().returning(checkpoints.c.tree_size)
                )
                if inserted.first() is None:  # another replica signed this size first
                    row = (
                        await connection.execute(
                            select(checkpoints).where(checkpoints.c.tree_size == size)
                        )
                    ).one()
                    return _checkpoint_of(row)
            log.info("checkpoints.signed", tree_size=size, root_hash=made.root_hash.hex())
            if self._publish is not None:
                await self._publish(made)
            return made

    async def run_every(self, seconds: float) -> None:
        """Checkpoint every `seconds` if the log grew; a failure is logged and retried."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.checkpoint()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round tries again; the table is unchanged
                log.exception("checkpoints.failed")


def _checkpoint_of(row: Any) -> Checkpoint:
    return Checkpoint(
        service=row.service,
        tree_size=row.tree_size,
        root_hash=bytes(row.root_hash),
        chain_hash=bytes(row.chain_hash),
        time=row.time,
        key_id=row.key_id,
        signature=bytes(row.signature),
    )


def nats_publisher(nats: Any, service: str) -> Any:
    """A function publishing a checkpoint on `cica.<service>.checkpoints`, best effort."""

    async def publish(checkpoint: Checkpoint) -> None:
        client = nats.client
        if client is None or not client.is_connected:
            log.warning("checkpoints.not_published", tree_size=checkpoint.tree_size)
            return
        try:
            await client.publish(
                checkpoint_subject(service),
                json.dumps(checkpoint.as_json(), separators=(",", ":")).encode(),
                headers={"Nats-Msg-Id": f"checkpoint-{checkpoint.tree_size}"},
            )
        except Exception as error:  # best effort: the table and GET /checkpoints have it
            log.warning("checkpoints.not_published", error=repr(error))

    return publish


def checkpoint_subject(service: str) -> str:
    return f"cica.{service}.checkpoints"


def signing_key_of(settings: Any) -> Ed25519PrivateKey:
    """The service's signing key; an ephemeral one (with a warning) when none is configured."""
    path = getattr(settings, "signing_key_file", None)
    if path is not None:
        return load_signing_key(Path(path))
    log.warning(
        "checkpoints.ephemeral_key",
        detail="no signing_key_file configured: checkpoints are signed with a key made for "
        "this run only, which auditors who pinned another key will refuse",
    )
    return Ed25519PrivateKey.generate()


@contextlib.asynccontextmanager
async def checkpointing(app: Any, settings: Any, engine: AsyncEngine, nats: Any) -> Any:
    """The lifespan part of checkpoints: the signer on `app.state.checkpointer` and its
    periodic task, cancelled on the way out."""
    service = settings.service_name
    checkpointer = Checkpointer(
        service=service,
        engine=engine,
        key=signing_key_of(settings),
        publish=nats_publisher(nats, service) if settings.relay_enabled else None,
    )
    app.state.checkpointer = checkpointer
    task = asyncio.create_task(
        checkpointer.run_every(settings.checkpoint_interval_seconds),
        name=f"{service}-checkpoints",
    )
    try:
        yield checkpointer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ------------------------------------------------------------------------------- routes

router = APIRouter(tags=["audit"])


class NoCheckpointError(
    ProblemError, status=404, title="No checkpoint", type_="/problems/no-checkpoint"
): ...


class BeyondTheLogError(
    ProblemError, status=404, title="Beyond the log", type_="/problems/beyond-the-log"
): ...


class ProofRangeError(
    ProblemError, status=422, title="No such proof", type_="/problems/no-such-proof"
): ...


class CheckpointOut(BaseModel):
    """A signed checkpoint; the signature covers JCS of every field but itself."""

    format: str = FORMAT
    service: str
    tree_size: int = Field(description="the log's position n the checkpoint covers")
    root_hash: str = Field(description="hex: RFC 9162 Merkle tree hash of events 1..n")
    chain_hash: str = Field(description="hex: the chain hash of the event at n")
    time: str = Field(description="when it was signed, UTC")
    key_id: str = Field(description="hex: first 8 bytes of SHA-256 of the raw public key")
    signature: str = Field(description="base64: Ed25519 over the JCS statement")

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> CheckpointOut:
        return cls(**checkpoint.as_json())


class CheckpointsPage(BaseModel):
    checkpoints: list[CheckpointOut]
    next_before: int | None = Field(description="pass as `before` for older ones; null: none")


class InclusionProofOut(BaseModel):
    position: int
    tree_size: int
    leaf_index: int = Field(description="position - 1")
    event_hash: str = Field(description="hex: the event's chain hash, the leaf's data")
    leaf_hash: str = Field(description="hex: SHA-256(0x00 || event hash)")
    root_hash: str
    path: list[str] = Field(description="hex: RFC 9162 PATH(leaf_index, D[tree_size])")


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="hex: RFC 9162 PROOF(first, D[second])")


class KeyOut(BaseModel):
    key_id: str
    algorithm: str = "Ed25519"
    public_key: str = Field(description="base64: the raw 32-byte public key")
    current: bool = Field(description="the key signing new checkpoints")
    jwk: dict[str, str]


class KeysOut(BaseModel):
    service: str
    keys: list[KeyOut]


def _checkpointer(request: Request) -> Checkpointer:
    return request.app.state.checkpointer


@router.get("/checkpoints")
@LOG_READERS
async def list_checkpoints(
    request: Request,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_POSITION, description="only checkpoints below this size")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX_LIMIT)] = 100,
) -> CheckpointsPage:
    """The service's signed checkpoints, newest first."""
    query = select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(checkpoints.c.tree_size < before)
    async with _checkpointer(request).engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    page = [_checkpoint_of(row) for row in rows[:limit]]
    return CheckpointsPage(
        checkpoints=[CheckpointOut.of(c) for c in page],
        next_before=page[-1].tree_size if len(rows) > limit else None,
    )


@router.get("/checkpoints/latest", responses={404: {"description": "no checkpoint yet"}})
@LOG_READERS
async def latest_checkpoint(request: Request) -> CheckpointOut:
    """The newest signed checkpoint."""
    latest = await _checkpointer(request).latest()
    if latest is None:
        raise NoCheckpointError("the log has no checkpoint yet")
    return CheckpointOut.of(latest)


@router.post("/checkpoints", status_code=201, responses={404: {"description": "empty log"}})
@allow(Role.SECRETARIAT)
async def make_checkpoint(request: Request) -> CheckpointOut:
    """Sign the log's head now (or answer the newest checkpoint if it is the head already)."""
    made = await _checkpointer(request).checkpoint()
    if made is None:
        raise NoCheckpointError("the log is empty: there is nothing to sign")
    return CheckpointOut.of(made)


@router.get("/proofs/inclusion", responses={404: {"description": "beyond the log"}})
@LOG_READERS
async def inclusion_proof(
    request: Request,
    position: Annotated[
        int, Query(ge=1, le=MAX_POSITION, description="the event's position")
    ],
    tree_size: Annotated[
        int | None,
        Query(ge=1, le=MAX_POSITION, description="the tree (default: the newest checkpoint's)"),
    ] = None,
) -> InclusionProofOut:
    """Proof that the event at `position` is in the log of `tree_size` events (RFC 9162)."""
    checkpointer = _checkpointer(request)
    if tree_size is None:
        latest = await checkpointer.latest()
        if latest is None:
            raise NoCheckpointError("the log has no checkpoint yet; name a tree_size")
        tree_size = latest.tree_size
    tree = await checkpointer.tree.sync()
    if tree_size > len(tree):
        raise BeyondTheLogError(f"the log has {len(tree)} events, not {tree_size}")
    if position > tree_size:
        raise ProofRangeError(f"position {position} is not in a tree of {tree_size}")
    return InclusionProofOut(
        position=position,
        tree_size=tree_size,
        leaf_index=position - 1,
        event_hash=checkpointer.tree.chain_hash(position).hex(),
        leaf_hash=tree.leaf(position - 1).hex(),
        root_hash=tree.root(tree_size).hex(),
        path=[p.hex() for p in tree.inclusion_proof(position - 1, tree_size)],
    )


@router.get("/proofs/consistency", responses={404: {"description": "beyond the log"}})
@LOG_READERS
async def consistency_proof(
    request: Request,
    first: Annotated[int, Query(ge=1, le=MAX_POSITION, description="the older tree size")],
    second: Annotated[int, Query(ge=1, le=MAX_POSITION, description="the newer tree size")],
) -> ConsistencyProofOut:
    """Proof that the log of `first` events is a prefix of the log of `second` (RFC 9162)."""
    tree = await _checkpointer(request).tree.sync()
    if second > len(tree):
        raise BeyondTheLogError(f"the log has {len(tree)} events, not {second}")
    if first > second:
        raise ProofRangeError(f"first ({first}) is greater than second ({second})")
    try:
        proof = tree.consistency_proof(first, second)
    except ProofError as error:
        raise ProofRangeError(str(error)) from None
    return ConsistencyProofOut(
        first=first,
        second=second,
        first_root=tree.root(first).hex(),
        second_root=tree.root(second).hex(),
        proof=[p.hex() for p in proof],
    )


@router.get("/keys")
@LOG_READERS
async def public_keys(request: Request) -> KeysOut:
    """The keys checkpoints are signed with: the current one, and any older one that signed a
    stored checkpoint. Auditors pin them: a key they have not seen before needs a reason."""
    checkpointer = _checkpointer(request)
    query = select(checkpoints.c.public_key).distinct()
    async with checkpointer.engine.connect() as connection:
        older = {bytes(row[0]) for row in await connection.execute(query)}
    current = checkpointer.public_key
    keys = [current, *sorted(older - {current})]
    return KeysOut(
        service=checkpointer.service,
        keys=[
            KeyOut(
                key_id=key_id(k),
                public_key=base64.b64encode(k).decode(),
                current=k == current,
                jwk=jwk_of(k),
            )
            for k in keys
        ],
    )
