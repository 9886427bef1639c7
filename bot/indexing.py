"""`repo.index`: the default branch's text files into the vector store (kind "code",
chunked along the code's structure) and the `files` table, so agents find relevant code by
meaning. The build itself (`bot.index_build`) runs on the low-priority index lane; its
progress is written to the task's `result` while it runs (`GET /api/tasks/{id}`,
`codemonkey tasks`) and logged."""

from __future__ import annotations

import time
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from agents.git.process import git
from bot.index_build import IndexOutcome, IndexProgress, build_index
from bot.index_lane import IndexLane, LaneBusyError
from bot.queue.handlers import TaskContext, TaskDeferredError
from storage.sql.database import Database
from storage.sql.models import File, Project, Task, TaskState
from storage.vectors.off import NoVectorStore
from webhooks.task_payloads import RepoIndexTask

if TYPE_CHECKING:
    from bot.services import Services
    from bot.worker_deps import WorkerDeps

# How long an index task waits when this process is already building another index.
BUSY_RETRY_SECONDS = 15.0
# Progress goes to SQL and the log at most this often.
PROGRESS_SECONDS = 2.0


def _inside(name: str) -> bool:
    """A path as git lists it: relative, no `..` (the payload is GitHub's, but a path
    that leaves the checkout must never be read)."""
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


class ProgressWriter:
    """Records progress in the running task's `result` (final results replace it)."""

    def __init__(self, database: Database, ctx: TaskContext) -> None:
        self._database = database
        self._ctx = ctx
        self._last = 0.0

    def __call__(self, progress: IndexProgress) -> None:
        now = time.monotonic()
        finished = progress.files_done >= progress.files_total
        if now - self._last < PROGRESS_SECONDS and not finished:
            return
        self._last = now
        self._ctx.logger.info(
            "indexing: %d/%d files (%d unchanged), %d chunks embedded, %.0f s",
            progress.files_done,
            progress.files_total,
            progress.files_unchanged,
            progress.chunks_embedded,
            progress.seconds,
        )
        with self._database.session() as session:
            session.execute(
                update(Task)
                .where(Task.id == self._ctx.task.id, Task.state == TaskState.RUNNING.value)
                .values(result={"progress": progress.as_dict()})
            )


def index_precheck(services: Services, lane: IndexLane) -> dict[str, Any] | None:
    """What an index task does before anything is read (its admission included): defer
    while this process builds another index; skip when the semantic index is off."""
    if lane.busy:
        raise TaskDeferredError(
            "another index is being built in this process", retry_after_seconds=BUSY_RETRY_SECONDS
        )
    if isinstance(services.vectors, NoVectorStore):
        # The semantic index is off (the Action's default): agents search text, which
        # needs no index, so nothing is cloned or read.
        return {"files": 0, "skipped": "semantic index off"}
    return None


def index_repository(
    services: Services, worker: WorkerDeps, ctx: TaskContext, lane: IndexLane, branch: str
) -> dict[str, Any]:
    """Index the default branch `branch` (as read at admission, with the config): every
    file, or only those a push changed (`changed`) and removed (`removed`) when its payload
    lists them completely (`full` false). Either way a file whose text did not change since
    the last index is not embedded again."""
    if (early := index_precheck(services, lane)) is not None:
        return early
    payload = RepoIndexTask.model_validate(ctx.task.payload)
    repo = payload.repo_ref
    host = worker.hosts(payload.installation_id)
    root = worker.clone(host, repo).snapshot(branch).resolve()
    project = repo.full_name
    with worker.database.session() as session:
        row = session.scalar(select(Project).where(Project.name == project))
        if row is None:
            row = Project(name=project, default_branch=branch)
            session.add(row)
            session.flush()
        project_id = row.id
        rows = session.execute(select(File.path, File.sha).where(File.project_id == project_id))
        known = {path: sha for path, sha in rows}
    # An incremental update needs an earlier full index to update.
    full = payload.full or not known
    if full:
        names = [n for n in git(root, "ls-files", "-z", check=True).stdout.split("\0") if n]
        gone = sorted(set(known) - set(names))
    else:
        names = [n for n in payload.changed if _inside(n)]
        gone = [n for n in payload.removed if _inside(n)]

    def build(embedders: Executor) -> IndexOutcome:
        return build_index(
            services.vectors,
            project,
            root,
            names,
            gone,
            known,
            progress=ProgressWriter(worker.database, ctx),
            check_cancelled=ctx.raise_if_cancelled,
            embedders=embedders,
            parallel=lane.threads,
        )

    try:
        outcome = lane.run(build)
    except LaneBusyError as exc:
        raise TaskDeferredError(str(exc), retry_after_seconds=BUSY_RETRY_SECONDS) from None
    _record(worker.database, project_id, outcome)
    return {
        "files": len(outcome.indexed),
        "unchanged": outcome.unchanged,
        "removed": len(gone),
        "chunks": outcome.chunks,
        "full": full,
        "branch": branch,
    }


def _record(database: Database, project_id: int, outcome: IndexOutcome) -> None:
    """One transaction: rows of re-indexed and dropped files go, re-indexed ones come back;
    unchanged files keep their rows."""
    with database.session() as session:
        touched = [*outcome.indexed, *outcome.dropped]
        for start in range(0, len(touched), 500):
            session.query(File).filter(
                File.project_id == project_id, File.path.in_(touched[start : start + 500])
            ).delete(synchronize_session=False)
        session.add_all(
            File(project_id=project_id, path=path, sha=f.sha, language=f.language, size=f.size)
            for path, f in outcome.indexed.items()
        )
