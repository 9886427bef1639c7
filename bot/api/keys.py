"""API keys: `cm_` plus a random token, shown once and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.api.types import Principal, Role
from storage.sql.models import ApiKey

KEY_PREFIX = "cm_"
# Characters of the key kept in clear so people can tell their keys apart.
SHOWN_PREFIX_LENGTH = 11
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: `secret` exists only here and is never stored."""

    record: ApiKey
    secret: str


def generate_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, *, name: str, role: Role, project_id: int | None) -> NewKey:
    secret = generate_secret()
    record = ApiKey(
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_secret(secret),
        role=role.value,
        project_id=project_id,
    )
    session.add(record)
    session.flush()
    return NewKey(record=record, secret=secret)


def revoke_key(session: Session, key_id: int) -> ApiKey | None:
    """Revoke a key (idempotent); None when no key has this id."""
    record = session.get(ApiKey, key_id)
    if record is None:
        return None
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
    return record


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def find_principal(session: Session, secret: str) -> Principal | None:
    """The live key matching a presented secret, or None (unknown or revoked)."""
    if not secret.startswith(KEY_PREFIX):
        return None
    # Looking up by hash leaks nothing useful about stored keys through timing: the
    # attacker controls the input, not the hashes it is compared with.
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret)))
    if record is None or record.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(update(ApiKey).where(ApiKey.id == record.id).values(last_used_at=now))
    return Principal(
        key_id=record.id, name=record.name, role=Role(record.role), project_id=record.project_id
    )
