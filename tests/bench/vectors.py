"""Local embedding throughput and embedded-Chroma upsert/query latency.

Run: python -m tests.bench.vectors
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from storage.vectors import LocalMiniLMEmbedder, VectorItem, build_vector_store

WORDS = [
    "queue", "worker", "retries", "task", "lease", "database",
    "index", "commit", "branch", "review", "test",
]  # fmt: skip


def _text(i: int, words: int) -> str:
    return " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(words)) + f" item {i}"


def main() -> None:
    embedder = LocalMiniLMEmbedder()
    started = time.perf_counter()
    embedder.load()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    for words in (12, 60, 200):
        texts = [_text(i, words) for i in range(256)]
        embedder.embed(texts[:8])  # warm up
        started = time.perf_counter()
        embedder.embed(texts)
        elapsed = time.perf_counter() - started
        print(f"embed 256 texts of ~{words} words: {256 / elapsed:,.0f} texts/s")

    with tempfile.TemporaryDirectory() as tmp:
        store = build_vector_store(None, Path(tmp), embedder)
        items = [VectorItem(f"doc-{i}", _text(i, 40), {"n": i % 10}) for i in range(1000)]
        started = time.perf_counter()
        store.upsert("bench/repo", "code", items)
        print(f"upsert 1000 items (embedding included): {time.perf_counter() - started:.2f} s")
        latencies = []
        for i in range(100):
            started = time.perf_counter()
            store.query("bench/repo", "code", _text(i * 3, 15), n=5, where={"n": i % 10})
            latencies.append((time.perf_counter() - started) * 1000)
        print(
            f"query n=5 with filter: p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {statistics.quantiles(latencies, n=20)[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
