"""The vector store on Chroma: embedded (`PersistentClient`) or a server (`HttpClient`).

We always pass our own embeddings, so Chroma never loads (or downloads) a model of its own.
Each collection records the embedder it was built with (model and variant), because
vectors from two models are not comparable: a `code` collection built with another
embedder is emptied when it is next written or counted (the index is rebuilt from the
repository: `bot.index_build` embeds everything again into an empty collection); other
kinds are refused. Until that rebuild, a search in a collection built by another variant
of the same model (`all-MiniLM-L6-v2` beside `all-MiniLM-L6-v2+int8-fused`: cosine ~0.995
between their vectors) is answered from it, so code search does not go blank on upgrade.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from storage.vectors.base import (
    Embedder,
    VectorHit,
    VectorItem,
    VectorStoreError,
    VectorStoreUnavailableError,
    check_kind,
)

log = logging.getLogger("codemonkey.vectors")
# Kinds rebuilt from the repository: vectors of another embedder are dropped, not refused.
REBUILT_KINDS = frozenset({"code"})
# Embed and write in slices: bounds memory and stays under Chroma's max batch size.
_BATCH = 256
_NAME_SLUG_CHARS = 30  # keeps the longest name (kind "conversations") at 58 <= 63


def _same_model(built_with: object, name: str) -> bool:
    """Whether `built_with` is another variant of `name`'s model (the part before `+`)."""
    return isinstance(built_with, str) and built_with.split("+")[0] == name.split("+")[0]


def collection_name(project: str, kind: str) -> str:
    """A valid Chroma name (3-63 chars of [a-zA-Z0-9._-], alphanumeric at both ends),
    readable, and unique per (project, kind) thanks to a hash of the exact project."""
    check_kind(kind)
    slug = re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-")[:_NAME_SLUG_CHARS].strip("-")
    digest = hashlib.sha256(f"{project}\0{kind}".encode()).hexdigest()[:10]
    return f"cm-{kind}-{slug or 'x'}-{digest}"


def chroma_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """Chroma wants one key per filter; several plain equalities become an `$and`."""
    if not where:
        return None
    if len(where) == 1 or any(key.startswith("$") for key in where):
        return where
    return {"$and": [{key: value} for key, value in where.items()]}


