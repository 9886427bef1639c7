"""Search and listing speed on a generated large tree.

Run from the repository root: python -m tests.bench.bench_search [FILES]
Prints the time of list_files, search_files via git grep and via the Python scan, and of a
nearest-match report on a large file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agents.tools.base import ToolContext
from agents.tools.defaults import workspace_registry
from agents.tools.matching import describe_miss
from agents.tools.search import SearchQuery, git_grep, python_scan


def generate(root: Path, count: int) -> None:
    for n in range(count):
        folder = root / f"pkg{n % 50}" / f"sub{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(f"def func_{n}_{i}(x):\n    return x * {i}\n\n" for i in range(20))
        if n == count // 2:
            body += "NEEDLE_MARKER = 'found me'\n"
        (folder / f"module_{n}.py").write_text(body)
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "bench"], cwd=root, check=True)


def timed(label: str, action: Callable[[], object], repeat: int = 3) -> None:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:9.1f} ms (best of {repeat})")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        generate(root, count)
        print(f"generated {count} files in {time.perf_counter() - started:.1f} s")
        ctx = ToolContext(workspace=root)
        tools = workspace_registry()
        rare = SearchQuery("NEEDLE_MARKER", False, True, ".", None, 200)
        common = SearchQuery(r"return x \* 1\d", True, True, ".", None, 200)
        timed("list_files '*.py'", lambda: tools.call(ctx, "list_files", {"pattern": "*.py"}))
        timed("search rare literal, git grep", lambda: git_grep(ctx, rare))
        timed("search rare literal, python scan", lambda: python_scan(ctx, rare))
        timed("search common regex (capped 200), git grep", lambda: git_grep(ctx, common))
        timed("search common regex (capped 200), python scan", lambda: python_scan(ctx, common))
        big = "".join(f"value_{n} = compute({n}, scale=2)\n" for n in range(20000))
        timed(
            "nearest match in a 20,000-line file",
            lambda: describe_miss(big, "value_17321 = compute(17321, scale=3)\n", "text"),
        )


if __name__ == "__main__":
    main()
