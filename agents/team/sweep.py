"""Removing the checkouts of tasks that nothing will continue: a task that succeeded, or
failed for good, or whose worker died and never came back for it.

What exists is read from the repository's own records (`git worktree list`, the task
branches), through the repository's recorded layout: never from a checkout's `.git`, which
the task's commands could rewrite. A checkout's directory is deleted without following
anything in it (a symlink there is removed, not followed), and only inside the directory
the worktrees were made in.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from agents.git.process import git

logger = logging.getLogger(__name__)

_TASK_BRANCH = re.compile(r"^(?P<branch>.+)\.task-(?P<task>[0-9]+)$")

# Which of these task ids are finished (succeeded, failed or cancelled, or unknown).
FinishedTasks = Callable[[Iterable[int]], set[int]]


def task_of(branch: str) -> int | None:
    """The task id a task branch (`<issue branch>.task-<id>`) belongs to, or None."""
    found = _TASK_BRANCH.match(branch)
    return int(found["task"]) if found else None


@dataclass(frozen=True)
class TaskCheckout:
    path: Path
    branch: str
    task_id: int


def task_checkouts(repo: Path) -> list[TaskCheckout]:
    """The repository's worktrees that are on a task branch, as git recorded them."""
    listed = git(repo, "worktree", "list", "--porcelain", check=True).stdout
    found: list[TaskCheckout] = []
    for record in listed.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in record.splitlines() if line)
        branch = fields.get("branch", "").removeprefix("refs/heads/")
        task = task_of(branch)
        if "worktree" in fields and task is not None:
            found.append(TaskCheckout(Path(fields["worktree"]), branch, task))
    return found


def task_branches(repo: Path) -> dict[str, int]:
    listed = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads", check=True)
    return {b: t for b in listed.stdout.split() if (t := task_of(b)) is not None}


def _remove_dir(path: Path, inside: Path) -> None:
    # The last component is not resolved: a symlink there is removed, not followed.
    root = inside.resolve()
    target = path.parent.resolve() / path.name
    if target.parent != root:
        raise ValueError(f"refusing to remove {path}: it is not a checkout in {inside}")
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)


def discard(repo: Path, inside: Path, path: Path, branch: str) -> None:
    """Delete a task's checkout `path` (under `inside`), git's record of it, and its branch."""
    _remove_dir(path, inside)
    git(repo, "worktree", "prune", check=True)
    git(repo, "branch", "-D", "--quiet", branch)  # already gone is fine


def discard_task(repo: Path, inside: Path, task_id: int) -> int:
    """Remove every checkout and branch of one task; how many checkouts were removed."""
    removed = 0
    for checkout in task_checkouts(repo):
        if checkout.task_id == task_id:
            discard(repo, inside, checkout.path, checkout.branch)
            removed += 1
    for branch, task in task_branches(repo).items():
        if task == task_id:
            git(repo, "branch", "-D", "--quiet", branch)
    return removed


def sweep(repo: Path, inside: Path, finished: FinishedTasks) -> list[int]:
    """Forget worktrees whose directories are gone (`git worktree prune`), then remove the
    checkouts, leftover directories and branches of finished tasks. The ids removed."""
    git(repo, "worktree", "prune", check=True)
    checkouts = task_checkouts(repo)
    branches = task_branches(repo)
    leftovers = {
        p.name: task
        for p in (inside.iterdir() if inside.is_dir() else ())
        if (task := task_of(p.name)) is not None
    }
    done = finished(
        {c.task_id for c in checkouts} | set(branches.values()) | set(leftovers.values())
    )
    removed: set[int] = set()
    for checkout in checkouts:
        if checkout.task_id in done:
            discard(repo, inside, checkout.path, checkout.branch)
            removed.add(checkout.task_id)
    recorded = {c.path.name for c in checkouts}
    for name, task in leftovers.items():
        # A directory git no longer knows (its record was pruned, or it was never finished).
        if task in done and name not in recorded:
            _remove_dir(inside / name, inside)
            removed.add(task)
    for branch, task in task_branches(repo).items():
        if task in done:
            git(repo, "branch", "-D", "--quiet", branch)
            removed.add(task)
    if removed:
        logger.info("removed the checkouts of finished tasks %s in %s", sorted(removed), repo)
    return sorted(removed)
