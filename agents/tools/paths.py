"""Confining tool paths to the workspace, and glob matching with `**`.

Every path a model names is relative to the workspace root. It is resolved (following
symlinks) and must stay inside the root; `.git` is never reachable, because writing a hook
or config there would run code outside the sandbox. Protected globs only refuse writes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

from agents.git.process import GitError, GitLayout, repository_layout
from agents.tools.base import ToolContext, ToolError

GIT_DIR = ".git"


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """Match a POSIX relative path; `*` stays within one segment, `**` spans any number.

    A pattern without `/` matches the file name at any depth (`*.py`).
    """
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if "/" not in pattern:
        return bool(_glob_regex(pattern).match(PurePosixPath(path).name))
    return bool(_glob_regex(pattern).match(path))


def is_protected(ctx: ToolContext, relative: str) -> str | None:
    """The protected glob that `relative` falls under, if any."""
    for pattern in ctx.protected_paths:
        # "dir/**" also covers "dir" itself.
        if glob_match(relative, pattern) or glob_match(relative + "/", pattern):
            return pattern
    return None


def workspace_root(ctx: ToolContext) -> Path:
    return ctx.workspace.resolve()


def git_layout(ctx: ToolContext) -> GitLayout | None:
    """The workspace's git layout: the recorded one, a plain repository's, or None.

    A `.git` file without a recorded layout is refused rather than followed: it may have
    been written by a sandboxed command to point git at configuration it controls.
    """
    if ctx.git is not None:
        return ctx.git
    root = workspace_root(ctx)
    if not (root / GIT_DIR).is_symlink() and not (root / GIT_DIR).exists():
        return None
    try:
        return repository_layout(root)
    except GitError as exc:
        raise ToolError(f"{exc}; the workspace must be made by the service") from None


def resolve(ctx: ToolContext, path: str, *, write: bool = False) -> tuple[Path, str]:
    """The absolute path and the workspace-relative POSIX path for a model-supplied path.

    Raises ToolError (with the fix) for absolute paths, escapes, `.git`, and protected paths
    when writing.
    """
    if not path or not path.strip():
        raise ToolError("the path is empty; give a path relative to the repository root")
    if "\x00" in path:
        raise ToolError("the path contains a NUL byte; give a plain relative path")
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or re.match(r"^[A-Za-z]:", path):
        raise ToolError(
            f"{path!r} is an absolute path; paths are relative to the repository root "
            "(e.g. 'src/app.py')"
        )
    if ".." in posix.parts:
        raise ToolError(
            f"{path!r} contains '..'; paths must stay inside the repository, "
            "give them relative to its root without '..'"
        )
    root = workspace_root(ctx)
    target = (root / posix).resolve()
    if target != root and not target.is_relative_to(root):
        raise ToolError(
            f"{path!r} leads outside the repository through a symbolic link; "
            "only files inside the repository can be used"
        )
    relative = target.relative_to(root).as_posix() if target != root else "."
    requested = posix.as_posix()
    for candidate in (requested, relative):
        if candidate == GIT_DIR or candidate.startswith(GIT_DIR + "/"):
            raise ToolError(
                f"{path!r} is inside .git, which tools may not touch; use the git tools instead"
            )
    if write:
        for candidate in (requested, relative):
            pattern = is_protected(ctx, candidate)
            if pattern is not None:
                raise ToolError(
                    f"{path!r} is a protected path (matches {pattern!r}) and may not be "
                    "changed by an agent; ask a maintainer to make this change"
                )
    return target, relative
