"""Product modules stay small enough to read in one sitting: none over 450 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks", "agents", "storage")
MAX_LINES = 450


def oversized(root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_product_module_is_over_the_limit() -> None:
    assert oversized() == [], "split these by what each part does"


def test_the_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "agents" / "short.py").write_text("x = 1\n" * MAX_LINES)
    assert oversized(tmp_path) == [f"agents/long.py: {MAX_LINES + 1} lines"]
