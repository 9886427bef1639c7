"""The adapter from `agents.tools` to the agent loop: declared paths, protected paths, replay."""

from __future__ import annotations

from pathlib import Path

from agents.runtime import CallContext
from agents.runtime.toolset import ToolSet
from agents.team.toolbox import written_paths
from tests.agents.helpers import workspace_tools

CTX = CallContext(task_id=1, step=1, role="backend_developer", idempotency_key="k")
PATCH = "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-b = 1\n+b = 2\n"


def _box(root: Path, declared: tuple[str, ...] = ()) -> ToolSet:
    (root / "a.py").write_text("a = 1\n")
    (root / "b.py").write_text("b = 1\n")
    return ToolSet(workspace_tools(root, declared))


def test_a_task_writes_only_the_paths_it_declared(tmp_path: Path) -> None:
    box = _box(tmp_path, ("./a.py",))
    ok = box.call("write_file", {"path": "a.py", "content": "a = 2\n"}, CTX)
    assert ok.ok and ok.changed_paths == ("a.py",)
    for name, args in (
        ("write_file", {"path": "b.py", "content": "x"}),
        ("edit_file", {"edits": [{"path": "b.py", "old": "b = 1", "new": "b = 2"}]}),
        ("apply_patch", {"patch": PATCH}),
    ):
        refused = box.call(name, args, CTX)
        assert not refused.ok and "not among the paths this task declared" in refused.output
    assert (tmp_path / "b.py").read_text() == "b = 1\n"


def test_protected_paths_and_escapes_are_refused_by_the_real_tools(tmp_path: Path) -> None:
    box = _box(tmp_path)
    workflow = box.call("write_file", {"path": ".github/workflows/ci.yml", "content": "x"}, CTX)
    assert not workflow.ok and "protected" in workflow.output
    escape = box.call("read_file", {"path": "../x"}, CTX)
    assert not escape.ok
    assert not (tmp_path / ".github").exists()


def test_only_reads_and_whole_file_writes_are_replayed_after_a_crash(tmp_path: Path) -> None:
    box = _box(tmp_path)
    assert box.replay_safe("read_file") and box.replay_safe("write_file")
    for name in ("edit_file", "apply_patch", "run_command"):
        assert not box.replay_safe(name)


def test_written_paths_reads_edits_blocks_and_patches() -> None:
    blocks = "c.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
    assert written_paths("edit_file", {"blocks": blocks}) == ["c.py"]
    assert written_paths("apply_patch", {"patch": PATCH}) == ["b.py"]
    assert written_paths("edit_file", {"edits": []}) == []
