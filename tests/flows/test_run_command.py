"""`codemonkey run` in a subprocess on a sample repository with a scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.agents.helpers import git
from tests.flows.harness import APP_PY, TEST_APP_PY
from tests.flows.scripts import FAREWELL, TEST_FAREWELL

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = {
    "project_manager": [
        {
            "tool": "delegate",
            "arguments": {
                "role": "backend_developer",
                "title": "Add farewell",
                "description": "Add farewell(name) to app.py",
                "paths": ["app.py"],
            },
        },
        "Plan: one task, add farewell() to app.py.",
    ],
    "backend_developer": [
        {"tool": "write_file", "arguments": {"path": "app.py", "content": FAREWELL}},
        "Added farewell().",
    ],
    "qa": [
        {
            "tool": "write_file",
            "arguments": {"path": "tests/test_farewell.py", "content": TEST_FAREWELL},
        },
        "Added a test.",
    ],
    "code_reviewer": [
        {"tool": "review", "arguments": {"body": "Clean and tested.", "event": "APPROVE"}},
        "Reviewed.",
    ],
}


def _sample_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / "tests").mkdir()
    (path / "app.py").write_text(APP_PY)
    (path / "tests" / "__init__.py").write_text("")
    (path / "tests" / "test_app.py").write_text(TEST_APP_PY)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def _run(
    tmp_path: Path, repo: Path, script: Path, task: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CODEMONKEY_DATA_DIR": str(tmp_path / "data"),
        "CODEMONKEY_LOG_FORMAT": "text",
    }
    env.pop("CODEMONKEY_DATABASE_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--repo",
            str(repo),
            "--model",
            f"scripted:{script}",
            *extra,
            task,
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_completes_on_a_sample_repository_and_leaves_a_branch(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    done = _run(tmp_path, repo, script, "Add a farewell function")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "SCRIPTED model" in out
    assert "=== comment ===\n### Plan" in out  # the plan, printed instead of posted
    assert "=== review [APPROVE] ===" in out and "=== check run [success] ===" in out
    assert "[backend_developer #" in out  # live progress lines
    assert "Branch: codemonkey/1-add-a-farewell-function" in out
    branch = "codemonkey/1-add-a-farewell-function"
    assert git(repo, "show", f"{branch}:app.py") == FAREWELL
    assert git(repo, "show", f"{branch}:tests/test_farewell.py") == TEST_FAREWELL
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_run_refuses_a_bad_script_with_the_fix(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = tmp_path / "script.json"
    script.write_text('{"project_manager": [{"tool": 3}]}')
    done = _run(tmp_path, repo, script, "Anything")
    assert done.returncode == 2
    assert "a tool call is {'tool': NAME" in done.stderr


def test_run_uses_the_given_test_command_for_qa(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    failing = "python3 -c 'raise SystemExit(3)'"
    done = _run(tmp_path, repo, script, "Add a farewell function", "--test-command", failing)
    out = done.stdout
    assert "=== check run [failure] ===" in out, out + done.stderr
    assert failing in out


def test_run_reads_the_repositorys_config_and_flags_override_it(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    (repo / ".github").mkdir()
    failing = "python3 -c 'raise SystemExit(3)'"
    (repo / ".github" / "codemonkey.yml").write_text(f"test_command: {failing}\nsetup: []\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "config")
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    done = _run(tmp_path, repo, script, "Add a farewell function")
    assert "=== check run [failure] ===" in done.stdout, done.stdout + done.stderr
    passing = "python3 -m unittest discover -v"
    done = _run(tmp_path, repo, script, "Add a farewell again", "--test-command", passing)
    assert "=== check run [success] ===" in done.stdout, done.stdout + done.stderr
