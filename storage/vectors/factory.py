"""Build the embedder and the vector store for the configured backends, and check them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from storage.checks import CheckResult
from storage.extras import require
from storage.vectors.base import Embedder, VectorError
from storage.vectors.chroma import ChromaVectorStore
from storage.vectors.minilm import MODEL_NAME, LocalMiniLMEmbedder
from storage.vectors.off import NoVectorStore
from storage.vectors.remote_embedders import OllamaEmbedder, OpenAIEmbedder


def build_vector_store(
    chroma_url: str | None, data_path: Path, embedder: Embedder
) -> ChromaVectorStore:
    """Embedded Chroma under `data_path` when `chroma_url` is None, else the server at
    `chroma_url` (http[s]://host:port). Nothing connects until the first call.

    Raises MissingExtraError when Chroma is not installed (a core install: text search)."""
    chromadb = require(
        "chromadb",
        "the semantic code index",
        " (or set CODEMONKEY_SEMANTIC_INDEX=false for text search only)",
    )
    ChromaSettings = require("chromadb.config", "the semantic code index").Settings

    # Telemetry off: it would try to reach the network, which we may not have.
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url is None:
        path = Path(data_path)

        def embedded() -> Any:
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

        return ChromaVectorStore(embedded, embedder, where=f"embedded {path}")

    parts = urlsplit(chroma_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        raise VectorError(
            f"CODEMONKEY_CHROMA_URL={chroma_url!r} is not a Chroma server URL; use "
            "http://host:8000 (or https://...), or unset it for the embedded store"
        )
    host, ssl = parts.hostname, parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)

    def server() -> Any:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)

    return ChromaVectorStore(server, embedder, where=f"{parts.scheme}://{host}:{port}")


def build_embedder(
    provider: Literal["local", "openai", "ollama"],
    *,
    model: str = MODEL_NAME,
    model_dir: Path | None = None,
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    ollama_host: str | None = None,
    dimension: int | None = None,
    cache_dir: Path | None = None,
) -> Embedder:
    """The embedder named by the settings (`embedding_provider`, `embedding_model`, ...).
    `cache_dir` keeps what the local model derives once per machine (its fast copy)."""
    if provider == "local":
        if model != MODEL_NAME:
            raise VectorError(
                f"the local embedder runs only {MODEL_NAME}, not {model!r}; set "
                "CODEMONKEY_EMBEDDING_MODEL back or use CODEMONKEY_EMBEDDING_PROVIDER=ollama"
            )
        return LocalMiniLMEmbedder(model_dir, cache_dir=cache_dir)
    if provider == "openai":
        if model == MODEL_NAME:
            model = "text-embedding-3-small"
        return OpenAIEmbedder(
            api_key=openai_api_key,
            model=model,
            base_url=openai_base_url or "https://api.openai.com",
            dimension=dimension,
        )
    if model == MODEL_NAME:
        model = "all-minilm"
    return OllamaEmbedder(
        model=model, host=ollama_host or "http://127.0.0.1:11434", dimension=dimension
    )


def check_vector_store(store: ChromaVectorStore | NoVectorStore) -> CheckResult:
    """Readiness of the vector store: ok, or the error with its fix."""
    if isinstance(store, NoVectorStore):
        return CheckResult("vectors", True, "off: text search only")
    try:
        store.ping()
    except VectorError as exc:
        return CheckResult("vectors", False, str(exc))
    return CheckResult("vectors", True, f"chroma {store.where}")


def check_embedder(embedder: Embedder) -> CheckResult:
    """Embeds one short text: proves the model loads (local) or the service answers."""
    try:
        (vector,) = embedder.embed(["codemonkey readiness check"])
    except VectorError as exc:
        return CheckResult("embeddings", False, str(exc))
    if len(vector) != embedder.dimension:
        return CheckResult(
            "embeddings",
            False,
            f"{embedder.name} returned {len(vector)} numbers, expected {embedder.dimension}",
        )
    return CheckResult("embeddings", True, f"{embedder.name} ({embedder.dimension} dimensions)")
