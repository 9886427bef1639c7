"""Finding 7: limits hold for the whole process tree of a command, and search cannot hang."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry

MB = 1024**2
# Four processes touching 200 MB each; each alone fits a 300 MB limit.
FOUR_HOGS = (
    "for i in 1 2 3 4; do "
    "python3 -c 'import time; b = b\"x\" * (200 << 20); time.sleep(5)' & "
    "done; wait; echo ALL-FOUR-$((2 + 2))"
)
# 200 processes against a limit of 64: stopped by the cgroup or, without one, the /proc
# watchdog. The exponential fork bomb runs in test_fork_bomb.py, inside a cgroup of the
# test's own, since without the product's cgroup it would fill the machine's process table.
PROCESS_STORM = "for i in $(seq 200); do sleep 20 & done; wait; echo SURVIVED-$((40 + 2))"


def limited(
    ctx: ToolContext, *, memory_bytes: int = 1024 * MB, processes: int = 256
) -> ToolContext:
    settings = SandboxSettings(
        backend="bwrap",
        timeout_seconds=30,
        cpu_seconds=20,
        memory_bytes=memory_bytes,
        max_processes=processes,
    )
    return replace(ctx, sandbox=settings)


def test_memory_is_limited_for_the_whole_tree(ctx: ToolContext) -> None:
    result = workspace_registry().call(
        limited(ctx, memory_bytes=300 * MB), "run_command", {"command": FOUR_HOGS}
    )
    assert not result.ok
    assert "ALL-FOUR-4" not in result.output
    assert "300 MB memory limit" in result.output


def test_a_process_storm_is_stopped_at_the_process_limit(ctx: ToolContext) -> None:
    started = time.monotonic()
    result = workspace_registry().call(
        limited(ctx, processes=64), "run_command", {"command": PROCESS_STORM}
    )
    assert not result.ok and "SURVIVED-42" not in result.output
    assert "more than 64 processes" in result.output
    assert time.monotonic() - started < 15


def test_a_pathological_regex_does_not_hang_the_python_scan(tmp_path: Path) -> None:
    # Not a git checkout: the Python scan runs (git grep has PCRE's own limits).
    root = tmp_path / "plain"
    root.mkdir()
    (root / "a.txt").write_text("a" * 40 + "!\n")
    ctx = ToolContext(workspace=root, search_seconds=1.0)
    tools = workspace_registry()
    for pattern in ("(a+)+$", "(a|aa)+$"):
        started = time.monotonic()
        result = tools.call(ctx, "search_files", {"pattern": pattern, "regex": True})
        assert time.monotonic() - started < 5, pattern
        assert result.ok or "took longer than 1s" in result.output
