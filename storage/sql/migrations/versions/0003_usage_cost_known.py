"""usage.cost_known: whether a call's cost came from a price (False: the model is unpriced)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows recorded before this column existed are taken as priced, as they were shown.
    with op.batch_alter_table("usage") as batch:
        batch.add_column(
            sa.Column("cost_known", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.drop_column("cost_known")
