"""A cgroup v2 per command: memory, process count and CPU limited for the whole process tree.

Used when the operator names a delegated cgroup v2 directory (`cgroup_parent`) whose
`cgroup.subtree_control` enables the memory, pids and cpu controllers; without one, the
supervisor's process-tree watchdog enforces the same totals by polling.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def usable_parent(parent: Path | None) -> Path | None:
    """`parent` if it is a writable cgroup v2 directory delegating the needed controllers."""
    if parent is None:
        return None
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    if not all(c in enabled for c in CONTROLLERS) or not os.access(parent, os.W_OK):
        return None
    return parent


class TaskCgroup:
    """One command's cgroup; the process joins it by writing its pid to `procs_file`."""

    def __init__(self, parent: Path, *, memory: int, processes: int, cpus: float) -> None:
        self.path = parent / f"codemonkey-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        (self.path / "memory.max").write_text(str(memory))
        with contextlib.suppress(OSError):  # absent without swap accounting
            (self.path / "memory.swap.max").write_text("0")
        (self.path / "pids.max").write_text(str(processes))
        (self.path / "cpu.max").write_text(f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")

    @property
    def procs_file(self) -> Path:
        return self.path / "cgroup.procs"

    def hit(self) -> str | None:
        """Which limit stopped something: 'memory', 'processes' or None."""
        events = _events(self.path / "memory.events")
        if events.get("oom_kill", 0) > 0:
            return "memory"
        if _events(self.path / "pids.events").get("max", 0) > 0:
            return "processes"
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            (self.path / "cgroup.kill").write_text("1")
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _events(path: Path) -> dict[str, int]:
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2}
    except OSError:
        return {}
