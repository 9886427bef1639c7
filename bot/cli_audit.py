"""Audit entries for changes made from the command line.

The API records its writes in `audit_log` as `key:ID:NAME`; a command run on the server
has no key, so it is recorded as `cli:USER` (the operating-system account). The same
action names as the API's are used (`keys.create`, `projects.create`, ...) so one query
finds a change whichever way it was made. Details never hold a secret.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from storage.sql.models import AuditEntry


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry for the uid (e.g. some containers)
        return "cli:unknown"


def audit(session: Session, action: str, target: str, details: Mapping[str, Any]) -> None:
    """Add the entry to `session`: it commits, or rolls back, with the change it records."""
    session.add(AuditEntry(actor=cli_actor(), action=action, target=target, details=dict(details)))
