"""A task's commits onto its issue's branch: rebased onto the branch's current head and
published, under the branch lock, retried (a bounded number of times) when another
machine moved the branch in between.

The branch where it is integrated (the remote repository's, or a local repository's own)
is the meeting point: several machines, each with its own clone, fetch it, rebase onto it
and push; git refuses a push that is not a fast-forward, and the loser fetches and rebases
again (what git's own documentation advises for a rejected non-fast-forward push). A
rebase that conflicts is not retried: the conflict is raised, with what git showed, for the
task's role to resolve in a follow-up task (`agents.team.conflicts`).

Host-side git only, through the recorded `GitLayout` with the safe config of
`agents.git.process`: nothing the task's sandboxed commands wrote steers it.
"""

from __future__ import annotations

import logging

from agents.git.process import GitError, GitLayout, git, git_in
from agents.git.worktree import GitIdentity
from agents.team.deps import FlowError
from agents.team.locks import hold_branch
from agents.team.ports import BranchRemote, Workspace
from storage.kv.base import LockManager

logger = logging.getLogger(__name__)

# Pushes refused because the branch moved, before the task gives up (and is retried later).
MAX_PUBLISH_ATTEMPTS = 5
# What a conflict report shows of git's conflict diff and of the task's own change.
CONFLICT_CHARS = 12_000
LOCK_LEASE_SECONDS = 120.0


class IntegrationConflictError(FlowError):
    """The task's commits conflict with what the branch gained since the task started."""

    def __init__(self, branch: str, files: list[str], conflict: str, change: str) -> None:
        self.branch = branch
        self.files = files
        self.conflict = conflict
        self.change = change
        super().__init__(
            f"the change conflicts with {branch} in {', '.join(files)}; it must be redone on "
            "top of the branch's current head"
        )

    def report(self) -> str:
        """The conflict as a follow-up task's brief shows it."""
        return (
            f"Your change could not be integrated onto {self.branch}: it conflicts in "
            f"{', '.join(self.files)} with commits another task (or a person) added meanwhile. "
            "Your checkout now starts at the branch's current head, which holds their work; "
            "redo your change on top of it, keeping both.\n\n"
            "The conflict as git showed it (between `<<<<<<<` and `=======` is the branch, "
            "between `=======` and `>>>>>>>` your change):\n"
            f"```diff\n{_cut(self.conflict)}\n```\n\n"
            f"Your whole change, as it was:\n```diff\n{_cut(self.change)}\n```"
        )


class IntegrationRetryError(Exception):
    """The branch kept moving while the task pushed; the queue retries the task later."""


def _cut(text: str) -> str:
    if len(text) <= CONFLICT_CHARS:
        return text.rstrip("\n")
    return (
        text[:CONFLICT_CHARS].rstrip("\n") + f"\n... ({len(text) - CONFLICT_CHARS} more characters)"
    )


def _contains(layout: GitLayout, ancestor: str, descendant: str) -> bool:
    proc = git(layout.work_tree, "merge-base", "--is-ancestor", ancestor, descendant, layout=layout)
    return proc.returncode == 0


def rebase_onto(layout: GitLayout, branch: str, onto: str, identity: GitIdentity) -> None:
    """Replay the checkout's commits after `onto`; IntegrationConflictError when they clash.

    Anything uncommitted is dropped first: it is not part of the task's change (a commit
    holds exactly the task's paths) and would only stop the rebase.
    """
    before = git_in(layout, "rev-parse", "HEAD").strip()
    git_in(layout, "reset", "--hard", "--quiet")
    git_in(layout, "clean", "-fdq")
    rebased = git(
        layout.work_tree,
        "-c",
        f"user.name={identity.name}",
        "-c",
        f"user.email={identity.email}",
        "rebase",
        "--quiet",
        "--no-autostash",
        onto,
        layout=layout,
    )
    if rebased.returncode == 0:
        return
    unmerged = git_in(layout, "diff", "--name-only", "--diff-filter=U", "-z", check=False)
    files = sorted({n for n in unmerged.split("\0") if n})
    conflict = git_in(layout, "diff", "--no-color", "--no-ext-diff", check=False)
    git(layout.work_tree, "rebase", "--abort", layout=layout)
    if not files:
        raise GitError(f"git rebase onto {onto[:12]} failed: {rebased.stderr.strip()[-500:]}")
    change = git_in(
        layout,
        "diff",
        "--no-color",
        "--no-ext-diff",
        f"{onto}...{before}",
        check=False,
    )
    raise IntegrationConflictError(branch, files, conflict, change)


def integrate(
    locks: LockManager,
    remote: BranchRemote,
    ws: Workspace,
    scope: str,
    *,
    identity: GitIdentity | None = None,
    wait_seconds: float = 30.0,
) -> str:
    """Put the checkout's commits on top of `ws.branch` where it is integrated; the branch's
    new head. Under the branch lock (one integration at a time wherever the locks reach);
    the push itself is the final arbiter across machines the locks do not reach."""
    layout = ws.git_layout
    who = identity or GitIdentity()
    with hold_branch(
        locks, scope, ws.branch, lease_seconds=LOCK_LEASE_SECONDS, wait_seconds=wait_seconds
    ):
        for attempt in range(1, MAX_PUBLISH_ATTEMPTS + 1):
            head = remote.fetch(layout, ws.branch)
            if head is not None and not _contains(layout, head, "HEAD"):
                rebase_onto(layout, ws.branch, head, who)
            sha = git_in(layout, "rev-parse", "HEAD").strip()
            if sha == head or remote.publish(layout, sha, ws.branch, head):
                return sha
            logger.info(
                "%s moved while publishing (attempt %d of %d); fetching and rebasing again",
                ws.branch,
                attempt,
                MAX_PUBLISH_ATTEMPTS,
            )
    raise IntegrationRetryError(
        f"{ws.branch} moved {MAX_PUBLISH_ATTEMPTS} times while this task pushed to it; the "
        "task is retried later"
    )
