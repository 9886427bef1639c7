"""Keeps the project row's copy of `.github/codemonkey.yml` (what ingress routes with,
`webhooks.config_cache`) equal to what a worker last read from the default branch."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.sql.database import Database
from storage.sql.models import Project
from webhooks.config_cache import cached_value
from webhooks.repo_config import LoadedConfig


def remember_config(database: Database, repository: str, loaded: LoadedConfig) -> bool:
    """Store `loaded` for `repository` (creating its project row if needed); True when the
    stored copy changed."""
    value = cached_value(loaded)
    try:
        with database.session() as session:
            row = session.scalar(select(Project).where(Project.name == repository))
            if row is None:
                session.add(Project(name=repository, default_branch=loaded.ref, config=value))
                return True
            if row.config == value:
                return False
            row.config = value
            return True
    except IntegrityError:
        # Another worker created the row at the same moment; its copy is as fresh.
        return False
