"""An outer cgroup the attack tests put a whole worker in, so a failing sandbox stays harmless.

The worker is a child Python process that joins the jail before importing anything, then
runs one command through the real `run_command` tool. Its per-command cgroups nest inside
the jail (cgroup v1: the worker's own cgroup is their parent; v2: the jail is the delegated
parent and the worker sits in its `worker` leaf), so the jail's hierarchical counters see
the command, and its own `pids.max`/memory limit bound the machine's exposure even when the
product's containment is broken.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agents.tools.cgroupfs import CgroupPlan, find_plan

ROOT = Path(__file__).resolve().parents[2]
JAIL_PROCESSES = 500
JAIL_MEMORY = 1024**3

WORKER = """
import json, os, sys
for procs in filter(None, sys.argv[1].split("\\n")):
    with open(procs, "w") as handle:
        handle.write(str(os.getpid()))
from pathlib import Path
from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner

limits = json.loads(sys.argv[2])
parent = Path(sys.argv[3]) if sys.argv[3] else None
settings = SandboxSettings(backend="bwrap", **limits)
ctx = ToolContext(workspace=Path(sys.argv[4]), sandbox=settings)
tools = workspace_registry(SandboxRunner(cgroup_parent=parent))
print("READY", flush=True)
command = sys.stdin.readline()
result = tools.call(ctx, "run_command", {"command": command})
print(json.dumps({"ok": result.ok, "output": result.output[-3000:]}), flush=True)
sys.stdin.readline()
"""


@dataclass
class Jail:
    plan: CgroupPlan
    dirs: dict[str, Path]  # controller -> the jail's directory
    worker_procs: list[Path]  # what the worker writes its pid into
    product_parent: Path | None  # v2: the parent handed to the product
    peak_processes: int = 0
    _sampling: bool = field(default=False, repr=False)

    def read(self, controller: str, name: str) -> int:
        return int((self.dirs[controller] / name).read_text().split()[0])

    def processes(self) -> int:
        return self.read("pids", "pids.current")

    def settled_processes(self, expected: int, seconds: float = 3.0) -> int:
        """The task count once killed processes are reaped (their slots free on reaping)."""
        deadline = time.monotonic() + seconds
        while (count := self.processes()) != expected and time.monotonic() < deadline:
            time.sleep(0.01)
        return count

    def members(self) -> set[int]:
        """Every process in the jail, in any cgroup below it."""
        pids: set[int] = set()
        for directory in {p for d in self.dirs.values() for p in _all_dirs(d)}:
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
        return pids

    def memory(self) -> int:
        name = "memory.usage_in_bytes" if self.plan.version == "v1" else "memory.current"
        return self.read("memory", name)

    def reset_memory_peak(self) -> None:
        name = "memory.max_usage_in_bytes" if self.plan.version == "v1" else "memory.peak"
        (self.dirs["memory"] / name).write_text("0")

    def memory_peak(self) -> int:
        name = "memory.max_usage_in_bytes" if self.plan.version == "v1" else "memory.peak"
        return self.read("memory", name)

    def leftover_cgroups(self) -> list[str]:
        """Cgroups the product left inside the jail (the v2 worker leaf is the test's)."""
        return sorted(
            p.name
            for d in set(self.dirs.values())
            for p in d.iterdir()
            if p.is_dir() and p.name != "worker"
        )

    @contextlib.contextmanager
    def sampling(self) -> Iterator[None]:
        """Track the most tasks in the jail at once, every millisecond or so."""
        self._sampling = True

        def sample() -> None:
            while self._sampling:
                with contextlib.suppress(OSError, ValueError):
                    self.peak_processes = max(self.peak_processes, self.processes())
                time.sleep(0.001)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._sampling = False
            thread.join()
            with contextlib.suppress(OSError, ValueError):  # pids.peak: kernels from 6.1
                self.peak_processes = max(self.peak_processes, self.read("pids", "pids.peak"))


def _all_dirs(top: Path) -> list[Path]:
    """`top` and every cgroup below it, deepest first (the order they can be removed in)."""
    found = [Path(root) for root, _, _ in os.walk(top)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _destroy(top: Path) -> None:
    deadline = time.monotonic() + 10
    while top.exists() and time.monotonic() < deadline:
        for directory in _all_dirs(top):
            with contextlib.suppress(OSError):
                for pid in (directory / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                directory.rmdir()
        time.sleep(0.01)
    assert not top.exists(), f"could not remove the test's cgroup {top}"


@contextlib.contextmanager
def jail() -> Iterator[Jail]:
    """A fresh jail, or a skip that says why none can be enforced on this machine."""
    parent_setting = os.environ.get("CODEMONKEY_SANDBOX_CGROUP_PARENT")
    plan = find_plan("auto", Path(parent_setting) if parent_setting else None)
    if not isinstance(plan, CgroupPlan):
        pytest.skip(f"no pids cgroup can be enforced on this machine: {plan}")
    if "memory" not in plan.controllers:
        pytest.skip(f"the attack tests need the memory controller too; found {plan.describe()}")
    name = f"codemonkey-safety-{uuid.uuid4().hex[:8]}"
    made = [d / name for d in dict.fromkeys(p for _, p in plan.parents)]
    try:
        for directory in made:
            directory.mkdir()
        dirs = {c: p / name for c, p in plan.parents}
        (dirs["pids"] / "pids.max").write_text(str(JAIL_PROCESSES))
        if plan.version == "v1":
            (dirs["memory"] / "memory.limit_in_bytes").write_text(str(JAIL_MEMORY))
            procs, parent = [d / "cgroup.procs" for d in made], None
        else:
            (dirs["memory"] / "memory.max").write_text(str(JAIL_MEMORY))
            (dirs["pids"] / "cgroup.subtree_control").write_text("+pids +memory")
            (dirs["pids"] / "worker").mkdir()
            procs, parent = [dirs["pids"] / "worker" / "cgroup.procs"], dirs["pids"]
        yield Jail(plan, dirs, procs, parent)
    finally:
        for directory in made:
            _destroy(directory)


@dataclass
class JailedWorker:
    """The worker process inside the jail, between READY and its result."""

    proc: subprocess.Popen[str]

    def run(self, command: str, timeout: float) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = _readline(self.proc, timeout)
        result: dict[str, object] = json.loads(line)
        return result


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    stdout = proc.stdout
    assert stdout is not None
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box or not box[0]:
        raise AssertionError(f"the worker gave no answer within {timeout:g}s")
    return box[0]


@contextlib.contextmanager
def jailed_worker(cell: Jail, workspace: Path, **limits: object) -> Iterator[JailedWorker]:
    procs = "\n".join(map(str, cell.worker_procs))
    parent = str(cell.product_parent or "")
    argv = [sys.executable, "-c", WORKER, procs, json.dumps(limits), parent, str(workspace)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert _readline(proc, 60).strip() == "READY"
        yield JailedWorker(proc)
    finally:
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
