"""Fixtures: a real git repository as the workspace, a context and the tool registry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agents.tools.base import SandboxSettings, ToolContext, ToolRegistry
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from tests.conftest import REDIS_URL


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "--quiet", "--initial-branch=main")
    run_git(path, "config", "user.name", "Test")
    run_git(path, "config", "user.email", "test@example.com")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    run_git(path, "add", "--all")
    run_git(path, "commit", "--quiet", "-m", "initial")
    return path


APP_PY = """import os


def greet(name):
    return f"Hello, {name}!"


def farewell(name):
    return f"Goodbye, {name}!"


def main():
    print(greet(os.environ.get("USER", "world")))
"""

FILES = {
    "README.md": "# Demo\n\nA demo project.\n",
    "src/app.py": APP_PY,
    "src/util.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "tests/test_app.py": (
        "from src.app import greet\n\n\ndef test_greet():\n    assert greet('x')\n"
    ),
    ".gitignore": "build/\n*.log\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", FILES)


@pytest.fixture
def ctx(repo: Path) -> ToolContext:
    return ToolContext(
        workspace=repo,
        task_id=7,
        sandbox=SandboxSettings(timeout_seconds=20, cpu_seconds=10),
    )


@pytest.fixture
def registry() -> ToolRegistry[ToolContext]:
    return workspace_registry(SandboxRunner())


def _redis_address() -> tuple[str, int]:
    rest = REDIS_URL.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    return host, int(port or 6379)


REDIS_HOST, REDIS_PORT = _redis_address()
