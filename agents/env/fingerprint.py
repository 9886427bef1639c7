"""The key of a prepared environment: the files that define it, and the setup commands."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

# Bump when the layout of a prepared environment changes, so old ones are not reused.
LAYOUT_VERSION = "2"
# Dependency manifests and lockfiles (globs from the repository's root).
MANIFESTS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "requirements*.txt",
    "*requirements.txt",
    "requirements/*.txt",
    "constraints*.txt",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    ".python-version",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    ".nvmrc",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain.toml",
    "Gemfile",
    "Gemfile.lock",
)


def manifest_files(root: Path) -> list[Path]:
    found = {p for pattern in MANIFESTS for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def environment_key(root: Path, setup: Sequence[str], python: str) -> str:
    """A hex digest that changes when a manifest, a setup command or the interpreter does."""
    digest = hashlib.sha256()
    digest.update(f"layout {LAYOUT_VERSION}\npython {python}\n".encode())
    digest.update(f"platform {sys.platform}\n".encode())
    for command in setup:
        digest.update(b"setup\0" + command.encode() + b"\0")
    for path in manifest_files(root):
        digest.update(b"file\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
