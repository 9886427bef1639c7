"""How a sandboxed command starts: the whole environment it gets, and the launcher that
joins its cgroup and sets its rlimits before it becomes the command."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from agents.tools.base import SandboxSettings

STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE", re.I)


def minimal_env(settings: SandboxSettings, home: str) -> dict[str, str]:
    """The command's whole environment: fixed values plus allow-listed, non-secret ones."""
    env = {
        "PATH": ":".join((*settings.path_prefix, STANDARD_PATH)),
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "CI": "true",
    }
    for name in settings.env_allow:
        value = os.environ.get(name)
        if value is not None and not SECRET_NAME.search(name):
            env[name] = value
    for name, value in settings.extra_env.items():
        if not SECRET_NAME.search(name):
            env[name] = value
    return env


# Joins the command's cgroup, sets the limits, then becomes the command. A separate
# interpreter rather than `preexec_fn`, which can deadlock the child when the parent has
# other threads (workers do).
_LIMIT_AND_EXEC = """
import os, resource, sys
cpu, memory, fsize, nproc = (int(v) for v in sys.argv[1:5])
for path in filter(None, sys.argv[5].split("\\n")):
    with open(path, "w") as procs:
        procs.write(str(os.getpid()))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if nproc > 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
os.execvp(sys.argv[6], sys.argv[6:])
"""


def nproc_limit(settings: SandboxSettings) -> int:
    """RLIMIT_NPROC for the command, or 0 for none.

    The kernel counts every process of the user against it (the worker's own threads too)
    and never enforces it for root, so it is the user's current count plus the allowance,
    and nothing as root (there the cgroup or the watchdog bounds the tree).
    """
    if os.geteuid() == 0:
        return 0
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count + settings.max_processes


def with_limits(
    settings: SandboxSettings, argv: Sequence[str], *, cgroup_procs: Sequence[Path] = ()
) -> list[str]:
    """`argv` run under the CPU (SIGXCPU, then SIGKILL a second later), memory, file and
    process limits, inside the cgroup whose `cgroup.procs` files are given (if any)."""
    cpu = max(1, settings.cpu_seconds)
    limits = (cpu, settings.memory_bytes, settings.max_file_bytes, nproc_limit(settings))
    head = [sys.executable, "-I", "-S", "-c", _LIMIT_AND_EXEC, *map(str, limits)]
    return [*head, "\n".join(map(str, cgroup_procs)), *argv]
