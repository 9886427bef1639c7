"""action.yml: a composite Action whose install is cached, keyed so that a new release, a new
Python or changed source installs afresh. GitHub's runners are out of reach here, so the
structure is checked and the key step's own shell script is run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def _step(step_id: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s.get("id") == step_id)


def test_the_install_is_cached_under_a_key_of_os_python_version_and_source() -> None:
    cache = _step("cache")
    assert cache["uses"].startswith("actions/cache@v")
    key = cache["with"]["key"]
    for part in (
        "runner.os",
        "steps.python.outputs.python-version",
        "inputs.version",
        "steps.install-key.outputs.source",
    ):
        assert part in key
    assert cache["with"]["path"] == "${{ steps.install-key.outputs.venv }}"
    assert _step("python")["uses"].startswith("actions/setup-python@v")


def test_a_cache_hit_skips_the_install_and_the_run_uses_the_cached_virtualenv() -> None:
    steps = _action()["runs"]["steps"]
    names = [s.get("id") or s.get("name") for s in steps]
    assert names.index("install-key") < names.index("cache") < names.index("Install codemonkey")
    install = steps[names.index("Install codemonkey")]
    assert install["if"] == "steps.cache.outputs.cache-hit != 'true'"
    assert '"$VENV/bin/python" -m pip install' in install["run"]
    assert "codemonkey==$CODEMONKEY_VERSION" in install["run"]
    # The core only: Action mode needs neither the server extra nor the semantic index.
    pip_lines = [line for line in install["run"].splitlines() if "pip install" in line]
    assert len(pip_lines) == 2 and not any("[" in line for line in pip_lines)
    assert pip_lines[1].rstrip().endswith('"$ACTION_PATH"')
    run = steps[names.index("Run codemonkey")]
    assert run["run"].rstrip().endswith('"$VENV/bin/codemonkey" action')
    assert run["env"]["VENV"] == install["env"]["VENV"]
    # Only the step that runs CodeMonkey holds the token and the provider keys.
    for step in steps:
        if step is not run:
            assert "secrets." not in str(step) and "inputs.token" not in str(step)
            assert "api_key" not in str(step.get("env", {}))


def _key(action_path: Path, tmp_path: Path, version: str = "") -> dict[str, str]:
    output = tmp_path / "output"
    output.write_text("")
    step = _step("install-key")
    env = {
        "PATH": "/usr/bin:/bin",
        "CODEMONKEY_VERSION": version,
        "ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
    }
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, check=True)
    pairs = (line.split("=", 1) for line in output.read_text().splitlines())
    return dict(pairs)


def test_the_key_changes_with_the_source_and_not_otherwise(tmp_path: Path) -> None:
    copy = tmp_path / "action"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in ("bot", "agents", "storage", "webhooks"):
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    first = _key(copy, tmp_path)
    assert first["venv"] == f"{tmp_path}/codemonkey-venv"
    assert len(first["source"]) == 16 and _key(copy, tmp_path) == first
    (copy / "bot" / "cli.py").write_text("# changed\n", encoding="utf-8")
    assert _key(copy, tmp_path)["source"] != first["source"]
    (copy / "bot" / "__pycache__").mkdir(exist_ok=True)
    changed = _key(copy, tmp_path)
    (copy / "bot" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert _key(copy, tmp_path) == changed  # bytecode is not source
    assert _key(copy, tmp_path, version="1.2.0")["source"] == "release"


def test_the_inputs_are_documented_in_action_yml() -> None:
    inputs = _action()["inputs"]
    assert "version" in inputs
    for name, spec in inputs.items():
        assert spec.get("description"), f"input {name} needs a description"
