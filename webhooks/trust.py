"""Who may start what, checked by the worker before a task does anything (never in the
webhook request, which must not call GitHub).

Anything that writes (comments, branches, commits, reviews, check runs) or spends model
budget needs the repository's minimum permission (write by default; `trust.min_permission`
in `.github/codemonkey.yml`). Commands listed in `trust.public_commands` (default: status)
are open to everyone. Bots are refused unless listed in `trust.allowed_bots`. A refused
person gets one polite reply per repository, not one per attempt; refused bots get none.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from agents.githost import GitHost, Permission, RepoRef
from storage.sql.database import Database
from storage.sql.models import SideEffect
from webhooks import intents as k
from webhooks.repo_config import TrustConfig
from webhooks.types import RefusalLedger

PERMISSION_RANK: dict[str, int] = {
    "none": 0,
    "read": 1,
    "triage": 2,
    "write": 3,
    "maintain": 4,
    "admin": 5,
}
# System work that no person starts (re-indexing after an install or a default-branch push).
UNGATED_KINDS = frozenset({k.REPO_INDEX})


@dataclass(frozen=True)
class Actor:
    login: str
    type: str = "User"
    association: str = "NONE"

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot" or self.login.endswith("[bot]")

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> Actor:
        return Actor(
            login=str(payload.get("author") or ""),
            type=str(payload.get("author_type") or "User"),
            association=str(payload.get("author_association") or "NONE"),
        )


@dataclass(frozen=True)
class TrustDecision:
    allowed: bool
    reason: str
    # A reply to post in the thread; set only for the first refusal of this person.
    reply: str | None = None
    permission: str | None = None


class SqlRefusalLedger:
    """Refusals recorded as side effects in SQL, so the "one reply" holds across workers."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def first_refusal(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        try:
            with self._database.session() as session:
                session.add(SideEffect(key=f"trust-refusal:{digest}", result={"key": key[:200]}))
        except IntegrityError:
            return False
        return True


class InMemoryRefusalLedger:
    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first_refusal(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True


class TrustPolicy:
    """Decides per task; permissions are cached for `cache_seconds` (one lookup per burst)."""

    def __init__(
        self,
        host: GitHost,
        ledger: RefusalLedger,
        *,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = host
        self._ledger = ledger
        self._ttl = cache_seconds
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[Permission, float]] = {}
        self._lock = threading.Lock()

    def permission(self, repo: RepoRef, login: str) -> Permission:
        key = (repo.full_name.lower(), login.lower())
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[1] > now:
                return cached[0]
        value = self._host.permission(repo, login)
        with self._lock:
            self._cache[key] = (value, now + self._ttl)
        return value

    def check_task(
        self, kind: str, payload: Mapping[str, Any], config: TrustConfig
    ) -> TrustDecision:
        """`check` for a task created by ingress, from its kind and payload."""
        return self.check(
            RepoRef.parse(str(payload["repo"])),
            Actor.from_payload(payload),
            kind,
            config,
            command=str(payload.get("command") or ""),
        )

    def check(
        self, repo: RepoRef, actor: Actor, kind: str, config: TrustConfig, *, command: str = ""
    ) -> TrustDecision:
        """May `actor` start a task of `kind` (a `/command` when given) in `repo`?"""
        if kind in UNGATED_KINDS:
            return TrustDecision(True, f"{kind} is system work")
        if command and command in config.public_commands:
            return TrustDecision(True, f"/{command} is open to everyone")
        if actor.is_bot:
            allowed = {b.lower() for b in config.allowed_bots}
            if actor.login.lower() in allowed:
                return TrustDecision(True, f"bot {actor.login} is allow-listed")
            return TrustDecision(False, f"bot {actor.login} is not in trust.allowed_bots")
        if not actor.login:
            return TrustDecision(False, "no author on the event")
        permission = self.permission(repo, actor.login)
        needed = config.min_permission
        if PERMISSION_RANK.get(permission, 0) >= PERMISSION_RANK[needed]:
            return TrustDecision(True, f"{actor.login} has {permission}", permission=permission)
        first = self._ledger.first_refusal(f"{repo.full_name.lower()}:{actor.login.lower()}")
        return TrustDecision(
            False,
            f"{actor.login} has {permission}; {needed} or higher is required",
            reply=refusal_message(actor.login, repo.full_name, needed) if first else None,
            permission=permission,
        )


def refusal_message(login: str, repo: str, needed: str) -> str:
    return (
        f"Hi @{login}, thanks for the request! I only start work in {repo} for people with "
        f"{needed} access to it, so I won't act on this one. A maintainer can ask me on your "
        "behalf, for example by commenting `/plan` here. (I reply about this once; further "
        "requests are skipped quietly.)"
    )
