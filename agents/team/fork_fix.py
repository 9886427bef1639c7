"""A requested change on a fork's pull request: pushed to the fork when it allows edits
from maintainers and accepts the push, otherwise offered in the thread as a patch.

Either way the change is committed locally first, so the patch is exactly what would
have been pushed; when it is not pushed, the local branch goes back to the PR's head.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.git.process import git
from agents.git.worktree import commit_message
from agents.team.deps import IssueRef, TeamDeps
from agents.team.forks import ForkPushRefusedError, patch_comment
from agents.team.ports import Workspace
from storage.side_effects import SideEffects
from storage.task_graph import TaskSnapshot


def offer_fork_change(
    deps: TeamDeps,
    ws: Workspace,
    task: TaskSnapshot,
    pr: IssueRef,
    summary: str,
    paths: Sequence[str],
) -> tuple[str | None, str]:
    """(the pushed commit or None, the text to reply with)."""
    message = commit_message(pr.number, f"Address feedback on #{pr.number}", f"Task #{task.id}.")
    sha = ws.commit(message, paths)
    if sha is None:
        return None, summary
    pull = deps.host.pull_request(pr.repo, pr.number)  # fresh: the author may toggle it
    reason = "the fork does not allow edits from maintainers"
    if pull.maintainer_can_modify and pull.head_repo and deps.push_fork is not None:
        fork, branch, push = pull.head_repo, pull.head, deps.push_fork

        def perform() -> dict[str, Any]:
            push(ws, fork, branch)
            return {"pushed": sha}

        try:
            SideEffects(deps.db).once(f"task:{task.id}:fork-push:{sha}", task.id, perform)
            return sha, f"Pushed {sha[:7]} to {fork}:{branch}: {summary}"
        except ForkPushRefusedError:
            reason = "the fork did not accept my push"
    layout = ws.git_layout
    patch = git(
        ws.root, "format-patch", "--stdout", f"{sha}^..{sha}", layout=layout, check=True
    ).stdout
    git(ws.root, "reset", "--hard", "--quiet", f"{sha}^", layout=layout, check=True)
    return None, patch_comment(patch, summary, reason)
