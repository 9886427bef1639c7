"""The setup step and the environment commands get: real bubblewrap, a real virtualenv, and
a package installed from a wheel inside the fixture (no package index)."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.env.plan import EnvironmentConfig, plan_environment
from agents.env.store import EnvironmentStore
from agents.env.task import JobEnvironment, TaskEnvironment
from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from tests.agents.env.fixture_repo import COUNT, INSTALL, write_fixture

RUNNER = SandboxRunner()
BASE = SandboxSettings(backend="bwrap", timeout_seconds=60, cpu_seconds=60)
needs_bwrap = pytest.mark.skipif(
    not RUNNER.bwrap_available(), reason="bubblewrap is not installed or cannot create namespaces"
)
pytestmark = needs_bwrap


def _env(
    store: EnvironmentStore, root: Path, setup: tuple[str, ...], task_id: int
) -> TaskEnvironment:
    plan = plan_environment(root, EnvironmentConfig(setup=setup))
    return TaskEnvironment(
        store, repo="acme/widgets", workspace=root, plan=plan, runner=RUNNER, task_id=task_id
    )


def _run(root: Path, command: str, environment: object | None) -> tuple[bool, str]:
    ctx = ToolContext(workspace=root, task_id=1, sandbox=BASE, environment=environment)  # type: ignore[arg-type]
    result = workspace_registry(RUNNER).call(ctx, "run_command", {"command": command})
    return result.ok, result.output


def _runs(store: EnvironmentStore) -> list[str]:
    found = list(store.root.glob("environments/acme__widgets/*/setup-runs"))
    return [line for path in found for line in path.read_text().splitlines()]


def test_setup_installs_into_a_virtualenv_that_later_tasks_reuse(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    ok, out = _run(root, "python3 -c 'import shoutkit'", None)
    assert not ok and "No module named 'shoutkit'" in out  # the worker does not have it

    first = _env(store, root, (INSTALL, COUNT), task_id=1)
    ok, out = _run(root, "python3 -c 'import shoutkit; print(shoutkit.shout(\"hi\"))'", first)
    assert ok and "HI!" in out, out
    assert "setup step ran first" in out
    assert first.prepare(BASE).ran and first.prepare(BASE).venv is not None

    other = tmp_path / "other-worktree"
    shutil.copytree(root, other)
    second = _env(store, other, (INSTALL, COUNT), task_id=2)
    ok, out = _run(other, "python3 -m unittest discover -v 2>&1 | tail -3; which python3", second)
    assert "setup step ran" not in out and not second.prepare(BASE).ran
    assert str(second.prepare(BASE).venv) in out
    assert _runs(store) == ["run"]  # one setup for both tasks


def test_a_changed_manifest_or_setup_command_prepares_a_new_environment(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    assert _env(store, root, (INSTALL, COUNT), 1).prepare(BASE).ran
    (root / "requirements.txt").write_text("# pinned\n")
    assert _env(store, root, (INSTALL, COUNT), 2).prepare(BASE).ran
    assert _env(store, root, (INSTALL, COUNT, "true"), 3).prepare(BASE).ran
    assert not _env(store, root, (INSTALL, COUNT, "true"), 4).prepare(BASE).ran
    assert _runs(store) == ["run", "run", "run"]


@pytest.fixture
def loopback_server() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_setup_reaches_the_network_and_later_commands_do_not(
    tmp_path: Path, loopback_server: int
) -> None:
    root = write_fixture(tmp_path / "ws")
    address = f"('127.0.0.1', {loopback_server})"
    connect = f'python3 -c "import socket; socket.create_connection({address}, 3)"'
    record = f'{connect} && echo reached > "$VIRTUAL_ENV/../setup-net"'
    store = EnvironmentStore(tmp_path / "data")
    environment = _env(store, root, (INSTALL, record), 1)
    outcome = environment.prepare(BASE)
    assert outcome.ok, outcome.log
    assert outcome.directory is not None
    assert (outcome.directory / "setup-net").read_text() == "reached\n"
    ok, out = _run(root, connect, environment)
    assert not ok and ("ConnectionRefused" in out or "unreachable" in out), out


def test_setup_sees_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_setupsecret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-setupsecret")
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    outcome = _env(store, root, ('env > "$VIRTUAL_ENV/../env.txt"',), 1).prepare(BASE)
    assert outcome.ok and outcome.directory is not None
    seen = (outcome.directory / "env.txt").read_text()
    assert "VIRTUAL_ENV=" in seen and "setupsecret" not in seen


def test_commands_cannot_change_the_shared_environment(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    environment = _env(store, root, (INSTALL,), 1)
    ok, out = _run(root, 'echo "import os" > "$VIRTUAL_ENV/lib/planted.py"', environment)
    assert not ok and "Read-only file system" in out
    ok, out = _run(
        root, "python3 -m pip install --no-index --force-reinstall ./vendor/shoutkit", environment
    )
    assert not ok


def test_a_failed_setup_is_run_once_per_task_and_retried_by_the_next(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    failing = ("echo attempt >> setup-attempts; echo 'no such package' >&2; exit 3",)
    environment = _env(store, root, failing, 1)
    ok, out = _run(root, "true", environment)
    assert ok and "setup step failed" in out and "no such package" in out
    ok, out = _run(root, "true", environment)
    assert "setup step failed" not in out  # said once per task
    assert not _env(store, root, failing, 1).prepare(BASE).ok  # remembered for the task
    assert (root / "setup-attempts").read_text().count("attempt") == 1
    _env(store, root, failing, 2).prepare(BASE)
    assert (root / "setup-attempts").read_text().count("attempt") == 2
    assert not list(store.root.glob("environments/acme__widgets/*/ready.json"))


def test_scratch_survives_between_commands_and_no_bytecode_is_written(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    environment = _env(store, root, (), 1)
    assert _run(root, 'echo kept > "$HOME/note"', environment)[0]
    ok, out = _run(root, 'cat "$TMPDIR/note"; echo "home=$HOME"', environment)
    assert ok and "kept" in out and f"home={store.scratch(1)}" in out
    ok, out = _run(root, "python3 -c 'import app' && ls -a", environment)
    assert ok and "__pycache__" not in out
    other_task = _env(store, root, (), 2)
    assert not _run(root, 'cat "$HOME/note"', other_task)[0]


def test_node_modules_made_by_setup_are_kept_and_linked_into_other_workspaces(
    tmp_path: Path,
) -> None:
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    make = ("mkdir -p node_modules/dep && echo 'module.exports = 1' > node_modules/dep/index.js",)
    assert _env(store, root, make, 1).prepare(BASE).ok
    assert (root / "node_modules").is_symlink()
    other = tmp_path / "other"
    shutil.copytree(root, other, symlinks=True)
    (other / "node_modules").unlink()
    environment = _env(store, other, make, 2)
    ok, out = _run(other, "cat node_modules/dep/index.js", environment)
    assert ok and "module.exports = 1" in out


def test_action_mode_uses_the_jobs_path_as_it_is(tmp_path: Path) -> None:
    tools = tmp_path / "toolcache" / "bin"
    tools.mkdir(parents=True)
    (tools / "jobtool").write_text("#!/bin/sh\necho from the job\n")
    (tools / "jobtool").chmod(0o755)
    root = write_fixture(tmp_path / "ws")
    store = EnvironmentStore(tmp_path / "data")
    environ = {"PATH": f"{tools}:/usr/bin", "GITHUB_TOKEN": "ghs_jobsecret"}
    job = JobEnvironment(store, task_id=1, environ=environ)
    ok, out = _run(root, "jobtool; env", job)
    assert ok and "from the job" in out and "ghs_jobsecret" not in out
    ok, out = _run(root, "jobtool", None)
    assert not ok and "exit code 127" in out
    venv = tmp_path / "job-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "jobtool").write_text("#!/bin/sh\necho from the venv\n")
    (venv / "bin" / "jobtool").chmod(0o755)
    environ["VIRTUAL_ENV"] = str(venv)
    ok, out = _run(root, "jobtool", JobEnvironment(store, task_id=2, environ=environ))
    assert ok and "from the venv" in out
