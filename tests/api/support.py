"""Test doubles for the API's collaborators, plus helpers to build an app around them.

`RecordingQueue` is a real `TaskQueue` that keeps ids in memory and checks the contract
(only committed rows are enqueued); `InMemorySearch` is a deterministic stand-in for the
vector index, ranking documents by shared words, for tests only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.api.keys import create_key
from bot.api.rest_app import build_api_routes
from bot.api.types import ApiDeps, Role
from bot.settings import Settings
from storage.kv.memory import MemoryRateLimiter
from storage.sql.database import Database
from storage.sql.models import Task


class RecordingQueue:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self.ids: list[int] = []
        self.states_seen: list[str] = []

    def enqueue(self, task_ids: Iterable[int]) -> None:
        for task_id in task_ids:
            # A new session sees only committed data: the row must already be there.
            with self._database.session() as session:
                task = session.get(Task, task_id)
                if task is None:
                    raise AssertionError(f"task {task_id} enqueued before its row was committed")
                state = task.state
            with self._lock:
                self.ids.append(task_id)
                self.states_seen.append(state)

    def depth(self) -> int:
        with self._lock:
            return len(self.ids)


@dataclass
class InMemorySearch:
    """Deterministic test search: documents per (project, kind), scored by shared words."""

    documents: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str, str, int]] = field(default_factory=list)

    def add(self, project: str, kind: str, path: str, text: str) -> None:
        self.documents.setdefault((project, kind), []).append({"path": path, "text": text})

    def __call__(self, project: str, kind: str, query: str, n: int) -> Sequence[dict[str, Any]]:
        self.calls.append((project, kind, query, n))
        words = set(re.findall(r"\w+", query.lower()))
        scored = []
        for doc in self.documents.get((project, kind), []):
            score = len(words & set(re.findall(r"\w+", doc["text"].lower())))
            if score:
                scored.append({**doc, "score": float(score)})
        scored.sort(key=lambda d: (-d["score"], d["path"]))
        return scored[:n]


@dataclass
class ApiHarness:
    database: Database
    client: TestClient
    queue: RecordingQueue
    search: InMemorySearch
    deps: ApiDeps

    def key(self, role: Role, project_id: int | None = None, name: str = "k") -> str:
        with self.database.session() as session:
            return create_key(session, name=name, role=role, project_id=project_id).secret

    @staticmethod
    def auth(secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}


def make_harness(database: Database, **settings: Any) -> ApiHarness:
    values: dict[str, Any] = {"api_rate_limit_per_minute": 100_000, **settings}
    queue = RecordingQueue(database)
    search = InMemorySearch()
    deps = ApiDeps(
        database=database,
        settings=Settings(**values),
        rate_limiter=MemoryRateLimiter(),
        queue=queue,
        search=search,
    )
    app = Starlette(routes=build_api_routes(deps))
    return ApiHarness(database, TestClient(app), queue, search, deps)
