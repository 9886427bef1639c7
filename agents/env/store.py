"""Prepared environments, one per repository and key, kept under a directory and reused.

A setup step runs the repository's `setup` commands in the sandbox WITH network (to reach
package registries) but with the same scrubbed environment (no secrets, no tokens) and the
same limits as any command, after a Python virtualenv was created for it and put first on
PATH. Its result (the virtualenv, caches under its HOME, a `node_modules` it made) stays in
`<root>/<owner>/<name>/<key>/` and is reused by later tasks while the key (the dependency
manifests and the setup commands, see `fingerprint`) is unchanged. Later commands see that
directory read-only, so one task's commands cannot change what the next task gets.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from agents.env.editable import import_roots
from agents.env.fingerprint import environment_key
from agents.git.process import GitLayout
from agents.tools.base import SandboxSettings
from agents.tools.launch import STANDARD_PATH
from agents.tools.sandbox import CommandOptions, SandboxRunner

READY = "ready.json"
# Workspace directories a setup makes that later workspaces link to (they are untracked).
KEPT_DIRS = ("node_modules",)
# Prepared environments kept per repository (older keys are removed).
KEEP_PER_REPOSITORY = 3
MAX_LOG_CHARS = 200_000
VENV_SECONDS = 120.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class SetupOutcome:
    """A repository's prepared environment, or why it could not be prepared."""

    ok: bool
    # The setup commands with their output, for the agent and the check run.
    log: str = ""
    # The setup step ran now (False: an earlier one was reused, or there is none).
    ran: bool = False
    seconds: float = 0.0
    directory: Path | None = None
    # Workspace-relative directories the setup's editable installs import the project from
    # (see `editable`): each task puts its own first on PYTHONPATH.
    import_roots: tuple[str, ...] = ()

    @property
    def venv(self) -> Path | None:
        return None if self.directory is None else self.directory / "venv"

    @property
    def home(self) -> Path | None:
        return None if self.directory is None else self.directory / "home"


def interpreter() -> str:
    """The `python3` commands find on the sandbox's standard PATH."""
    found = shutil.which("python3", path=STANDARD_PATH)
    if found is None:
        raise FileNotFoundError("python3 is not installed in " + STANDARD_PATH)
    return os.path.realpath(found)


