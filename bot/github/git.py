"""Git over HTTPS with an installation token, and one worktree per task.

The token travels only in the environment of each git process, as an `http.extraheader`
scoped to the remote's origin (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`).
It is never written into a URL, a remote, `.git/config`, the reflog or a log line.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import git

DEFAULT_REMOTE = "origin"


class GitOperationError(Exception):
    """A git command failed; the message names the operation and how to fix it."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


def auth_env(url: str, token: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for one git process that authenticates to `url`'s origin with `token`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitOperationError(
            f"{url!r} is not an HTTP(S) git URL; use the repository's clone_url"
        )
    if parts.username or parts.password:
        raise GitOperationError("the clone URL must not carry credentials; pass the token instead")
    origin = f"{parts.scheme}://{parts.netloc}/"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    env = dict(os.environ if base is None else base)
    index = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    env.update(
        {
            "GIT_CONFIG_COUNT": str(index + 1),
            f"GIT_CONFIG_KEY_{index}": f"http.{origin}.extraheader",
            f"GIT_CONFIG_VALUE_{index}": f"AUTHORIZATION: basic {basic}",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    return env


def _run(repo: git.Repo, what: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    try:
        return str(repo.git.execute(["git", *args], env=env))
    except git.GitCommandError as exc:
        stderr = str(exc.stderr).strip()
        hint = ""
        if "403" in stderr or "401" in stderr or "Authentication failed" in stderr:
            hint = "; the token was refused: check the app's contents permission and installation"
        raise GitOperationError(f"git {what} failed: {stderr[-500:]}{hint}") from None


def clone(url: str, dest: Path, token: str, *, branch: str | None = None) -> git.Repo:
    """Clone `url` into `dest`; the remote keeps the bare URL."""
    env = auth_env(url, token)
    args = ["clone", "--quiet", "--no-tags"] + (["--branch", branch] if branch else [])
    try:
        git.Git().execute(["git", *args, "--", url, str(dest)], env=env)
    except git.GitCommandError as exc:
        raise GitOperationError(
            f"git clone of {url} failed: {str(exc.stderr).strip()[-500:]}; check that the app "
            "is installed on the repository and the URL is right"
        ) from None
    return git.Repo(dest)


def fetch(repo_dir: Path, token: str, *refspecs: str, remote: str = DEFAULT_REMOTE) -> None:
    repo = git.Repo(repo_dir)
    url = repo.remote(remote).url
    _run(repo, "fetch", "fetch", "--quiet", "--prune", remote, *refspecs, env=auth_env(url, token))


def push(
    repo_dir: Path, branch: str, token: str, *, remote: str = DEFAULT_REMOTE, force: bool = False
) -> None:
    """Push `branch` to the same name on the remote (force-with-lease when `force`)."""
    repo = git.Repo(repo_dir)
    url = repo.remote(remote).url
    flags = ["--force-with-lease"] if force else []
    _run(
        repo,
        f"push of {branch}",
        "push",
        "--quiet",
        "--porcelain",
        *flags,
        remote,
        f"refs/heads/{branch}:refs/heads/{branch}",
        env=auth_env(url, token),
    )


def commit_all(worktree: Path, message: str, author: Identity) -> str | None:
    """Stage everything and commit as `author`; None when there is nothing to commit."""
    repo = git.Repo(worktree)
    _run(repo, "add", "add", "--all")
    if not repo.is_dirty(index=True, working_tree=False, untracked_files=False):
        return None
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
    }
    _run(repo, "commit", "commit", "--quiet", "--no-verify", "-m", message, env=env)
    return repo.head.commit.hexsha


def _slug(branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", branch).strip("-") or "branch"


def worktrees_root(repo_dir: Path) -> Path:
    return repo_dir.parent / f"{repo_dir.name}.worktrees"


def add_worktree(repo_dir: Path, branch: str, base: str, *, root: Path | None = None) -> Path:
    """A new worktree for `branch`: an existing local branch, the remote's branch of that
    name, or a new branch from `base` (e.g. "origin/main")."""
    repo = git.Repo(repo_dir)
    path = (root or worktrees_root(repo_dir)) / _slug(branch)
    if path.exists():
        raise GitOperationError(
            f"{path} already exists; remove the old worktree with remove_worktree() first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    local = f"refs/heads/{branch}"
    tracking = f"refs/remotes/{DEFAULT_REMOTE}/{branch}"
    if _has_ref(repo, local):
        _run(repo, "worktree add", "worktree", "add", "--quiet", str(path), branch)
    elif _has_ref(repo, tracking):
        _run(repo, "worktree add", "worktree", "add", "--quiet", "-b", branch, str(path), tracking)
    else:
        if not _has_ref(repo, base):
            raise GitOperationError(f"base {base!r} does not exist in {repo_dir}; fetch it first")
        _run(
            repo,
            "worktree add",
            "worktree",
            "add",
            "--quiet",
            "--no-track",
            "-b",
            branch,
            str(path),
            base,
        )
    return path


def remove_worktree(repo_dir: Path, path: Path, *, delete_branch: bool = False) -> None:
    """Remove a task's worktree (discarding its changes) and optionally its local branch."""
    repo = git.Repo(repo_dir)
    branch = git.Repo(path).active_branch.name if delete_branch and path.exists() else None
    if path.exists():
        _run(repo, "worktree remove", "worktree", "remove", "--force", str(path))
    _run(repo, "worktree prune", "worktree", "prune")
    if branch is not None:
        _run(repo, "branch delete", "branch", "-D", branch)


def _has_ref(repo: git.Repo, ref: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.GitCommandError:
        return False
    return True
