"""The log, its checkpoints and confidential openings; party and key projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("edge", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "entries",
        # on SQLite the index is the rowid itself (INTEGER PRIMARY KEY): one B-tree less
        sa.Column(
            "idx",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_entries_record_type", "entries", ["record_type"])
    op.create_table(
        "nodes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "openings",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "parties",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "party_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_party_keys_party", "party_keys", ["party"])


def downgrade() -> None:
    for table in ("party_keys", "parties", "openings", "checkpoints", "nodes", "entries"):
        op.drop_table(table)
    op.drop_table("log_head")
