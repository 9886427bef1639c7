"""Finding 5 (and the read_file part of 7): links out of the clone, FIFOs and huge sparse
files, against the indexer and the file tools."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from bot.index_build import readable_text as _text
from tests.agents.helpers import git, init_repo

HOST_SECRET = "host-only-secret-line"


def test_the_indexer_does_not_follow_a_committed_symlink(tmp_path: Path) -> None:
    host_file = tmp_path / "host-file"
    host_file.write_text(HOST_SECRET + "\n")
    repo = init_repo(tmp_path / "clone")
    (repo / "docs").mkdir()
    (repo / "docs" / "x.md").symlink_to(host_file)
    (repo / "docs" / "real.md").write_text("# real docs\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "docs")
    tracked = git(repo, "ls-files").split()
    assert "docs/x.md" in tracked

    texts = {name: _text(repo.resolve() / name) for name in tracked}

    assert texts["docs/x.md"] is None
    assert texts["docs/real.md"] == "# real docs\n"
    assert not any(HOST_SECRET in (t or "") for t in texts.values())


def test_read_file_on_a_fifo_fails_at_once(ctx: ToolContext) -> None:
    os.mkfifo(ctx.workspace / "pipe")
    tools = workspace_registry()
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        future = pool.submit(tools.call, ctx, "read_file", {"path": "pipe"})
        try:
            result = future.result(timeout=5)
        finally:
            if not future.done():  # unblock the reader so the test can end
                with open(ctx.workspace / "pipe", "w"):
                    pass
    assert not result.ok and "named pipe" in result.output
    assert time.monotonic() - started < 5


def test_read_file_refuses_a_huge_sparse_file_by_its_size(ctx: ToolContext) -> None:
    with open(ctx.workspace / "huge.log", "wb") as handle:
        handle.truncate(900 * 1024 * 1024)
    tools = workspace_registry()
    started = time.monotonic()
    result = tools.call(ctx, "read_file", {"path": "huge.log"})
    assert not result.ok
    assert "943718400 bytes" in result.output and "limit" in result.output
    assert time.monotonic() - started < 2
