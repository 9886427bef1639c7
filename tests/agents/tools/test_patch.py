"""apply_patch: unified diffs validated by context; failures show the hunk and nearest lines."""

from __future__ import annotations

from pathlib import Path

from agents.tools.base import ToolContext, ToolRegistry

from .conftest import make_repo, run_git

GOOD = "\n".join(
    [
        "diff --git a/src/util.py b/src/util.py",
        "--- a/src/util.py",
        "+++ b/src/util.py",
        "@@ -1,5 +1,5 @@",
        " def add(a, b):",
        "-    return a + b",
        "+    return a + b  # sum",
        " ",
        " ",
        " def sub(a, b):",
        "diff --git a/docs/new.md b/docs/new.md",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/docs/new.md",
        "@@ -0,0 +1,2 @@",
        "+# New",
        "+text",
        "",
    ]
)

STALE = """--- a/src/app.py
+++ b/src/app.py
@@ -8,2 +8,2 @@
 def farewell(name):
-    return f"Bye, {name}!"
+    return f"See you, {name}!"
"""


def test_a_valid_patch_applies(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    result = registry.call(ctx, "apply_patch", {"patch": GOOD})
    assert result.ok, result.output
    assert result.changed_paths == ("src/util.py", "docs/new.md")
    assert "return a + b  # sum" in (repo / "src/util.py").read_text()
    assert (repo / "docs/new.md").read_text() == "# New\ntext\n"


def test_miscounted_hunk_headers_are_recounted(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    patch = GOOD.split("diff --git a/docs")[0].replace("@@ -1,5 +1,5 @@", "@@ -1,9 +1,2 @@")
    assert registry.call(ctx, "apply_patch", {"patch": patch}).ok


def test_a_stale_hunk_is_shown_with_the_nearest_lines(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    before = (repo / "src/util.py").read_text()
    combined = GOOD.split("diff --git a/docs")[0] + STALE
    result = registry.call(ctx, "apply_patch", {"patch": combined})
    assert not result.ok
    assert "the patch does not apply; nothing was changed" in result.output
    assert "error: patch failed: src/app.py:8" in result.output
    assert "The hunk that failed (src/app.py):\n@@ -8,2 +8,2 @@" in result.output
    assert "The nearest match is lines 8-9" in result.output
    assert '+    return f"Goodbye, {name}!"' in result.output
    assert (repo / "src/util.py").read_text() == before  # the good half was not applied


def test_garbage_and_headerless_patches(
    registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    garbage = registry.call(ctx, "apply_patch", {"patch": "please change greet to say hi"})
    assert not garbage.ok and "no file headers found" in garbage.output
    corrupt = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,1 +1,1 @@\n-import sys\n+import re\n"
    result = registry.call(ctx, "apply_patch", {"patch": corrupt})
    assert not result.ok and "does not apply" in result.output


def test_patch_paths_are_confined_and_protected(
    tmp_path: Path, repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    escape = "--- a/../evil.txt\n+++ b/../evil.txt\n@@ -0,0 +1 @@\n+x\n"
    result = registry.call(ctx, "apply_patch", {"patch": escape})
    assert not result.ok and "contains '..'" in result.output
    workflow = (
        "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n"
        "@@ -1,2 +1,2 @@\n-on: push\n+on: pull_request\n jobs: {}\n"
    )
    refused = registry.call(ctx, "apply_patch", {"patch": workflow})
    assert not refused.ok and "protected path" in refused.output
    git_dir = "--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+rm -rf /\n"
    assert "inside .git" in registry.call(ctx, "apply_patch", {"patch": git_dir}).output
    assert not (tmp_path / "evil.txt").exists()


def test_deletion_rename_and_no_prefix(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    run_git(repo, "mv", "src/util.py", "src/maths.py")
    rename = run_git(repo, "diff", "--cached", "-M", "HEAD")
    run_git(repo, "reset", "--hard", "--quiet")
    result = registry.call(ctx, "apply_patch", {"patch": rename})
    assert result.ok and set(result.changed_paths) == {"src/util.py", "src/maths.py"}
    assert (repo / "src/maths.py").exists() and not (repo / "src/util.py").exists()
    plain = (
        "--- README.md\n+++ README.md\n@@ -1,3 +1,3 @@\n # Demo\n \n-A demo project.\n+A project.\n"
    )
    assert registry.call(ctx, "apply_patch", {"patch": plain}).ok
    assert (repo / "README.md").read_text() == "# Demo\n\nA project.\n"


def test_workspace_in_a_subdirectory_of_a_repository(
    tmp_path: Path, registry: ToolRegistry[ToolContext]
) -> None:
    repo = make_repo(tmp_path / "mono", {"svc/a.txt": "one\n", "other/b.txt": "two\n"})
    ctx = ToolContext(workspace=repo / "svc")
    patch = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\n+uno\n"
    result = registry.call(ctx, "apply_patch", {"patch": patch})
    assert result.ok, result.output
    assert (repo / "svc/a.txt").read_text() == "uno\n"


def test_blank_separators_and_removed_dash_lines(
    tmp_path: Path, registry: ToolRegistry[ToolContext]
) -> None:
    repo = make_repo(tmp_path / "d", {"notes.sql": "select 1;\n-- old comment\nselect 2;\n"})
    patch = (
        "--- a/notes.sql\n+++ b/notes.sql\n@@ -1,3 +1,3 @@\n select 1;\n"
        "--- old comment\n+-- new comment\n select 2;\n\n\n"
    )
    result = registry.call(ToolContext(workspace=repo), "apply_patch", {"patch": patch})
    assert result.ok, result.output
    assert (repo / "notes.sql").read_text() == "select 1;\n-- new comment\nselect 2;\n"
