"""A branch's change as a model should see it: the diff against its base, its commits,
and the diff ranked and trimmed to a token budget with a list of what was left out.

The diff is taken from the work tree (committed, uncommitted and new files), so a
developer sees its own edits before they are committed, and a reviewer, whose work tree
is the pull request's head, sees what GitHub shows for `base...head`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from agents.diffs import FileDiff, parse_diff
from agents.git.process import GitLayout, git_in
from agents.runtime.context_window import estimate_tokens
from agents.team.test_paths import is_test_path

# Review tools spend their context on source first; these are read last or not at all.
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
    }
)
_DOC_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc"})
_GENERATED_MARKS = (".min.js", ".min.css", "_pb2.py", ".generated.", "/generated/", "/vendor/")


def branch_diff(layout: GitLayout, base_sha: str, path: str | None = None) -> str:
    """The work tree against `base_sha`, new (untracked, not ignored) files included."""
    only = ["--", path] if path else []
    parts = [git_in(layout, "diff", "--no-color", "--no-ext-diff", "-M", base_sha, *only)]
    listed = git_in(layout, "ls-files", "--others", "--exclude-standard", "-z", *only)
    for name in sorted(n for n in listed.split("\0") if n):
        # `--no-index` exits 1 when the files differ, which they always do here.
        parts.append(
            git_in(
                layout,
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-index",
                "/dev/null",
                name,
                check=False,
            )
        )
    return "".join(parts)


def commit_diff(layout: GitLayout, sha: str) -> str:
    """The diff one commit made (empty when the commit is not in this repository)."""
    return git_in(
        layout, "show", "--no-color", "--no-ext-diff", "-M", "--format=", sha, check=False
    )


def commit_lines(layout: GitLayout, base_sha: str, limit: int = 50) -> list[str]:
    """'<short sha> <subject>' of each commit after the base, oldest first."""
    out = git_in(
        layout,
        "log",
        "--reverse",
        f"--max-count={limit}",
        "--format=%h %s",
        f"{base_sha}..HEAD",
        check=False,
    )
    return [line for line in out.splitlines() if line.strip()]


def rank(path: str) -> int:
    """0 source, 1 tests, 2 docs, 3 lockfiles and generated files."""
    pure = PurePosixPath(path)
    lowered = path.lower()
    if pure.name in _LOCKFILES or any(mark in f"/{lowered}" for mark in _GENERATED_MARKS):
        return 3
    if pure.suffix.lower() in _DOC_SUFFIXES or lowered.startswith("docs/"):
        return 2
    return 1 if is_test_path(path) else 0


@dataclass(frozen=True)
class BudgetedDiff:
    text: str
    shown: tuple[str, ...]
    left_out: tuple[str, ...]


def budgeted(files: list[FileDiff], max_tokens: int) -> BudgetedDiff:
    """Whole file diffs, source first, until the budget is spent; the rest listed by name."""
    ordered = sorted(files, key=lambda f: (rank(f.path), f.path))
    shown: list[str] = []
    left_out: list[str] = []
    parts: list[str] = []
    spent = 0
    for diff in ordered:
        cost = estimate_tokens(diff.text)
        if spent + cost <= max_tokens:
            parts.append(diff.text)
            shown.append(diff.path)
            spent += cost
        else:
            left_out.append(diff.path)
    return BudgetedDiff("".join(parts), tuple(shown), tuple(left_out))


def fenced(text: str, info: str = "") -> str:
    """`text` in a code fence it cannot close (longer than any backtick run inside it)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def change_block(layout: GitLayout, base_sha: str, *, max_tokens: int, title: str) -> str:
    """A titled, budgeted unified diff of the branch, for a first request."""
    return diff_text_block(branch_diff(layout, base_sha), max_tokens=max_tokens, title=title)


def diff_text_block(text: str, *, max_tokens: int, title: str) -> str:
    """A titled, budgeted unified diff, with the files left out named."""
    diff = budgeted(parse_diff(text), max_tokens)
    if not diff.shown and not diff.left_out:
        return f"{title}\n(no change against the base yet)"
    block = f"{title}\n{fenced(diff.text, 'diff')}" if diff.shown else title
    if diff.left_out:
        block += (
            f"\n{len(diff.left_out)} file(s) left out to fit the context budget (read them "
            "with the `diff` tool, path=<file>): " + ", ".join(diff.left_out)
        )
    return block
