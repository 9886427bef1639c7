"""Running a command with no network, no secrets and bounded CPU, memory, time and output.

Backends:
- bubblewrap (`bwrap`): new network, PID, IPC and UTS namespaces, system directories
  read-only, only the workspace writable (its `.git` and git metadata read-only), a private
  /tmp, no capabilities; only a repository's setup step keeps the network (to reach package
  registries) and gets its environment directory writable. `auto` (the default) and `bwrap`
  use nothing else: when bubblewrap is missing or cannot create namespaces, commands are
  refused with the fix.
- `podman` / `docker` (`agents.tools.container`): each command in a throwaway container of
  the configured image, with the same mounts, network rule and limits through the runtime's
  flags. `auto` uses one when an image is configured and the runtime works.
- `unsafe-host`, only when chosen explicitly: a new session, rlimits and a scrubbed
  environment, and `unshare --net` where possible, but the host's files and processes are
  visible to the command. Meant for throwaway machines that cannot run bubblewrap.

Limits hold for the command's whole process tree: its own cgroup (v2 or v1, found by
cgroupfs.py), which the kernel enforces, and a /proc watchdog that also works where no
cgroup is writable; per-process rlimits (CPU, address space, file size) on top.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from agents.git.process import GitLayout
from agents.tools.base import SandboxSettings, ToolError
from agents.tools.cgroup import TaskCgroup, sweep_stale
from agents.tools.cgroupfs import CgroupMode, CgroupPlan, find_plan
from agents.tools.container import (
    CONTAINER_BACKENDS,
    ContainerRuntime,
    Mounts,
    client_env,
    container_argv,
    container_name,
    git_dirs,
    private_dir,
    write_env_file,
)
from agents.tools.gitguard import GitEntry
from agents.tools.launch import minimal_env, nproc_limit, with_limits
from agents.tools.supervise import CommandOutcome, execute

__all__ = ["CommandOptions", "CommandOutcome", "SandboxRunner", "SandboxUnavailable"]

# The private tmpfs inside bubblewrap, not the host's /tmp.
SANDBOX_TMP = "/tmp"  # noqa: S108
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
UNSAFE_SETTING = "CODEMONKEY_SANDBOX_BACKEND=unsafe-host"
IMAGE_SETTING = "CODEMONKEY_SANDBOX_IMAGE"


class SandboxUnavailable(ToolError):
    """No isolating backend works here; the message says how to install one or opt out."""


class ReadOnlyUnavailableError(ToolError):
    """A read-only command was asked for where no backend can enforce it."""


@dataclass(frozen=True)
class CommandOptions:
    """Per-call choices beyond the service-wide `SandboxSettings`.

    `git` is the workspace's recorded git layout: its metadata is bound read-only.
    """

    git: GitLayout | None = None


@dataclass(frozen=True)
class BackendStatus:
    # "bwrap", "podman", "docker" or "unsafe-host"; None when commands would be refused
    name: str | None
    detail: str


class SandboxRunner:
    """Runs commands for the tools; one per worker, caching which backend works."""

    def __init__(
        self,
        *,
        logger: logging.Logger | None = None,
        bwrap: str = "bwrap",
        unshare: str = "unshare",
        podman: str = "podman",
        docker: str = "docker",
        cgroup: CgroupMode = "auto",
        cgroup_parent: Path | None = None,
    ) -> None:
        """`bwrap`, `unshare`, `podman` and `docker` name the executables (a missing one
        disables its backend); `cgroup` picks per-command cgroups: `auto` (v2, else v1, else
        the watchdog alone), `v1`/`v2` (refuse commands without it) or `off`; `cgroup_parent`
        is a delegated cgroup v2 directory for them."""
        self._log = logger or logging.getLogger(__name__)
        self._bwrap = bwrap
        self._unshare = unshare
        self._runtimes = {
            "podman": ContainerRuntime("podman", podman),
            "docker": ContainerRuntime("docker", docker),
        }
        self._cgroup = cgroup
        self._cgroup_parent = cgroup_parent
        self._plan: CgroupPlan | str | None = None
        self._probed: dict[str, str | None] = {}
        self._warned = False

    def _problem(self, argv: Sequence[str]) -> str | None:
        """None when `argv` runs successfully; otherwise why not (cached per executable)."""
        key = argv[0]
        if key not in self._probed:
            if shutil.which(key) is None:
                self._probed[key] = f"{key} was not found"
            else:
                try:
                    proc = subprocess.run(argv, capture_output=True, timeout=10, check=False)
                    err = proc.stderr.decode(errors="replace").strip()[-300:]
                    self._probed[key] = None if proc.returncode == 0 else f"{key} failed: {err}"
                except (OSError, subprocess.TimeoutExpired) as exc:
                    self._probed[key] = f"{key} could not run: {exc}"
        return self._probed[key]

    def _bwrap_problem(self) -> str | None:
        return self._problem(
            [self._bwrap, "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "true"]
        )

    def bwrap_available(self) -> bool:
        return self._bwrap_problem() is None

    def unshare_available(self) -> bool:
        return self._problem([self._unshare, "--net", "true"]) is None

    def runtime_problem(self, runtime: str) -> str | None:
        """None when the runtime's client reaches a working engine; otherwise why not."""
        return self._problem([self._runtimes[runtime].executable, "info"])

    def runtime(self, settings: SandboxSettings) -> ContainerRuntime | None:
        """The container runtime `settings` run commands with (None: not a container)."""
        name = self.status(settings).name
        return self._runtimes[name] if name in CONTAINER_BACKENDS else None

    def _container_status(self, runtime: str, image: str | None) -> BackendStatus:
        problem = self.runtime_problem(runtime)
        if problem is not None:
            return BackendStatus(
                None,
                f"agent commands are refused: the {runtime} backend was chosen but {problem}. "
                f"Install {runtime} (apt-get install {runtime}) or set "
                "CODEMONKEY_SANDBOX_BACKEND=auto to use bubblewrap",
            )
        if not image:
            return BackendStatus(
                None,
                f"agent commands are refused: the {runtime} backend needs an image; set "
                f"{IMAGE_SETTING} (or `image:` in .github/codemonkey.yml)",
            )
        return BackendStatus(runtime, f"{runtime} runs commands in containers of {image}")

    def cgroup_plan(self) -> CgroupPlan | str:
        """Where commands' cgroups go, or why there are none (found once, then kept)."""
        if self._plan is None:
            self._plan = find_plan(self._cgroup, self._cgroup_parent)
            if isinstance(self._plan, CgroupPlan):
                sweep_stale(self._plan)
        return self._plan

    def limits(self) -> str:
        """How a command's process count and memory are enforced, for status messages."""
        plan = self.cgroup_plan()
        if isinstance(plan, CgroupPlan):
            return f"task limits by {plan.describe()}, enforced by the kernel"
        return (
            f"task limits by process watchdog only, polling /proc every 0.1 s ({plan}); "
            "deploy/README.md says how to give the worker a cgroup"
        )

    def status(self, settings: SandboxSettings) -> BackendStatus:
        """Which backend and limits commands would use, for readiness checks and `doctor`."""
        plan = self.cgroup_plan()
        if self._cgroup in ("v1", "v2") and not isinstance(plan, CgroupPlan):
            return BackendStatus(
                None,
                f"agent commands are refused: CODEMONKEY_SANDBOX_CGROUP={self._cgroup} but "
                f"{plan}. Delegate a cgroup to the worker (deploy/README.md) or set it to auto",
            )
        if settings.backend == "unsafe-host":
            return BackendStatus(
                "unsafe-host",
                "commands run on the host WITHOUT isolation (CODEMONKEY_SANDBOX_BACKEND="
                f"unsafe-host); install bubblewrap and set it to auto; {self.limits()}",
            )
        if settings.backend in CONTAINER_BACKENDS:
            return self._container_status(settings.backend, settings.image)
        if settings.backend == "auto" and settings.image:
            # A runtime image is asked for: a working runtime wins over bubblewrap.
            for runtime in CONTAINER_BACKENDS:
                if self.runtime_problem(runtime) is None:
                    return self._container_status(runtime, settings.image)
        problem = self._bwrap_problem()
        if problem is None:
            unused = (
                f"; the image {settings.image} is not used (no working podman or docker)"
                if settings.image and settings.backend == "auto"
                else ""
            )
            return BackendStatus("bwrap", f"bubblewrap works; {self.limits()}{unused}")
        return BackendStatus(None, refusal(problem))

    def backend(self, settings: SandboxSettings) -> str:
        """'bwrap', 'podman', 'docker', 'unsafe-host+unshare' or 'unsafe-host';
        SandboxUnavailable otherwise."""
        state = self.status(settings)
        if state.name is None:
            raise SandboxUnavailable(state.detail)
        if state.name == "bwrap" or state.name in CONTAINER_BACKENDS:
            return state.name
        name = "unsafe-host+unshare" if self.unshare_available() else "unsafe-host"
        if not self._warned:
            self._warned = True
            network = "" if name.endswith("+unshare") else "; the network cannot be unshared"
            self._log.warning("agent commands run without isolation: %s%s", state.detail, network)
        return name

    def _bwrap_argv(
        self,
        settings: SandboxSettings,
        workspace: Path,
        cwd: Path,
        command: Sequence[str],
        options: CommandOptions,
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
        # The task's scratch directory and, for a setup step, the environment it prepares.
        for writable in (*settings.rw_paths, *filter(None, [settings.scratch_dir])):
            argv += ["--bind", writable, writable]
        # Roles that must not change the code (reviewer, planner) see it read-only.
        mount = "--ro-bind" if settings.read_only_workspace else "--bind"
        argv += [mount, str(workspace), str(workspace)]
        # Git metadata is visible but read-only: a command must not plant hooks or config,
        # nor repoint the work tree's `.git` file at a git directory of its own.
        dot_git = workspace / ".git"
        if dot_git.exists() and not dot_git.is_symlink():
            argv += ["--ro-bind", str(dot_git), str(dot_git)]
        if options.git is not None:
            for git_dir in options.git.metadata_dirs():
                argv += ["--ro-bind", str(git_dir), str(git_dir)]
        argv += ["--chdir", str(cwd), "--"]
        return argv + list(command)

    def run(
        self,
        command: Sequence[str],
        *,
        workspace: Path,
        cwd: Path,
        settings: SandboxSettings,
        options: CommandOptions | None = None,
    ) -> CommandOutcome:
        options = options or CommandOptions()
        backend = self.backend(settings)
        if settings.read_only_workspace and backend.startswith("unsafe-host"):
            raise ReadOnlyUnavailableError(
                "this role's commands must not change the workspace, and only bubblewrap or a "
                "container can mount it read-only; install bubblewrap (apt-get install "
                "bubblewrap) or Podman on the worker"
            )
        entry = GitEntry.capture(workspace)
        if backend in CONTAINER_BACKENDS:
            outcome = self._run_container(
                self._runtimes[backend], command, workspace, cwd, settings, options
            )
        else:
            outcome = self._run_host(backend, command, workspace, cwd, settings, options)
        tampered = entry.restore_if_changed()
        if tampered is not None:
            self._log.warning("a command changed %s: %s", entry.path, tampered)
            outcome = replace(outcome, git_tampered=tampered)
        return outcome

    def _run_container(
        self,
        runtime: ContainerRuntime,
        command: Sequence[str],
        workspace: Path,
        cwd: Path,
        settings: SandboxSettings,
        options: CommandOptions,
    ) -> CommandOutcome:
        assert settings.image is not None
        env = minimal_env(settings, settings.scratch_dir or SANDBOX_TMP)
        # The image's own PATH (its toolchains) after the prepared environment's.
        env["PATH"] = ":".join((*settings.path_prefix, runtime.image_path(settings.image)))
        mounts = Mounts(
            workspace=workspace,
            read_only_workspace=settings.read_only_workspace,
            git_dirs=git_dirs(options.git),
            ro_paths=settings.ro_paths,
            rw_paths=(*settings.rw_paths, *filter(None, [settings.scratch_dir])),
        )
        name = container_name()
        with private_dir() as private:
            argv = container_argv(
                runtime.runtime,
                runtime.executable,
                settings,
                image=settings.image,
                name=name,
                env_file=write_env_file(Path(private), env),
                mounts=mounts,
                cwd=cwd,
                command=command,
                # Not enforced for root, whose processes the pids limit bounds instead.
                nproc=nproc_limit(settings) or settings.max_processes,
            )
            try:
                outcome, _ = execute(argv, cwd, client_env(os.environ), settings, runtime.runtime)
                if runtime.oom_killed(name):
                    outcome = replace(outcome, limit_hit="memory")
            finally:
                # After a timeout only the client was killed: the container runs until this.
                runtime.remove(name)
        return outcome

    def _run_host(
        self,
        backend: str,
        command: Sequence[str],
        workspace: Path,
        cwd: Path,
        settings: SandboxSettings,
        options: CommandOptions,
    ) -> CommandOutcome:
        plan = self.cgroup_plan()
        cgroup = None
        if isinstance(plan, CgroupPlan):
            cgroup = TaskCgroup(
                plan, memory=settings.memory_bytes, processes=settings.max_processes, cpus=1.0
            )
        try:
            with tempfile.TemporaryDirectory(prefix="codemonkey-home-") as home:
                if backend == "bwrap":
                    argv = self._bwrap_argv(settings, workspace, cwd, command, options)
                    env = minimal_env(settings, settings.scratch_dir or SANDBOX_TMP)
                else:
                    isolate = backend.endswith("+unshare") and not settings.network
                    net = [self._unshare, "--net", "--"] if isolate else []
                    argv = net + list(command)
                    env = minimal_env(settings, settings.scratch_dir or home)
                procs = cgroup.procs_files if cgroup is not None else []
                limited = with_limits(settings, argv, cgroup_procs=procs)
                outcome, _ = execute(limited, cwd, env, settings, backend, cgroup)
        finally:
            if cgroup is not None and not cgroup.close():
                self._log.warning("processes of a command outlived it in %s", cgroup.dirs)
        return outcome


def refusal(problem: str) -> str:
    return (
        f"agent commands are refused: bubblewrap cannot isolate them here ({problem}). "
        "Install it (apt-get install bubblewrap; in a container, allow user namespaces as "
        "deploy/README.md describes), run them in containers (install Podman and set "
        f"{IMAGE_SETTING} to an image), or accept running agent commands on the host without "
        f"isolation by setting {UNSAFE_SETTING}"
    )
