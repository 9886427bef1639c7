"""Clone, fetch and push over HTTPS with an installation token.

The token travels only in the environment of each git process, as an `http.extraheader`
scoped to the remote's origin (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`).
It is never written into a URL, a remote, `.git/config`, the reflog or a log line.

Fetch and push go to the URL the service knows for the repository, never to the remote
configured in the clone, and every git process gets the minimal environment and the safe
command-line config of `agents.git.process` (no fsmonitor, hooks or helpers), with the
git directory from the service's records: a worktree's `.git` file is never followed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from agents.git.process import (
    GitError,
    GitLayout,
    git_env,
    git_failure,
    layout_env,
    plain_git,
    repository_layout,
)

DEFAULT_REMOTE = "origin"


def auth_env(url: str, token: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for one git process that authenticates to `url`'s origin with `token`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitError(f"{url!r} is not an HTTP(S) git URL; use the repository's clone_url")
    if parts.username or parts.password:
        raise GitError("the clone URL must not carry credentials; pass the token instead")
    origin = f"{parts.scheme}://{parts.netloc}/"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    env = git_env() if base is None else dict(base)
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


def _run(layout: GitLayout, what: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    env = dict(env or git_env())
    env.update(layout_env(layout))
    proc = plain_git(layout.work_tree, *args, env=env)
    if proc.returncode != 0:
        raise git_failure(what, proc.stderr)
    return proc.stdout.strip()


def checkout_layout(checkout: Path | GitLayout) -> GitLayout:
    """The layout of a clone (its `.git` must be a directory), or as given. A worktree is
    passed as its recorded `GitLayout`: its own `.git` file is never followed (commands in
    the sandbox can write that)."""
    return checkout if isinstance(checkout, GitLayout) else repository_layout(checkout)


def clone(url: str, dest: Path, token: str, *, branch: str | None = None) -> None:
    """Clone `url` into `dest`; the remote keeps the bare URL."""
    env = auth_env(url, token)
    args = ["clone", "--quiet", "--no-tags"] + (["--branch", branch] if branch else [])
    dest.parent.mkdir(parents=True, exist_ok=True)
    proc = plain_git(dest.parent, *args, "--", url, str(dest), env=env)
    if proc.returncode != 0:
        raise GitError(
            f"git clone of {url} failed: {proc.stderr.strip()[-500:]}; check that the app "
            "is installed on the repository and the URL is right"
        )


def fetch(repo_dir: Path | GitLayout, token: str, *refspecs: str, url: str) -> None:
    """Fetch from `url` (the service's clone URL for the repository) into the
    remote-tracking refs of `origin`."""
    layout = checkout_layout(repo_dir)
    wanted = refspecs or (f"+refs/heads/*:refs/remotes/{DEFAULT_REMOTE}/*",)
    fetch_args = ("fetch", "--quiet", "--prune", url, *wanted)
    _run(layout, "fetch", *fetch_args, env=auth_env(url, token))


def push(
    repo_dir: Path | GitLayout,
    branch: str,
    token: str,
    *,
    url: str,
    force: bool = False,
    to: str | None = None,
    source: str | None = None,
) -> None:
    """Push `branch` (or the commit `source` names) to the same name (or to branch `to`) at
    `url`, the service's clone URL for the repository (force-with-lease against the last
    fetched state when `force`); the token goes to that URL's origin only, whatever the
    clone's configured remote says."""
    layout = checkout_layout(repo_dir)
    source = source or f"refs/heads/{branch}"
    target = f"refs/heads/{to or branch}"
    tracking = f"refs/remotes/{DEFAULT_REMOTE}/{branch}"
    flags: list[str] = []
    if force:
        known = _ref_sha(layout, tracking) or ""
        flags = [f"--force-with-lease={target}:{known}"]
    _run(
        layout,
        f"push of {branch}",
        "push",
        "--quiet",
        "--porcelain",
        *flags,
        url,
        f"{source}:{target}",
        env=auth_env(url, token),
    )
    if to is not None:
        return  # another repository's branch (a fork's): no remote-tracking ref for it
    # As a push to the named remote would, remember what the remote now has.
    pushed = _ref_sha(layout, target)
    if pushed is not None:
        _run(layout, "update-ref", "update-ref", tracking, pushed)


def fetch_branch(repo_dir: Path | GitLayout, token: str, branch: str, *, url: str) -> str | None:
    """Fetch one branch from `url` into its remote-tracking ref; its head, or None when the
    repository has no such branch (the stale tracking ref is then dropped)."""
    layout = checkout_layout(repo_dir)
    tracking = f"refs/remotes/{DEFAULT_REMOTE}/{branch}"
    env = auth_env(url, token)
    env.update(layout_env(layout))
    wanted = f"+refs/heads/{branch}:{tracking}"
    proc = plain_git(layout.work_tree, "fetch", "--quiet", "--no-tags", url, wanted, env=env)
    if proc.returncode != 0:
        if "couldn't find remote ref" not in proc.stderr:
            raise git_failure(f"fetch of {branch}", proc.stderr)
        if _ref_sha(layout, tracking) is not None:
            _run(layout, "update-ref", "update-ref", "-d", tracking)
        return None
    return _ref_sha(layout, tracking)


# How git says the branch moved since it was fetched: refused by the client as not a
# fast-forward, or by the server when another push updated the ref in between (the remote
# repository cannot lock the ref, or finds another old value than the one pushed against).
_MOVED = ("(fetch first)", "(non-fast-forward)", "(stale info)")
_RACED = ("cannot lock ref", "incorrect old value")


def publish_branch(
    repo_dir: Path | GitLayout, sha: str, branch: str, token: str, *, url: str
) -> bool:
    """Push commit `sha` to `branch` at `url` as a fast-forward; False when the repository
    refused it because the branch moved (fetch, rebase and try again)."""
    layout = checkout_layout(repo_dir)
    env = auth_env(url, token)
    env.update(layout_env(layout))
    ref = f"{sha}:refs/heads/{branch}"
    proc = plain_git(layout.work_tree, "push", "--porcelain", url, ref, env=env)
    if proc.returncode != 0:
        rejected = [line for line in proc.stdout.splitlines() if line.startswith("!")]
        raced = any(m in proc.stderr for m in _RACED)
        if rejected and all(
            any(m in line for m in _MOVED) or ("[remote rejected]" in line and raced)
            for line in rejected
        ):
            return False
        raise git_failure(f"push of {branch}", proc.stderr or proc.stdout)
    _run(layout, "update-ref", "update-ref", f"refs/remotes/{DEFAULT_REMOTE}/{branch}", sha)
    return True


def _ref_sha(layout: GitLayout, ref: str) -> str | None:
    proc = plain_git(
        layout.work_tree,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        env=git_env(layout_env(layout)),
    )
    return proc.stdout.strip() if proc.returncode == 0 else None
