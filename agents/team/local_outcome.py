"""Whether a local run did what was asked, and the one line that says why not.

`codemonkey run` succeeds only when the branch holds a change and the checks on it passed;
a run whose tasks all "succeeded" but changed nothing, or whose tests failed, is a failure
with a reason, not a quiet "ready for review".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.git.process import git_output
from agents.team.failures import failure_reason
from agents.team.localhost import HostRecord
from storage.task_graph import TaskSnapshot

SUCCEEDED = "succeeded"
_NO_TOOLS = "did not call any tool"


@dataclass(frozen=True)
class BranchChanges:
    commits: int
    files: tuple[str, ...]
    stat: str  # `git diff --stat` of the branch against its base, last line is the total

    @property
    def empty(self) -> bool:
        return self.commits == 0 and not self.files


@dataclass(frozen=True)
class RunVerdict:
    ok: bool
    reason: str  # one line; empty when ok
    check: str | None  # the last check run's conclusion, None when no check ran
    review: str | None  # the last review's event (APPROVE, REQUEST_CHANGES, COMMENT)


def branch_changes(repo: Path, base: str, branch: str) -> BranchChanges:
    """What `branch` holds beyond `base` (zero commits when the branch does not exist)."""
    if not git_output(repo, "branch", "--list", branch).strip():
        return BranchChanges(0, (), "")
    span = f"{base}...{branch}"
    commits = int(git_output(repo, "rev-list", "--count", f"{base}..{branch}").strip() or 0)
    files = tuple(git_output(repo, "diff", "--name-only", span).split())
    return BranchChanges(commits, files, git_output(repo, "diff", "--stat=200", span).rstrip())


def drop_branch(repo: Path, branch: str) -> bool:
    """Delete a branch that holds nothing; whether there was one to delete."""
    if not git_output(repo, "branch", "--list", branch).strip():
        return False
    git_output(repo, "branch", "-D", branch)
    return True


def _last_detail(records: Sequence[HostRecord], action: str, key: str) -> str | None:
    values = [str(r.details[key]) for r in records if r.action == action and r.details.get(key)]
    return values[-1] if values else None


def _task_reason(task: TaskSnapshot) -> str:
    why = failure_reason(task.error or "") if task.error else task.state
    label = f"task #{task.id} {task.title} ({task.role})"
    if _NO_TOOLS in why:
        return f"the model never used its tools in {label}: {why}"
    if "budget" in why and "Stopped:" in why:
        return f"budget spent in {label}: {why}"
    return f"{label} failed: {why}"


def judge(
    tasks: Sequence[TaskSnapshot], records: Sequence[HostRecord], changes: BranchChanges
) -> RunVerdict:
    """The run's outcome: a change was made, no task failed, and the checks passed."""
    check = _last_detail(records, "check_run", "conclusion")
    review = _last_detail(records, "review", "event")
    failed = [t for t in tasks if t.state == "failed"] or [t for t in tasks if t.state != SUCCEEDED]
    if check is not None and check != "success":
        # The root cause: a fix task that failed after it is a consequence.
        reason = f"the checks failed ({check}) on the branch"
        reason += f"; then {_task_reason(failed[0])}" if failed else ""
    elif failed:
        reason = _task_reason(failed[0])
    elif changes.empty:
        reason = "nothing changed: no task committed anything to the branch"
    else:
        reason = ""
    return RunVerdict(not reason, reason, check, review)
