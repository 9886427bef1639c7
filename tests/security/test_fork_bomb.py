"""Finding 7, kernel side: an exponential fork bomb and a memory hog spread over processes,
run as the worker runs them (root here), are held at the command's limits by its cgroup.

Polling /proc every 0.1 s cannot stop a fork bomb: between two polls it fills the machine's
process table. So each attack runs in a worker inside an outer cgroup of the test's own
(`jail.py`, at most 500 tasks and 1 GB), and the test measures the jail: with the product's
cgroup the command never holds more than its limit; without it (CODEMONKEY_SANDBOX_CGROUP=
off) the bomb reaches the jail's 500 and the test fails, harmlessly.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.security.jail import jail, jailed_worker

MB = 1024**2
PROCESSES = 64
TIMEOUT = 30
BOMB = "bomb() { bomb | bomb & }; bomb; sleep 25; echo BOMB-FINISHED-$((40 + 2))"
# Four processes of 150 MB each under a 300 MB limit: each alone passes the per-process
# RLIMIT_AS; together they are twice the limit. They start together (at the `go` file),
# so the memory grows at the machine's full speed between two polls of the watchdog.
HOGS = (
    "for i in 1 2 3 4; do python3 -c 'import os, time; "
    '[time.sleep(0.001) for _ in iter(lambda: os.path.exists("go"), True)]; '
    'b = b"x" * (150 << 20); time.sleep(10)\' & done; '
    "sleep 0.5; touch go; wait; echo ALL-HELD-$((2 + 2))"
)

# 600 MB in the sandbox's private /tmp, a tmpfs: memory no process's RSS shows, so only the
# cgroup, which is charged for the pages, can see it.
TMPFS_FILL = (
    "for i in 1 2 3 4 5 6; do head -c 100M /dev/zero > /tmp/fill-$i || exit 1; done; "
    "echo ALL-HELD-$((3 + 3))"
)


def test_an_exponential_fork_bomb_is_held_at_the_process_limit(tmp_path: Path) -> None:
    with jail() as cell:
        limits = {"timeout_seconds": TIMEOUT, "cpu_seconds": 20, "max_processes": PROCESSES}
        with jailed_worker(cell, tmp_path, **limits) as worker:
            before = cell.processes()  # the worker itself
            started = time.monotonic()
            with cell.sampling():
                result = worker.run(BOMB, timeout=TIMEOUT + 30)
            elapsed = time.monotonic() - started
            members = cell.members()
            after = cell.settled_processes(before)
            leftovers = cell.leftover_cgroups()
        assert cell.peak_processes - before <= PROCESSES, (
            f"the command held {cell.peak_processes - before} tasks at once "
            f"(limit {PROCESSES}); the jail's {cell.peak_processes} of 500 shows the bomb spread"
        )
        assert not result["ok"] and "BOMB-FINISHED-42" not in str(result["output"])
        assert f"more than {PROCESSES} processes" in str(result["output"])
        assert elapsed < TIMEOUT
        assert members == {worker.proc.pid}, f"{len(members) - 1} processes outlived the command"
        assert after == before, f"{after - before} tasks outlived the command"
        assert leftovers == [], f"cgroups left behind: {leftovers}"


def test_memory_spread_over_processes_is_held_at_the_limit(tmp_path: Path) -> None:
    with jail() as cell:
        limits = {"timeout_seconds": TIMEOUT, "cpu_seconds": 20, "memory_bytes": 300 * MB}
        with jailed_worker(cell, tmp_path, **limits) as worker:
            before = cell.memory()
            cell.reset_memory_peak()
            result = worker.run(HOGS, timeout=TIMEOUT + 30)
            peak = cell.memory_peak() - before
            leftovers = cell.leftover_cgroups()
        assert not result["ok"] and "ALL-HELD-4" not in str(result["output"])
        assert "300 MB memory limit" in str(result["output"])
        # The worker's own memory moves a little while it runs the command.
        assert peak <= 300 * MB + 8 * MB, f"the command's processes held {peak // MB} MB"
        assert leftovers == [], f"cgroups left behind: {leftovers}"


def test_memory_hidden_in_the_private_tmp_is_held_at_the_limit(tmp_path: Path) -> None:
    with jail() as cell:
        limits = {"timeout_seconds": TIMEOUT, "cpu_seconds": 20, "memory_bytes": 300 * MB}
        with jailed_worker(cell, tmp_path, **limits) as worker:
            before = cell.memory()
            cell.reset_memory_peak()
            result = worker.run(TMPFS_FILL, timeout=TIMEOUT + 30)
            peak = cell.memory_peak() - before
            leftovers = cell.leftover_cgroups()
        assert "ALL-HELD-6" not in str(result["output"]), result["output"]
        assert not result["ok"] and "300 MB memory limit" in str(result["output"])
        assert peak <= 300 * MB + 8 * MB, f"the command held {peak // MB} MB"
        assert leftovers == [], f"cgroups left behind: {leftovers}"
