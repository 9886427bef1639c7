"""Running the git CLI on the host without trusting anything a sandboxed command could write.

A task's work tree is writable by the commands agents run, so host-side git must not let
the work tree steer it: the git directory comes from the service's own records (`GitLayout`)
and is passed as `GIT_DIR`/`GIT_WORK_TREE` (a `.git` file in the work tree is never read);
settings that make git run programs (fsmonitor, hooks, pager, external diff, credential
helpers) are switched off on the command line; system config is ignored; and the process
gets a minimal environment, so no provider key or webhook secret reaches anything git runs.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Command-line config wins over every config file git reads; these switch off what would run
# a program or change what git prints.
SAFE_CONFIG: tuple[str, ...] = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "core.quotePath=false",
    "-c", "diff.external=",
    "-c", "credential.helper=",
    "-c", "core.askPass=",
    "-c", "protocol.ext.allow=never",
    "-c", "commit.gpgSign=false",
    "-c", "tag.gpgSign=false",
)  # fmt: skip


@dataclass(frozen=True)
class GitLayout:
    """Where a checkout's git metadata lives, as the service recorded it.

    `git_dir` is a clone's `.git` directory or a linked worktree's administrative directory
    (`<common>/worktrees/<name>`); both live outside what sandboxed commands may write.
    """

    work_tree: Path
    git_dir: Path

    @property
    def common_dir(self) -> Path:
        """The shared git directory (objects, refs, config) of a linked worktree."""
        pointer = self.git_dir / "commondir"
        if pointer.is_file():
            return (self.git_dir / pointer.read_text(encoding="utf-8").strip()).resolve()
        return self.git_dir

    def metadata_dirs(self) -> tuple[Path, ...]:
        common = self.common_dir
        return (common,) if common == self.git_dir else (common, self.git_dir)


class GitError(Exception):
    """A git command failed or was refused; the message says what git said and how to fix it."""


def git_failure(what: str, stderr: str) -> GitError:
    """The error for a failed `git <what>`: git's last words, and a hint when the token was
    refused (never the token: it travels in the environment only)."""
    stderr = stderr.strip()
    hint = ""
    if "403" in stderr or "401" in stderr or "Authentication failed" in stderr:
        hint = "; the token was refused: check the app's contents permission and installation"
    return GitError(f"git {what} failed: {stderr[-500:]}{hint}")


def repository_layout(repo: Path) -> GitLayout:
    """The layout of a repository the service cloned or was given: `.git` must be a directory.

    A `.git` *file* (a linked worktree) says where its metadata is, and that file may have
    been written by a sandboxed command: such checkouts need `worktree_layout`.
    """
    dot_git = repo / ".git"
    try:
        mode = os.lstat(dot_git).st_mode
    except FileNotFoundError:
        raise GitError(f"{repo} is not a git repository (no .git); clone or init it") from None
    if not stat.S_ISDIR(mode):
        raise GitError(
            f"{dot_git} is not a directory; a linked worktree's metadata comes from the "
            "repository that made it (worktree_layout), never from its .git file"
        )
    return GitLayout(repo.resolve(), dot_git.resolve())


def worktree_layout(repo: GitLayout, work_tree: Path) -> GitLayout:
    """A linked worktree's layout, found in the repository's own `worktrees/` records."""
    expected = (work_tree / ".git").resolve()
    admin = repo.common_dir / "worktrees"
    if admin.is_dir():
        for entry in sorted(admin.iterdir()):
            pointer = entry / "gitdir"
            if pointer.is_file():
                recorded = Path(pointer.read_text(encoding="utf-8").strip())
                if recorded.resolve() == expected:
                    return GitLayout(work_tree.resolve(), entry.resolve())
    raise GitError(
        f"{work_tree} is not a worktree of {repo.work_tree}; create it with create_worktree()"
    )


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A git process's whole environment: never the service's own (it holds secrets)."""
    env = {
        "PATH": os.environ.get("PATH") or STANDARD_PATH,
        "HOME": os.environ.get("HOME") or "/nonexistent",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
    }
    if extra:
        env.update(extra)
    return env


def layout_env(layout: GitLayout) -> dict[str, str]:
    return {"GIT_DIR": str(layout.git_dir), "GIT_WORK_TREE": str(layout.work_tree)}


# Commands that can print a diff: a repository's attributes could name an external diff
# driver for them, so the runner always adds `--no-ext-diff`.
DIFF_COMMANDS = frozenset({"diff", "show", "log"})


def git_argv(*args: str) -> list[str]:
    """The argv of `git args...` with the safe config, and `--no-ext-diff` for diffs."""
    argv = list(args)
    at = 0
    while at + 1 < len(argv) and argv[at] == "-c":
        at += 2  # per-command config before the subcommand
    if at < len(argv) and argv[at] in DIFF_COMMANDS and "--no-ext-diff" not in argv:
        argv.insert(at + 1, "--no-ext-diff")
    return ["git", *SAFE_CONFIG, *argv]


def git(
    cwd: Path,
    *args: str,
    layout: GitLayout | None = None,
    input_text: str | None = None,
    check: bool = False,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git args...` for the checkout at `cwd`.

    Without `layout`, `cwd` must be a repository with a `.git` directory (see
    `repository_layout`). With `check`, a failure raises GitError with git's message.
    """
    where = layout or repository_layout(cwd)
    proc = plain_git(
        cwd, *args, env={**layout_env(where), **(env or {})}, input_text=input_text, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise git_failure(f"{' '.join(args)} in {cwd}", proc.stderr)
    return proc


def git_output(cwd: Path, *args: str, layout: GitLayout | None = None, check: bool = True) -> str:
    """The standard output of `git args...` (see `git`); a failure raises GitError."""
    return git(cwd, *args, layout=layout, check=check).stdout


def plain_git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 600.0,
) -> subprocess.CompletedProcess[str]:
    """git outside any repository (clone, apply), with the same safe config and environment."""
    return subprocess.run(
        git_argv(*args),
        cwd=cwd,
        input=input_text,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=git_env(env),
        timeout=timeout,
        check=False,
    )


def git_in(layout: GitLayout, *args: str, check: bool = True) -> str:
    """The standard output of `git args...` in a recorded checkout (its work tree's own
    `.git` is never read); with `check`, a failure raises GitError."""
    return git(layout.work_tree, *args, layout=layout, check=check).stdout


def start_git(cwd: Path, *args: str, layout: GitLayout) -> subprocess.Popen[bytes]:
    """`git args...` started with its output piped, for callers that stream it (and stop it
    early); the same safe config, environment and recorded layout as `git`."""
    return subprocess.Popen(
        git_argv(*args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(layout_env(layout)),
    )


def is_work_tree(path: Path) -> bool:
    """Whether `path` is a repository with its own `.git` directory (see repository_layout)."""
    try:
        layout = repository_layout(path)
    except GitError:
        return False
    proc = git(path, "rev-parse", "--is-inside-work-tree", layout=layout)
    return proc.returncode == 0 and proc.stdout.strip() == "true"
