"""Task worktrees on real repositories: naming, creation, reuse, commits, changes, diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.git.process import GitError
from agents.git.worktree import (
    GitIdentity,
    branch_name,
    changed_paths,
    commit_all,
    commit_message,
    create_worktree,
    diff_against_base,
    remove_worktree,
    slugify,
)
from tests.agents.tools.conftest import FILES, make_repo, run_git

IDENTITY = GitIdentity("Monkey Bot", "bot@example.com")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", FILES)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Fix the login redirect!", "fix-the-login-redirect"),
        ("  Ünïcödé   names & symbols (v2.1) ", "unicode-names-symbols-v2-1"),
        ("", "task"),
        ("!!!", "task"),
        ("a" * 60, "a" * 40),
        (
            "Add support for very long titles that go on and on forever",
            "add-support-for-very-long-titles-that-go",
        ),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_branch_name_and_commit_message() -> None:
    assert branch_name(42, "Fix login: redirect loop") == "codemonkey/42-fix-login-redirect-loop"
    with pytest.raises(ValueError, match="start at 1"):
        branch_name(0, "x")
    assert commit_message(42, "Fix   the\nredirect", "Details.") == (
        "Fix the redirect\n\nDetails.\n\nRefs #42\n"
    )
    assert commit_message(None, "") == "Update\n"


def test_worktree_lifecycle(repo: Path, tmp_path: Path) -> None:
    branch = branch_name(7, "Add mul")
    ws = create_worktree(repo, tmp_path / "trees", branch)
    assert ws.path.is_dir() and ws.branch == branch
    assert ws.base_sha == run_git(repo, "rev-parse", "HEAD").strip()
    assert run_git(ws.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == branch
    assert changed_paths(ws) == () and commit_all(ws, "nothing", IDENTITY) is None

    (ws.path / "src/util.py").write_text("def mul(a, b):\n    return a * b\n")
    (ws.path / "src/new.py").write_text("NEW = 1\n")
    (ws.path / "debug.log").write_text("ignored\n")
    (ws.path / "README.md").unlink()
    assert changed_paths(ws) == ("README.md", "src/new.py", "src/util.py")
    diff = diff_against_base(ws)
    assert "+def mul(a, b):" in diff and "new file mode" in diff and "+NEW = 1" in diff
    assert "deleted file mode" in diff and "debug.log" not in diff

    sha = commit_all(ws, commit_message(7, "Add mul"), IDENTITY)
    assert sha == run_git(ws.path, "rev-parse", "HEAD").strip()
    log = run_git(ws.path, "log", "-1", "--format=%an <%ae>%n%B")
    assert log.startswith("Monkey Bot <bot@example.com>\nAdd mul\n\nRefs #7")
    assert changed_paths(ws) == ("README.md", "src/new.py", "src/util.py")  # against base
    assert run_git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"

    again = create_worktree(repo, tmp_path / "trees", branch)  # a retried task resumes
    assert again.path == ws.path and again.base_sha == ws.base_sha

    remove_worktree(ws, delete_branch=True)
    assert not ws.path.exists()
    assert run_git(repo, "branch", "--list", branch) == ""


def test_existing_branch_without_worktree_is_checked_out(repo: Path, tmp_path: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD").strip()
    run_git(repo, "branch", "codemonkey/3-old")
    ws = create_worktree(repo, tmp_path / "trees", "codemonkey/3-old")
    assert ws.base_sha == base and ws.branch == "codemonkey/3-old"


def test_commits_skip_hooks_and_refuse_protected_paths(repo: Path, tmp_path: Path) -> None:
    ws = create_worktree(repo, tmp_path / "trees", "codemonkey/9-hooks")
    hooks = repo / ".git" / "hooks"
    (hooks / "pre-commit").write_text('#!/bin/sh\ntouch "$HOME/hook-ran"; exit 1\n')
    (hooks / "pre-commit").chmod(0o755)
    (ws.path / "src/app.py").write_text("print('changed')\n")
    assert commit_all(ws, "change", IDENTITY) is not None
    (ws.path / ".github/workflows/ci.yml").write_text("on: pull_request\n")
    (ws.path / "src/app.py").write_text("print('again')\n")
    with pytest.raises(GitError, match=r"refusing to commit protected paths: \.github"):
        commit_all(ws, "sneaky", IDENTITY, protected_paths=(".github/workflows/**",))
    assert run_git(ws.path, "log", "-1", "--format=%s").strip() == "change"
    assert run_git(ws.path, "diff", "--cached", "--name-only") == ""


def test_bad_inputs(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a valid branch name"):
        create_worktree(repo, tmp_path / "t", "bad..name")
    with pytest.raises(GitError, match="is not a commit"):
        create_worktree(repo, tmp_path / "t", "codemonkey/1-x", base_ref="no-such-ref")
    ws = create_worktree(repo, tmp_path / "t", "codemonkey/1-x")
    run_git(ws.path, "checkout", "--quiet", "-b", "other")
    with pytest.raises(GitError, match="holds branch 'other'"):
        create_worktree(repo, tmp_path / "t", "codemonkey/1-x")
    with pytest.raises(GitError):
        create_worktree(tmp_path / "t", tmp_path / "u", "codemonkey/2-y")
