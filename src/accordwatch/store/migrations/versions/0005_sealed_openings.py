"""Openings sealed to their readers: one ciphertext per entry and reader key.

Revision ID: 0005_sealed_openings
Revises: 0004_cosignatures
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sealed_openings"
down_revision = "0004_cosignatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sealed_openings",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("source", sa.BigInteger, primary_key=True, autoincrement=False),
    )


def downgrade() -> None:
    op.drop_table("sealed_openings")
