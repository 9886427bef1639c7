"""Names explain themselves: two product modules share a name only where the name means
the same thing. Allowed:
- a CLI command (`bot/commands/<name>.py`) or a REST resource (`bot/api/routes/<name>.py`)
  named for what it exposes (`bot/commands/tasks.py`, `bot/api/routes/tasks.py` and the
  table's `storage/tasks.py`);
- the conventional names of a package's parts: its contracts (`base`, `ports`), its types,
  errors, request schemas, OpenAPI document, authentication and factory.
Anything else (two `flows.py` meaning different things, say) is a new name to choose."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks", "agents", "storage")
EXPOSING = ("bot/commands", "bot/api/routes")
CONVENTIONAL = {"base", "ports", "types", "errors", "schemas", "openapi", "auth", "factory"}


def shared_names(root: Path = ROOT) -> dict[str, list[str]]:
    """Module name -> the modules of that name that break the rule."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if path.name != "__init__.py":
                by_name[path.stem].append(path.relative_to(root).as_posix())
    clashes = {}
    for name, paths in by_name.items():
        if name in CONVENTIONAL:
            continue
        others = [p for p in paths if p.rsplit("/", 1)[0] not in EXPOSING]
        if len(others) > 1:
            clashes[name] = sorted(paths)
    return clashes


def test_no_two_product_modules_share_a_name_that_means_different_things() -> None:
    assert shared_names() == {}


def test_the_check_finds_a_shared_name(tmp_path: Path) -> None:
    for module in ("bot/flows.py", "agents/team/flows.py", "bot/commands/tasks.py"):
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text("")
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "tasks.py").write_text("")
    assert shared_names(tmp_path) == {"flows": ["agents/team/flows.py", "bot/flows.py"]}