def tool_env(directory: Path) -> dict[str, str]:
    """Where package tools keep what the setup downloaded (setup and later commands)."""
    home = directory / "home"
    return {
        "VIRTUAL_ENV": str(directory / "venv"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GOMODCACHE": str(home / "go" / "pkg" / "mod"),
        "CARGO_HOME": str(home / ".cargo"),
    }


class EnvironmentStore:
    """Prepares and keeps repositories' environments under `root` (a temporary directory
    when None). Thread- and process-safe: one setup per key at a time."""

    def __init__(self, root: Path | None = None, *, logger: logging.Logger | None = None):
        self._root = root
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._failures: dict[tuple[str, int | None], SetupOutcome] = {}

    @property
    def root(self) -> Path:
        return self._root or Path(tempfile.gettempdir()) / "codemonkey-environments"

    def _scratch_path(self, task_id: int | None) -> Path:
        name = f"task-{task_id}" if task_id is not None else f"adhoc-{os.getpid()}"
        return self.root / "scratch" / name

    def scratch(self, task_id: int | None) -> Path:
        """The task's scratch directory (HOME and TMPDIR), kept between its commands."""
        path = self._scratch_path(task_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def discard_scratch(self, task_id: int | None) -> None:
        """Deletes the task's scratch directory: its task ended (a retry starts afresh)."""
        shutil.rmtree(self._scratch_path(task_id), ignore_errors=True)

    def sweep_scratch(self, max_age_seconds: float, *, now: float | None = None) -> int:
        """Deletes scratch directories untouched for `max_age_seconds` (left by a worker
        that died mid-task); how many. Run when a worker starts."""
        cutoff = (time.time() if now is None else now) - max_age_seconds
        removed = 0
        for path in (self.root / "scratch").glob("*"):
            try:
                touched = max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.iterdir())])
            except OSError:
                continue
            if touched < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        if removed:
            self._log.info("removed %d stale scratch directories", removed)
        return removed

    def prepare(
        self,
        repo: str,
        workspace: Path,
        setup: Sequence[str],
        *,
        runner: SandboxRunner,
        base: SandboxSettings,
        task_id: int | None = None,
        git: GitLayout | None = None,
    ) -> SetupOutcome:
        """The environment for `repo` as its `setup` makes it: reused when ready, else made.

        A failure is remembered for the task (its later commands do not retry it) but not
        for other tasks, which try again.
        """
        if not setup:
            return SetupOutcome(ok=True)
        python = _interpreter_key(runner, base)
        key = environment_key(workspace, setup, python)[:20]
        repo_dir = self.root / "environments" / _UNSAFE.sub("_", repo.replace("/", "__"))
        directory = repo_dir / key
        with self._lock:
            failed = self._failures.get((key, task_id))
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if failed is not None:
            return failed
        with key_lock, _file_lock(repo_dir / f"{key}.lock"):
            if (directory / READY).is_file():
                _link_kept(directory, workspace)
                return SetupOutcome(
                    ok=True,
                    log=_read_log(directory),
                    directory=directory,
                    import_roots=_recorded_roots(directory),
                )
            options = CommandOptions(git=git)
            outcome = self._make(directory, workspace, setup, runner, base, options)
        if outcome.ok:
            self._prune(repo_dir)
        else:
            with self._lock:
                self._failures[(key, task_id)] = outcome
        return outcome

    def _make(
        self,
        directory: Path,
        workspace: Path,
        setup: Sequence[str],
        runner: SandboxRunner,
        base: SandboxSettings,
        options: CommandOptions,
    ) -> SetupOutcome:
        started = time.monotonic()
        shutil.rmtree(directory, ignore_errors=True)
        (directory / "home").mkdir(parents=True)
        venv = directory / "venv"
        settings = replace(
            base,
            network=True,
            # The repository's own install step, not a role's command: it may write build
            # files (egg-info, node_modules) even for roles whose commands see it read-only.
            read_only_workspace=False,
            path_prefix=(str(venv / "bin"), *base.path_prefix),
            rw_paths=(*base.rw_paths, str(directory)),
            scratch_dir=str(directory / "home"),
            extra_env={**base.extra_env, **tool_env(directory)},
        )
        made, text = _make_venv(venv, runner, workspace, settings, options)
        log = [f"$ python3 -m venv {venv}\n{text}"]
        if made != 0:
            log.append(f"[exit code {made}: the virtualenv could not be created]")
            return self._failed(directory, log, started)
        for command in setup:
            outcome = runner.run(
                ["bash", "-c", command],
                workspace=workspace,
                cwd=workspace,
                settings=settings,
                options=options,
            )
            status = (
                "timed out"
                if outcome.timed_out
                else f"exit code {outcome.exit_code}"
                if outcome.signal is None
                else f"killed by signal {outcome.signal}"
            )
            if outcome.git_tampered is not None:
                status += f"; {outcome.git_tampered}"
            log.append(f"$ {command}\n{outcome.output}\n[{status}]")
            if outcome.exit_code != 0 or outcome.git_tampered is not None:
                return self._failed(directory, log, started)
        for name in KEPT_DIRS:
            made_dir = workspace / name
            if made_dir.is_dir() and not made_dir.is_symlink():
                shutil.move(str(made_dir), directory / name)
        _link_kept(directory, workspace)
        seconds = time.monotonic() - started
        text = _trimmed("\n".join(log))
        (directory / "setup.log").write_text(text, encoding="utf-8")
        roots = import_roots(venv, workspace)
        ready = {
            "commands": list(setup),
            "seconds": round(seconds, 3),
            "at": time.time(),
            "import_roots": list(roots),
        }
        (directory / READY).write_text(json.dumps(ready), encoding="utf-8")
        self._log.info("prepared environment %s in %.1f s", directory, seconds)
        return SetupOutcome(
            ok=True, log=text, ran=True, seconds=seconds, directory=directory, import_roots=roots
        )

    def _failed(self, directory: Path, log: list[str], started: float) -> SetupOutcome:
        text = _trimmed("\n".join(log))
        shutil.rmtree(directory, ignore_errors=True)
        return SetupOutcome(ok=False, log=text, ran=True, seconds=time.monotonic() - started)

    def _prune(self, repo_dir: Path) -> None:
        ready = sorted(
            (p for p in repo_dir.glob(f"*/{READY}")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in ready[KEEP_PER_REPOSITORY:]:
            shutil.rmtree(old.parent, ignore_errors=True)


# In an image: a virtualenv of the image's python3, or none for an image without one (a
# Node or Go image needs no virtualenv).
_VENV_IN_IMAGE = (
    'if command -v python3 >/dev/null; then exec python3 -m venv "$0"; fi; '
    'echo "no python3 in the image: no virtualenv"'
)


def _interpreter_key(runner: SandboxRunner, base: SandboxSettings) -> str:
    """What the environment's interpreter is: the host's python3, or the image's id."""
    runtime = runner.runtime(base)
    if runtime is None or base.image is None:
        return interpreter()
    return f"{runtime.runtime} image {base.image} {runtime.image_id(base.image) or ''}"


def _make_venv(
    venv: Path,
    runner: SandboxRunner,
    workspace: Path,
    settings: SandboxSettings,
    options: CommandOptions,
) -> tuple[int | None, str]:
    """(exit code, output) of creating the virtualenv with the python3 commands will see."""
    if runner.runtime(settings) is not None:
        outcome = runner.run(
            ["sh", "-c", _VENV_IN_IMAGE, str(venv)],
            workspace=workspace,
            cwd=workspace,
            settings=replace(settings, network=False),
            options=options,
        )
        return outcome.exit_code, outcome.output
    made = subprocess.run(
        [interpreter(), "-m", "venv", str(venv)],
        capture_output=True,
        text=True,
        timeout=VENV_SECONDS,
        check=False,
    )
    return made.returncode, made.stdout + made.stderr


def _link_kept(directory: Path, workspace: Path) -> None:
    for name in KEPT_DIRS:
        kept, link = directory / name, workspace / name
        if kept.is_dir() and not link.exists() and not link.is_symlink():
            link.symlink_to(kept, target_is_directory=True)


def _recorded_roots(directory: Path) -> tuple[str, ...]:
    try:
        ready = json.loads((directory / READY).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return ()
    roots = ready.get("import_roots", []) if isinstance(ready, dict) else []
    return tuple(r for r in roots if isinstance(r, str))


def _read_log(directory: Path) -> str:
    path = directory / "setup.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _trimmed(text: str) -> str:
    if len(text) <= MAX_LOG_CHARS:
        return text
    cut = len(text) - MAX_LOG_CHARS
    return f"[... the first {cut} characters of the setup log omitted ...]\n" + text[cut:]


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Excludes other worker processes preparing the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
