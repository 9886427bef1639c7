"""Running a command with no network, no secrets and bounded CPU, memory, time and output.

Two backends:
- bubblewrap (`bwrap`), when installed: new network, PID, IPC and UTS namespaces, system
  directories read-only, only the workspace writable, a private /tmp, no capabilities.
- a restricted subprocess otherwise: a new session, the same rlimits and scrubbed
  environment, and `unshare --net` when the process may create namespaces (root). Without
  it the network stays reachable; that weaker isolation is logged once per runner.
"""

from __future__ import annotations

import logging
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.tools.base import SandboxSettings

STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE", re.I)
# The private tmpfs inside bubblewrap, not the host's /tmp.
SANDBOX_TMP = "/tmp"  # noqa: S108
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
# After the process exits, how long to keep reading output still buffered in the pipe.
DRAIN_SECONDS = 0.5


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


# Sets the limits, then becomes the command. A separate interpreter rather than
# `preexec_fn`, which can deadlock the child when the parent has other threads (workers do).
_LIMIT_AND_EXEC = """
import os, resource, sys
cpu, memory, fsize = (int(v) for v in sys.argv[1:4])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.execvp(sys.argv[4], sys.argv[4:])
"""


def with_limits(settings: SandboxSettings, argv: Sequence[str]) -> list[str]:
    """`argv` run under the CPU (SIGXCPU, then SIGKILL a second later), memory and file limits."""
    limits = (max(1, settings.cpu_seconds), settings.memory_bytes, settings.max_file_bytes)
    return [sys.executable, "-I", "-S", "-c", _LIMIT_AND_EXEC, *map(str, limits), *argv]


class SandboxRunner:
    """Runs commands for the tools; one per worker, caching which backend works."""

    def __init__(
        self,
        *,
        logger: logging.Logger | None = None,
        bwrap: str = "bwrap",
        unshare: str = "unshare",
    ) -> None:
        """`bwrap` and `unshare` name the executables (a missing one disables its backend)."""
        self._log = logger or logging.getLogger(__name__)
        self._bwrap = bwrap
        self._unshare = unshare
        self._probed: dict[str, bool] = {}
        self._warned = False

    def _works(self, argv: Sequence[str]) -> bool:
        key = argv[0]
        if key not in self._probed:
            try:
                proc = subprocess.run(argv, capture_output=True, timeout=10, check=False)
                self._probed[key] = proc.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                self._probed[key] = False
        return self._probed[key]

    def bwrap_available(self) -> bool:
        if shutil.which(self._bwrap) is None:
            return False
        return self._works(
            [self._bwrap, "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "true"]
        )

    def unshare_available(self) -> bool:
        if shutil.which(self._unshare) is None:
            return False
        return self._works([self._unshare, "--net", "true"])

    def backend(self, settings: SandboxSettings) -> str:
        """'bwrap', 'subprocess+unshare' or 'subprocess'."""
        if settings.backend in ("auto", "bwrap") and self.bwrap_available():
            return "bwrap"
        missing = "bubblewrap is not installed or cannot create namespaces"
        if settings.backend == "subprocess":
            missing = "the subprocess backend was chosen"
        if self.unshare_available():
            self._warn_once(f"{missing}; the filesystem outside the workspace is visible")
            return "subprocess+unshare"
        self._warn_once(
            f"{missing}, and the network cannot be unshared; commands can reach the network "
            "and the filesystem outside the workspace"
        )
        return "subprocess"

    def _warn_once(self, reason: str) -> None:
        if not self._warned:
            self._warned = True
            self._log.warning(
                "weaker command isolation: %s; install bubblewrap (apt-get install "
                "bubblewrap) for network, filesystem and process isolation",
                reason,
            )

    def _bwrap_argv(
        self, settings: SandboxSettings, workspace: Path, cwd: Path, command: Sequence[str]
    ) -> list[str]:
        argv = [self._bwrap, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if not settings.network:
            argv.append("--unshare-net")
        argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        for directory in SYSTEM_DIRS:
            if os.path.islink(directory):
                argv += ["--symlink", os.readlink(directory), directory]
            elif os.path.isdir(directory):
                argv += ["--ro-bind", directory, directory]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP]
        for extra in settings.ro_paths:
            argv += ["--ro-bind-try", extra, extra]
        for writable in (*settings.rw_paths, *filter(None, [settings.scratch_dir])):
            argv += ["--bind", writable, writable]
        argv += ["--bind", str(workspace), str(workspace)]
        # Git metadata is visible but read-only: a command must not plant hooks or config
        # that later git operations outside the sandbox would execute.
        for git_dir in git_metadata_dirs(workspace):
            argv += ["--ro-bind", str(git_dir), str(git_dir)]
        argv += ["--chdir", str(cwd), "--"]
        return argv + list(command)

    def run(
        self, command: Sequence[str], *, workspace: Path, cwd: Path, settings: SandboxSettings
    ) -> CommandOutcome:
        backend = self.backend(settings)
        with tempfile.TemporaryDirectory(prefix="codemonkey-home-") as fresh_home:
            if backend == "bwrap":
                argv = self._bwrap_argv(settings, workspace, cwd, command)
                env = minimal_env(settings, settings.scratch_dir or SANDBOX_TMP)
            else:
                isolate = backend == "subprocess+unshare" and not settings.network
                prefix = [self._unshare, "--net", "--"] if isolate else []
                argv = prefix + list(command)
                env = minimal_env(settings, settings.scratch_dir or fresh_home)
            return self._execute(argv, cwd, env, settings, backend)

    def _execute(
        self,
        argv: list[str],
        cwd: Path,
        env: dict[str, str],
        settings: SandboxSettings,
        backend: str,
    ) -> CommandOutcome:
        started = time.monotonic()
        proc = subprocess.Popen(
            with_limits(settings, argv),
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
        deadline = started + settings.timeout_seconds
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
                if drain_until is None and now >= deadline:
                    timed_out = True
                    _kill_group(proc)
                    drain_until = time.monotonic() + DRAIN_SECONDS
                    continue
                limit = drain_until if drain_until is not None else deadline
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
        _kill_group(proc)
        returncode, cpu_used = child.wait()
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
        return CommandOutcome(
            exit_code=None if sig is not None else returncode,
            output=text,
            signal=sig,
            timed_out=timed_out,
            cpu_limited=sig == signal.SIGXCPU
            or (sig == signal.SIGKILL and not timed_out and cpu_used >= settings.cpu_seconds),
            omitted_bytes=omitted,
            duration_seconds=time.monotonic() - started,
            backend=backend,
        )


def git_metadata_dirs(workspace: Path) -> list[Path]:
    """The workspace's git directory, and for a linked worktree also the shared one."""
    dot_git = workspace / ".git"
    if dot_git.is_dir():
        return [dot_git]
    if not dot_git.is_file():
        return []
    first = dot_git.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    if not first.startswith("gitdir:"):
        return []
    git_dir = (workspace / first.removeprefix("gitdir:").strip()).resolve()
    found = [git_dir] if git_dir.is_dir() else []
    common_file = git_dir / "commondir"
    if common_file.is_file():
        common = (git_dir / common_file.read_text(encoding="utf-8").strip()).resolve()
        if common.is_dir():
            found.insert(0, common)
    return found


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
    # bubblewrap reports a signalled child as 128 + the signal number.
    if backend == "bwrap" and returncode > 128 and returncode - 128 < signal.NSIG:
        return returncode - 128
    return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    except PermissionError:
        proc.kill()
