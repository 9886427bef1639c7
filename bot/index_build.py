"""Building a project's code index: read files, skip the unchanged, chunk along the file's
structure, embed in large batches, and report progress as it goes.

No task or database code here: `bot.indexing` gives this the file list and the digests
recorded last time, and records the outcome.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from agents.tools.readfile import UnreadableFile, read_regular
from storage.vectors.base import VectorItem, VectorStore

KIND = "code"
# A chunk ends by 60 lines or 2,400 characters: the embedder reads ~256 tokens of it
# (about 30 lines of code), so longer chunks only cost reading and storing.
CHUNK_LINES = 60
CHUNK_CHARS = 2400
MAX_FILE_BYTES = 200_000
# Chunks per embedding call: large enough for the embedder to sort by length and batch
# well, small enough that progress moves and memory stays flat.
SLICE = 256
# Paths per `$in` delete: bounds the size of one filter.
DELETE_BATCH = 200
LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".md": "markdown"}
# Generated files that are large and say nothing about the code.
SKIPPED_NAMES = frozenset(
    {
        "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "uv.lock",
        "Cargo.lock", "composer.lock", "Gemfile.lock", "go.sum",
    }
)  # fmt: skip
SKIPPED_SUFFIXES = (".min.js", ".min.css", ".map", ".svg")


def chunks(path: str, text: str) -> list[VectorItem]:
    """Runs of whole lines that end, when they must, where the code does: before a line
    that starts at column 0 after a blank line (a new definition), else at the limit."""
    lines = text.splitlines()
    items = []
    start = 0
    while start < len(lines):
        end = _chunk_end(lines, start)
        body = "\n".join(lines[start:end])
        if body.strip():
            items.append(
                VectorItem(
                    id=f"{path}:{start + 1}",
                    text=f"{path}\n{body}",
                    metadata={"path": path, "start_line": start + 1},
                )
            )
        start = end
    return items


def _chunk_end(lines: Sequence[str], start: int) -> int:
    end, size = start, 0
    while end < len(lines) and end - start < CHUNK_LINES:
        size += len(lines[end]) + 1
        if size > CHUNK_CHARS and end > start:
            break
        end += 1
    if end >= len(lines):
        return end
    # Step back to the last top-level start in the second half of the window.
    for cut in range(end, start + (end - start) // 2, -1):
        line, before = lines[cut], lines[cut - 1]
        if line[:1].strip() and not before.strip():
            return cut
    return end


def readable_text(file: Path) -> str | None:
    """A regular file's text; None for links (a committed `docs/x.md -> /etc/...` must not
    put a host file into the index), pipes, devices, large and binary files."""
    try:
        data = read_regular(file, max_bytes=MAX_FILE_BYTES)
    except UnreadableFile:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def skipped(name: str) -> bool:
    """Lock files and minified or generated assets: large, and useless to search."""
    pure = PurePosixPath(name)
    return pure.name in SKIPPED_NAMES or pure.name.endswith(SKIPPED_SUFFIXES)


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class IndexedFile:
    sha: str
    language: str
    size: int


@dataclass(frozen=True)
class IndexProgress:
    files_total: int
    files_done: int
    files_unchanged: int
    chunks_embedded: int
    seconds: float

    def as_dict(self) -> dict[str, int | float]:
        return {
            "files_total": self.files_total,
            "files_done": self.files_done,
            "files_unchanged": self.files_unchanged,
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class IndexOutcome:
    """What changed: `indexed` files to (re)record, `dropped` files whose rows must go
    (unreadable now, or removed), `unchanged` files left as they were."""

    indexed: dict[str, IndexedFile] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0


@dataclass
class _Pending:
    items: list[VectorItem] = field(default_factory=list)
    files: int = 0


def build_index(
    vectors: VectorStore,
    project: str,
    root: Path,
    names: Sequence[str],
    gone: Iterable[str],
    known: Mapping[str, str],
    *,
    progress: Callable[[IndexProgress], None] = lambda _: None,
    check_cancelled: Callable[[], None] = lambda: None,
    embedders: Executor | None = None,
    parallel: int = 1,
) -> IndexOutcome:
    """Bring the `code` vectors of `project` in line with `names` (paths under `root`) and
    drop `gone`. `known` maps paths to the digest recorded at the last index; a file whose
    text still has that digest is not embedded again, unless the store lost the vectors.

    With `embedders`, up to `parallel` slices are embedded and written at once there while
    this thread reads and chunks the next files (the local model releases the GIL)."""
    started = time.monotonic()
    if known and vectors.count(project, KIND) == 0:
        known = {}  # the vector store was emptied: digests no longer prove anything
    outcome = IndexOutcome(dropped=sorted(set(gone)))
    pending = _Pending()
    running: deque[tuple[Future[None], int, int]] = deque()
    done = 0

    def report() -> None:
        progress(
            IndexProgress(
                len(names), done, outcome.unchanged, outcome.chunks, time.monotonic() - started
            )
        )

    def settle(keep: int) -> None:
        nonlocal done
        while len(running) > keep:
            future, files, count = running.popleft()
            future.result()
            done += files
            outcome.chunks += count
            report()

    def flush() -> None:
        nonlocal done
        check_cancelled()
        items, files = pending.items, pending.files
        pending.items, pending.files = [], 0
        if embedders is None:
            if items:
                vectors.upsert(project, KIND, items)
            done += files
            outcome.chunks += len(items)
            report()
            return
        settle(max(parallel - 1, 0))
        running.append((embedders.submit(vectors.upsert, project, KIND, items), files, len(items)))

    stale: list[str] = []
    try:
        for name in names:
            text = None if skipped(name) else readable_text(root / name)
            if text is None:
                outcome.dropped.append(name)  # now binary, a link or too large: not indexed
                done += 1
                continue
            sha = digest(text)
            if known.get(name) == sha:
                outcome.unchanged += 1
                done += 1
                continue
            language = LANGUAGES.get(Path(name).suffix, "")
            outcome.indexed[name] = IndexedFile(sha, language, len(text))
            stale.append(name)
            if len(stale) >= DELETE_BATCH:
                _delete_paths(vectors, project, stale)
                stale = []
            pending.items.extend(chunks(name, text))
            pending.files += 1
            if len(pending.items) >= SLICE:
                _delete_paths(vectors, project, stale)
                stale = []
                flush()
        _delete_paths(vectors, project, [*stale, *outcome.dropped])
        flush()
        settle(0)
    finally:
        # On an error or cancellation, wait for the slices already handed out.
        for future, _, _ in running:
            future.exception()
    return outcome


def _delete_paths(vectors: VectorStore, project: str, paths: Sequence[str]) -> None:
    for start in range(0, len(paths), DELETE_BATCH):
        batch = list(paths[start : start + DELETE_BATCH])
        where = {"path": batch[0]} if len(batch) == 1 else {"path": {"$in": batch}}
        vectors.delete(project, KIND, where=where)
