"""The container backend: its command line exactly, how it is chosen, and (where Podman
runs) real containers holding the same contract as bubblewrap."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from agents.tools.base import SandboxSettings
from agents.tools.container import Mounts, container_argv, write_env_file
from agents.tools.launch import minimal_env
from agents.tools.sandbox import SandboxRunner

MISSING = "/nonexistent/podman"


def _flag_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def _argv(tmp_path: Path, settings: SandboxSettings, **mounts: object) -> list[str]:
    workspace = tmp_path / "ws"
    (workspace / ".git").mkdir(parents=True, exist_ok=True)
    return container_argv(
        "podman",
        "podman",
        settings,
        image="example/image:1",
        name="codemonkey-x",
        env_file=tmp_path / "env",
        mounts=Mounts(workspace=workspace, **mounts),  # type: ignore[arg-type]
        cwd=workspace,
        command=["bash", "-c", "make test"],
        nproc=300,
    )


def test_command_line_holds_the_sandbox_contract(tmp_path: Path) -> None:
    settings = SandboxSettings(memory_bytes=512 * 1024**2, max_processes=64, cpu_seconds=30)
    argv = _argv(tmp_path, settings, read_only_workspace=False, rw_paths=("/data/scratch",))
    ws = tmp_path / "ws"
    assert argv[:2] == ["podman", "run"]
    for flag in (
        "--network=none",
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        f"--memory={512 * 1024**2}",
        f"--memory-swap={512 * 1024**2}",
        "--pids-limit=64",
        "--cpus=1",
        "--ulimit=cpu=30:31",
        "--ulimit=core=0:0",
        "--ulimit=nproc=300:300",
        "--entrypoint=",
    ):
        assert flag in argv, flag
    assert _flag_value(argv, "--user") == f"{os.getuid()}:{os.getgid()}"
    volumes = [argv[i + 1] for i, a in enumerate(argv) if a == "--volume"]
    assert f"{ws}:{ws}:rw" in volumes
    assert f"{ws / '.git'}:{ws / '.git'}:ro" in volumes
    assert "/data/scratch:/data/scratch:rw" in volumes
    assert _flag_value(argv, "--workdir") == str(ws)
    assert _flag_value(argv, "--env-file") == str(tmp_path / "env")
    # The image, then the command itself: nothing of the host's environment on the line.
    assert argv[-4:] == ["example/image:1", "bash", "-c", "make test"]
    assert not any(a.startswith(("-e", "--env=")) for a in argv)


def test_setup_keeps_the_network_and_read_only_roles_get_a_read_only_workspace(
    tmp_path: Path,
) -> None:
    setup = _argv(tmp_path, SandboxSettings(network=True), read_only_workspace=False)
    assert not any(a.startswith("--network") for a in setup)
    reviewer = _argv(tmp_path, SandboxSettings(), read_only_workspace=True)
    ws = tmp_path / "ws"
    assert f"{ws}:{ws}:ro" in reviewer and f"{ws}:{ws}:rw" not in reviewer


def test_env_file_carries_no_secret_and_is_private(tmp_path: Path) -> None:
    settings = SandboxSettings(extra_env={"GITHUB_TOKEN": "ghs_secret", "PIP_NO_INDEX": "1"})
    path = write_env_file(tmp_path, minimal_env(settings, "/scratch"))
    text = path.read_text()
    assert "ghs_secret" not in text and "GITHUB_TOKEN" not in text
    assert "PIP_NO_INDEX=1" in text and "HOME=/scratch" in text
    assert path.stat().st_mode & 0o077 == 0


def _fake_runtime(tmp_path: Path, works: bool) -> str:
    script = tmp_path / ("podman" if works else "broken-podman")
    script.write_text(f"#!/bin/sh\nexit {0 if works else 1}\n")
    script.chmod(0o755)
    return str(script)


def test_auto_uses_a_working_runtime_when_an_image_is_asked_for(tmp_path: Path) -> None:
    runner = SandboxRunner(podman=_fake_runtime(tmp_path, True), docker=MISSING)
    assert runner.status(SandboxSettings(image="python:3.12")).name == "podman"
    without_image = runner.status(SandboxSettings()).name
    assert without_image in ("bwrap", None)  # no image: the container backend is not used


def test_auto_without_a_working_runtime_uses_bubblewrap_or_refuses(tmp_path: Path) -> None:
    broken = _fake_runtime(tmp_path, False)
    runner = SandboxRunner(podman=broken, docker=MISSING)
    if runner.bwrap_available():
        state = runner.status(SandboxSettings(image="python:3.12"))
        assert state.name == "bwrap" and "python:3.12 is not used" in state.detail
    nothing = SandboxRunner(bwrap=MISSING, podman=broken, docker=MISSING)
    state = nothing.status(SandboxSettings(image="python:3.12"))
    assert state.name is None
    assert "CODEMONKEY_SANDBOX_IMAGE" in state.detail  # the refusal names the container fix


def test_an_explicit_container_backend_needs_a_runtime_and_an_image(tmp_path: Path) -> None:
    broken = SandboxRunner(podman=_fake_runtime(tmp_path, False))
    state = broken.status(SandboxSettings(backend="podman", image="python:3.12"))
    assert state.name is None and "apt-get install podman" in state.detail
    working = SandboxRunner(podman=_fake_runtime(tmp_path, True))
    state = working.status(SandboxSettings(backend="podman"))
    assert state.name is None and "CODEMONKEY_SANDBOX_IMAGE" in state.detail
    assert working.backend(SandboxSettings(backend="podman", image="x")) == "podman"


# Real containers: Podman with an image made from the host's packages.


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    return ws


def _leftovers() -> str:
    return subprocess.run(
        ["podman", "ps", "-a", "-q", "--filter", "label=io.codemonkey.command"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def test_a_real_container_writes_the_workspace_only(tmp_path: Path, podman_image: str) -> None:
    ws = _workspace(tmp_path)
    settings = SandboxSettings(backend="podman", image=podman_image, timeout_seconds=60)
    script = (
        "echo made > result.txt; "
        "touch .git/hooks/pre-commit 2>/dev/null && echo HOOK || echo git-read-only; "
        "touch /usr/planted 2>/dev/null && echo ROOT || echo image-read-only; "
        # Only the loopback interface: no network at all (not merely no route here).
        "python3 -c 'import socket; print(*sorted(n for _, n in socket.if_nameindex()))'; "
        "id -u"
    )
    outcome = SandboxRunner().run(["sh", "-c", script], workspace=ws, cwd=ws, settings=settings)
    assert outcome.backend == "podman" and outcome.exit_code == 0, outcome.output
    assert (ws / "result.txt").read_text() == "made\n"
    assert (ws / "result.txt").stat().st_uid == os.getuid()
    for line in ("git-read-only", "image-read-only", "lo", str(os.getuid())):
        assert line in outcome.output.splitlines(), outcome.output
    assert not (ws / ".git" / "hooks" / "pre-commit").exists()
    assert _leftovers() == ""


def test_a_real_container_is_killed_at_the_timeout(tmp_path: Path, podman_image: str) -> None:
    ws = _workspace(tmp_path)
    settings = SandboxSettings(backend="podman", image=podman_image, timeout_seconds=2)
    outcome = SandboxRunner().run(["sh", "-c", "sleep 60"], workspace=ws, cwd=ws, settings=settings)
    assert outcome.timed_out and outcome.duration_seconds < 30
    assert _leftovers() == ""  # the container did not outlive its killed client


def test_a_real_container_holds_memory_and_process_limits(
    tmp_path: Path, podman_image: str
) -> None:
    ws = _workspace(tmp_path)
    base = SandboxSettings(backend="podman", image=podman_image, timeout_seconds=60)
    runner = SandboxRunner()
    hog = "b = bytearray(600 * 1024 * 1024); print('allocated')"
    memory = runner.run(
        ["python3", "-c", hog],
        workspace=ws,
        cwd=ws,
        settings=replace(base, memory_bytes=256 * 1024**2),
    )
    assert "allocated" not in memory.output and memory.exit_code != 0, memory
    storm = "for i in $(seq 100); do sleep 5 & done; wait; echo all-started"
    processes = runner.run(
        ["sh", "-c", storm],
        workspace=ws,
        cwd=ws,
        settings=replace(base, max_processes=20),
    )
    assert "all-started" not in processes.output, processes.output
