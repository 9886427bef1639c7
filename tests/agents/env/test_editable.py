"""An editable install (`pip install -e .`) in the setup step serves every later task from
that task's own tree, not from the tree the setup ran in: its console script and imports
resolve to the current workspace even when the first one is gone (real bubblewrap, a real
virtualenv, an in-tree PEP 660 backend so pip needs no index)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.env.editable import import_roots
from agents.env.plan import EnvironmentConfig, plan_environment
from agents.env.store import EnvironmentStore
from agents.env.task import TaskEnvironment
from agents.tools.base import SandboxSettings, ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.sandbox import SandboxRunner

RUNNER = SandboxRunner()
BASE = SandboxSettings(backend="bwrap", timeout_seconds=120, cpu_seconds=120)
SETUP = ("python3 -m pip install --no-index -e .",)
PYPROJECT = '[build-system]\nrequires = []\nbuild-backend = "editmaker"\nbackend-path = ["."]\n'
# Like setuptools or hatchling: the editable wheel's .pth names the absolute source root.
EDITMAKER = """\
import base64, hashlib, os, zipfile

INFO = "hello-1.0.dist-info"


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()},{len(data)}"


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    files = {
        "hello.pth": (os.path.abspath("lib") + "\\n").encode(),
        f"{INFO}/METADATA": b"Metadata-Version: 2.1\\nName: hello\\nVersion: 1.0\\n",
        f"{INFO}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: editmaker\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
        f"{INFO}/entry_points.txt": b"[console_scripts]\\nhello = hello:main\\n",
    }
    record = "".join(f"{name},{_hash(data)}\\n" for name, data in files.items())
    name = "hello-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
        wheel.writestr(f"{INFO}/RECORD", record + f"{INFO}/RECORD,,\\n")
    return name


build_wheel = build_editable
"""


def _project(root: Path, who: str) -> Path:
    (root / "lib" / "hello").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "editmaker.py").write_text(EDITMAKER)
    (root / "lib" / "hello" / "__init__.py").write_text(f"def main():\n    print('{who}')\n")
    return root


def _run(store: EnvironmentStore, root: Path, task: int, command: str) -> str:
    plan = plan_environment(root, EnvironmentConfig(setup=SETUP))
    env = TaskEnvironment(
        store, repo="acme/hello", workspace=root, plan=plan, runner=RUNNER, task_id=task
    )
    ctx = ToolContext(workspace=root, task_id=task, sandbox=BASE, environment=env)
    result = workspace_registry(RUNNER).call(ctx, "run_command", {"command": command})
    assert result.ok, result.output
    return result.output


@pytest.mark.skipif(not RUNNER.bwrap_available(), reason="bubblewrap cannot run here")
def test_an_editable_install_serves_each_task_from_its_own_tree(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / "data")
    first = _project(tmp_path / "first", "from the first tree")
    assert "from the first tree" in _run(store, first, 1, "hello")
    second = _project(tmp_path / "second", "from the second tree")
    shutil.rmtree(first)  # the first task's workspace is gone
    out = _run(store, second, 2, "hello; python3 -c 'import hello; print(hello.__file__)'")
    assert "setup step ran" not in out  # the environment was reused
    assert "from the second tree" in out and str(second / "lib" / "hello") in out


def test_import_roots_are_read_from_pth_files_and_setuptools_finders(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (workspace / "python" / "pkg").mkdir(parents=True)
    (site / "__editable__.pkg-1.pth").write_text("import __editable___pkg_1_finder\n")
    (site / "__editable___pkg_1_finder.py").write_text(
        f"MAPPING = {{'pkg': {str(workspace / 'python' / 'pkg')!r}}}\nNAMESPACES = {{}}\n"
    )
    (site / "other.pth").write_text(f"{workspace / 'lib'}\n/usr/share/elsewhere\n# note\n")
    (site / "distutils-precedence.pth").write_text("import os; var = 'SETUPTOOLS'\n")
    assert import_roots(tmp_path / "venv", workspace) == ("lib", "python")
