"""Contracts for semantic search: embedders turn text into vectors, a vector store keeps
them in one collection per project and kind ("code", "docs", "conversations")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

Kind = Literal["code", "docs", "conversations"]
KINDS: tuple[str, ...] = get_args(Kind)

# Chroma stores flat metadata; these are the value types it accepts.
MetadataValue = str | int | float | bool
Metadata = Mapping[str, MetadataValue]


class VectorError(Exception):
    """Embedding or vector storage failed; the message says how to fix it."""


class EmbeddingError(VectorError):
    """The embedding model or service failed or answered something unusable."""


class EmbeddingModelMissingError(EmbeddingError):
    """The local model files are not installed or not where the settings say."""


class VectorStoreError(VectorError):
    """The vector database refused an operation."""


class VectorStoreUnavailableError(VectorStoreError):
    """The vector database cannot be reached."""


class Embedder(Protocol):
    @property
    def name(self) -> str:
        """Identifies the model: vectors of different embedders must never be mixed."""

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""


@dataclass(frozen=True)
class VectorItem:
    id: str
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    id: str
    text: str
    metadata: Metadata
    distance: float
    """Cosine distance: 0 is identical, 2 is opposite."""

    @property
    def score(self) -> float:
        """Cosine similarity, 1 is identical."""
        return 1.0 - self.distance


class VectorStore(Protocol):
    def upsert(self, project: str, kind: str, items: list[VectorItem]) -> None:
        """Insert or replace items by id."""

    def query(
        self,
        project: str,
        kind: str,
        text: str,
        *,
        n: int = 5,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        """The `n` items nearest to `text`, nearest first, among those matching `where`.

        `where` is either plain equalities (`{"path": "a.py", "lang": "py"}`, all must
        match) or a Chroma filter with operators (`{"line": {"$gt": 10}}`, `$and`, `$or`).
        """

    def delete(
        self,
        project: str,
        kind: str,
        *,
        ids: list[str] | None = None,
        where: dict[str, Any] | None = None,
    ) -> None:
        """Delete the items with these ids and/or matching `where` (at least one is needed)."""

    def drop(self, project: str, kind: str) -> None:
        """Delete the whole collection, e.g. to re-index with another embedder."""

    def count(self, project: str, kind: str) -> int: ...

    def ping(self) -> None:
        """Raise VectorStoreUnavailableError (with the fix) when the store is unreachable."""


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown vector collection kind {kind!r}; use one of {', '.join(KINDS)}")