class ChromaVectorStore:
    def __init__(self, connect: Callable[[], Any], embedder: Embedder, *, where: str) -> None:
        """`connect` builds the Chroma client on first use: the HTTP client talks to the
        server as soon as it is created, and constructors here do no I/O."""
        self._connect = connect
        self._embedder = embedder
        self.where = where
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._mutex = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def upsert(self, project: str, kind: str, items: list[VectorItem]) -> None:
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("upsert got the same id twice in one call; ids must be unique")
        if any(not item_id for item_id in ids):
            raise ValueError("vector item ids must be non-empty strings")
        if not items:
            return
        collection = self._collection(project, kind)
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            vectors = self._embedder.embed([item.text for item in batch])
            with self._errors():
                metadatas = self._replacing_metadata(collection, batch)
                collection.upsert(
                    ids=[item.id for item in batch],
                    embeddings=vectors,
                    documents=[item.text for item in batch],
                    metadatas=metadatas,
                )

    @staticmethod
    def _replacing_metadata(collection: Any, batch: list[VectorItem]) -> list[Any]:
        """Chroma's upsert merges metadata into the stored item's; we replace it, so keys
        the new item lacks are set to None, which deletes them. Chroma refuses an empty
        dict, so "no metadata" is sent as None."""
        stored = collection.get(ids=[item.id for item in batch], include=["metadatas"])
        old_keys = {
            item_id: set(metadata or {})
            for item_id, metadata in zip(stored["ids"], stored["metadatas"], strict=True)
        }
        out: list[Any] = []
        for item in batch:
            metadata: dict[str, Any] = dict(item.metadata)
            metadata.update(dict.fromkeys(old_keys.get(item.id, set()) - set(metadata)))
            out.append(metadata or None)
        return out

    def query(
        self,
        project: str,
        kind: str,
        text: str,
        *,
        n: int = 5,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        collection = self._collection(project, kind, searching=True)
        (vector,) = self._embedder.embed([text])
        with self._errors():
            result = collection.query(
                query_embeddings=[vector],
                n_results=n,
                where=chroma_where(where),
                include=["documents", "metadatas", "distances"],
            )
        return [
            VectorHit(item_id, document or "", dict(metadata or {}), float(distance))
            for item_id, document, metadata, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def delete(
        self,
        project: str,
        kind: str,
        *,
        ids: list[str] | None = None,
        where: dict[str, Any] | None = None,
    ) -> None:
        if ids is None and not where:
            raise ValueError("delete needs ids or where; use drop() to delete a whole collection")
        if ids is not None and not ids and not where:
            return
        collection = self._collection(project, kind)
        with self._errors():
            collection.delete(ids=ids or None, where=chroma_where(where))

    def drop(self, project: str, kind: str) -> None:
        name = collection_name(project, kind)
        client = self._get_client()
        with self._mutex:
            self._collections.pop(name, None)
        from chromadb.errors import NotFoundError

        with self._errors():
            try:
                client.delete_collection(name)
            except NotFoundError:
                return  # already gone: dropping is idempotent

    def count(self, project: str, kind: str) -> int:
        collection = self._collection(project, kind)
        with self._errors():
            return int(collection.count())

    def ping(self) -> None:
        client = self._get_client()
        with self._errors():
            client.heartbeat()

    def _collection(self, project: str, kind: str, *, searching: bool = False) -> Any:
        name = collection_name(project, kind)
        with self._mutex:
            cached = self._collections.get(name)
        if cached is not None:
            return cached
        client = self._get_client()
        collection = self._get_or_create(client, name, project, kind)
        built_with = (collection.metadata or {}).get("embedder")
        if searching and kind in REBUILT_KINDS and _same_model(built_with, self._embedder.name):
            return collection  # not cached: the next write or count rebuilds it
        if built_with != self._embedder.name and kind in REBUILT_KINDS:
            log.info(
                "the %s vectors of %s were built with %s, not %s: emptied to be re-embedded",
                kind, project, built_with, self._embedder.name,
            )  # fmt: skip
            with self._errors():
                client.delete_collection(name)
            collection = self._get_or_create(client, name, project, kind)
            built_with = (collection.metadata or {}).get("embedder")
        if built_with != self._embedder.name:
            raise VectorStoreError(
                f"the {kind} vectors of {project} were built with embedder {built_with!r}, "
                f"not {self._embedder.name!r}; switch the embedding settings back, or drop "
                "the collection and re-index the project"
            )
        with self._mutex:
            self._collections[name] = collection
        return collection

    def _get_or_create(self, client: Any, name: str, project: str, kind: str) -> Any:
        with self._errors():
            return client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={
                    "project": project,
                    "kind": kind,
                    "embedder": self._embedder.name,
                    "dimension": self._embedder.dimension,
                },
            )

    def _get_client(self) -> Any:
        with self._mutex:
            if self._client is None:
                with self._errors():
                    self._client = self._connect()
            return self._client

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from chromadb.errors import ChromaError

        try:
            yield
        except (httpx.TransportError, ConnectionError) as exc:
            raise self._unavailable(exc) from exc
        except ValueError as exc:
            # chromadb reports both "server unreachable" and bad input as ValueError.
            if "connect" in str(exc).lower():
                raise self._unavailable(exc) from exc
            raise VectorStoreError(f"Chroma rejected the request: {exc}") from exc
        except ChromaError as exc:
            raise VectorStoreError(f"Chroma at {self.where} failed: {exc}") from exc

    def _unavailable(self, exc: Exception) -> VectorStoreUnavailableError:
        return VectorStoreUnavailableError(
            f"cannot reach Chroma at {self.where} ({exc}); start the Chroma server, fix "
            "CODEMONKEY_CHROMA_URL, or unset it to use the embedded store"
        )
