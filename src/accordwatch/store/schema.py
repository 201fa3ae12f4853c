"""Tables. The log tables are append-only; projection tables are derived.

Log: `log_head` (one row: size, root, right edge of the tree; its row lock
serialises writers), `entries` (canonical envelope bytes per index),
`nodes` (every complete subtree hash, keyed by `merkle.node_key`),
`checkpoints` (every signed checkpoint the log issued), `openings`
(confidential payloads in plaintext, as workspaces before sealing kept them;
never part of the public log) and `sealed_openings` (the same, encrypted to
each reader).
Beside the log: `cosignatures` (witnesses' cosignature lines on checkpoints)
and `fork_evidence` (proofs that the log signed inconsistent checkpoints).

Projections: `parties` and `party_keys`, rebuilt from the log by `rebuild`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# On SQLite an INTEGER PRIMARY KEY is the rowid itself: no second B-tree to keep.
LogIndex = BigInteger().with_variant(Integer(), "sqlite")

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("edge", LargeBinary, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("idx", LogIndex, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False, unique=True),
    Column("record_type", String(64), nullable=False, index=True),
    Column("party", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("envelope", LargeBinary, nullable=False),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

openings = Table(
    "openings",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("salt", LargeBinary, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

# Openings sealed to their readers (`log.sealing`): HPKE ciphertexts per entry and reader
# key, sealed by the submitter (`source` -1) or shared later (`source`: the `opening.share`
# entry). The log cannot open them.
sealed_openings = Table(
    "sealed_openings",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("key_id", String(64), primary_key=True),
    Column("party", String(64), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("source", BigInteger, primary_key=True, autoincrement=False),
)

parties = Table(
    "parties",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("registered_at", BigInteger, nullable=False),
    # the `party.revoke` entry that ended the party (its keys are revoked at the same entry)
    Column("revoked_at", BigInteger, nullable=True),
    Column("reason", Text, nullable=False, server_default=""),
)

party_keys = Table(
    "party_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("party", String(64), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("registered_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("reason", Text, nullable=False),
)

# Bearer tokens of the web service (`accordwatch token`): only the SHA-256 of a token is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("party", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# What witnesses cosigned: one signature line per checkpoint size and witness key.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("witness", String(255), nullable=False),
    # the 4-byte key id, hex
    Column("key_id", String(8), nullable=False),
    Column("line", Text, nullable=False),
    # the cosignature's own timestamp (POSIX seconds)
    Column("cosigned_at", BigInteger, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("size", "witness", "key_id", name="uq_cosignatures_size_key"),
    Index("ix_cosignatures_key", "witness", "key_id", "size"),
)

# Proofs that the log signed two inconsistent checkpoints (`log.fork.ForkEvidence` JSON).
fork_evidence = Table(
    "fork_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("found_at", DateTime(timezone=True), nullable=False),
    Column("found_by", String(255), nullable=False),
    Column("evidence", Text, nullable=False),
)

PROJECTION_TABLES = (parties, party_keys)
