"""A core install (no `server`, no `index` extra) runs the Action and `run`; a command that
needs an extra it lacks stops with one line naming the extra to install, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core_install import BLOCKED, blocked_env

ROOT = Path(__file__).resolve().parents[2]
OR_TEXT = " (or CODEMONKEY_SEMANTIC_INDEX=false for text search only)"
INDEX_FIX = (
    "the semantic code index needs the optional package chromadb: "
    "pip install 'codemonkey[index]' (or set CODEMONKEY_SEMANTIC_INDEX=false for text "
    "search only)"
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path / "home"),
            "CODEMONKEY_DATA_DIR": str(tmp_path / "data"),
            "CODEMONKEY_LOG_FORMAT": "text",
            **extra,
        }
    )
    return blocked_env(env, tmp_path)


def _codemonkey(tmp_path: Path, args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("module", BLOCKED)
def test_the_simulated_core_install_lacks_the_extras(tmp_path: Path, module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"ModuleNotFoundError: No module named '{module}'" in done.stderr


def _action_variables(tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text('{"action": "opened"}')
    return {
        "GITHUB_EVENT_NAME": "issues",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_TOKEN": "ghs_unused",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "ANTHROPIC_API_KEY": "sk-ant-unused",
    }


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        (
            ["serve"],
            {},
            "this command needs the optional packages uvicorn, chromadb: "
            f"pip install 'codemonkey[server,index]'{OR_TEXT}",
        ),
        (
            ["serve"],
            {"CODEMONKEY_SEMANTIC_INDEX": "false"},
            "this command needs the optional package uvicorn: pip install 'codemonkey[server]'",
        ),
        (
            ["worker"],
            {},
            "this command needs the optional package rq: pip install 'codemonkey[server]'",
        ),
        (
            ["migrate"],
            {"CODEMONKEY_DATABASE_URL": "postgresql+psycopg://cm@127.0.0.1:5432/test"},
            "this needs the optional package psycopg: pip install 'codemonkey[server]'",
        ),
        (
            ["keys", "list"],
            {"CODEMONKEY_REDIS_URL": "redis://127.0.0.1:6379/0"},
            None,
        ),
        (["action"], {"CODEMONKEY_SEMANTIC_INDEX": "true"}, INDEX_FIX),
    ],
    ids=["serve", "serve-text-only", "worker", "postgres", "keys-redis", "action-index"],
)
def test_a_missing_extra_is_one_line_with_the_fix(
    tmp_path: Path, args: list[str], variables: dict[str, str], message: str | None
) -> None:
    if args == ["action"]:
        variables = {**_action_variables(tmp_path), **variables}
    done = _codemonkey(tmp_path, args, **variables)
    assert "Traceback" not in done.stdout + done.stderr
    if message is None:  # a command that does not use what is missing runs as before
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [f"codemonkey {args[0]}: {message}"]


def test_the_action_on_a_core_install_uses_text_search(tmp_path: Path) -> None:
    """Not a missing extra: the Action's semantic index is off unless turned on."""
    done = _codemonkey(tmp_path, ["action"], **_action_variables(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "issues: ignored" in done.stdout
