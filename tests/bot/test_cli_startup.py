"""`codemonkey --help`, `--version` and the light commands start without importing the
provider SDKs, Chroma, ONNX Runtime, RQ or the web app."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from bot.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("anthropic", "openai", "chromadb", "onnxruntime", "rq", "uvicorn", "bot.app")
PROBE = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported_by(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(result.stderr.splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["config"], ["keys", "list"]], ids=" ".join
)
def test_light_commands_do_not_import_heavy_modules(args: list[str], tmp_path: Path) -> None:
    code, modules = imported_by(args, tmp_path)
    assert code == 0
    assert [name for name in HEAVY if name in modules] == []


def test_a_command_that_needs_them_does_import_them(tmp_path: Path) -> None:
    """The probe can see an import: `serve --help` loads the app."""
    code, modules = imported_by(["serve", "--help"], tmp_path)
    assert code == 0
    assert "bot.app" in modules


def test_summaries_match_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for name, summary in COMMANDS.items():
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers(dest="command")
        import_module(f"bot.commands.{name}").register(subparsers)
        shown = {action.dest: action.help for action in subparsers._choices_actions}
        assert shown == {name: summary}


def test_version(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("codemonkey ") and result.stdout.strip() != "codemonkey"
