"""Detection of each ecosystem's test command and default setup, on small fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.env.detect import detect
from agents.env.plan import EnvironmentConfig, plan_environment


def _repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PIP_PYTEST = "python3 -m pip install pytest"
PACKAGE_WITH_TESTS = json.dumps({"name": "x", "scripts": {"test": "jest"}})


@pytest.mark.parametrize(
    ("files", "command", "setup"),
    [
        (
            {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n"},
            "python3 -m pytest",
            ("python3 -m pip install .", "python3 -m pip install pytest"),
        ),
        (
            {"setup.cfg": "[tool:pytest]\ntestpaths = tests\n", "tests/test_a.py": ""},
            "python3 -m pytest",
            ("python3 -m pip install pytest",),
        ),
        ({"pytest.ini": "[pytest]\n"}, "python3 -m pytest", ("python3 -m pip install pytest",)),
        ({"tox.ini": "[pytest]\n"}, "python3 -m pytest", ("python3 -m pip install pytest",)),
        ({"conftest.py": ""}, "python3 -m pytest", ("python3 -m pip install pytest",)),
        (
            {"requirements-dev.txt": "pytest>=7\n", "requirements.txt": "attrs\n"},
            "python3 -m pytest",
            (
                "python3 -m pip install -r requirements.txt",
                "python3 -m pip install -r requirements-dev.txt",
            ),
        ),
        (
            {
                "pyproject.toml": "[project]\nname='x'\n"
                "[project.optional-dependencies]\ntest = ['pytest']\n"
            },
            "python3 -m pytest",
            ("python3 -m pip install '.[test]'",),
        ),
        (
            {"tests/test_x.py": "import pytest\n\ndef test_x():\n    assert True\n"},
            "python3 -m pytest",
            ("python3 -m pip install pytest",),
        ),
        (
            {"tests/test_x.py": "def test_x():\n    assert True\n"},
            "python3 -m pytest",
            ("python3 -m pip install pytest",),
        ),
        (
            {"tests/__init__.py": "", "tests/test_x.py": "import unittest\n"},
            "python3 -m unittest discover -v",
            (),
        ),
        (
            {"tests/test_x.py": "import unittest\n"},
            "python3 -m unittest discover -v -s tests",
            (),
        ),
        ({"package.json": PACKAGE_WITH_TESTS}, "npm test", ("npm install",)),
        (
            {"package.json": PACKAGE_WITH_TESTS, "package-lock.json": "{}"},
            "npm test",
            ("npm ci",),
        ),
        (
            {"package.json": PACKAGE_WITH_TESTS, "pnpm-lock.yaml": ""},
            "pnpm test",
            ("pnpm install --frozen-lockfile",),
        ),
        (
            {"package.json": PACKAGE_WITH_TESTS, "yarn.lock": ""},
            "yarn test",
            ("yarn install --frozen-lockfile",),
        ),
        ({"go.mod": "module x\n", "go.sum": ""}, "go test ./...", ("go mod download",)),
        ({"Cargo.toml": "[package]\nname='x'\n"}, "cargo test", ("cargo fetch",)),
        ({"Makefile": "build:\n\ttrue\ntest: build\n\t./run\n"}, "make test", ()),
        ({"tox.ini": "[tox]\nenvlist = py311\n"}, "tox", ("python3 -m pip install tox",)),
        ({"README.md": "nothing here"}, "python3 -m unittest discover -v", ()),
    ],
)
def test_each_ecosystem_is_detected(
    tmp_path: Path, files: dict[str, str], command: str, setup: tuple[str, ...]
) -> None:
    found = detect(_repo(tmp_path, files))
    assert (found.test_command, found.setup) == (command, setup), found.reason


def test_a_package_json_without_a_real_test_script_is_not_a_node_test_suite(
    tmp_path: Path,
) -> None:
    placeholder = {"scripts": {"test": 'echo "Error: no test specified" && exit 1'}}
    found = detect(_repo(tmp_path, {"package.json": json.dumps(placeholder), "go.mod": ""}))
    assert found.test_command == "go test ./..."


def test_the_config_overrides_detection_and_the_statement_names_the_keys(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"pytest.ini": "[pytest]\n"})
    detected = plan_environment(root, EnvironmentConfig())
    assert "detected: pytest.ini exists" in detected.statement()
    assert "set `test_command` in `.github/codemonkey.yml`" in detected.statement()
    assert "set `setup` in" in detected.statement()
    configured = plan_environment(
        root, EnvironmentConfig(setup=("make deps",), test_command="make check")
    )
    assert (configured.test_command, configured.setup) == ("make check", ("make deps",))
    assert "detected" not in configured.statement()
    no_setup = plan_environment(root, EnvironmentConfig(setup=()))
    assert no_setup.setup == () and no_setup.test_command == "python3 -m pytest"


# Shapes of public repositories whose detection was wrong (see the survey in deploy/README.md).
CLICK_LIKE = {
    "pyproject.toml": "[project]\nname = 'x'\n[dependency-groups]\ndev = ['ruff', 'tox']\n"
    "tests = ['pytest']\n[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
    "tests/test_x.py": "def test_x():\n    pass\n",
}
MARKDOWN_LIKE = {
    "pyproject.toml": "[project]\nname = 'x'\n"
    "[project.optional-dependencies]\ntesting = ['coverage', 'pyyaml']\ndocs = ['mkdocs']\n",
    "makefile": "test:\n\tcoverage run -m unittest discover tests\n",
    "tox.ini": "[testenv]\nextras = testing\ncommands = python -m unittest discover tests\n",
    "tests/__init__.py": "",
    "tests/test_apis.py": "import unittest\n",
}
TABLIB_LIKE = {
    "pyproject.toml": "[project]\nname = 'x'\n",
    "pytest.ini": "[pytest]\n",
    "tox.ini": "[testenv]\ndeps = -rtests/requirements.txt\ncommands = pytest\n",
    "tests/requirements.txt": "pytest\nodfpy\n",
}


@pytest.mark.parametrize(
    ("files", "command", "setup"),
    [
        # A PEP 735 group is not installed by `pip install .`: its requirements are named.
        (CLICK_LIKE, "python3 -m pytest", ("python3 -m pip install .", PIP_PYTEST)),
        (
            {
                **CLICK_LIKE,
                "pyproject.toml": "[project]\nname = 'x'\n[dependency-groups]\n"
                "base = ['pytest>=8']\ntest = [{include-group = 'base'}, 'pytest-xdist']\n",
            },
            "python3 -m pytest",
            ("python3 -m pip install .", "python3 -m pip install 'pytest>=8' pytest-xdist"),
        ),
        # A Python project's Makefile and tox.ini wrap its tests in coverage and tox.
        (
            MARKDOWN_LIKE,
            "python3 -m unittest discover -v",
            ("python3 -m pip install '.[testing]'",),
        ),
        (
            TABLIB_LIKE,
            "python3 -m pytest",
            ("python3 -m pip install -r tests/requirements.txt", "python3 -m pip install ."),
        ),
        # pytest in an extra that is not installed does not count.
        (
            {
                "pyproject.toml": "[project]\nname = 'x'\n"
                "[project.optional-dependencies]\ndocs = ['sphinx', 'pytest']\n",
                "conftest.py": "",
            },
            "python3 -m pytest",
            ("python3 -m pip install .", PIP_PYTEST),
        ),
    ],
)
def test_public_repository_shapes(
    tmp_path: Path, files: dict[str, str], command: str, setup: tuple[str, ...]
) -> None:
    found = detect(_repo(tmp_path, files))
    assert (found.test_command, found.setup) == (command, setup), found.reason
