"""Finding 2: without bubblewrap, agent commands ran on the host and could read every
process's environment. Now they are refused unless the unsafe backend is chosen."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from bot.readiness import run_check
from bot.sandbox_setup import sandbox_check
from bot.settings import Settings

NO_BWRAP = "/nonexistent/bin/bwrap"
SECRET = "s3cret-from-the-worker"
STEAL = f"cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c {SECRET} || true"


@pytest.fixture
def worker_with_secret() -> Iterator[None]:
    """A host process holding a secret in its environment, as a worker holds provider keys."""
    proc = subprocess.Popen(["sleep", "60"], env={"CODEMONKEY_PROBE_SECRET": SECRET})
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.usefixtures("worker_with_secret")
def test_without_bubblewrap_commands_are_refused(ctx: ToolContext, tmp_path: Path) -> None:
    marker = tmp_path / "ran-on-host"
    tools = workspace_registry(SandboxRunner(bwrap=NO_BWRAP))
    auto = replace(ctx, sandbox=SandboxSettings())
    result = tools.call(auto, "run_command", {"command": f"touch {marker}; {STEAL}"})
    assert not result.ok
    assert not marker.exists()
    assert "apt-get install bubblewrap" in result.output
    assert "CODEMONKEY_SANDBOX_BACKEND=unsafe-host" in result.output


@pytest.mark.usefixtures("worker_with_secret")
def test_bubblewrap_hides_the_workers_environment(ctx: ToolContext) -> None:
    tools = workspace_registry(SandboxRunner())
    result = tools.call(ctx, "run_command", {"command": STEAL})
    assert result.ok, result.output
    assert result.output.splitlines()[1] == "0"
    # The probe works: on the host it finds the secret.
    host = subprocess.run(["bash", "-c", STEAL], capture_output=True, text=True, check=True)
    assert int(host.stdout) >= 1


def test_readiness_fails_when_no_backend_works() -> None:
    broken = run_check(sandbox_check(Settings(sandbox_bwrap_path=NO_BWRAP)))
    assert not broken.result.ok
    assert "unsafe-host" in broken.result.detail
    working = run_check(sandbox_check(Settings()))
    assert working.result.ok and working.result.detail.startswith("bwrap")
    unsafe = run_check(
        sandbox_check(Settings(sandbox_bwrap_path=NO_BWRAP, sandbox_backend="unsafe-host"))
    )
    assert unsafe.result.ok and "WITHOUT isolation" in unsafe.result.detail
