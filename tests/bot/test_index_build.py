"""Index builds: batched across files, unchanged files not embedded again, progress
reported, chunks cut where the code starts something new, and the low-priority lane."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from bot.index_build import CHUNK_LINES, SLICE, IndexProgress, build_index, chunks
from bot.index_lane import IndexLane, LaneBusyError
from storage.vectors import ChromaVectorStore, build_vector_store
from tests.fakes.embedder import HashEmbedder

PROJECT = "acme/app"


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return super().embed(texts)


def _store(tmp_path: Path) -> tuple[ChromaVectorStore, CountingEmbedder]:
    embedder = CountingEmbedder()
    return build_vector_store(None, tmp_path / "chroma", embedder), embedder


def _repo(root: Path, count: int) -> list[str]:
    names = []
    for n in range(count):
        name = f"pkg/mod_{n}.py"
        (root / "pkg").mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"def f{n}():\n    return {n}\n")
        names.append(name)
    return names


def test_small_files_are_embedded_together_not_one_call_per_file(tmp_path: Path) -> None:
    store, embedder = _store(tmp_path)
    names = _repo(tmp_path / "repo", 600)
    outcome = build_index(store, PROJECT, tmp_path / "repo", names, [], {})
    assert outcome.chunks == 600 and len(outcome.indexed) == 600
    # One call per slice of chunks (the old code made one per file: 600 calls).
    assert len(embedder.calls) == -(-600 // SLICE)
    assert store.count(PROJECT, "code") == 600


def test_a_full_run_over_unchanged_files_embeds_nothing_and_changed_ones_are_replaced(
    tmp_path: Path,
) -> None:
    store, embedder = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 30)
    first = build_index(store, PROJECT, root, names, [], {})
    known = {path: f.sha for path, f in first.indexed.items()}
    embedder.embedded.clear()
    (root / "pkg/mod_3.py").write_text("def changed():\n    return 'new'\n")
    again = build_index(store, PROJECT, root, names, ["gone.py"], known)
    assert again.unchanged == 29 and list(again.indexed) == ["pkg/mod_3.py"]
    assert embedder.embedded == ["pkg/mod_3.py\ndef changed():\n    return 'new'"]
    texts = [
        h.text for h in store.query(PROJECT, "code", "x", n=50, where={"path": "pkg/mod_3.py"})
    ]
    assert texts == ["pkg/mod_3.py\ndef changed():\n    return 'new'"]
    assert again.dropped == ["gone.py"]


def test_digests_are_ignored_when_the_vector_store_lost_the_vectors(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 5)
    known = {
        path: f.sha for path, f in build_index(store, PROJECT, root, names, [], {}).indexed.items()
    }
    store.drop(PROJECT, "code")
    outcome = build_index(store, PROJECT, root, names, [], known)
    assert outcome.unchanged == 0 and store.count(PROJECT, "code") == 5


class OtherVariantEmbedder(CountingEmbedder):
    """The same dimension, another identity: as when the local model's variant changes."""

    name = "test-hash+other-variant"

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[1 - x for x in v] for v in super().embed(texts)]


def test_a_new_embedder_identity_re_embeds_everything_and_mixes_no_old_vectors(
    tmp_path: Path,
) -> None:
    store, _ = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 5)
    known = {
        path: f.sha for path, f in build_index(store, PROJECT, root, names, [], {}).indexed.items()
    }
    embedder = OtherVariantEmbedder()
    newer = build_vector_store(None, tmp_path / "chroma", embedder)
    outcome = build_index(newer, PROJECT, root, names, [], known)
    assert outcome.unchanged == 0 and len(embedder.embedded) == 5
    assert newer.count(PROJECT, "code") == 5
    # Every stored vector is the new embedder's: the nearest hit is an exact match.
    text = "pkg/mod_2.py\ndef f2():\n    return 2"
    assert newer.query(PROJECT, "code", text, n=1)[0].distance < 1e-6


