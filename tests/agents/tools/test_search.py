"""search_files through git grep and through the Python scan, on the same expectations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.tools.base import ToolContext, ToolRegistry
from agents.tools.search import SearchQuery, git_grep, python_scan

from .conftest import FILES, make_repo


@pytest.fixture(params=["git", "plain"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> ToolContext:
    """The same files in a git repository (git grep) and a plain directory (Python scan)."""
    root = make_repo(tmp_path / "ws", FILES)
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("def greet(): pass\n")
    (root / "blob.bin").write_bytes(b"\x00greet\x00")
    if request.param == "plain":
        shutil.rmtree(root / ".git")
        shutil.rmtree(root / "build")
    return ToolContext(workspace=root)


def test_plain_text_search(registry: ToolRegistry[ToolContext], workspace: ToolContext) -> None:
    result = registry.call(workspace, "search_files", {"pattern": "greet("})
    assert result.ok
    assert result.output.splitlines() == [
        "src/app.py:4: def greet(name):",
        'src/app.py:13:     print(greet(os.environ.get("USER", "world")))',
        "tests/test_app.py:4: def test_greet():",
        "tests/test_app.py:5:     assert greet('x')",
    ]


def test_regex_case_glob_and_path(
    registry: ToolRegistry[ToolContext], workspace: ToolContext
) -> None:
    regex = registry.call(
        workspace, "search_files", {"pattern": r"^def \w+\(a, b\)", "regex": True}
    )
    assert regex.output.splitlines() == [
        "src/util.py:1: def add(a, b):",
        "src/util.py:5: def sub(a, b):",
    ]
    upper = {"pattern": "HELLO", "case_sensitive": False, "glob": "*.py"}
    assert registry.call(workspace, "search_files", upper).output.startswith("src/app.py:5:")
    in_tests = registry.call(workspace, "search_files", {"pattern": "greet", "path": "tests"})
    assert all(line.startswith("tests/") for line in in_tests.output.splitlines())
    only_md = registry.call(workspace, "search_files", {"pattern": "demo", "glob": "*.md"})
    assert only_md.output == "README.md:3: A demo project."


def test_results_are_capped_with_a_note(
    registry: ToolRegistry[ToolContext], workspace: ToolContext
) -> None:
    result = registry.call(workspace, "search_files", {"pattern": "e", "max_results": 3})
    lines = result.output.splitlines()
    assert len(lines) == 4
    assert lines[-1] == "[stopped after 3 matches; narrow the pattern, the path or the glob]"


def test_no_match_bad_regex_and_empty_pattern(
    registry: ToolRegistry[ToolContext], workspace: ToolContext
) -> None:
    none = registry.call(workspace, "search_files", {"pattern": "zebra"})
    assert none.ok and none.output == "no matches for 'zebra'"
    bad = registry.call(workspace, "search_files", {"pattern": "(unclosed", "regex": True})
    assert not bad.ok and "invalid regular expression" in bad.output
    assert "regex=false" in bad.output
    literal = registry.call(workspace, "search_files", {"pattern": "(a, b)"})
    assert literal.ok and "src/util.py:1:" in literal.output
    assert not registry.call(workspace, "search_files", {"pattern": ""}).ok
    for glob in ("../*.txt", "/etc/*"):
        outside = registry.call(workspace, "search_files", {"pattern": "root", "glob": glob})
        assert not outside.ok and "must be relative" in outside.output


def test_git_grep_and_python_scan_agree(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", FILES)
    ctx = ToolContext(workspace=root)
    query = SearchQuery("return", regex=False, case_sensitive=True, under=".", glob=None, limit=50)
    via_git = git_grep(ctx, query)
    assert via_git is not None and len(via_git) == 4
    assert via_git == python_scan(ctx, query)


def test_large_tree_search_is_capped_and_complete(
    tmp_path: Path, registry: ToolRegistry[ToolContext]
) -> None:
    """2,000 untracked files plus an ignored directory; figures are in tests/bench."""
    root = make_repo(tmp_path / "big", {".gitignore": "vendor/\n"})
    for n in range(2000):
        folder = root / f"pkg{n % 40}"
        folder.mkdir(exist_ok=True)
        marker = "UNIQUE_NEEDLE\n" if n == 1234 else ""
        (folder / f"m{n}.py").write_text(f"value = {n}\n{marker}")
    (root / "vendor").mkdir()
    (root / "vendor" / "dep.py").write_text("UNIQUE_NEEDLE\n")
    ctx = ToolContext(workspace=root)
    needle = registry.call(ctx, "search_files", {"pattern": "UNIQUE_NEEDLE"})
    assert needle.output == "pkg34/m1234.py:2: UNIQUE_NEEDLE"
    capped = registry.call(ctx, "search_files", {"pattern": "value = ", "max_results": 50})
    assert len(capped.output.splitlines()) == 51 and "stopped after 50" in capped.output
    query = SearchQuery(
        "UNIQUE_NEEDLE", regex=False, case_sensitive=True, under=".", glob=None, limit=5
    )
    assert [m.path for m in python_scan(ctx, query)] == ["pkg34/m1234.py"]
    listed = registry.call(ctx, "list_files", {"pattern": "pkg3/*.py"}).output.splitlines()
    assert len(listed) == 50 and "vendor/dep.py" not in listed


def test_symbolic_links_out_of_the_workspace_are_not_searched(
    tmp_path: Path, registry: ToolRegistry[ToolContext], workspace: ToolContext
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOPSECRET\n")
    (workspace.workspace / "link.txt").symlink_to(outside / "secret.txt")
    (workspace.workspace / "dirlink").symlink_to(outside)
    result = registry.call(workspace, "search_files", {"pattern": "TOPSECRET"})
    assert result.ok and result.output == "no matches for 'TOPSECRET'"
    query = SearchQuery(
        "TOPSECRET", regex=False, case_sensitive=True, under=".", glob=None, limit=5
    )
    assert python_scan(workspace, query) == []
