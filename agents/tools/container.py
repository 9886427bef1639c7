"""The container backend: a command in a throwaway Podman or Docker container.

For workers that cannot use bubblewrap (inside an unprivileged container) or repositories
that name a runtime image (`image:` in `.github/codemonkey.yml`). The contract is
bubblewrap's: the workspace is mounted read-write at its own path (read-only for roles
that must not edit), its `.git` and git metadata read-only, the task's scratch directory
and a setup's environment directory writable, other given paths read-only; the image's
own files are read-only (`--read-only`, a private `/tmp`); no network unless it is a
setup step; no capabilities and no new privileges; the worker's user id (so files the
command writes belong to the worker); memory, processes, CPU and file size bounded by
the runtime's flags. The environment is only `minimal_env`'s (scrubbed of secrets),
handed over in a private file so nothing of the worker's leaks in.

Paths are the same inside and out, so the runtime must see the worker's filesystem: a
local Podman, or a Docker daemon on the same host (its socket mounted into the worker's
container, with the data directory at the same path on both sides).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.git.process import GitLayout
from agents.tools.base import SandboxSettings, ToolError

CONTAINER_BACKENDS = ("podman", "docker")
# The worker's variables the runtime's client needs (its socket, storage and config);
# the container gets none of them.
CLIENT_VARIABLES = (
    "PATH",
    "HOME",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "CONTAINER_HOST",
    "CONTAINERS_CONF",
    "CONTAINERS_STORAGE_CONF",
    "CONTAINERS_REGISTRIES_CONF",
)
LABEL = "io.codemonkey.command=1"
# The image's PATH when its config cannot be read.
DEFAULT_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INSPECT_SECONDS = 30.0
REMOVE_SECONDS = 30.0


@dataclass(frozen=True)
class Mounts:
    """What the container sees of the worker's filesystem."""

    workspace: Path
    read_only_workspace: bool
    git_dirs: tuple[Path, ...] = ()
    ro_paths: tuple[str, ...] = ()
    rw_paths: tuple[str, ...] = ()

    def flags(self) -> list[str]:
        out: list[str] = []
        for path in self.ro_paths:
            if os.path.exists(path):
                out += ["--volume", f"{path}:{path}:ro"]
        for path in self.rw_paths:
            out += ["--volume", f"{path}:{path}:rw"]
        mode = "ro" if self.read_only_workspace else "rw"
        out += ["--volume", f"{self.workspace}:{self.workspace}:{mode}"]
        # A command must not plant hooks or config, nor repoint `.git` (runtimes order
        # nested mounts by depth, so these cover the workspace's writable mount).
        dot_git = self.workspace / ".git"
        if dot_git.exists() and not dot_git.is_symlink():
            out += ["--volume", f"{dot_git}:{dot_git}:ro"]
        for git_dir in self.git_dirs:
            out += ["--volume", f"{git_dir}:{git_dir}:ro"]
        return out


def user_flags(runtime: str) -> list[str]:
    """Run as the worker's user; rootless Podman maps it with `keep-id`."""
    flags = ["--user", f"{os.getuid()}:{os.getgid()}"]
    if runtime == "podman" and os.geteuid() != 0:
        flags.append("--userns=keep-id")
    return flags


def limit_flags(settings: SandboxSettings, nproc: int) -> list[str]:
    """The sandbox's limits as runtime flags: for the whole container (memory, processes,
    one CPU) and per process (CPU seconds, file size, no core files). `nproc` is
    RLIMIT_NPROC, which the kernel counts per user across the host (see `nproc_limit`)."""
    cpu = max(1, settings.cpu_seconds)
    flags = [
        f"--memory={settings.memory_bytes}",
        # No swap beyond the memory limit.
        f"--memory-swap={settings.memory_bytes}",
        f"--pids-limit={settings.max_processes}",
        "--cpus=1",
        f"--ulimit=cpu={cpu}:{cpu + 1}",
        f"--ulimit=fsize={settings.max_file_bytes}:{settings.max_file_bytes}",
        "--ulimit=core=0:0",
        # Always given: the runtimes' defaults may exceed what the runtime may set here.
        f"--ulimit=nproc={nproc}:{nproc}",
    ]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        # The worker's own open-file limit, which an unprivileged runtime cannot raise.
        soft = hard if soft == resource.RLIM_INFINITY else soft
        flags.append(f"--ulimit=nofile={soft}:{hard}")
    return flags


