"""Shared test helpers: GitHub's example payloads, signing, a recording queue
and an in-memory git host double for policy tests."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette

from agents.githost import (
    Permission,
    RepoRef,
)
from agents.team.localhost import LocalHost
from bot.routes.webhooks import WebhookDeps, webhook_route
from storage.sql.database import Database
from webhooks.ingest import IngestConfig
from webhooks.repo_config import RepoConfig
from webhooks.signature import sign

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
SECRET = "It's a Secret to Everybody"
SLUG = "codemonkey"


def examples(event: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / f"{event}.json").read_text())
    return data


def all_examples() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        for index, payload in enumerate(examples(path.stem)):
            out.append((path.stem, index, payload))
    return out


def example(event: str, action: str | None = None, index: int = 0) -> dict[str, Any]:
    """A deep copy of the index-th example with this action, to modify freely."""
    matching = [e for e in examples(event) if action is None or e.get("action") == action]
    copied: dict[str, Any] = json.loads(json.dumps(matching[index]))
    return copied


def signed_headers(
    body: bytes, event: str, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret.encode(), body),
        "User-Agent": "GitHub-Hookshot/test",
    }


class RecordingQueue:
    """A TaskQueue that remembers what it was given (ids are delivered nowhere)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._lock = threading.Lock()

    def enqueue(self, task_ids: Iterable[int]) -> None:
        with self._lock:
            self.ids.extend(task_ids)

    def depth(self) -> int:
        return len(self.ids)


def ingest_config(**overrides: Any) -> IngestConfig:
    values: dict[str, Any] = {"app_slug": SLUG, "defaults": RepoConfig.defaults()}
    values.update(overrides)
    return IngestConfig(**values)


def make_app(
    database: Database,
    queue: RecordingQueue,
    *,
    secret: str | None = SECRET,
    max_body_bytes: int = 1024 * 1024,
) -> Starlette:
    deps = WebhookDeps(
        database=database,
        queue=queue,
        secret=SecretStr(secret) if secret is not None else None,
        ingest=ingest_config(),
        max_body_bytes=max_body_bytes,
    )
    return Starlette(routes=[webhook_route(deps)])


class InMemoryGitHost(LocalHost):
    """The local host with the parts policy code reads made settable: permissions, files per
    ref, and counts of both lookups. For unit tests of trust and repo
    config; it is not a GitHub fake."""

    def __init__(self, *, default: str = "main") -> None:
        super().__init__(issue_body="", default_branch=default)
        self.permissions: dict[str, Permission] = {}
        self.files: dict[tuple[str, str], str] = {}
        self.permission_calls = 0
        self.reads: list[tuple[str, str]] = []

    def permission(self, repo: RepoRef, username: str) -> Permission:
        self.permission_calls += 1
        return self.permissions.get(username, "none")

    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        self.reads.append((path, ref))
        return self.files.get((path, ref))
