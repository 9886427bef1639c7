"""The setup step and the task's commands in real containers (Podman, an image made from
the host's packages): the virtualenv is the image's python3, a package installed from the
fixture is importable by a later command but cannot be changed by it, a second task reuses
the environment, and neither the setup nor the commands see the worker's secrets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.env.plan import EnvironmentConfig, plan_environment
from agents.env.store import EnvironmentStore
from agents.env.task import TaskEnvironment
from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from tests.agents.env.fixture_repo import COUNT, INSTALL, write_fixture

RUNNER = SandboxRunner()


@pytest.fixture
def base(podman_image: str) -> SandboxSettings:
    return SandboxSettings(
        backend="podman", image=podman_image, timeout_seconds=120, cpu_seconds=120
    )


def _env(store: EnvironmentStore, root: Path, setup: tuple[str, ...], task: int) -> TaskEnvironment:
    plan = plan_environment(root, EnvironmentConfig(setup=setup))
    return TaskEnvironment(
        store, repo="acme/widgets", workspace=root, plan=plan, runner=RUNNER, task_id=task
    )


def _run(root: Path, base: SandboxSettings, command: str, env: TaskEnvironment) -> tuple[bool, str]:
    ctx = ToolContext(workspace=root, task_id=1, sandbox=base, environment=env)
    result = workspace_registry(RUNNER).call(ctx, "run_command", {"command": command})
    return result.ok, result.output


def test_setup_in_a_container_is_used_by_commands_and_reused(
    tmp_path: Path, base: SandboxSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_containersecret")
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    first = _env(store, root, (INSTALL, COUNT, "env > $VIRTUAL_ENV/../setup-env"), 1)
    outcome = first.prepare(base)
    assert outcome.ok and outcome.ran, outcome.log
    assert outcome.directory is not None
    assert "ghs_containersecret" not in (outcome.directory / "setup-env").read_text()

    check = "python3 -c 'import sys, shoutkit; print(shoutkit.shout(\"hi\"), sys.prefix)'; env"
    ok, out = _run(root, base, check, first)
    assert ok and "HI!" in out and str(outcome.venv) in out, out
    assert "ghs_containersecret" not in out
    ok, out = _run(root, base, "python3 -m unittest discover -v 2>&1 | tail -2", first)
    assert ok and "FAILED" in out  # the tests run (and fail on the unfixed code)
    # The prepared environment is shared by later tasks: commands see it read-only.
    ok, out = _run(root, base, 'echo "import os" > "$VIRTUAL_ENV/planted.py"', first)
    assert not ok and "Read-only file system" in out, out

    other = tmp_path / "other"
    shutil.copytree(root, other)
    second = _env(store, other, (INSTALL, COUNT, "env > $VIRTUAL_ENV/../setup-env"), 2)
    assert second.prepare(base).ok and not second.prepare(base).ran
    assert (outcome.directory / "setup-runs").read_text() == "run\n"


def test_the_image_is_part_of_the_environments_key(tmp_path: Path, base: SandboxSettings) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    in_image = _env(store, root, ("true",), 1).prepare(base)
    assert in_image.ok, in_image.log
    if not RUNNER.bwrap_available():
        return
    on_host = _env(store, root, ("true",), 2).prepare(SandboxSettings(backend="bwrap"))
    assert on_host.ok and on_host.ran and on_host.directory != in_image.directory