def container_argv(
    runtime: str,
    executable: str,
    settings: SandboxSettings,
    *,
    image: str,
    name: str,
    env_file: Path,
    mounts: Mounts,
    cwd: Path,
    command: Sequence[str],
    nproc: int,
) -> list[str]:
    """The `run` command line for one command; its environment comes from `env_file`."""
    if not image or image.startswith("-"):
        # The image is positional: "--privileged" would be read as a flag.
        raise ToolError(f"not an image reference: {image!r}; name an image such as python:3.12")
    argv = [executable, "run", "--name", name, "--label", LABEL]
    # A setup step keeps the runtime's default network (package registries); commands none.
    if not settings.network:
        argv.append("--network=none")
    argv += ["--read-only", "--tmpfs=/tmp:rw,nosuid,nodev", "--cap-drop=ALL"]
    argv += ["--security-opt=no-new-privileges", *user_flags(runtime)]
    argv += limit_flags(settings, nproc)
    argv += ["--env-file", str(env_file), *mounts.flags(), "--workdir", str(cwd)]
    # `--entrypoint` cleared: the image's entrypoint must not wrap (or replace) the command.
    argv += ["--entrypoint=", image, *command]
    return argv


def client_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The runtime client's own environment: what it needs to reach its daemon or storage."""
    return {name: environ[name] for name in CLIENT_VARIABLES if name in environ}


def write_env_file(directory: Path, env: Mapping[str, str]) -> Path:
    """`env` in the runtimes' env-file format (NAME=value, one a line, no quoting)."""
    lines = []
    for name, value in env.items():
        if "\n" in value or "\0" in value:
            raise ValueError(f"{name} cannot be passed to a container: its value has a newline")
        lines.append(f"{name}={value}")
    path = directory / "env"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


class ContainerRuntime:
    """One runtime's client (`podman` or `docker`): inspect, run and remove containers."""

    def __init__(self, runtime: str, executable: str) -> None:
        self.runtime = runtime
        self.executable = executable
        self._image_paths: dict[str, str] = {}

    def _query(self, *args: str) -> str | None:
        try:
            proc = subprocess.run(
                [self.executable, *args],
                capture_output=True,
                text=True,
                timeout=INSPECT_SECONDS,
                check=False,
                env=client_env(os.environ),
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    def image_id(self, image: str) -> str | None:
        """The local image's id (None when it is not there yet)."""
        return self._query("image", "inspect", "--format", "{{.Id}}", image)

    def image_path(self, image: str) -> str:
        """The PATH the image sets (its toolchains' bin directories), cached per image."""
        if image not in self._image_paths:
            found = self._query("image", "inspect", "--format", "{{json .Config.Env}}", image)
            path = DEFAULT_IMAGE_PATH
            try:
                for item in json.loads(found or "[]") or []:
                    if isinstance(item, str) and item.startswith("PATH="):
                        path = item.removeprefix("PATH=")
            except json.JSONDecodeError:
                pass
            self._image_paths[image] = path
        return self._image_paths[image]

    def oom_killed(self, name: str) -> bool:
        return self._query("inspect", "--format", "{{.State.OOMKilled}}", name) == "true"

    def remove(self, name: str) -> None:
        """Kills and removes the container (after a timeout its client was killed, but the
        container itself runs on under the runtime until this)."""
        # Podman would wait 10 s for a SIGTERM first; Docker's --force is SIGKILL already.
        wait = ["--time", "0"] if self.runtime == "podman" else []
        try:
            subprocess.run(
                [self.executable, "rm", "--force", *wait, name],
                capture_output=True,
                timeout=REMOVE_SECONDS,
                check=False,
                env=client_env(os.environ),
            )
        except (OSError, subprocess.TimeoutExpired):
            return


def container_name() -> str:
    return f"codemonkey-{uuid.uuid4().hex[:16]}"


def git_dirs(layout: GitLayout | None) -> tuple[Path, ...]:
    return () if layout is None else tuple(layout.metadata_dirs())


def private_dir() -> tempfile.TemporaryDirectory[str]:
    """A directory only the worker can read, for the container's env file."""
    return tempfile.TemporaryDirectory(prefix="codemonkey-container-")
