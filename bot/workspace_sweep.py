"""Task checkouts a worker's clones keep after their tasks finished, removed.

A task's checkout is removed when the task succeeds or fails for good on the worker that
ran it. What escapes that (a worker that died mid-task, a task failed by the reaper after
its worker vanished, a task cancelled while waiting for a retry) is removed when a worker
starts: `sweep_workspaces` prunes git's worktree records and removes the checkouts, stray
directories and task branches of every finished task, in each clone under the data dir.
Only finished tasks are touched, so workers still running tasks on the same data dir are
not disturbed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from agents.git.process import GitError
from agents.githost import RepoRef
from agents.team import sweep as tasksweep
from bot.clone_workspaces import checkout_dirs
from storage.sql.database import Database
from storage.task_graph import finished_tasks

log = logging.getLogger(__name__)


def workspaces_root(data_dir: Path) -> Path:
    """Where a worker keeps its clones and their worktrees."""
    return data_dir / "workspaces"


def finished_in(database: Database) -> tasksweep.FinishedTasks:
    def finished(ids: Iterable[int]) -> set[int]:
        with database.session() as session:
            return finished_tasks(session, ids)

    return finished


def _clones(root: Path) -> list[tuple[str, Path, Path]]:
    """(owner/name, clone, worktrees directory) of every clone under `root`."""
    found = []
    for owner in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else ():
        for name in sorted(p for p in owner.iterdir() if p.is_dir()):
            clone, worktrees = checkout_dirs(root, RepoRef(owner.name, name.name))
            if (clone / ".git").is_dir():
                found.append((f"{owner.name}/{name.name}", clone, worktrees))
    return found


def sweep_workspaces(root: Path, database: Database) -> dict[str, list[int]]:
    """Remove what finished tasks left in the clones under `root`: repository -> task ids."""
    removed: dict[str, list[int]] = {}
    finished = finished_in(database)
    for repo, clone, worktrees in _clones(root):
        try:
            ids = tasksweep.sweep(clone, worktrees, finished)
        except (GitError, OSError, ValueError) as exc:
            # A clone that cannot be swept is left as it is; the worker still starts.
            log.warning(
                "could not remove finished tasks' checkouts in %s (%s); delete %s to start "
                "that repository's checkouts afresh",
                repo,
                exc,
                clone.parent,
            )
            continue
        if ids:
            removed[repo] = ids
    if removed:
        log.info("removed finished tasks' checkouts", extra={"fields": {"removed": removed}})
    return removed
