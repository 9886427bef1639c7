"""Per-command cgroups: which layout is chosen, and that nothing is left behind.

Selection runs against fake /proc files and directories laid out like cgroupfs; the limits,
the kill and the clean-up run against the machine's real cgroupfs where one is writable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.tools.base import SandboxSettings
from agents.tools.cgroup import CgroupError, TaskCgroup, sweep_stale
from agents.tools.cgroupfs import CgroupPlan, find_plan, own_dirs, parse_mounts
from agents.tools.sandbox import SandboxRunner
from bot.readiness import run_check
from bot.sandbox_setup import sandbox_check
from bot.settings import Settings

HOST_PLAN = find_plan("auto")
needs_cgroup = pytest.mark.skipif(
    not isinstance(HOST_PLAN, CgroupPlan), reason=f"no writable pids cgroup here: {HOST_PLAN}"
)


def fake_proc(tmp_path: Path, mounts: dict[str, str], cgroup: str) -> Path:
    """A /proc/self whose mountinfo mounts each `mounts` key (fstype + options) under tmp."""
    lines = []
    for number, (point, kind) in enumerate(mounts.items()):
        fstype, _, options = kind.partition(" ")
        (tmp_path / point).mkdir(parents=True, exist_ok=True)
        lines.append(
            f"{30 + number} 25 0:{number} / {tmp_path / point} rw - {fstype} cgroup {options}"
        )
    proc = tmp_path / "proc"
    proc.mkdir(parents=True)
    (proc / "mountinfo").write_text("\n".join(lines) + "\n")
    (proc / "cgroup").write_text(cgroup)
    return proc


def v2_dir(path: Path, offered: str, enabled: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text(offered + "\n")
    (path / "cgroup.subtree_control").write_text(enabled + "\n")
    return path


HYBRID = {"v1pids": "cgroup rw,pids", "v1mem": "cgroup rw,memory", "unified": "cgroup2 rw"}
HYBRID_MEMBERS = "5:pids:/\n4:memory:/svc\n0::/\n"


def test_mountinfo_in_a_container_maps_paths_below_the_mounted_root(tmp_path: Path) -> None:
    line = "40 30 0:35 /docker/abc /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids\n"
    (mount,) = parse_mounts(line + "41 30 0:36 / /proc rw - proc proc rw\n")
    assert mount.root == "/docker/abc" and mount.point == Path("/sys/fs/cgroup/my pids")
    assert mount.version == "v1" and "pids" in mount.controllers


def test_v2_is_preferred_when_it_delegates_pids(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, HYBRID, HYBRID_MEMBERS)
    v2_dir(tmp_path / "unified", "cpu memory pids", "cpu memory pids")
    plan = find_plan("auto", proc=proc)
    assert isinstance(plan, CgroupPlan) and plan.version == "v2"
    assert plan.parent("pids") == plan.parent("memory") == tmp_path / "unified"


def test_v1_is_used_when_v2_offers_no_pids(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, HYBRID, HYBRID_MEMBERS)
    v2_dir(tmp_path / "unified", "hugetlb", "")
    (tmp_path / "v1mem" / "svc").mkdir()
    plan = find_plan("auto", proc=proc)
    assert isinstance(plan, CgroupPlan) and plan.version == "v1"
    # Inside the worker's own cgroup of each hierarchy, so its limits still apply above.
    assert plan.parent("pids") == tmp_path / "v1pids"
    assert plan.parent("memory") == tmp_path / "v1mem" / "svc"


def test_forced_or_disabled_modes_say_why_there_is_no_cgroup(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, HYBRID, HYBRID_MEMBERS)
    v2_dir(tmp_path / "unified", "hugetlb", "")
    assert "offers no pids controller" in str(find_plan("v2", proc=proc))
    assert "CODEMONKEY_SANDBOX_CGROUP=off" in str(find_plan("off", proc=proc))
    not_a_cgroup = tmp_path / "plain"
    not_a_cgroup.mkdir()
    assert "not a cgroup v2 directory" in str(find_plan("v2", not_a_cgroup, proc=proc))
    bare = fake_proc(tmp_path / "bare", {}, "0::/\n")
    assert "no cgroup v1 pids hierarchy" in str(find_plan("v1", proc=bare))


def test_a_named_v2_parent_is_used_with_the_controllers_it_delegates(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, HYBRID, HYBRID_MEMBERS)
    parent = v2_dir(tmp_path / "delegated", "memory pids", "memory pids")
    plan = find_plan("auto", parent, proc=proc)
    assert isinstance(plan, CgroupPlan) and plan.version == "v2"
    assert plan.controllers == ("pids", "memory") and plan.parent("pids") == parent


# The real cgroupfs of this machine.


@pytest.fixture
def host_plan() -> CgroupPlan:
    assert isinstance(HOST_PLAN, CgroupPlan)
    return HOST_PLAN


def _joined(cgroup: TaskCgroup, script: str) -> subprocess.Popen[str]:
    """A Python process that joins `cgroup` first, then runs `script`."""
    join = "import os, sys\nfor p in sys.argv[1:]:\n    open(p, 'w').write(str(os.getpid()))\n"
    argv = [sys.executable, "-c", join + script, *map(str, cgroup.procs_files)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


@pytest.fixture
def cgroup(host_plan: CgroupPlan) -> Iterator[TaskCgroup]:
    made = TaskCgroup(host_plan, memory=256 * 1024**2, processes=4, cpus=1.0)
    yield made
    made.close()


@needs_cgroup
def test_the_kernel_refuses_forks_past_the_limit_and_it_is_reported(cgroup: TaskCgroup) -> None:
    # Ten children wanted, four tasks allowed (the parent is one of them).
    script = (
        "import subprocess\nstarted = 0\nfor _ in range(10):\n    try:\n"
        "        subprocess.Popen(['sleep', '30'])\n        started += 1\n"
        "    except OSError:\n        pass\nprint(started, flush=True)\n"
    )
    proc = _joined(cgroup, script)
    assert proc.stdout is not None
    started = int(proc.stdout.readline())
    assert started == 3
    assert cgroup.hit() == "processes"
    assert len(cgroup.members()) == 4
    assert cgroup.close()
    proc.wait(timeout=5)
    assert all(not d.exists() for d in cgroup.dirs.values())


@needs_cgroup
def test_close_kills_processes_that_left_the_session(cgroup: TaskCgroup) -> None:
    script = (
        "import subprocess\np = subprocess.Popen(['setsid', 'sleep', '60'])\n"
        "print(p.pid, flush=True)\n"
    )
    proc = _joined(cgroup, script)
    assert proc.stdout is not None
    escaped = int(proc.stdout.readline())
    proc.wait(timeout=5)
    assert escaped in cgroup.members()
    assert cgroup.close()
    time.sleep(0.1)
    assert not _alive(escaped)
    assert all(not d.exists() for d in cgroup.dirs.values())


@needs_cgroup
def test_a_cgroup_that_cannot_take_its_limits_is_removed_again(host_plan: CgroupPlan) -> None:
    unified = own_dirs().get("")
    if unified is None or (unified / "cgroup.controllers").read_text().split().count("pids"):
        pytest.skip("needs a cgroup v2 hierarchy without the pids controller (a hybrid host)")
    broken = CgroupPlan(host_plan.version, (("pids", unified),))
    before = sorted(p.name for p in unified.iterdir())
    with pytest.raises(CgroupError, match="CODEMONKEY_SANDBOX_CGROUP=off"):
        TaskCgroup(broken, memory=1024**3, processes=8, cpus=1.0)
    assert sorted(p.name for p in unified.iterdir()) == before


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# A process in a session of its own that writes its pid (setsid -f always forks).
ESCAPE = (
    "setsid -f bash -c 'echo $$ > escaped.pid.tmp; mv escaped.pid.tmp escaped.pid; "
    "exec sleep 60' </dev/null >/dev/null 2>&1; "
    "while [ ! -s escaped.pid ]; do sleep 0.01; done"
)


@needs_cgroup
def test_a_command_that_escapes_its_session_does_not_outlive_it(tmp_path: Path) -> None:
    # On the host backend a `setsid` child escapes the process-group kill; only the
    # cgroup holds it. With cgroups off it survives (killed below to keep the host clean).
    settings = SandboxSettings(backend="unsafe-host", timeout_seconds=20, cpu_seconds=10)
    survivors = {}
    for mode in ("auto", "off"):
        runner = SandboxRunner(cgroup=mode)
        runner.run(
            ["bash", "-c", ESCAPE],
            workspace=tmp_path,
            cwd=tmp_path,
            settings=settings,
        )
        pid = int((tmp_path / "escaped.pid").read_text())
        (tmp_path / "escaped.pid").unlink()
        time.sleep(0.1)
        survivors[mode] = _alive(pid)
        if survivors[mode]:
            os.kill(pid, 9)
    assert survivors == {"auto": False, "off": True}


@needs_cgroup
def test_readiness_and_doctor_say_which_enforcement_is_active(host_plan: CgroupPlan) -> None:
    kernel = run_check(sandbox_check(Settings(sandbox_cgroup="auto"))).result
    assert kernel.ok and f"cgroup {host_plan.version}" in kernel.detail
    assert "enforced by the kernel" in kernel.detail
    watchdog = run_check(sandbox_check(Settings(sandbox_cgroup="off"))).result
    assert watchdog.ok and "process watchdog only" in watchdog.detail


@needs_cgroup
def test_finding_the_plan_leaves_no_probe_behind(host_plan: CgroupPlan) -> None:
    for _ in range(3):
        assert isinstance(find_plan("auto"), CgroupPlan)
    for _, parent in host_plan.parents:
        assert [p.name for p in parent.iterdir() if p.name.startswith("codemonkey-probe-")] == []


def test_a_forced_cgroup_version_that_is_missing_refuses_commands(tmp_path: Path) -> None:
    missing = next((v for v in ("v2", "v1") if not isinstance(find_plan(v), CgroupPlan)), None)
    if missing is None:
        pytest.skip("both cgroup versions are writable here; none can be missing")
    runner = SandboxRunner(cgroup=missing)  # type: ignore[arg-type]
    status = runner.status(SandboxSettings())
    assert status.name is None and f"CODEMONKEY_SANDBOX_CGROUP={missing}" in status.detail


@needs_cgroup
def test_a_cgroup_a_close_could_not_remove_is_removed_before_the_next_command(
    host_plan: CgroupPlan,
) -> None:
    first = TaskCgroup(host_plan, memory=256 * 1024**2, processes=4, cpus=1.0)
    # A child cgroup keeps the kernel from removing its parent, as a process slow to die does.
    held = first.dirs["pids"] / "held"
    held.mkdir()
    assert not first.close(seconds=0.05)
    assert first.dirs["pids"].exists()
    held.rmdir()
    second = TaskCgroup(host_plan, memory=256 * 1024**2, processes=4, cpus=1.0)
    try:
        assert all(not d.exists() for d in first.dirs.values())
    finally:
        assert second.close()


@needs_cgroup
def test_the_sweep_removes_only_abandoned_empty_command_cgroups(host_plan: CgroupPlan) -> None:
    parent = host_plan.parents[0][1]
    abandoned = parent / f"codemonkey-{os.urandom(6).hex()}"
    busy = TaskCgroup(host_plan, memory=256 * 1024**2, processes=4, cpus=1.0)
    foreign = parent / f"someone-else-{os.urandom(6).hex()}"
    abandoned.mkdir()
    foreign.mkdir()
    sleeper = _joined(busy, "import time\nprint('in', flush=True)\ntime.sleep(60)\n")
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline() == "in\n"
        assert sweep_stale(host_plan, older_than=3600) == []  # all too young to be abandoned
        assert abandoned.exists()
        assert sweep_stale(host_plan, older_than=0) == [abandoned]
        assert not abandoned.exists()
        assert busy.dirs["pids"].exists() and foreign.exists()
    finally:
        assert busy.close()
        sleeper.wait(timeout=5)
        foreign.rmdir()
        if abandoned.exists():
            abandoned.rmdir()
