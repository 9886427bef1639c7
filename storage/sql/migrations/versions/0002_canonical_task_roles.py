"""canonical role names in tasks.role

Ingress used to store the short names people type (`pm`, `backend`, `reviewer`,
`frontend`) while the team stored the role files' names; both now store the latter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (not imported): a migration must mean the same thing forever.
SHORT_TO_CANONICAL = {
    "pm": "project_manager",
    "backend": "backend_developer",
    "frontend": "frontend_developer",
    "reviewer": "code_reviewer",
}

_TASKS = sa.table("tasks", sa.column("role", sa.String(64)))


def upgrade() -> None:
    for short, canonical in SHORT_TO_CANONICAL.items():
        op.execute(_TASKS.update().where(_TASKS.c.role == short).values(role=canonical))


def downgrade() -> None:
    # Nothing to undo: the canonical names are valid in every release's `tasks.role`
    # (the team's own tasks always stored them).
    pass
