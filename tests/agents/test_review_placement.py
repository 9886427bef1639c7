"""Inline review comments are placed inside the diff's hunks before GitHub sees them, and a
GitHub refusal inside a tool comes back to the model as a tool error it can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from agents.diffs import Side, numbered, parse_diff, placement_problem
from agents.git.process import git, plain_git, repository_layout
from agents.githost import GitHostAuthError, GitHostError, RepoRef, ReviewComment
from agents.runtime import CallContext
from agents.runtime.toolset import ToolSet
from agents.team.changes import branch_diff, budgeted, commit_lines, rank
from agents.team.github_tools import GitHubScope, GitHubTools
from agents.team.localhost import LocalHost
from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.commands import RunCommandTool
from agents.tools.sandbox import SandboxRunner
from storage.side_effects import SideEffects
from storage.sql.database import Database
from tests.agents.helpers import make_task

OLD = "".join(f"line {n}\n" for n in range(1, 31))
# Line 3 changed, line 28 deleted: hunks old 1-6/new 1-6 and old 25-30/new 25-29.
NEW = OLD.replace("line 3\n", "LINE 3\n").replace("line 28\n", "")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    root.mkdir()
    plain_git(root, "init", "--quiet", "-b", "main")
    (root / "lines.txt").write_text(OLD)
    who = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    git(root, "add", ".", check=True)
    git(root, *who, "commit", "--quiet", "-m", "Lines", check=True)
    base = git(root, "rev-parse", "HEAD", check=True).stdout.strip()
    (root / "lines.txt").write_text(NEW)
    git(root, *who, "commit", "--quiet", "-am", "Edit lines", check=True)
    return root, base


def test_hunks_bound_comments_on_both_sides_and_multi_line(repo: tuple[Path, str]) -> None:
    root, base = repo
    files = parse_diff(branch_diff(repository_layout(root), base))
    assert [f.path for f in files] == ["lines.txt"]
    assert files[0].ranges("RIGHT") == [(1, 6), (25, 29)]
    assert files[0].ranges("LEFT") == [(1, 6), (25, 30)]
    fits: list[tuple[int, Side, int | None]] = [
        (3, "RIGHT", None),
        (29, "RIGHT", None),
        (28, "LEFT", None),
        (2, "RIGHT", 1),
    ]
    for line, side, start in fits:
        assert placement_problem(files, "lines.txt", line, side, start) is None, (line, side)
    outside = placement_problem(files, "lines.txt", 15, "RIGHT")
    assert outside is not None and "RIGHT (new file) lines 1-6, 25-29" in outside
    assert "LEFT (old file) lines 1-6, 25-30" in outside
    assert placement_problem(files, "lines.txt", 7, "RIGHT") is not None
    assert placement_problem(files, "lines.txt", 24, "LEFT") is not None
    split = placement_problem(files, "lines.txt", 26, "RIGHT", 2)
    assert split is not None and "same hunk" in split
    other = placement_problem(files, "README.md", 1, "RIGHT")
    assert other is not None and "files in the diff: lines.txt" in other
    shown = numbered(files[0])
    assert "     3 +LINE 3" in shown and "   L28 -line 28" in shown and "    29  line 30" in shown


def test_the_branch_diff_includes_uncommitted_and_new_files(repo: tuple[Path, str]) -> None:
    root, base = repo
    (root / "new.py").write_text("x = 1\n")
    assert [f.path for f in parse_diff(branch_diff(repository_layout(root), base))] == [
        "lines.txt",
        "new.py",
    ]
    assert [line.split(" ", 1)[1] for line in commit_lines(repository_layout(root), base)] == [
        "Edit lines"
    ]


def test_large_diffs_keep_source_first_and_name_what_was_left_out() -> None:
    def file_diff(path: str, lines: int) -> str:
        body = "".join(f"+x{n}\n" for n in range(lines))
        return (
            f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{lines} @@\n{body}"
        )

    text = "".join(
        file_diff(p, n)
        for p, n in [("poetry.lock", 400), ("docs/guide.md", 50), ("tests/test_a.py", 50)]
    )
    text += file_diff("src/a.py", 50)
    cut = budgeted(parse_diff(text), max_tokens=200)
    assert cut.shown == ("src/a.py", "tests/test_a.py")
    assert cut.left_out == ("docs/guide.md", "poetry.lock")
    assert [rank(p) for p in ("src/a.py", "tests/test_a.py", "README.md", "yarn.lock")] == [
        0,
        1,
        2,
        3,
    ]


class RefusingHost(LocalHost):
    """A host whose create_review fails the way GitHub answers."""

    def __init__(self, error: GitHostError) -> None:
        super().__init__(issue_body="", default_branch="main")
        self.error = error

    def create_review(
        self,
        repo: RepoRef,
        number: int,
        *,
        commit_sha: str,
        body: str,
        event: Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"],
        comments: list[ReviewComment],
    ) -> int:
        raise self.error


def _tools(db: Database, host: LocalHost, diff: str | None) -> ToolSet:
    scope = GitHubScope(
        RepoRef("octo", "hello"),
        1,
        "topic",
        "main",
        lambda: 7,
        lambda: "a" * 40,
        diff=None if diff is None else (lambda: diff),
    )
    return ToolSet(GitHubTools(host, scope, SideEffects(db)).tools())


def _ctx(key: str, task_id: int) -> CallContext:
    return CallContext(task_id=task_id, step=1, role="code_reviewer", idempotency_key=key)


def _review(*comments: dict[str, Any]) -> dict[str, Any]:
    return {"body": "Looks fine.", "event": "COMMENT", "comments": list(comments)}


def test_a_misplaced_comment_is_answered_with_valid_lines_and_never_lost(
    database: Database, repo: tuple[Path, str]
) -> None:
    root, base = repo
    host = LocalHost(issue_body="", default_branch="main")
    tools = _tools(database, host, branch_diff(repository_layout(root), base))
    task = make_task(database)
    wrong = {"path": "lines.txt", "line": 15, "body": "Off the diff."}
    refused = tools.call("review", _review(wrong), _ctx("r1", task))
    assert not refused.ok and host.records == []
    assert "RIGHT (new file) lines 1-6, 25-29" in refused.output
    right = {"path": "lines.txt", "line": 3, "body": "Why upper case?", "suggestion": "line 3"}
    posted = tools.call("review", _review(right), _ctx("r2", task))
    assert posted.ok and "lines.txt:3: Why upper case?" in host.records[0].text
    assert "```suggestion\nline 3\n```" in host.records[0].text
    # Refused once already: a second misplaced comment goes into the body instead.
    again = tools.call("review", _review(right, wrong), _ctx("r3", task))
    assert again.ok and "Comments on lines outside the diff" in host.records[1].text
    assert "`lines.txt` line 15 (RIGHT): Off the diff." in host.records[1].text


def test_github_refusals_become_tool_errors_but_credentials_do_not(database: Database) -> None:
    task = make_task(database)
    message = "GitHub answered 422: Unprocessable Entity; Line could not be resolved"
    refusing = _tools(database, RefusingHost(GitHostError(message, status=422)), None)
    outcome = refusing.call(
        "review", _review({"path": "a.py", "line": 9, "body": "x"}), _ctx("g1", task)
    )
    assert not outcome.ok and "Line could not be resolved" in outcome.output
    unauthorised = _tools(
        database, RefusingHost(GitHostAuthError("check the App id", status=401)), None
    )
    with pytest.raises(GitHostAuthError):
        unauthorised.call("review", _review(), _ctx("g2", task))


def test_a_read_only_command_cannot_edit_the_workspace(repo: tuple[Path, str]) -> None:
    root, _ = repo
    runner = SandboxRunner()
    if not runner.bwrap_available():
        pytest.fail("bubblewrap is required for read-only commands; install it")
    tool = RunCommandTool(runner)
    settings = SandboxSettings(timeout_seconds=30, read_only_workspace=True)
    ctx = ToolContext(workspace=root, sandbox=settings)
    result = tool.run(ctx, {"command": "echo changed > lines.txt"})
    assert not result.ok and "read-only" in result.output
    assert (root / "lines.txt").read_text() == NEW
    assert tool.run(ctx, {"command": "grep -c line lines.txt"}).ok
    writable = ToolContext(workspace=root, sandbox=SandboxSettings(timeout_seconds=30))
    assert tool.run(writable, {"command": "echo changed > lines.txt"}).ok
