"""A syntax check of edited files, so a broken edit is reported with the edit itself.

Python is compiled (in memory: no bytecode is written), JSON, YAML and TOML are parsed.
Other files are not checked here; a repository's own lint command covers them.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

import yaml

MAX_CHECK_BYTES = 2 * 1024 * 1024


def _python(text: str, name: str) -> str | None:
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        line = (exc.text or "").rstrip()
        shown = f"\n    {line}" if line else ""
        return f"{name}: Python syntax error at {where}: {exc.msg}{shown}"
    except ValueError as exc:  # e.g. a NUL byte in the source
        return f"{name}: Python cannot compile it: {exc}"
    return None


def _json(text: str, name: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return None


def _yaml(text: str, name: str) -> str | None:
    try:
        for _ in yaml.safe_load_all(text):
            pass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return f"{name}: invalid YAML{where}: {problem}"
    return None


def _toml(text: str, name: str) -> str | None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"{name}: invalid TOML: {exc}"
    return None


CHECKERS: dict[str, Callable[[str, str], str | None]] = {
    ".py": _python,
    ".pyi": _python,
    ".json": _json,
    ".yml": _yaml,
    ".yaml": _yaml,
    ".toml": _toml,
}


def checkable(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in CHECKERS


def check_file(root: Path, name: str) -> str | None:
    """The syntax error of the workspace file `name`, or None (fine, gone or not checked)."""
    checker = CHECKERS.get(PurePosixPath(name).suffix.lower())
    path = root / name
    if checker is None or path.is_symlink() or not path.is_file():
        return None
    if path.stat().st_size > MAX_CHECK_BYTES:
        return None
    return checker(path.read_bytes().decode("utf-8", errors="replace"), name)


def check_files(root: Path, names: Iterable[str]) -> list[str]:
    return [problem for name in names if (problem := check_file(root, name)) is not None]
