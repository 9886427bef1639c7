"""Imports flow one way: bot -> webhooks -> agents -> storage (plus bot -> agents/storage)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks", "agents", "storage")
ALLOWED: dict[str, set[str]] = {
    "bot": {"bot", "webhooks", "agents", "storage"},
    "webhooks": {"webhooks", "agents", "storage"},
    "agents": {"agents", "storage"},
    "storage": {"storage"},
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".", 1)[0]
            if top in PACKAGES:
                found.add((top, node.lineno))
    return found


def layering_violations(package: str, root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted((root / package).rglob("*.py")):
        for target, line in imported_packages(path):
            if target not in ALLOWED[package]:
                problems.append(f"{path.relative_to(root)}:{line} imports {target}")
    return problems


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package: str) -> None:
    assert layering_violations(package) == []


def test_a_backwards_import_is_caught(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "bad.py").write_text("from bot.settings import Settings\n")
    assert layering_violations("storage", tmp_path) == ["storage/bad.py:1 imports bot"]
