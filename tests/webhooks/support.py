"""Shared test helpers: GitHub's example payloads, signing, a recording queue, an in-memory
git host double for policy tests, and a real uvicorn server in a thread."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette

from agents.githost import (
    CheckConclusion,
    CheckRunOutput,
    Comment,
    Permission,
    PullRequestRef,
    RepoRef,
    ReviewComment,
)
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


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run `app` on a real uvicorn server on a free loopback port; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class InMemoryGitHost:
    """An in-memory GitHost double for unit tests of policy code (trust, repo config).

    It is not a GitHub fake: it holds permissions, files per ref and the comments posted,
    and counts permission lookups so caching can be checked.
    """

    def __init__(self, *, default: str = "main") -> None:
        self.default = default
        self.permissions: dict[str, Permission] = {}
        self.files: dict[tuple[str, str], str] = {}
        self.comments: list[tuple[int, str]] = []
        self.permission_calls = 0
        self.reads: list[tuple[str, str]] = []

    def default_branch(self, repo: RepoRef) -> str:
        return self.default

    def permission(self, repo: RepoRef, username: str) -> Permission:
        self.permission_calls += 1
        return self.permissions.get(username, "none")

    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        self.reads.append((path, ref))
        return self.files.get((path, ref))

    def comment(self, repo: RepoRef, number: int, body: str) -> Comment:
        self.comments.append((number, body))
        return Comment(id=len(self.comments), url=f"https://example.test/c/{len(self.comments)}")

    def update_comment(self, repo: RepoRef, comment_id: int, body: str) -> None:
        raise NotImplementedError

    def react(self, repo: RepoRef, comment_id: int, content: str) -> None:
        raise NotImplementedError

    def reply_to_review_comment(
        self, repo: RepoRef, number: int, comment_id: int, body: str
    ) -> Comment:
        raise NotImplementedError

    def add_labels(self, repo: RepoRef, number: int, labels: list[str]) -> None:
        raise NotImplementedError

    def issue_body(self, repo: RepoRef, number: int) -> str:
        raise NotImplementedError

    def update_issue_body(self, repo: RepoRef, number: int, body: str) -> None:
        raise NotImplementedError

    def open_pull_request(
        self, repo: RepoRef, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullRequestRef:
        raise NotImplementedError

    def update_pull_request(
        self,
        repo: RepoRef,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        ready_for_review: bool | None = None,
    ) -> None:
        raise NotImplementedError

    def pull_request(self, repo: RepoRef, number: int) -> PullRequestRef:
        raise NotImplementedError

    def create_review(
        self,
        repo: RepoRef,
        number: int,
        *,
        commit_sha: str,
        body: str,
        event: Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"],
        comments: list[ReviewComment],
    ) -> int:
        raise NotImplementedError

    def create_check_run(
        self,
        repo: RepoRef,
        *,
        name: str,
        head_sha: str,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> int:
        raise NotImplementedError

    def update_check_run(
        self,
        repo: RepoRef,
        check_run_id: int,
        *,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> None:
        raise NotImplementedError

    def clone_url(self, repo: RepoRef) -> str:
        return f"https://github.com/{repo.full_name}.git"

    def git_token(self, repo: RepoRef) -> str:
        raise NotImplementedError
