"""Running one sandboxed process tree to its end: output capture, wall time and totals.

The process is started in a new session; its output is kept head and tail within a budget;
at the wall-time deadline, or when the tree's memory, task count or CPU total passes its
limit (its cgroup reports that the kernel refused a fork or killed for memory, or the /proc
watchdog sees a total passed), the whole tree is killed: its process group, and everything
in its cgroup (which catches processes that left the group with setsid).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from agents.tools.base import SandboxSettings
from agents.tools.cgroup import TaskCgroup
from agents.tools.proctree import tree_usage

# After the process exits, how long to keep reading output still buffered in the pipe.
DRAIN_SECONDS = 0.5
# How often the process tree's totals are checked.
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class CommandOutcome:
    exit_code: int | None  # None when killed by a signal
    output: str
    signal: int | None
    timed_out: bool
    cpu_limited: bool
    omitted_bytes: int
    duration_seconds: float
    backend: str
    # "memory" or "processes" when the task's total limit stopped the command.
    limit_hit: str | None = None
    # Set when the command changed `.git` (and what the service did about it).
    git_tampered: str | None = None


def execute(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    settings: SandboxSettings,
    backend: str,
    cgroup: TaskCgroup | None = None,
) -> tuple[CommandOutcome, int]:
    """Run `argv` (already wrapped with its limits, joining `cgroup` if given); the outcome
    and the started pid."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    child = _Child(proc.pid)
    head = bytearray()
    half = max(1, settings.max_output_bytes // 2)
    tail: deque[bytes] = deque()
    tail_size = 0
    omitted = 0
    timed_out = False
    limit_hit: str | None = None
    deadline = started + settings.timeout_seconds
    next_poll = started
    drain_until: float | None = None
    os.set_blocking(proc.stdout.fileno(), False)
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if drain_until is None and child.exited():
                drain_until = now + DRAIN_SECONDS
            if drain_until is not None and now >= drain_until:
                break
            if drain_until is None and now >= next_poll:
                next_poll = now + POLL_SECONDS
                limit_hit = cgroup.hit() if cgroup is not None else None
                if limit_hit is None:
                    limit_hit = tree_usage(proc.pid).over(
                        memory_bytes=settings.memory_bytes,
                        max_tasks=settings.max_processes,
                        cpu_seconds=settings.cpu_seconds,
                    )
                if limit_hit is not None:
                    _kill_group(proc, cgroup)
                    drain_until = time.monotonic() + DRAIN_SECONDS
                    continue
            if drain_until is None and now >= deadline:
                timed_out = True
                _kill_group(proc, cgroup)
                drain_until = time.monotonic() + DRAIN_SECONDS
                continue
            limit = drain_until if drain_until is not None else min(deadline, next_poll)
            if not selector.select(timeout=min(0.2, max(0.0, limit - now))):
                continue
            chunk = proc.stdout.read(65536)
            if not chunk:
                if child.exited():
                    break
                time.sleep(0.01)
                continue
            if len(head) < half:
                take = half - len(head)
                head += chunk[:take]
                chunk = chunk[take:]
            if chunk:
                tail.append(chunk)
                tail_size += len(chunk)
                while tail_size - len(tail[0]) >= half:
                    omitted += len(tail[0])
                    tail_size -= len(tail[0])
                    tail.popleft()
    _kill_group(proc, cgroup)
    returncode, cpu_used = child.wait()
    if limit_hit is None and cgroup is not None and returncode != 0:
        # A fork refused or a process killed for memory after the last poll.
        limit_hit = cgroup.hit()
    proc.returncode = returncode
    proc.stdout.close()
    tail_bytes = b"".join(tail)
    if tail_size > half:
        omitted += tail_size - half
        tail_bytes = tail_bytes[-half:]
    text = head.decode(errors="replace")
    if omitted:
        text += f"\n[... {omitted} bytes of output omitted ...]\n"
    text += tail_bytes.decode(errors="replace")
    sig = _signal_of(returncode, backend)
    cpu_limited = limit_hit == "cpu" or (
        sig == signal.SIGXCPU
        or (sig == signal.SIGKILL and not timed_out and cpu_used >= settings.cpu_seconds)
    )
    outcome = CommandOutcome(
        exit_code=None if sig is not None else returncode,
        output=text,
        signal=sig,
        timed_out=timed_out,
        cpu_limited=cpu_limited,
        omitted_bytes=omitted,
        duration_seconds=time.monotonic() - started,
        backend=backend,
        limit_hit=limit_hit if limit_hit in ("memory", "processes") else None,
    )
    return outcome, proc.pid


class _Child:
    """Reaps with wait4, whose resource usage tells a CPU-limit kill from other kills."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.status: int | None = None
        self.cpu_seconds = 0.0

    def _reap(self, flags: int) -> None:
        pid, status, usage = os.wait4(self.pid, flags)
        if pid == self.pid:
            self.status = status
            self.cpu_seconds = usage.ru_utime + usage.ru_stime

    def exited(self) -> bool:
        if self.status is None:
            self._reap(os.WNOHANG)
        return self.status is not None

    def wait(self) -> tuple[int, float]:
        """(exit code as subprocess reports it, CPU seconds used)."""
        if self.status is None:
            self._reap(0)
        assert self.status is not None
        return os.waitstatus_to_exitcode(self.status), self.cpu_seconds


def _signal_of(returncode: int, backend: str) -> int | None:
    if returncode < 0:
        return -returncode
    # bubblewrap and the container runtimes report a signalled child as 128 + the signal.
    if (
        backend in ("bwrap", "podman", "docker")
        and returncode > 128
        and returncode - 128 < signal.NSIG
    ):
        return returncode - 128
    return None


def _kill_group(proc: subprocess.Popen[bytes], cgroup: TaskCgroup | None) -> None:
    # The process group first, in one step; then whatever left it but not the cgroup.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.kill()
    if cgroup is not None:
        cgroup.kill()
