"""run_command in the sandbox, on the best backend here and on the subprocess fallback.

"auto" is bubblewrap (commands are refused without it); "unsafe-host" is the explicit
fallback (with `unshare --net`); "bare" is that fallback with no way to unshare the network.
"""

from __future__ import annotations

import logging
import shutil
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from agents.git.worktree import create_worktree
from agents.tools.base import SandboxBackend, SandboxSettings, ToolContext, ToolRegistry
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner, SandboxUnavailable

from .conftest import REDIS_HOST, REDIS_PORT

MISSING = "/nonexistent/bin/tool"


@pytest.fixture(params=["auto", "unsafe-host", "bare"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def mode(backend: str) -> SandboxBackend:
    return "auto" if backend == "auto" else "unsafe-host"


@pytest.fixture
def runner(backend: str) -> SandboxRunner:
    if backend == "bare":
        return SandboxRunner(bwrap=MISSING, unshare=MISSING)
    return SandboxRunner()


@pytest.fixture
def sandboxed(ctx: ToolContext, backend: str) -> ToolContext:
    settings = SandboxSettings(backend=mode(backend), timeout_seconds=20, cpu_seconds=5)
    return replace(ctx, sandbox=settings)


@pytest.fixture
def tools(runner: SandboxRunner) -> ToolRegistry[ToolContext]:
    return workspace_registry(runner)


def run(
    tools: ToolRegistry[ToolContext], ctx: ToolContext, command: str, **extra: object
) -> tuple[bool, str]:
    """Whether it succeeded, and the output after the echoed "$ command" line."""
    result = tools.call(ctx, "run_command", {"command": command, **extra})
    echoed = f"$ {command}\n"
    if result.output.startswith(echoed):
        return result.ok, result.output[len(echoed) :]
    return result.ok, result.output


def test_the_backend_matches_what_is_installed() -> None:
    runner = SandboxRunner()
    chosen = runner.backend(SandboxSettings())
    assert (chosen == "bwrap") == runner.bwrap_available()
    assert (shutil.which("bwrap") is not None) or chosen != "bwrap"
    assert runner.backend(SandboxSettings(backend="unsafe-host")) == "unsafe-host+unshare"
    bare = SandboxRunner(bwrap=MISSING, unshare=MISSING)
    assert bare.backend(SandboxSettings(backend="unsafe-host")) == "unsafe-host"
    with pytest.raises(SandboxUnavailable):
        bare.backend(SandboxSettings())


def test_exit_code_output_and_cwd(
    tools: ToolRegistry[ToolContext], sandboxed: ToolContext, repo: Path
) -> None:
    ok, output = run(tools, sandboxed, "echo out; echo err >&2; pwd; exit 3", cwd="src")
    assert not ok
    assert output.startswith("out\nerr\n")
    assert f"{repo.resolve()}/src\n" in output
    assert output.splitlines()[-1].startswith("[exit code 3 after ")
    ok, output = run(tools, sandboxed, "printf 'x = 1\\n' > made.py && cat made.py")
    assert ok and "x = 1" in output and (repo / "made.py").read_text() == "x = 1\n"


def test_no_network(
    tools: ToolRegistry[ToolContext],
    sandboxed: ToolContext,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=5):
        pass  # the service is up, so a failure inside the sandbox is the sandbox's doing
    probe = (
        "python3 -c 'import socket; "
        f'socket.create_connection(("{REDIS_HOST}", {REDIS_PORT}), timeout=3); '
        'print("CONNECTED")\''
    )
    with caplog.at_level(logging.WARNING):
        ok, output = run(tools, sandboxed, probe)
    if backend == "bare":
        # Nothing can unshare the network here: the command connects, and that is logged.
        assert ok and "CONNECTED" in output
        assert "the network cannot be unshared" in caplog.text
    else:
        assert not ok and "CONNECTED" not in output
        assert "Connection refused" in output or "Network is unreachable" in output


def test_no_secrets_in_the_environment(
    ctx: ToolContext, runner: SandboxRunner, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_parent_secret_value")
    monkeypatch.setenv("DEPLOY_PASSWORD", "hunter2-parent")
    monkeypatch.setenv("HARMLESS_SETTING", "visible-value")
    settings = SandboxSettings(
        backend=mode(backend),
        env_allow=("HARMLESS_SETTING", "GITHUB_TOKEN"),
        extra_env={"PIP_NO_INDEX": "1", "API_KEY": "configured-secret"},
    )
    tools = workspace_registry(runner)
    ok, output = run(tools, replace(ctx, sandbox=settings), "env")
    assert ok
    assert "ghs_parent_secret_value" not in output and "hunter2-parent" not in output
    assert "configured-secret" not in output
    assert "HARMLESS_SETTING=visible-value" in output and "PIP_NO_INDEX=1" in output
    assert "PATH=/usr/local/sbin:" in output


def test_wall_time_limit_kills_the_process_group(
    tools: ToolRegistry[ToolContext], sandboxed: ToolContext
) -> None:
    ok, output = run(tools, sandboxed, "sleep 60 & sleep 60; echo never", timeout_seconds=1)
    assert not ok and "never" not in output
    assert "[killed after the 1s wall-time limit" in output
    ok, output = run(tools, sandboxed, "sleep 60 & echo started")
    assert ok and "started" in output  # a background child does not hold the call open


def test_cpu_limit_kills_a_busy_loop(
    tools: ToolRegistry[ToolContext], ctx: ToolContext, backend: str
) -> None:
    limited = replace(
        ctx, sandbox=SandboxSettings(backend=mode(backend), timeout_seconds=30, cpu_seconds=1)
    )
    ok, output = run(tools, limited, "python3 -c 'while True: pass'")
    assert not ok
    assert "[killed: the CPU-time limit of 1s was exceeded" in output


def test_memory_limit(tools: ToolRegistry[ToolContext], ctx: ToolContext, backend: str) -> None:
    settings = SandboxSettings(backend=mode(backend), memory_bytes=256 * 1024**2)
    ok, output = run(tools, replace(ctx, sandbox=settings), "python3 -c 'b = bytearray(1 << 30)'")
    assert not ok and "MemoryError" in output


def test_output_is_truncated_keeping_head_and_tail(
    tools: ToolRegistry[ToolContext], ctx: ToolContext, backend: str
) -> None:
    settings = SandboxSettings(backend=mode(backend), max_output_bytes=2000)
    ok, output = run(tools, replace(ctx, sandbox=settings), "seq 1 100000")
    assert ok
    lines = output.splitlines()
    assert lines[0:3] == ["1", "2", "3"]
    assert "100000" in lines[-2]
    omitted = next(line for line in lines if "bytes of output omitted" in line)
    assert int(omitted.split()[1]) > 500_000
    assert len(output) < 2300


def test_filesystem_outside_the_workspace(
    tmp_path: Path, tools: ToolRegistry[ToolContext], sandboxed: ToolContext, runner: SandboxRunner
) -> None:
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("outside-data\n")
    _, output = run(tools, sandboxed, f"cat {secret}; echo x > {tmp_path}/written")
    if runner.backend(sandboxed.sandbox) == "bwrap":
        assert "outside-data" not in output and "No such file" in output
        assert not (tmp_path / "written").exists()
        _, output = run(tools, sandboxed, "touch /usr/sandbox-probe")
        assert "Read-only file system" in output
    else:
        # The fallback has no filesystem isolation (logged as weaker isolation).
        assert "outside-data" in output and (tmp_path / "written").exists()


def test_weaker_isolation_is_logged_once(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    runner = SandboxRunner(bwrap=MISSING, unshare=MISSING)
    tools = workspace_registry(runner)
    fallback = replace(ctx, sandbox=SandboxSettings(backend="unsafe-host"))
    with caplog.at_level(logging.WARNING):
        assert run(tools, fallback, "true")[0]
        assert run(tools, fallback, "true")[0]
    warnings = [r for r in caplog.records if "without isolation" in r.getMessage()]
    assert len(warnings) == 1
    assert "install bubblewrap" in warnings[0].getMessage()


def test_bad_arguments(tools: ToolRegistry[ToolContext], sandboxed: ToolContext) -> None:
    assert "the command is empty" in run(tools, sandboxed, "  ")[1]
    assert "is not a directory" in run(tools, sandboxed, "true", cwd="README.md")[1]
    assert "invalid arguments" in run(tools, sandboxed, "true", timeout_seconds=0)[1]


def test_git_metadata_is_read_only_inside_bubblewrap(
    tmp_path: Path, repo: Path, runner: SandboxRunner, backend: str
) -> None:
    ws = create_worktree(repo, tmp_path / "trees", "codemonkey/5-hooks")
    common = (repo / ".git").resolve()
    assert ws.layout.metadata_dirs() == (common, common / "worktrees" / ws.path.name)
    ctx = ToolContext(
        workspace=ws.path, git=ws.layout, sandbox=SandboxSettings(backend=mode(backend))
    )
    tools = workspace_registry(runner)
    script = (
        "echo '# more' >> README.md; git status --short; "
        'echo "exit 1" > "$(git rev-parse --git-common-dir)/hooks/pre-push"'
    )
    _, output = run(tools, ctx, script)
    assert "M README.md" in output  # git works inside the sandbox
    planted = (repo / ".git" / "hooks" / "pre-push").exists()
    if runner.backend(ctx.sandbox) == "bwrap":
        assert "Read-only file system" in output and not planted
    else:
        assert planted  # the fallback cannot protect it (logged as weaker isolation)


def test_commands_run_concurrently_from_worker_threads(
    tools: ToolRegistry[ToolContext], sandboxed: ToolContext
) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run, tools, sandboxed, f"sleep 0.3; echo job-{n}") for n in range(8)]
        results = [f.result(timeout=60) for f in futures]
    for n, (ok, output) in enumerate(results):
        assert ok and output.startswith(f"job-{n}\n")
