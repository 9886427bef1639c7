from __future__ import annotations

from pathlib import Path

from agents.runtime import CallContext
from agents.runtime.toolset import ToolSet
from agents.team.files import WorkspaceFiles

CTX = CallContext(task_id=1, step=1, role="backend_developer", idempotency_key="k")


def test_writes_stay_inside_the_declared_paths(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    tools = ToolSet(WorkspaceFiles(tmp_path, writable=frozenset({"src/app.py"})).tools())
    wrote = tools.call("write_file", {"path": "./src/app.py", "content": "x = 1\n"}, CTX)
    assert wrote.ok and wrote.changed_paths == ("src/app.py",)
    refused = tools.call("write_file", {"path": "other.py", "content": ""}, CTX)
    assert not refused.ok and "not among the paths this task declared" in refused.output
    for path in ("../escape.py", "/etc/passwd", ".git/config"):
        outcome = tools.call("read_file", {"path": path}, CTX)
        assert not outcome.ok
    assert not (tmp_path.parent / "escape.py").exists()
    listed = tools.call("list_files", {}, CTX)
    assert listed.output == "src/app.py"


def test_edit_needs_exactly_one_match(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\nx = 1\ny = 2\n")
    tools = ToolSet(WorkspaceFiles(tmp_path).tools())
    twice = tools.call("edit_file", {"path": "a.py", "search": "x = 1", "replace": "x = 3"}, CTX)
    assert not twice.ok and "occurs 2 times" in twice.output
    once = tools.call("edit_file", {"path": "a.py", "search": "y = 2", "replace": "y = 3"}, CTX)
    assert once.ok and (tmp_path / "a.py").read_text() == "x = 1\nx = 1\ny = 3\n"
    missing = tools.call("read_file", {"path": "nope.py"}, CTX)
    assert not missing.ok and "use list_files" in missing.output
