"""After every edit, the edit's result carries the syntax of each edited file and the
repository's lint findings on them."""

from __future__ import annotations

from pathlib import Path

from agents.runtime import CallContext
from agents.runtime.toolset import ToolSet
from agents.team.edit_checks import EditChecks
from agents.team.toolbox import workspace_toolbox
from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner
from tests.agents.helpers import workspace_tools
from webhooks.repo_config import RepoConfig, parse_repo_config

CTX = CallContext(task_id=1, step=1, role="backend_developer", idempotency_key="k")


def _write(box: ToolSet, path: str, content: str) -> str:
    outcome = box.call("write_file", {"path": path, "content": content}, CTX)
    assert outcome.ok, outcome.output
    return outcome.output


def test_a_broken_python_file_is_reported_with_its_line_and_no_bytecode(tmp_path: Path) -> None:
    box = ToolSet(workspace_tools(tmp_path))
    output = _write(box, "pkg/app.py", "def greet(name):\n    return f'Hi {name'\n")
    assert "Syntax check FAILED" in output
    assert "pkg/app.py: Python syntax error at line 2" in output
    assert not list(tmp_path.rglob("__pycache__")) and not list(tmp_path.rglob("*.pyc"))
    fixed = _write(box, "pkg/app.py", "def greet(name):\n    return f'Hi {name}'\n")
    assert "Syntax check passed: pkg/app.py." in fixed and "FAILED" not in fixed


def test_json_yaml_and_toml_are_parsed_and_other_files_are_not_checked(tmp_path: Path) -> None:
    box = ToolSet(workspace_tools(tmp_path))
    assert "invalid JSON at line 1, column 9" in _write(box, "a.json", '{"a": 1,}')
    assert "a.yml: invalid YAML at line 2" in _write(box, "a.yml", "a: [1\nb: 2\n")
    assert "a.toml: invalid TOML" in _write(box, "a.toml", "a = \n")
    assert "Syntax check" not in _write(box, "notes.txt", "def (:\n")
    assert "Syntax check passed: a.yaml." in _write(box, "a.yaml", "---\na: 1\n---\nb: 2\n")


def test_edits_and_patches_are_checked_too(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    box = ToolSet(workspace_tools(tmp_path))
    edit = box.call("edit_file", {"edits": [{"path": "m.py", "old": "x = 1", "new": "x = ("}]}, CTX)
    assert edit.ok and "m.py: Python syntax error at line 1" in edit.output
    patch = "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = (\n+x = 2\n"
    patched = box.call("apply_patch", {"patch": patch}, CTX)
    assert patched.ok and "Syntax check passed: m.py." in patched.output


def test_the_configured_lint_command_runs_on_the_edited_files(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("# TODO elsewhere\n")
    # A lint that fails on any TODO in the files it is given.
    checks = EditChecks(SandboxRunner(), "! grep -n TODO")
    tools = workspace_toolbox(
        workspace_registry(), ToolContext(workspace=tmp_path), after_edit=checks
    )
    box = ToolSet(tools)
    clean = _write(box, "a.py", "x = 1\n")
    assert "Lint (`! grep -n TODO a.py`): clean." in clean
    found = _write(box, "a.py", "x = 1  # TODO: remove\n")
    assert "Lint (`! grep -n TODO a.py`) reported problems (exit code 1):" in found
    assert "1:x = 1  # TODO: remove" in found and "elsewhere" not in found


def test_lint_command_is_a_known_repository_setting() -> None:
    config = parse_repo_config("lint_command: ruff check\n", defaults=RepoConfig.defaults())
    assert config.lint_command == "ruff check"
