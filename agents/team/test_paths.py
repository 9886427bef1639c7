"""Which paths hold tests, by the usual conventions: one rule for every part of the team
that treats tests differently (task scope, diff ranking)."""

from __future__ import annotations

from pathlib import PurePosixPath

TEST_DIRS = frozenset({"test", "tests", "spec", "specs", "__tests__"})
# Whole-file test modules by name: `tests.py` (many small libraries), `conftest.py`.
TEST_STEMS = frozenset({"test", "tests", "conftest"})


def is_test_path(path: str) -> bool:
    """Whether a path holds tests by the usual conventions of Python, JS/TS, Go and Ruby."""
    pure = PurePosixPath(path.lower())
    name = pure.name
    stem = name.split(".", 1)[0]
    return (
        any(part in TEST_DIRS for part in pure.parts[:-1])
        or stem in TEST_STEMS
        or name.startswith("test_")
        or stem.endswith(("_test", "_tests", "_spec"))
        or ".test." in name
        or ".spec." in name
    )
