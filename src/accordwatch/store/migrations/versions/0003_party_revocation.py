"""Parties end: the `party.revoke` entry that revoked a party, and why.

Revision ID: 0003_party_revocation
Revises: 0002_api_tokens
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_party_revocation"
down_revision = "0002_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # no log before this revision could revoke a party: every existing row stays active
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("revoked_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("reason", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("reason")
        batch.drop_column("revoked_at")
