from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromadb.api.segment import check_index_name

from storage.vectors import (
    KINDS,
    ChromaVectorStore,
    EmbeddingModelMissingError,
    LocalMiniLMEmbedder,
    OllamaEmbedder,
    OpenAIEmbedder,
    VectorError,
    VectorStore,
    VectorStoreUnavailableError,
    build_embedder,
    build_vector_store,
    check_embedder,
    check_vector_store,
    collection_name,
)
from tests.fakes.embedder import HashEmbedder

AWKWARD_PROJECTS = [
    "octo/hello-world",
    "Octo/Hello-World",
    "a",
    "192.168.1.1",
    "..",
    "--__--",
    "ünïcødé/répo",
    "x" * 300,
    "x" * 300 + "y",
]


@pytest.mark.parametrize("project", AWKWARD_PROJECTS)
@pytest.mark.parametrize("kind", KINDS)
def test_collection_names_satisfy_chroma(project: str, kind: str) -> None:
    name = collection_name(project, kind)
    check_index_name(name)  # Chroma's own rule; raises ValueError when broken
    assert name == collection_name(project, kind)


def test_collection_names_are_unique_and_readable() -> None:
    names = {collection_name(p, k) for p in AWKWARD_PROJECTS for k in KINDS}
    assert len(names) == len(AWKWARD_PROJECTS) * len(KINDS)
    assert re.fullmatch(
        r"cm-code-octo-hello-world-[0-9a-f]{10}", collection_name("octo/hello-world", "code")
    )


def test_store_ping_and_check(backend: str | None, tmp_path: Path) -> None:
    store: VectorStore = build_vector_store(backend, tmp_path / "chroma", HashEmbedder())
    assert isinstance(store, ChromaVectorStore)
    store.ping()
    result = check_vector_store(store)
    assert result.ok
    assert result.detail.startswith("chroma ")


def test_building_does_no_io(tmp_path: Path) -> None:
    build_vector_store(None, tmp_path / "not-yet", HashEmbedder())
    assert not (tmp_path / "not-yet").exists()
    build_vector_store("http://127.0.0.1:1", tmp_path, HashEmbedder())  # nothing listens


def test_unreachable_server_says_how_to_fix(tmp_path: Path) -> None:
    store = build_vector_store("http://127.0.0.1:1", tmp_path, HashEmbedder())
    with pytest.raises(VectorStoreUnavailableError, match="CODEMONKEY_CHROMA_URL"):
        store.ping()
    with pytest.raises(VectorStoreUnavailableError, match=re.escape("http://127.0.0.1:1")):
        store.count("octo/repo", "code")
    result = check_vector_store(store)
    assert result.ok is False
    assert "unset it to use the embedded store" in result.detail


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://h:1", "http://h:8000/some/path"])
def test_bad_chroma_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(VectorError, match="CODEMONKEY_CHROMA_URL"):
        build_vector_store(url, tmp_path, HashEmbedder())


def test_https_url_defaults(tmp_path: Path) -> None:
    store = build_vector_store("https://vectors.example.com", tmp_path, HashEmbedder())
    assert isinstance(store, ChromaVectorStore)
    assert store.where == "https://vectors.example.com:443"


def test_build_embedder_per_provider(tmp_path: Path) -> None:
    local = build_embedder("local", model_dir=None)
    assert isinstance(local, LocalMiniLMEmbedder)
    openai = build_embedder("openai", openai_api_key="k", openai_base_url="http://gw:4000")
    assert isinstance(openai, OpenAIEmbedder)
    assert (openai.model, openai.url) == ("text-embedding-3-small", "http://gw:4000/v1/embeddings")
    ollama = build_embedder("ollama", model="nomic-embed-text", ollama_host="box")
    assert isinstance(ollama, OllamaEmbedder)
    assert ollama.url == "http://box:11434/api/embed"
    assert build_embedder("ollama").name == "ollama:all-minilm"
    custom = build_embedder("ollama", model="my-embed", dimension=99)
    assert custom.dimension == 99
    with pytest.raises(VectorError, match="runs only all-MiniLM-L6-v2"):
        build_embedder("local", model="bge-small")


def test_check_embedder(embedder: LocalMiniLMEmbedder, tmp_path: Path) -> None:
    good = check_embedder(embedder)
    assert (good.name, good.ok, good.detail) == (
        "embeddings",
        True,
        "all-MiniLM-L6-v2+int8-fused (384 dimensions)",
    )
    missing = LocalMiniLMEmbedder(tmp_path / "empty")
    with pytest.raises(EmbeddingModelMissingError):
        missing.load()
    bad = check_embedder(missing)
    assert bad.ok is False
    assert "CODEMONKEY_EMBEDDING_MODEL_DIR" in bad.detail