def test_a_search_before_the_rebuild_is_answered_from_the_other_variants_vectors(
    tmp_path: Path,
) -> None:
    store, _ = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 5)
    build_index(store, PROJECT, root, names, [], {})
    newer = build_vector_store(None, tmp_path / "chroma", OtherVariantEmbedder())
    # Searching right after the upgrade finds the files, and empties nothing.
    assert len(newer.query(PROJECT, "code", "def f2", n=3)) == 3
    assert newer.count(PROJECT, "code") == 0  # counting is the index's step: it rebuilds
    # A model of another family is no variant: its vectors are never searched.
    fresh, _ = _store(tmp_path)
    build_index(fresh, PROJECT, root, names, [], {})
    unrelated = type("Unrelated", (OtherVariantEmbedder,), {"name": "another-model"})()
    later = build_vector_store(None, tmp_path / "chroma", unrelated)
    assert later.query(PROJECT, "code", "def f2", n=3) == []


def test_progress_is_reported_until_every_file_is_done(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 700)
    (root / "package-lock.json").write_text("{}")
    seen: list[IndexProgress] = []
    build_index(store, PROJECT, root, [*names, "package-lock.json"], [], {}, progress=seen.append)
    assert len(seen) >= 3
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
    assert seen[-1].files_done == seen[-1].files_total == 701
    assert seen[-1].chunks_embedded == 700


def test_chunks_end_before_a_new_top_level_definition() -> None:
    first = [f"def first():\n    x = {i}" for i in range(20)]
    text = "\n".join(first) + "\n\ndef second():\n" + "\n".join("    y = 1" for _ in range(40))
    items = chunks("m.py", text)
    assert len(items) == 2
    assert items[1].text.startswith("m.py\ndef second():")
    assert items[1].metadata["start_line"] == 42
    # Without such a place the chunk ends at the line limit.
    flat = chunks("f.py", "\n".join("x = 1" for _ in range(CHUNK_LINES + 5)))
    assert [i.metadata["start_line"] for i in flat] == [1, CHUNK_LINES + 1]


def test_long_lines_end_a_chunk_before_the_line_limit() -> None:
    items = chunks("wide.py", "\n".join("v = '" + "x" * 200 + "'" for _ in range(30)))
    assert len(items) > 1 and all(len(i.text) <= 2400 + len("wide.py\n") for i in items)


def test_slices_embedded_in_parallel_give_the_same_index(tmp_path: Path) -> None:
    store, embedder = _store(tmp_path)
    root = tmp_path / "repo"
    names = _repo(root, 1100)
    lane = IndexLane(threads=3)
    seen: list[IndexProgress] = []
    outcome = lane.run(
        lambda pool: build_index(
            store, PROJECT, root, names, [], {}, embedders=pool, parallel=3, progress=seen.append
        )
    )
    lane.close()
    assert outcome.chunks == 1100 and store.count(PROJECT, "code") == 1100
    assert sorted(embedder.embedded) == sorted(
        f"{n}\ndef f{n[8:-3]}():\n    return {n[8:-3]}" for n in names
    )
    assert seen[-1].files_done == 1100 and seen[-1].chunks_embedded == 1100


def test_the_lane_runs_one_build_at_a_time_on_a_lower_priority_thread() -> None:
    lane = IndexLane(nice=7)
    inside, release = threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def work(embedders: object) -> int:
        if sys.platform.startswith("linux"):
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        inside.set()
        release.wait(5)
        return 42

    results: list[int] = []
    runner = threading.Thread(target=lambda: results.append(lane.run(work)))
    runner.start()
    assert inside.wait(5)
    with pytest.raises(LaneBusyError):
        lane.run(lambda _: 0)
    release.set()
    runner.join(5)
    assert results == [42] and not lane.busy
    if sys.platform.startswith("linux"):
        assert seen["nice"] >= 7
        # Only the lane's thread was lowered, not the caller's.
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 7
    lane.close()
