"""`search_code`: the code index and the text search merged, or text only (and said so)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agents.runtime import CallContext
from agents.runtime.ports import Snippet
from agents.team.code_search import code_search_tool
from agents.tools.base import ToolContext
from storage.vectors.base import VectorStoreUnavailableError

CTX = CallContext(task_id=1, step=1, role="qa", idempotency_key="k")
RETRY = "import time\n\n\ndef schedule_retry(delay):\n    time.sleep(delay)\n    return delay\n"


def _repo(root: Path) -> Path:
    (root / "net").mkdir()
    (root / "net" / "retry.py").write_text(RETRY)
    (root / "app.py").write_text("from net.retry import schedule_retry\n\nschedule_retry(1)\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_without_an_index_it_searches_text_and_says_so(tmp_path: Path) -> None:
    tool = code_search_tool(ToolContext(workspace=_repo(tmp_path)), None)
    out = tool.run(CTX, {"query": "schedule_retry"}).output
    assert out.startswith("No semantic index for this repository")
    assert "net/retry.py:4-4 (text)\n  4: def schedule_retry(delay):" in out
    assert "app.py:1-3 (text)" in out


def test_a_phrase_that_never_appears_is_searched_word_by_word(tmp_path: Path) -> None:
    tool = code_search_tool(ToolContext(workspace=_repo(tmp_path)), None)
    out = tool.run(CTX, {"query": "where is the retry delay slept"}).output
    # net/retry.py holds two of the words (retry, delay) and comes first.
    assert out.splitlines()[1].startswith("net/retry.py:4-6 (text)")
    assert "app.py" in out


def test_index_hits_and_text_hits_of_one_range_merge(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    asked: list[tuple[str, int]] = []

    def index(query: str, limit: int) -> list[Snippet]:
        asked.append((query, limit))
        return [
            Snippet("net/retry.py", RETRY, 0.9, start_line=1),
            Snippet("docs/retries.md", "Retries back off.\n", 0.5, start_line=10),
        ]

    out = code_search_tool(ToolContext(workspace=root), index).run(
        CTX, {"query": "schedule_retry", "max_results": 3}
    )
    assert asked == [("schedule_retry", 3)]
    lines = out.output.splitlines()
    assert lines[0].startswith("Semantic hits come from the index of the default branch")
    assert lines[1] == "net/retry.py:1-6 (semantic + text)"
    assert "docs/retries.md:10-10 (semantic)" in out.output
    assert out.output.count("net/retry.py") == 1


def test_an_unreachable_index_falls_back_to_text(tmp_path: Path) -> None:
    def index(query: str, limit: int) -> list[Snippet]:
        raise VectorStoreUnavailableError("Chroma is down; start it")

    out = code_search_tool(ToolContext(workspace=_repo(tmp_path)), index).run(
        CTX, {"query": "schedule_retry"}
    )
    assert "could not be searched (Chroma is down; start it); text only" in out.output
    assert "net/retry.py:4-4 (text)" in out.output
