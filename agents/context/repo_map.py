"""A compact map of the repository for a role's first request.

Files with their top-level definitions, ranked by how many of the task's words appear in
the path and the symbol names (then by size: bigger files hold more of the code), cut to
a token budget. What does not fit is counted, so the model knows the map is partial and
reaches for `list_files` or `search_code` instead of assuming a file does not exist.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agents.context.symbols import Symbol, symbols_of
from agents.git.process import git, is_work_tree

DEFAULT_MAP_TOKENS = 2_000
# Larger files are listed without reading them for symbols.
MAX_PARSE_BYTES = 300_000
MAX_FILES = 20_000
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Za-z][a-z0-9]*|\d+")
STOPWORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "into",
        "have",
        "has",
        "are",
        "was",
        "were",
        "not",
        "but",
        "all",
        "any",
        "can",
        "when",
        "what",
        "which",
        "who",
        "how",
        "its",
        "our",
        "your",
        "you",
        "they",
        "them",
        "their",
        "there",
        "then",
        "than",
        "should",
        "would",
        "could",
        "will",
        "must",
        "need",
        "needs",
        "add",
        "fix",
        "make",
        "use",
        "using",
        "used",
        "test",
        "tests",
        "issue",
        "bug",
        "code",
        "file",
        "files",
        "new",
        "one",
        "two",
        "get",
        "set",
    }
)


@dataclass(frozen=True)
class MappedFile:
    path: str
    size: int
    symbols: tuple[Symbol, ...]

    def render(self) -> str:
        if not self.symbols:
            return self.path
        return f"{self.path}: " + "; ".join(s.render() for s in self.symbols)


def words(text: str) -> set[str]:
    """Lower-case words of identifiers and prose (`parseHTTPDate` -> parse, http, date)."""
    found = {w.lower() for w in _WORD.findall(text)}
    return {w for w in found if len(w) >= 3 and w not in STOPWORDS}


def relevance(entry: MappedFile, task_words: set[str]) -> int:
    names = [entry.path, *(s.name for s in entry.symbols)]
    names += [m for s in entry.symbols for m in s.members]
    return len(task_words & words(" ".join(names)))


def repository_files(root: Path) -> list[str]:
    """Tracked and untracked (not ignored) files, or every file outside git."""
    if is_work_tree(root):
        proc = git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
        names = sorted({n for n in proc.stdout.split("\0") if n})
    else:
        names = []
        for directory, subdirs, filenames in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            base = Path(directory).relative_to(root)
            names += [(base / f).as_posix() for f in filenames]
        names.sort()
    return names[:MAX_FILES]


def map_file(root: Path, name: str) -> MappedFile | None:
    path = root / name
    if path.is_symlink() or not path.is_file():
        return None
    size = path.stat().st_size
    if size > MAX_PARSE_BYTES:
        return MappedFile(name, size, ())
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    return MappedFile(name, size, symbols_of(name, data.decode("utf-8", errors="replace")))


def rank(entries: Iterable[MappedFile], task: str) -> list[MappedFile]:
    task_words = words(task)
    return sorted(entries, key=lambda e: (-relevance(e, task_words), -e.size, e.path))


def render(entries: list[MappedFile], *, max_tokens: int) -> str:
    header = (
        "Repository map: files with their top-level definitions (name:line), the ones "
        "closest to the task first."
    )
    budget = max_tokens * 4 - len(header)
    lines: list[str] = []
    for entry in entries:
        line = entry.render()
        if len(line) + 1 > budget:
            # A long entry still names its file when its symbols do not fit.
            line = entry.path
            if len(line) + 1 > budget:
                break
        lines.append(line)
        budget -= len(line) + 1
    left = len(entries) - len(lines)
    if left:
        lines.append(
            f"[{left} more files left out to fit; find them with list_files or search_code]"
        )
    return header + "\n" + "\n".join(lines)


def repository_map(root: Path, task: str, *, max_tokens: int = DEFAULT_MAP_TOKENS) -> str:
    """The map of the repository at `root` for `task`, within about `max_tokens` tokens."""
    entries = [e for e in (map_file(root, n) for n in repository_files(root)) if e is not None]
    if not entries:
        return "Repository map: the repository has no files yet."
    return render(rank(entries, task), max_tokens=max_tokens)
