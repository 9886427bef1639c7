"""Pushing a task's commits to a fork's pull request branch with the installation's token."""

from __future__ import annotations

from agents.git import remote as git_remote
from agents.git.process import GitError
from agents.githost import GitHost, RepoRef
from agents.team.forks import ForkPusher, ForkPushRefusedError
from agents.team.ports import Workspace


def _sibling_url(base_url: str, repo: RepoRef, other: str) -> str:
    """The clone URL of `other` on the same host as `repo`'s (a private fork may not be
    readable over the API with the installation's token, but its git URL is known)."""
    suffix = f"/{repo.full_name}.git"
    if not base_url.endswith(suffix):
        raise ForkPushRefusedError(f"cannot derive the fork's URL from {base_url}")
    return f"{base_url.removesuffix(suffix)}/{other}.git"


def fork_pusher(host: GitHost, repo: RepoRef) -> ForkPusher:
    def push_fork(ws: Workspace, fork: str, branch: str) -> None:
        # The installation's token: GitHub accepts it on a fork's PR branch only when
        # the fork allows edits from maintainers.
        url = _sibling_url(host.clone_url(repo), repo, fork)
        try:
            git_remote.push(
                ws.git_layout,
                ws.branch,
                host.git_token(repo),
                url=url,
                to=branch,
                source="HEAD",  # the task's own checkout: its task branch's head
            )
        except GitError as exc:
            raise ForkPushRefusedError(str(exc)) from None

    return push_fork
