"""A git worktree per task: branch naming, creation, commits, changed paths and diffs.

Local git only, through `agents.git.process` (pushing with credentials is `agents.git.remote`).
Commits run with hooks disabled, because the workspace's content is written by agents and a hook
would run it outside the sandbox.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from agents.git.process import GitError, GitLayout, git, repository_layout, worktree_layout
from agents.tools.paths import glob_match

BRANCH_PREFIX = "codemonkey/"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class GitIdentity:
    name: str = "CodeMonkey"
    email: str = "codemonkey@users.noreply.github.com"


@dataclass(frozen=True)
class TaskWorkspace:
    repo: Path  # the main repository the worktree belongs to
    path: Path  # the worktree, where the task's tools work
    branch: str
    base_sha: str  # the commit the branch started from; diffs are taken against it

    @property
    def layout(self) -> GitLayout:
        """Found in the main repository's records, never in the worktree's `.git` file
        (commands in the sandbox can write the work tree)."""
        return worktree_layout(repository_layout(self.repo), self.path)


def slugify(text: str, max_length: int = 40) -> str:
    """Lower-case ASCII words joined by '-', cut at a word boundary; 'task' when empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        ends_on_word = slug[max_length] == "-"
        slug = cut if ends_on_word or "-" not in cut else cut.rsplit("-", 1)[0]
    return slug or "task"


def branch_name(issue: int, title: str, *, max_length: int = 40) -> str:
    """`codemonkey/<issue>-<slug>`, e.g. codemonkey/42-fix-login-redirect."""
    if issue < 1:
        raise ValueError(f"issue numbers start at 1, got {issue}")
    return f"{BRANCH_PREFIX}{issue}-{slugify(title, max_length)}"


def commit_message(issue: int | None, summary: str, body: str = "") -> str:
    """A subject line, an optional body, and a trailer naming the issue."""
    subject = " ".join(summary.split())[:72] or "Update"
    parts = [subject]
    if body.strip():
        parts.append(body.strip())
    if issue is not None:
        parts.append(f"Refs #{issue}")
    return "\n\n".join(parts) + "\n"


def _sha(repo: Path, ref: str) -> str:
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        raise GitError(f"{ref!r} is not a commit in {repo}; fetch it or pick another base")
    return proc.stdout.strip()


def create_worktree(
    repo: Path, worktrees_dir: Path, branch: str, *, base_ref: str = "HEAD"
) -> TaskWorkspace:
    """A worktree for `branch`, created from `base_ref`; an existing one is reused.

    Reuse makes a retried task continue where its previous attempt stopped.
    """
    if git(repo, "check-ref-format", "--branch", branch).returncode != 0:
        raise GitError(f"{branch!r} is not a valid branch name; use branch_name()")
    path = (worktrees_dir / branch.replace("/", "-")).resolve()
    base_sha = _sha(repo, base_ref)
    branch_exists = git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    if path.exists() and (path / ".git").exists():
        layout = worktree_layout(repository_layout(repo), path)
        current = git(path, "rev-parse", "--abbrev-ref", "HEAD", layout=layout).stdout.strip()
        if current != branch:
            raise GitError(
                f"{path} holds branch {current!r}, not {branch!r}; remove it with "
                "remove_worktree() or choose another directory"
            )
        base = git(repo, "merge-base", base_sha, branch).stdout.strip() or base_sha
        return TaskWorkspace(repo.resolve(), path, branch, base)
    worktrees_dir.mkdir(parents=True, exist_ok=True)
    try:
        if branch_exists.returncode == 0:
            git(repo, "worktree", "add", str(path), branch, check=True)
            base_sha = git(repo, "merge-base", base_sha, branch).stdout.strip() or base_sha
        else:
            git(repo, "worktree", "add", "-b", branch, str(path), base_sha, check=True)
    except GitError as exc:
        raise GitError(f"could not create the worktree: {exc}") from None
    return TaskWorkspace(repo.resolve(), path, branch, base_sha)


def remove_worktree(workspace: TaskWorkspace, *, delete_branch: bool = False) -> None:
    git(workspace.repo, "worktree", "remove", "--force", str(workspace.path), check=True)
    if delete_branch:
        git(workspace.repo, "branch", "-D", workspace.branch, check=True)


def changed_paths(workspace: TaskWorkspace) -> tuple[str, ...]:
    """Paths differing from the base: committed, staged, unstaged and untracked (not ignored)."""
    layout = workspace.layout
    tracked = git(
        workspace.path, "diff", "--name-only", "-z", workspace.base_sha, layout=layout, check=True
    )
    untracked = git(
        workspace.path,
        "ls-files",
        "--others",
        "--exclude-standard",
        "-z",
        layout=layout,
        check=True,
    )
    names = {n for n in (tracked.stdout + untracked.stdout).split("\0") if n}
    return tuple(sorted(names))


def diff_against_base(workspace: TaskWorkspace, *, include_untracked: bool = True) -> str:
    """A unified diff of the work tree against the base commit (new files included)."""
    layout = workspace.layout
    if include_untracked:
        # An intent-to-add entry makes untracked files show up in `git diff` as new files.
        git(workspace.path, "add", "--intent-to-add", "--all", layout=layout, check=True)
    diff = git(
        workspace.path,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--binary",
        workspace.base_sha,
        layout=layout,
    )
    return diff.stdout


def commit_all(
    workspace: TaskWorkspace,
    message: str,
    identity: GitIdentity,
    *,
    protected_paths: tuple[str, ...] = (),
) -> str | None:
    """Commit every change in the work tree; the new sha, or None when nothing changed.

    Refuses (and commits nothing) when a change touches a protected path, since commands
    can write files the file tools would have refused.
    """
    layout = workspace.layout
    git(workspace.path, "add", "--all", layout=layout, check=True)
    names = staged_paths(workspace.path, layout)
    if not names:
        return None
    blocked = [n for n in names if protected_by(n, protected_paths)]
    if blocked:
        git(workspace.path, "reset", "--quiet", layout=layout, check=True)
        raise GitError(
            f"refusing to commit protected paths: {', '.join(blocked)}; revert those changes "
            "(git checkout -- <path>) or have a maintainer make them"
        )
    commit_staged(workspace.path, layout, message, identity)
    return git(workspace.path, "rev-parse", "HEAD", layout=layout, check=True).stdout.strip()


def commit_staged(root: Path, layout: GitLayout, message: str, identity: GitIdentity) -> None:
    """Commit what is staged as `identity`, with no hook run (the runner turns hooks and
    signing off for every git call)."""
    git(
        root,
        "-c",
        f"user.name={identity.name}",
        "-c",
        f"user.email={identity.email}",
        "commit",
        "--quiet",
        "--no-verify",
        "--file",
        "-",
        layout=layout,
        input_text=message,
        check=True,
    )


def staged_paths(root: Path, layout: GitLayout) -> list[str]:
    """What the next commit would change: the index against HEAD, as git sees it."""
    staged = git(root, "diff", "--cached", "--no-renames", "--name-only", "-z", layout=layout)
    if staged.returncode != 0:
        raise GitError(f"could not list the staged files: {staged.stderr.strip()}")
    return [n for n in staged.stdout.split("\0") if n]


def protected_by(path: str, patterns: tuple[str, ...]) -> bool:
    # "dir/**" also covers "dir" itself.
    return any(glob_match(path, p) or glob_match(path + "/", p) for p in patterns)
