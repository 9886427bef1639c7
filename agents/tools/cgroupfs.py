"""Where the worker's own cgroups are, and which can hold a cgroup per command.

Two layouts exist. cgroup v2 is one hierarchy; a directory can give its children the pids
and memory controllers only when it holds no processes itself, so the operator names a
delegated directory (`CODEMONKEY_SANDBOX_CGROUP_PARENT`) or the worker runs in the root.
cgroup v1 mounts one hierarchy per controller (`/sys/fs/cgroup/pids`, `.../memory`); there
a command's cgroup is made inside the worker's own cgroup of each hierarchy, so whatever
limits the worker's container or service has still apply above it.

The plan is found by trying: a child directory is made, its limit file written and removed.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CgroupMode = Literal["auto", "v1", "v2", "off"]
CgroupVersion = Literal["v1", "v2"]
PROC_SELF = Path("/proc/self")
# The file each controller must offer for its limit, per version.
LIMIT_FILES: dict[tuple[CgroupVersion, str], str] = {
    ("v1", "pids"): "pids.max",
    ("v1", "memory"): "memory.limit_in_bytes",
    ("v2", "pids"): "pids.max",
    ("v2", "memory"): "memory.max",
    ("v2", "cpu"): "cpu.max",
}


@dataclass(frozen=True)
class CgroupPlan:
    """Where a command's cgroup goes: per controller, the parent directory."""

    version: CgroupVersion
    parents: tuple[tuple[str, Path], ...]

    @property
    def controllers(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parents)

    def parent(self, controller: str) -> Path | None:
        return next((path for name, path in self.parents if name == controller), None)

    def describe(self) -> str:
        places = sorted({str(path) for _, path in self.parents})
        return f"cgroup {self.version} ({', '.join(self.controllers)}) under {', '.join(places)}"


@dataclass(frozen=True)
class Mount:
    root: str  # the hierarchy's directory that is mounted (not "/" inside some containers)
    point: Path
    version: CgroupVersion
    controllers: frozenset[str]  # v1: named in the mount options; v2: empty (see the files)


def _unescape(field: str) -> str:
    """mountinfo writes spaces, tabs, newlines and backslashes as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(mountinfo: str) -> list[Mount]:
    mounts = []
    for line in mountinfo.splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 3:
            continue
        if tail[0] == "cgroup2":
            version: CgroupVersion = "v2"
            controllers: frozenset[str] = frozenset()
        elif tail[0] == "cgroup":
            version = "v1"
            controllers = frozenset(tail[2].split(","))
        else:
            continue
        mounts.append(Mount(_unescape(fields[3]), Path(_unescape(fields[4])), version, controllers))
    return mounts


def parse_memberships(cgroup: str) -> dict[str, str]:
    """Controller name (or '' for the v2 hierarchy) -> the process's cgroup path."""
    members = {}
    for line in cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            members[""] = parts[2]
        for name in filter(None, parts[1].split(",")):
            members[name] = parts[2]
    return members


def _inside(mount: Mount, path: str) -> Path | None:
    """The directory of cgroup `path` under `mount`, or None when it is not mounted."""
    root = mount.root.rstrip("/")
    if path != root and not path.startswith(root + "/"):
        return None
    return mount.point / path[len(root) :].lstrip("/")


def own_dirs(proc: Path = PROC_SELF) -> dict[str, Path]:
    """Controller (or '' for v2) -> this process's cgroup directory, where mounted."""
    try:
        mounts = parse_mounts((proc / "mountinfo").read_text())
        members = parse_memberships((proc / "cgroup").read_text())
    except OSError:
        return {}
    dirs: dict[str, Path] = {}
    for mount in mounts:
        keys = [""] if mount.version == "v2" else sorted(mount.controllers & members.keys())
        for key in keys:
            if key in members and key not in dirs:
                found = _inside(mount, members[key])
                if found is not None and found.is_dir():
                    dirs[key] = found
    return dirs


def _writable(parent: Path, version: CgroupVersion, controller: str) -> bool:
    """Whether a child cgroup can be made under `parent` with `controller`'s limit set."""
    probe = parent / f"codemonkey-probe-{uuid.uuid4().hex[:12]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        # "No limit", as each file spells it.
        unlimited = "-1" if (version, controller) == ("v1", "memory") else "max"
        (probe / LIMIT_FILES[version, controller]).write_text(unlimited)
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def _v2_plan(parent: Path | None, proc: Path) -> CgroupPlan | str:
    directory = parent if parent is not None else own_dirs(proc).get("")
    if directory is None:
        return "no cgroup v2 hierarchy is mounted"
    try:
        offered = (directory / "cgroup.controllers").read_text().split()
    except OSError as exc:
        return f"{directory} is not a cgroup v2 directory ({exc.strerror})"
    for name in ("pids", "memory", "cpu") if parent is not None else ():
        # Only a directory delegated to the service is changed. Giving children a controller
        # fails while the directory holds processes (unless it is the root): that is why the
        # delegated parent must not hold the worker itself.
        with contextlib.suppress(OSError):
            enabled = (directory / "cgroup.subtree_control").read_text().split()
            if name in offered and name not in enabled:
                (directory / "cgroup.subtree_control").write_text(f"+{name}")
    try:
        enabled = (directory / "cgroup.subtree_control").read_text().split()
    except OSError:
        enabled = []
    if "pids" not in enabled:
        why = "offers no pids controller" if "pids" not in offered else "cannot delegate pids"
        return f"cgroup v2 at {directory} {why}"
    usable = [name for name in ("pids", "memory", "cpu") if name in enabled]
    usable = [name for name in usable if _writable(directory, "v2", name)]
    if "pids" not in usable:
        return f"cgroup v2 at {directory} is not writable"
    return CgroupPlan("v2", tuple((name, directory) for name in usable))


def _v1_plan(proc: Path) -> CgroupPlan | str:
    dirs = own_dirs(proc)
    if "pids" not in dirs:
        return "no cgroup v1 pids hierarchy is mounted"
    parents = tuple(
        (name, dirs[name])
        for name in ("pids", "memory")
        if name in dirs and _writable(dirs[name], "v1", name)
    )
    if not parents or parents[0][0] != "pids":
        return f"cgroup v1 pids at {dirs['pids']} is not writable"
    return CgroupPlan("v1", parents)


def find_plan(
    mode: CgroupMode, parent: Path | None = None, proc: Path = PROC_SELF
) -> CgroupPlan | str:
    """Where commands' cgroups go, or why they cannot have any (for status messages)."""
    if mode == "off":
        return "cgroups are turned off (CODEMONKEY_SANDBOX_CGROUP=off)"
    reasons = []
    if mode in ("auto", "v2"):
        plan = _v2_plan(parent, proc)
        if isinstance(plan, CgroupPlan):
            return plan
        reasons.append(plan)
    if mode in ("auto", "v1"):
        plan = _v1_plan(proc)
        if isinstance(plan, CgroupPlan):
            return plan
        reasons.append(plan)
    return "; ".join(reasons)
