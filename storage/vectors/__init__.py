"""Semantic search: embedders and a Chroma vector store, embedded or on a server."""

from storage.vectors.base import (
    KINDS,
    Embedder,
    EmbeddingError,
    EmbeddingModelMissingError,
    VectorError,
    VectorHit,
    VectorItem,
    VectorStore,
    VectorStoreError,
    VectorStoreUnavailableError,
)
from storage.vectors.chroma import ChromaVectorStore, collection_name
from storage.vectors.factory import (
    build_embedder,
    build_vector_store,
    check_embedder,
    check_vector_store,
)
from storage.vectors.minilm import LocalMiniLMEmbedder, find_minilm_model
from storage.vectors.off import NoVectorStore
from storage.vectors.remote_embedders import OllamaEmbedder, OpenAIEmbedder

__all__ = [
    "KINDS",
    "ChromaVectorStore",
    "Embedder",
    "EmbeddingError",
    "EmbeddingModelMissingError",
    "LocalMiniLMEmbedder",
    "NoVectorStore",
    "OllamaEmbedder",
    "OpenAIEmbedder",
    "VectorError",
    "VectorHit",
    "VectorItem",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreUnavailableError",
    "build_embedder",
    "build_vector_store",
    "check_embedder",
    "check_vector_store",
    "collection_name",
    "find_minilm_model",
]
