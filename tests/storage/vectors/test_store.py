from __future__ import annotations

from pathlib import Path

import pytest

from storage.vectors import (
    ChromaVectorStore,
    LocalMiniLMEmbedder,
    VectorItem,
    VectorStoreError,
    build_vector_store,
)
from tests.fakes.embedder import HashEmbedder

FILES = [
    VectorItem(
        "src/db.py",
        "Open a pooled connection to the relational database and run migrations.",
        {"path": "src/db.py", "lang": "python", "line": 1},
    ),
    VectorItem(
        "src/ui.tsx",
        "Render the login form with email and password fields.",
        {"path": "src/ui.tsx", "lang": "typescript", "line": 40},
    ),
    VectorItem(
        "src/auth.py",
        "Check the password hash and issue a session cookie for the user.",
        {"path": "src/auth.py", "lang": "python", "line": 12},
    ),
    VectorItem("README.md", "Project overview and setup instructions."),
]


def test_upsert_count_and_query(store: ChromaVectorStore, project: str) -> None:
    assert store.count(project, "code") == 0
    assert store.query(project, "code", "anything") == []
    store.upsert(project, "code", FILES)
    assert store.count(project, "code") == 4
    hits = store.query(project, "code", "verify the user's password and log them in", n=3)
    assert hits[0].id == "src/auth.py"
    assert len(hits) == 3
    assert [hit.distance for hit in hits] == sorted(hit.distance for hit in hits)
    first = hits[0]
    assert first.text == FILES[2].text
    assert first.metadata == {"path": "src/auth.py", "lang": "python", "line": 12}
    assert 0 < first.score <= 1
    assert first.score == pytest.approx(1 - first.distance)


def test_item_without_metadata(store: ChromaVectorStore, project: str) -> None:
    store.upsert(project, "docs", [FILES[3]])
    (hit,) = store.query(project, "docs", "how to install", n=5)
    assert (hit.id, hit.metadata) == ("README.md", {})


def test_upsert_replaces_by_id(store: ChromaVectorStore, project: str) -> None:
    store.upsert(project, "code", FILES)
    store.upsert(project, "code", [VectorItem("src/db.py", "Bake bread at 220 degrees.", {})])
    assert store.count(project, "code") == 4
    (hit,) = store.query(project, "code", "oven temperature for a loaf", n=1)
    assert (hit.id, hit.text, hit.metadata) == ("src/db.py", "Bake bread at 220 degrees.", {})


def test_metadata_filters(store: ChromaVectorStore, project: str) -> None:
    store.upsert(project, "code", FILES)
    python = store.query(project, "code", "login form", n=10, where={"lang": "python"})
    assert {hit.id for hit in python} == {"src/db.py", "src/auth.py"}
    both = store.query(
        project, "code", "login form", n=10, where={"lang": "python", "path": "src/db.py"}
    )
    assert [hit.id for hit in both] == ["src/db.py"]
    later = store.query(project, "code", "login", n=10, where={"line": {"$gt": 10}})
    assert {hit.id for hit in later} == {"src/ui.tsx", "src/auth.py"}
    either = store.query(
        project, "code", "x", n=10, where={"$or": [{"lang": "typescript"}, {"line": 1}]}
    )
    assert {hit.id for hit in either} == {"src/ui.tsx", "src/db.py"}
    assert store.query(project, "code", "x", where={"lang": "rust"}) == []


def test_delete_by_ids_and_by_filter(store: ChromaVectorStore, project: str) -> None:
    store.upsert(project, "code", FILES)
    store.delete(project, "code", ids=["README.md", "no-such-id"])
    assert store.count(project, "code") == 3
    store.delete(project, "code", where={"lang": "python"})
    assert [hit.id for hit in store.query(project, "code", "anything", n=10)] == ["src/ui.tsx"]
    store.delete(project, "code", ids=[])  # nothing to delete is not an error
    assert store.count(project, "code") == 1
    with pytest.raises(ValueError, match="drop"):
        store.delete(project, "code")


def test_kinds_and_projects_are_separate(store: ChromaVectorStore, project: str) -> None:
    other = f"{project}-other"
    store.upsert(project, "code", FILES)
    store.upsert(project, "conversations", [VectorItem("m1", "We agreed to use PostgreSQL.")])
    store.upsert(other, "code", FILES[:1])
    try:
        assert store.count(project, "code") == 4
        assert store.count(project, "conversations") == 1
        assert store.count(project, "docs") == 0
        assert store.count(other, "code") == 1
        store.drop(project, "code")
        assert store.count(project, "code") == 0
        store.drop(project, "docs")  # never created: dropping is idempotent
        store.drop(project, "docs")
        assert store.count(other, "code") == 1
    finally:
        store.drop(other, "code")


def test_bad_arguments(store: ChromaVectorStore, project: str) -> None:
    with pytest.raises(ValueError, match="unknown vector collection kind 'notes'"):
        store.count(project, "notes")
    with pytest.raises(ValueError, match="same id twice"):
        store.upsert(project, "code", [FILES[0], FILES[0]])
    with pytest.raises(ValueError, match="non-empty"):
        store.upsert(project, "code", [VectorItem("", "text")])
    with pytest.raises(ValueError, match="n must be at least 1"):
        store.query(project, "code", "x", n=0)
    with pytest.raises(VectorStoreError, match="Chroma rejected"):
        store.query(project, "code", "x", where={"line": {"$near": 3}})


def test_other_embedder_is_refused(
    backend: str | None, tmp_path: Path, store: ChromaVectorStore, project: str
) -> None:
    store.upsert(project, "docs", FILES[:2])
    other = build_vector_store(backend, tmp_path / "chroma", HashEmbedder())
    with pytest.raises(VectorStoreError, match="re-index") as caught:
        other.query(project, "docs", "x")
    assert f"'{store.embedder.name}'" in str(caught.value)
    assert "'test-hash'" in str(caught.value)
    other.drop(project, "docs")
    other.upsert(project, "docs", FILES[:1])
    assert other.count(project, "docs") == 1


def test_embedded_store_persists(
    tmp_path: Path, embedder: LocalMiniLMEmbedder, project: str
) -> None:
    build_vector_store(None, tmp_path / "data", embedder).upsert(project, "docs", FILES)
    reopened = build_vector_store(None, tmp_path / "data", embedder)
    assert reopened.count(project, "docs") == 4
    assert (tmp_path / "data" / "chroma.sqlite3").is_file()


def test_large_upsert_is_batched(backend: str | None, tmp_path: Path, project: str) -> None:
    store = build_vector_store(backend, tmp_path / "chroma", HashEmbedder())
    items = [VectorItem(f"chunk-{i}", f"line {i} of a long file", {"i": i}) for i in range(600)]
    try:
        store.upsert(project, "code", items)
        assert store.count(project, "code") == 600
        (hit,) = store.query(project, "code", "line 599 of a long file", n=1)
        assert (hit.id, hit.metadata) == ("chunk-599", {"i": 599})
        assert hit.distance == pytest.approx(0, abs=1e-6)
    finally:
        store.drop(project, "code")
