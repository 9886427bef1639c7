"""Totals over a command's whole process tree, read from /proc.

rlimits bound each process on its own: four processes of 200 MB each pass a 300 MB
`RLIMIT_AS`, and `RLIMIT_NPROC` does nothing for root. Where no cgroup is delegated to the
service, the supervisor polls these totals and stops the tree when one passes its limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class TreeUsage:
    tasks: int  # processes and threads, as pids.max counts them
    memory_bytes: int  # resident memory summed over processes (shared pages count twice)
    cpu_seconds: float  # user + system time, including reaped children

    def over(self, *, memory_bytes: int, max_tasks: int, cpu_seconds: float) -> str | None:
        if self.memory_bytes > memory_bytes:
            return "memory"
        if self.tasks > max_tasks:
            return "processes"
        if self.cpu_seconds > cpu_seconds:
            return "cpu"
        return None


def _stat_fields(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode(errors="replace")
    except OSError:
        return None
    # The command name may contain spaces and parentheses; the fields follow the last ')'.
    return raw[raw.rfind(")") + 2 :].split()


def tree_usage(root_pid: int) -> TreeUsage:
    children: dict[int, list[int]] = {}
    fields_of: dict[int, list[str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None or len(fields) < 22:
            continue
        pid = int(entry.name)
        fields_of[pid] = fields
        children.setdefault(int(fields[1]), []).append(pid)
    tasks = memory = ticks = 0
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        fields = fields_of.get(pid)
        if fields is not None:
            ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
            tasks += int(fields[17])
            memory += int(fields[21]) * PAGE_SIZE
        pending.extend(children.get(pid, ()))
    return TreeUsage(tasks, memory, ticks / CLOCK_TICKS)
