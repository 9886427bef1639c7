"""Inferring how a repository's tests run (and what to install first) from its files.

Only files are read; nothing runs. Each result says why it was chosen, so the plan
comment and the check run can state it with the config key that overrides it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNITTEST_COMMAND = "python3 -m unittest discover -v"
PYTEST_COMMAND = "python3 -m pytest"
PIP = "python3 -m pip install"
# The test script `npm init` writes: not a test suite.
NPM_PLACEHOLDER = "no test specified"
DEV_REQUIREMENTS = (
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "requirements-tests.txt",
    "requirements/dev.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "tests/requirements.txt",
    "test/requirements.txt",
)
TEST_EXTRAS = ("test", "tests", "testing", "dev")
_MAKE_TEST_TARGET = re.compile(r"^test\s*:", re.M)
_PYTEST_WORD = re.compile(r"(?<![\w-])pytest(?![\w-])")
MAX_SCANNED_TEST_FILES = 200
MAX_SCAN_DEPTH = 4
SKIPPED_DIRS = frozenset(
    {"node_modules", "venv", "build", "dist", "target", "vendor", "site-packages"}
)


@dataclass(frozen=True)
class Detection:
    test_command: str
    setup: tuple[str, ...]
    ecosystem: str
    # Why: "pytest is configured in pyproject.toml".
    reason: str


def _read(root: Path, name: str) -> str:
    path = root / name
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def _pyproject(root: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read(root, "pyproject.toml"))
    except tomllib.TOMLDecodeError:
        return {}


def _test_files(root: Path) -> list[Path]:
    """Python test files near the root (a bounded walk: big trees are not scanned)."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = [] if depth >= MAX_SCAN_DEPTH else [d for d in dirs if d not in SKIPPED_DIRS]
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                found.append(Path(current) / name)
                if len(found) >= MAX_SCANNED_TEST_FILES:
                    return found
    return found


def _pytest_reason(root: Path, pyproject: dict[str, Any]) -> str | None:
    """Why the repository uses pytest, or None when nothing says so."""
    if (root / "pytest.ini").is_file():
        return "pytest.ini exists"
    if "pytest" in pyproject.get("tool", {}):
        return "pytest is configured in pyproject.toml"
    if "[tool:pytest]" in _read(root, "setup.cfg"):
        return "pytest is configured in setup.cfg"
    if "[pytest]" in _read(root, "tox.ini"):
        return "pytest is configured in tox.ini"
    for conftest in ("conftest.py", "tests/conftest.py", "test/conftest.py"):
        if (root / conftest).is_file():
            return f"{conftest} exists"
    for name in DEV_REQUIREMENTS:
        if _PYTEST_WORD.search(_read(root, name)):
            return f"{name} lists pytest"
    if _PYTEST_WORD.search(json.dumps(_optional_deps(pyproject))):
        return "pyproject.toml's test dependencies list pytest"
    for path in _test_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "import pytest" in text or "from pytest" in text:
            return f"{path.relative_to(root).as_posix()} imports pytest"
        if "unittest" not in text and re.search(r"^def test_", text, re.M):
            return f"{path.relative_to(root).as_posix()} has pytest-style test functions"
    return None


def _optional_deps(pyproject: dict[str, Any]) -> dict[str, Any]:
    groups: dict[str, Any] = dict(pyproject.get("project", {}).get("optional-dependencies", {}))
    groups.update(pyproject.get("dependency-groups", {}))
    return groups


