"""A task's command environment: the repository's prepared environment first on PATH, no
bytecode files, and a scratch directory (HOME and TMPDIR) kept between the task's commands.

Two kinds, behind `agents.tools.base.CommandEnvironment`:
- `TaskEnvironment` prepares the repository's environment with `EnvironmentStore` on the
  first command that needs it (the agent's first `run_command`, or the QA check);
- `JobEnvironment` (GitHub Action mode) uses the workflow job's own PATH as it is: the
  workflow installs what the repository needs before the CodeMonkey step.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from agents.env.plan import EnvironmentPlan
from agents.env.store import EnvironmentStore, SetupOutcome, tool_env
from agents.git.process import GitLayout
from agents.tools.base import CommandSettings, SandboxSettings
from agents.tools.launch import STANDARD_PATH
from agents.tools.sandbox import SandboxRunner

# A same-size edit within the same second would otherwise run stale bytecode.
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
SETUP_FAILED_NOTE = (
    "[the repository's setup step failed, so commands run without its environment; fix "
    "`setup` in .github/codemonkey.yml. The end of its log:]\n"
)


class TaskEnvironment:
    """The environment of one task's commands; the setup step runs at most once here."""

    def __init__(
        self,
        store: EnvironmentStore,
        *,
        repo: str,
        workspace: Path,
        plan: EnvironmentPlan,
        runner: SandboxRunner,
        task_id: int | None,
        git: GitLayout | None = None,
    ) -> None:
        self.store = store
        self.repo = repo
        self.workspace = workspace
        self.plan = plan
        self.runner = runner
        self.task_id = task_id
        self.git = git
        self._lock = threading.Lock()
        self._outcome: SetupOutcome | None = None
        self._reported = False

    def prepare(self, base: SandboxSettings) -> SetupOutcome:
        with self._lock:
            if self._outcome is None:
                self._outcome = self.store.prepare(
                    self.repo,
                    self.workspace,
                    self.plan.setup,
                    runner=self.runner,
                    base=base,
                    task_id=self.task_id,
                    git=self.git,
                )
            return self._outcome

    def settings(self, base: SandboxSettings, outcome: SetupOutcome) -> SandboxSettings:
        scratch = str(self.store.scratch(self.task_id))
        env = {**base.extra_env, **NO_BYTECODE}
        if not outcome.ok or outcome.directory is None or outcome.venv is None:
            return replace(base, extra_env=env, scratch_dir=scratch)
        # The workspace's own code wins over a copy of the project the setup installed, and
        # over the first task's tree that an editable install points at.
        roots = [self.workspace / r for r in outcome.import_roots]
        own = list(dict.fromkeys([*roots, self.workspace / "src", self.workspace]))
        env.update(tool_env(outcome.directory))
        env["PYTHONPATH"] = ":".join(str(p) for p in own if p.is_dir())
        return replace(
            base,
            extra_env=env,
            scratch_dir=scratch,
            path_prefix=(str(outcome.venv / "bin"), *base.path_prefix),
            ro_paths=(*base.ro_paths, str(outcome.directory)),
        )

    def command_settings(self, base: SandboxSettings) -> CommandSettings:
        outcome = self.prepare(base)
        note = ""
        with self._lock:
            first, self._reported = not self._reported, True
        if first and not outcome.ok:
            note = SETUP_FAILED_NOTE + outcome.log[-3000:]
        elif first and outcome.ran:
            note = f"[the repository's setup step ran first ({outcome.seconds:.1f}s)]"
        return CommandSettings(self.settings(base, outcome), note)


class JobEnvironment:
    """Action mode: the job's PATH (setup-python, setup-node, a virtualenv) as it is."""

    def __init__(self, store: EnvironmentStore, *, task_id: int | None, environ: Mapping[str, str]):
        self.store = store
        self.task_id = task_id
        self.environ = job_variables(environ)

    def prepare(self, base: SandboxSettings) -> SetupOutcome:
        return SetupOutcome(ok=True)

    def settings(self, base: SandboxSettings, outcome: SetupOutcome) -> SandboxSettings:
        return job_settings(base, self.environ, str(self.store.scratch(self.task_id)))

    def command_settings(self, base: SandboxSettings) -> CommandSettings:
        return CommandSettings(self.settings(base, self.prepare(base)))


# The only variables of the job that commands inherit in Action mode (never its secrets).
JOB_VARIABLES = ("PATH", "VIRTUAL_ENV")


def job_variables(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in JOB_VARIABLES if environ.get(name)}


def job_settings(
    base: SandboxSettings, environ: Mapping[str, str], scratch: str
) -> SandboxSettings:
    """`base` with the job's PATH entries (outside the standard ones) first, and visible."""
    standard = set(STANDARD_PATH.split(":"))
    extra = [p for p in environ.get("PATH", "").split(":") if p and p not in standard]
    venv = environ.get("VIRTUAL_ENV")
    if venv:
        # The workflow's virtualenv wins over interpreters later steps put on PATH (the
        # action's own setup-python step runs after the workflow's install step).
        extra = list(dict.fromkeys([str(Path(venv) / "bin"), *extra]))
    # A tool's bin directory needs its siblings (lib/, a virtualenv's site-packages).
    visible = {str(Path(p).parent) for p in extra if os.path.isabs(p)}
    env = {**base.extra_env, **NO_BYTECODE}
    if venv:
        env["VIRTUAL_ENV"] = venv
    return replace(
        base,
        extra_env=env,
        scratch_dir=scratch,
        path_prefix=(*extra, *base.path_prefix),
        ro_paths=(*base.ro_paths, *sorted(visible)),
    )
