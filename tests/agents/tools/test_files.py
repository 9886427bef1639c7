"""list_files, read_file, write_file, and confinement of every path to the workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agents.tools.base import ToolContext, ToolRegistry

from .conftest import make_repo


def test_list_files_respects_gitignore_and_globs(
    registry: ToolRegistry[ToolContext], ctx: ToolContext, repo: Path
) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("x = 1\n")
    (repo / "debug.log").write_text("noise\n")
    (repo / "src" / "new.py").write_text("y = 2\n")  # untracked but not ignored
    everything = registry.call(ctx, "list_files", {}).output.splitlines()
    assert "src/new.py" in everything and "src/app.py" in everything
    assert "build/out.py" not in everything and "debug.log" not in everything
    assert not any(name.startswith(".git/") for name in everything)
    py = registry.call(ctx, "list_files", {"pattern": "*.py"}).output.splitlines()
    assert py == ["src/app.py", "src/new.py", "src/util.py", "tests/test_app.py"]
    under = registry.call(ctx, "list_files", {"pattern": "src/**", "max_results": 2})
    assert under.output.splitlines()[:2] == ["src/app.py", "src/new.py"]
    assert "[1 more files not shown (3 in all)" in under.output
    none = registry.call(ctx, "list_files", {"pattern": "*.rs"})
    assert none.ok and "no files match" in none.output


def test_list_files_outside_git_walks_the_tree(
    registry: ToolRegistry[ToolContext], tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    (plain / "a" / "b").mkdir(parents=True)
    (plain / "a" / "b" / "c.txt").write_text("c")
    (plain / "top.txt").write_text("t")
    result = registry.call(ToolContext(workspace=plain), "list_files", {"pattern": "**/*.txt"})
    assert result.output.splitlines() == ["a/b/c.txt", "top.txt"]


def test_read_file_numbers_lines_and_ranges(
    registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    whole = registry.call(ctx, "read_file", {"path": "src/util.py"})
    assert whole.ok and whole.output.splitlines()[0] == "1\tdef add(a, b):"
    part = registry.call(ctx, "read_file", {"path": "src/app.py", "start_line": 4, "end_line": 5})
    assert part.output.splitlines() == ["4\tdef greet(name):", '5\t    return f"Hello, {name}!"']
    past = registry.call(ctx, "read_file", {"path": "src/app.py", "start_line": 99})
    assert not past.ok and "past the end" in past.output and "between 1 and 13" in past.output


def test_read_file_truncates_with_a_note(repo: Path, registry: ToolRegistry[ToolContext]) -> None:
    (repo / "big.txt").write_text("".join(f"line {n}\n" for n in range(1, 5001)))
    ctx = ToolContext(workspace=repo, max_read_lines=100)
    result = registry.call(ctx, "read_file", {"path": "big.txt"})
    assert len(result.output.splitlines()) == 101
    assert "[truncated: showed lines 1-100 of 5000; call read_file with start_line=101" in (
        result.output
    )
    small = ToolContext(workspace=repo, max_read_bytes=200)
    capped = registry.call(small, "read_file", {"path": "big.txt", "start_line": 10})
    assert "start_line=" in capped.output.splitlines()[-1]
    assert len(capped.output) < 400


def test_read_file_refuses_binary_missing_and_directories(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    assert "binary file" in registry.call(ctx, "read_file", {"path": "blob.bin"}).output
    missing = registry.call(ctx, "read_file", {"path": "nope.py"})
    assert not missing.ok and "does not exist; use list_files" in missing.output
    assert "is a directory" in registry.call(ctx, "read_file", {"path": "src"}).output


def test_write_file_creates_and_overwrites(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    made = registry.call(ctx, "write_file", {"path": "pkg/new/mod.py", "content": "a = 1\n"})
    assert made.ok and made.changed_paths == ("pkg/new/mod.py",)
    assert made.output == "created pkg/new/mod.py (1 lines)"
    assert (repo / "pkg/new/mod.py").read_text() == "a = 1\n"
    again = registry.call(ctx, "write_file", {"path": "pkg/new/mod.py", "content": "b\nc"})
    assert again.output == "overwrote pkg/new/mod.py (2 lines)"


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("read_file", {}),
        ("write_file", {"content": "x"}),
        ("edit_file", {"edits": [{"old": "", "new": "x"}]}),
        ("list_files", {}),
        ("search_files", {"pattern": "root"}),
        ("run_command", {"command": "true"}),
    ],
)
def test_paths_cannot_escape_the_workspace(
    tmp_path: Path,
    repo: Path,
    registry: ToolRegistry[ToolContext],
    ctx: ToolContext,
    tool: str,
    extra: dict[str, Any],
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root password\n")
    os.symlink(outside, repo / "link_out")
    os.symlink(outside / "secret.txt", repo / "secret_link.txt")
    key = "cwd" if tool == "run_command" else "path"
    cases = {
        "../outside/secret.txt": "contains '..'",
        "src/../../outside/secret.txt": "contains '..'",
        str(outside / "secret.txt"): "is an absolute path",
        "/etc/passwd": "is an absolute path",
        "link_out/secret.txt": "outside the repository through a symbolic link",
        "secret_link.txt": "outside the repository through a symbolic link",
        ".git/config": "inside .git",
        "": "the path is empty",
    }
    for path, reason in cases.items():
        result = registry.call(ctx, tool, {key: path, **extra})
        assert not result.ok, (tool, path)
        assert reason in result.output, (tool, path, result.output)
    assert (outside / "secret.txt").read_text() == "root password\n"


def test_protected_paths_are_refused_for_writes_only(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    workflow = ".github/workflows/ci.yml"
    assert registry.call(ctx, "read_file", {"path": workflow}).ok
    write = registry.call(ctx, "write_file", {"path": workflow, "content": "evil"})
    assert not write.ok
    assert "protected path (matches '.github/workflows/**')" in write.output
    assert "ask a maintainer" in write.output
    new = registry.call(ctx, "write_file", {"path": ".github/workflows/new.yml", "content": "x"})
    assert not new.ok
    os.symlink(repo / ".github" / "workflows", repo / "wf")
    via_link = registry.call(ctx, "write_file", {"path": "wf/ci.yml", "content": "evil"})
    assert not via_link.ok and "protected path" in via_link.output
    assert (repo / workflow).read_text() == "on: push\njobs: {}\n"
    custom = ToolContext(workspace=repo, protected_paths=("*.md", "secrets/**"))
    assert not registry.call(custom, "write_file", {"path": "docs/x.md", "content": "x"}).ok
    assert registry.call(custom, "write_file", {"path": workflow, "content": "ok"}).ok


def test_symlinks_inside_the_workspace_are_followed(
    tmp_path: Path, registry: ToolRegistry[ToolContext]
) -> None:
    repo = make_repo(tmp_path / "r", {"real/data.txt": "inside\n"})
    os.symlink(repo / "real", repo / "alias")
    result = registry.call(ToolContext(workspace=repo), "read_file", {"path": "alias/data.txt"})
    assert result.ok and "inside" in result.output
