"""Where a setup's editable installs (`pip install -e .`) import the project from.

An editable install records the absolute path of the workspace the setup ran in (a `.pth`
line, setuptools' `__editable__` finder, an `.egg-link`). The prepared environment is
reused by later tasks in other workspaces, so those paths name the first task's tree:
its code, stale or gone, would answer the project's imports and entry points. The
directories are recorded relative to that workspace instead, and each task puts its own
copies of them first on PYTHONPATH, ahead of anything the environment adds.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

MAX_PTH_BYTES = 64 * 1024


def _relative(path: str, workspace: Path) -> str | None:
    """`path` relative to the workspace when it lies inside it (a directory), else None."""
    try:
        relative = Path(os.path.realpath(path)).relative_to(workspace)
    except ValueError:
        return None
    return relative.as_posix()


def _finder_roots(text: str) -> list[str]:
    """The import roots of setuptools' editable finder: `MAPPING = {'pkg': '/ws/src/pkg'}`
    (a package whose directory has its name sits in a root that can go on sys.path)."""
    roots: list[str] = []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return roots
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Dict):
            continue
        if not any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in node.targets):
            continue
        try:
            mapping = ast.literal_eval(node.value)
        except ValueError:
            continue
        for name, location in mapping.items():
            if isinstance(name, str) and isinstance(location, str):
                path = Path(location)
                if path.name == name.rsplit(".", 1)[-1] or path.stem == name:
                    roots.append(str(path.parent))
    return roots


def _read(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_PTH_BYTES)
    except OSError:
        return ""


def import_roots(venv: Path, workspace: Path) -> tuple[str, ...]:
    """Workspace-relative directories the virtualenv's editable installs import from."""
    base = Path(os.path.realpath(workspace))
    found: list[str] = []
    for site in sorted(venv.glob("lib/python*/site-packages")):
        for pth in sorted(site.glob("*.pth")):
            for line in _read(pth).splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import ", "import\t")):
                    found.append(line)
        for finder in sorted(site.glob("__editable__*finder.py")):
            found += _finder_roots(_read(finder))
        for link in sorted(site.glob("*.egg-link")):
            found += _read(link).splitlines()[:1]
    roots = (_relative(p, base) for p in found if os.path.isabs(p))
    return tuple(dict.fromkeys(r for r in roots if r is not None))
