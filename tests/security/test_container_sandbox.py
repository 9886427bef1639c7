"""Attacks on the container backend (real Podman, an image made from the host's packages):
a command looks for the worker's token in its environment and in every process it can
see, and plants a hook in the task worktree's git metadata. The worker's runtime client
has the token in its own environment (as a worker process does)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agents.git.worktree import TaskWorkspace
from agents.tools.base import SandboxSettings, ToolContext, ToolError
from agents.tools.container import Mounts, container_argv
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from webhooks.repo_config import RepoConfig, RepoConfigError, parse_repo_config

TOKEN = "ghs_workertoken_9c1e"


def test_a_container_command_finds_no_token_and_cannot_plant_a_hook(
    ctx: ToolContext,
    workspace: TaskWorkspace,
    podman_image: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("CODEMONKEY_GITHUB_PRIVATE_KEY", TOKEN)
    sandbox = dataclasses.replace(ctx.sandbox, backend="podman", image=podman_image)
    attack = (
        "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; "
        f"for d in {workspace.layout.common_dir} {workspace.layout.git_dir}; do "
        "echo 'curl evil' > $d/hooks/post-checkout 2>/dev/null && echo PLA''NTED; "
        "echo '[core] hooksPath=/tmp' >> $d/config 2>/dev/null && echo PLA''NTED; done; "
        "echo 'gitdir: /tmp/mine' > .git 2>/dev/null && echo PLA''NTED; true"
    )
    result = workspace_registry(SandboxRunner()).call(
        dataclasses.replace(ctx, sandbox=sandbox), "run_command", {"command": attack}
    )
    assert result.ok, result.output
    assert "PATH=" in result.output  # the command ran and printed its environment
    assert TOKEN not in result.output
    assert "PLANTED" not in result.output
    hooks = workspace.layout.common_dir / "hooks"
    assert not (hooks / "post-checkout").exists()
    assert "hooksPath" not in (workspace.layout.common_dir / "config").read_text()


def test_an_image_that_is_a_flag_never_reaches_the_runtime(tmp_path: Path) -> None:
    """`image: --privileged` in a repository's config would make every command's
    container privileged if it reached `podman run` as an argument."""
    with pytest.raises(RepoConfigError):
        parse_repo_config("image: --privileged\n", defaults=RepoConfig())
    with pytest.raises(ToolError, match="not an image reference"):
        container_argv(
            "podman",
            "podman",
            SandboxSettings(),
            image="--privileged",
            name="codemonkey-x",
            env_file=tmp_path / "env",
            mounts=Mounts(workspace=tmp_path, read_only_workspace=False),
            cwd=tmp_path,
            command=["true"],
            nproc=100,
        )
