"""A cgroup per command: the kernel bounds the process count and memory of its whole tree.

The command's first process writes itself into `procs_files` before it execs, so every
process it starts is counted from the start; a fork past `pids.max` fails in the kernel,
however fast a fork bomb is and whatever its uid. On close every process in the cgroup is
killed (`cgroup.kill` on v2, SIGKILL rounds on v1, which has no such file) and the
directories are removed. `find_plan` (cgroupfs.py) says where they go.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

from agents.tools.base import ToolError
from agents.tools.cgroupfs import CgroupPlan

CPU_PERIOD_US = 100_000
# How long to keep killing and waiting for a cgroup to empty before giving up on removing it.
CLOSE_SECONDS = 5.0
# A command cgroup's name; the sweep removes only directories named so.
NAME_PATTERN = re.compile(r"codemonkey-[0-9a-f]{12}")
# An empty command cgroup older than this was abandoned: a live one holds its launcher
# within milliseconds of being made.
STALE_SECONDS = 60.0

log = logging.getLogger(__name__)


class CgroupError(ToolError):
    """A command's cgroup could not be made; the message says how to fix or turn it off."""


class TaskCgroup:
    """One command's cgroup (one directory per v1 hierarchy, one directory on v2)."""

    def __init__(self, plan: CgroupPlan, *, memory: int, processes: int, cpus: float) -> None:
        self.version = plan.version
        retry_unclosed()
        name = f"codemonkey-{uuid.uuid4().hex[:12]}"
        self.dirs: dict[str, Path] = {c: p / name for c, p in plan.parents}
        self._made: list[Path] = []
        try:
            for directory in dict.fromkeys(self.dirs.values()):
                directory.mkdir()
                self._made.append(directory)
            self._set_limits(memory, processes, cpus)
        except OSError as exc:
            self.close()
            raise CgroupError(
                f"could not make the command's cgroup under {plan.describe()}: {exc}. Fix its "
                "permissions, or set CODEMONKEY_SANDBOX_CGROUP=off to rely on the process "
                "watchdog"
            ) from exc

    def _set_limits(self, memory: int, processes: int, cpus: float) -> None:
        (self.dirs["pids"] / "pids.max").write_text(str(processes))
        mem = self.dirs.get("memory")
        if self.version == "v2":
            if mem is not None:
                (mem / "memory.max").write_text(str(memory))
                # The whole command is stopped at the limit, not one process of it.
                for knob, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                    with contextlib.suppress(OSError):  # absent without swap accounting
                        (mem / knob).write_text(value)
            if "cpu" in self.dirs:
                quota = f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}"
                (self.dirs["cpu"] / "cpu.max").write_text(quota)
        elif mem is not None:
            (mem / "memory.limit_in_bytes").write_text(str(memory))
            with contextlib.suppress(OSError):  # absent without swap accounting
                (mem / "memory.memsw.limit_in_bytes").write_text(str(memory))

    @property
    def procs_files(self) -> list[Path]:
        """The files a process writes its pid into to join (every hierarchy on v1)."""
        return [d / "cgroup.procs" for d in dict.fromkeys(self.dirs.values())]

    def members(self) -> set[int]:
        pids: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in procs.read_text().split())
        return pids

    def hit(self) -> str | None:
        """Which limit stopped something: 'memory', 'processes' or None."""
        mem = self.dirs.get("memory")
        if mem is not None:
            if self.version == "v2":
                events = _pairs(mem / "memory.events")
                if events.get("oom_kill", 0) + events.get("oom_group_kill", 0) > 0:
                    return "memory"
            elif _pairs(mem / "memory.oom_control").get("oom_kill", 0) > 0:
                return "memory"
        if _pairs(self.dirs["pids"] / "pids.events").get("max", 0) > 0:
            return "processes"
        return None

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, once (close() repeats until it is empty)."""
        if self.version == "v2":
            with contextlib.suppress(OSError):
                (self.dirs["pids"] / "cgroup.kill").write_text("1")
                return
        # v1: a process may fork between reading the list and the kill; the next round
        # catches its child, and pids.max bounds how many there can be. All are stopped
        # before any is killed, so none sees another die and acts on it (a shell would run
        # its next command when its foreground child is gone).
        members = sorted(self.members())
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)

    def close(self, seconds: float = CLOSE_SECONDS) -> bool:
        """Kill everything in the cgroup and remove it; False if something was left, in
        which case the next command's cgroup tries again (`retry_unclosed`)."""
        deadline = time.monotonic() + seconds
        while self._made:
            self.kill()
            for directory in list(self._made):
                try:
                    directory.rmdir()
                    self._made.remove(directory)
                except FileNotFoundError:
                    self._made.remove(directory)
                except OSError:  # EBUSY until the killed processes are gone
                    pass
            if not self._made or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if self._made:
            with _unclosed_lock:
                _unclosed.add(self)
        return not self._made


# Cgroups whose close() ran out of time (a process slow to die, say). Without a retry they
# would stay under the worker's cgroup for good, one per such command.
_unclosed: set[TaskCgroup] = set()
_unclosed_lock = threading.Lock()


def retry_unclosed() -> None:
    """Kill and remove, in one quick round each, the cgroups earlier closes left behind."""
    with _unclosed_lock:
        pending = list(_unclosed)
        _unclosed.clear()
    for cgroup in pending:
        cgroup.close(seconds=0)  # adds itself back if it is still there


def sweep_stale(plan: CgroupPlan, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove empty command cgroups under the plan's parents that nobody uses any more
    (left by a worker that was killed while closing one); returns what was removed.

    Only empty directories of our naming older than `older_than` go: a cgroup another
    worker made a moment ago is empty until its launcher joins it, and the kernel refuses
    to remove one that holds processes."""
    removed = []
    now = time.time()
    for parent in dict.fromkeys(path for _, path in plan.parents):
        with contextlib.suppress(OSError):
            for child in parent.iterdir():
                if not (NAME_PATTERN.fullmatch(child.name) and child.is_dir()):
                    continue
                try:
                    if now - child.stat().st_mtime < older_than:
                        continue
                    if (child / "cgroup.procs").read_text().strip():
                        continue
                    child.rmdir()
                except OSError:  # busy, or removed by someone else meanwhile
                    continue
                removed.append(child)
    if removed:
        log.info("removed %d abandoned command cgroups under %s", len(removed), plan.describe())
    return removed


def _pairs(path: Path) -> dict[str, int]:
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}
    except OSError:
        return {}
