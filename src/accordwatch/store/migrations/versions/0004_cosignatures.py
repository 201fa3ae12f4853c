"""Witness cosignatures of the log's checkpoints, and evidence that the log forked.

Revision ID: 0004_cosignatures
Revises: 0003_party_revocation
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_cosignatures"
down_revision = "0003_party_revocation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cosignatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("witness", sa.String(255), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.BigInteger, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("size", "witness", "key_id", name="uq_cosignatures_size_key"),
    )
    op.create_index("ix_cosignatures_key", "cosignatures", ["witness", "key_id", "size"])
    op.create_table(
        "fork_evidence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found_by", sa.String(255), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fork_evidence")
    op.drop_index("ix_cosignatures_key", table_name="cosignatures")
    op.drop_table("cosignatures")