def _group(pyproject: dict[str, Any], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A PEP 735 dependency group's requirements, its `include-group`s resolved."""
    found: list[str] = []
    for item in pyproject.get("dependency-groups", {}).get(name, []):
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            included = item["include-group"]
            if included not in seen:
                found += _group(pyproject, included, seen | {name})
    return found


def _test_group(pyproject: dict[str, Any]) -> list[str]:
    """The requirements of the first test-like dependency group (`pip install .` does not
    install groups, and the bundled pip predates `--group`, so they are named instead)."""
    for name in TEST_EXTRAS:
        found = _group(pyproject, name)
        if found:
            return found
    return []


def _python_setup(root: Path, pyproject: dict[str, Any], pytest: bool) -> tuple[str, ...]:
    steps: list[str] = []
    if (root / "requirements.txt").is_file():
        steps.append(f"{PIP} -r requirements.txt")
    dev = [name for name in DEV_REQUIREMENTS if (root / name).is_file()]
    steps += [f"{PIP} -r {name}" for name in dev]
    installed = [_read(root, name) for name in dev]
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        optional = pyproject.get("project", {}).get("optional-dependencies", {})
        extras = [e for e in TEST_EXTRAS if e in optional]
        target = f"'.[{extras[0]}]'" if extras else "."
        steps.append(f"{PIP} {target}")
        if extras:
            installed.append(json.dumps(optional[extras[0]]))
    # A dev requirements file is the project's own list; a group only stands in for one.
    group = [] if dev else _test_group(pyproject)
    if group:
        steps.append(f"{PIP} " + " ".join(shlex.quote(r) for r in group))
        installed.append(json.dumps(group))
    # pytest only counts when a step above installs it (not when a docs extra lists it).
    if pytest and not any(_PYTEST_WORD.search(text) for text in installed):
        steps.append(f"{PIP} pytest")
    return tuple(steps)


def _is_python(root: Path) -> bool:
    markers = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "pytest.ini")
    return any((root / m).is_file() for m in markers) or bool(_test_files(root))


def _unittest_command(root: Path) -> str:
    tests = root / "tests"
    if tests.is_dir() and not (tests / "__init__.py").is_file():
        # Discovery from the root only enters packages; start inside tests/ instead.
        return f"{UNITTEST_COMMAND} -s tests"
    return UNITTEST_COMMAND


def _node(root: Path) -> Detection | None:
    try:
        package = json.loads(_read(root, "package.json") or "{}")
    except json.JSONDecodeError:
        return None
    script = package.get("scripts", {}).get("test") if isinstance(package, dict) else None
    if not isinstance(script, str) or NPM_PLACEHOLDER in script:
        return None
    if (root / "pnpm-lock.yaml").is_file():
        return Detection("pnpm test", ("pnpm install --frozen-lockfile",), "node", "pnpm-lock.yaml")
    if (root / "yarn.lock").is_file():
        return Detection("yarn test", ("yarn install --frozen-lockfile",), "node", "yarn.lock")
    if (root / "package-lock.json").is_file():
        return Detection("npm test", ("npm ci",), "node", "package-lock.json")
    return Detection("npm test", ("npm install",), "node", "package.json")


def detect(root: Path) -> Detection:
    """The repository's test command and default setup, with the reason."""
    pyproject = _pyproject(root)
    pytest_reason = _pytest_reason(root, pyproject)
    if pytest_reason is not None:
        setup = _python_setup(root, pyproject, pytest=True)
        return Detection(PYTEST_COMMAND, setup, "python", pytest_reason)
    node = _node(root)
    if node is not None:
        reason = f"package.json has a test script ({node.reason})"
        return Detection(node.test_command, node.setup, "node", reason)
    if (root / "go.mod").is_file():
        return Detection("go test ./...", ("go mod download",), "go", "go.mod exists")
    if (root / "Cargo.toml").is_file():
        return Detection("cargo test", ("cargo fetch",), "rust", "Cargo.toml exists")
    # A Python project's own tests before its Makefile or tox.ini, which usually wrap them
    # in tools (coverage, tox's virtualenvs) that need more than the project's setup.
    if _is_python(root):
        setup = _python_setup(root, pyproject, pytest=False)
        return Detection(_unittest_command(root), setup, "python", "Python tests without pytest")
    makefile = _read(root, "Makefile") or _read(root, "makefile")
    if _MAKE_TEST_TARGET.search(makefile):
        return Detection("make test", (), "make", "the Makefile has a test target")
    if (root / "tox.ini").is_file():
        return Detection("tox", (f"{PIP} tox",), "python", "tox.ini exists")
    return Detection(UNITTEST_COMMAND, (), "unknown", "no test configuration was found")
