"""`codemonkey run` in a subprocess on a sample repository with a scripted model."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
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


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CODEMONKEY_DATA_DIR": str(tmp_path / "data"),
        "CODEMONKEY_LOG_FORMAT": "text",
        **extra,
    }
    for name in ("CODEMONKEY_DATABASE_URL", "CODEMONKEY_LOG_LEVEL"):
        env.pop(name, None)
    return env


def _argv(repo: Path, script: Path, task: str, *extra: str) -> list[str]:
    model = f"scripted:{script}"
    return [sys.executable, "-m", "bot", "run", "--repo", str(repo), "--model", model, *extra, task]


def _run(
    tmp_path: Path,
    repo: Path,
    script: Path,
    task: str,
    *extra: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _argv(repo, script, task, *extra),
        env=env or _env(tmp_path),
        cwd=cwd or tmp_path,
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
    assert "backend_developer #" in out and "→ write_file app.py" in out  # progress
    assert "Done: the change is on codemonkey/1-add-a-farewell-function" in out
    assert "Branch: codemonkey/1-add-a-farewell-function (2 commits on main)" in out
    assert re.search(r"Changed files:\n  app\.py +\| \d+ \+", out), out
    assert re.search(r"\n  tests/test_farewell\.py +\| \d+ \+", out)
    assert "\n  2 files changed, " in out
    assert "Checks: success" in out and "Review: APPROVE" in out and "Elapsed: " in out
    assert "\x1b[" not in out  # plain text when not a terminal
    # Log lines go to a file in the data directory, not between the progress lines.
    assert "INFO " not in done.stderr and "Logs: " in out
    assert (tmp_path / "data" / "logs" / "run.log").exists()
    # What the agents did, afterwards: the tasks, then one task's steps.
    tasks = _cli(tmp_path, "tasks")
    assert tasks.returncode == 0, tasks.stderr
    implement = re.search(r"#(\d+) +implement +backend_developer +succeeded", tasks.stdout)
    assert implement is not None, tasks.stdout
    assert "Tasks of local/sample#1:" in tasks.stdout and "2 model calls" in tasks.stdout
    trace = _cli(tmp_path, "trace", implement[1])
    assert trace.returncode == 0, trace.stderr
    assert "write_file app.py" in trace.stdout and "write_file: ok: " in trace.stdout
    assert "model scripted:scripted: calls write_file  [" in trace.stdout
    missing = _cli(tmp_path, "trace", "999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "codemonkey trace: no task 999; `codemonkey tasks` lists them"
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
    assert done.returncode == 1
    assert _last_error(done).startswith(
        "codemonkey run: the checks failed (failure) on the branch; then task #"
    )
    assert "Failed: the checks failed" in out and "Checks: failure" in out


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _script(tmp_path: Path, script: object) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    return path


def _last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def test_a_run_that_changes_nothing_fails_and_leaves_no_branch(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = _script(
        tmp_path,
        {"project_manager": [{"tool": "finish", "arguments": {"summary": "Nothing to do."}}]},
    )
    done = _run(tmp_path, repo, script, "Do nothing")
    assert done.returncode == 1, done.stdout + done.stderr
    assert _last_error(done).startswith("codemonkey run: nothing changed")
    assert "Branch: none (deleted codemonkey/1-do-nothing: nothing was committed)" in done.stdout
    assert git(repo, "branch", "--list", "codemonkey/*").strip() == ""
    # The next run takes the next number: number 1's plan is done and must not be reused.
    again = _run(tmp_path, repo, script, "Do nothing")
    assert "Branch: none (deleted codemonkey/2-do-nothing: nothing was committed)" in again.stdout


def test_a_model_that_never_uses_its_tools_fails_with_that_reason(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = _script(
        tmp_path, {**SCRIPT, "backend_developer": ["I would add it.", "Done, in words only."]}
    )
    done = _run(tmp_path, repo, script, "Add a farewell function")
    assert done.returncode == 1, done.stdout + done.stderr
    assert _last_error(done).startswith("codemonkey run: the model never used its tools in task #")
    assert "Traceback" not in done.stderr
    assert git(repo, "branch", "--list", "codemonkey/*").strip() == ""


def test_a_spent_budget_fails_with_that_reason(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    script = _script(tmp_path, SCRIPT)
    env = _env(tmp_path, CODEMONKEY_AGENT_MAX_STEPS="1")
    done = _run(tmp_path, repo, script, "Add a farewell function", "--verbose", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert _last_error(done).startswith("codemonkey run: budget spent in task #1")
    assert "WARNING agents.team.scheduler: task 1 (plan) failed" in done.stderr  # --verbose
    assert "step budget (1 model calls)" in _last_error(done)


def test_run_inside_the_repository_keeps_its_data_outside_and_warns_about_changes(
    tmp_path: Path,
) -> None:
    repo = _sample_repo(tmp_path / "sample")
    (repo / "app.py").write_text(APP_PY + "# work in progress\n")
    script = _script(
        tmp_path,
        {"project_manager": [{"tool": "finish", "arguments": {"summary": "Nothing to do."}}]},
    )
    env = _env(tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("CODEMONKEY_DATA_DIR")
    done = _run(tmp_path, Path("."), script, "Do nothing", env=env, cwd=repo)
    assert "warning: 1 uncommitted change in the repository (app.py)" in done.stderr
    assert "not part of the branch" in done.stderr
    assert git(repo, "status", "--porcelain") == " M app.py\n"  # no .codemonkey/ in it
    assert (tmp_path / "xdg" / "codemonkey" / "codemonkey.db").exists()


def test_ctrl_c_stops_within_two_seconds_and_says_what_was_left(tmp_path: Path) -> None:
    repo = _sample_repo(tmp_path / "sample")
    slow = {"tool": "run_command", "arguments": {"command": "sleep 60"}}
    script = _script(tmp_path, {**SCRIPT, "backend_developer": [slow, "Slept."]})
    process = subprocess.Popen(
        _argv(repo, script, "Add a farewell function"),
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    seen = ""
    for line in process.stdout:
        seen += line
        if "→ run_command sleep 60" in line:
            break
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    rest, errors = process.communicate(timeout=30)
    took = time.monotonic() - started
    out = seen + rest
    assert process.returncode == 130, out + errors
    assert took < 2.0, f"took {took:.1f}s to stop"
    assert "Traceback" not in errors and errors.strip().endswith("codemonkey run: interrupted")
    assert "Not finished:" in out and "Add farewell (backend_developer): running" in out
    assert "Branch: none (deleted codemonkey/1-add-a-farewell-function" in out


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
