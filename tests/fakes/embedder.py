"""A deterministic stand-in embedding model for tests where the embedder is not under test
(the real all-MiniLM-L6-v2 model is tested in tests/storage/vectors)."""

from __future__ import annotations

import hashlib


class HashEmbedder:
    name = "test-hash"
    dimension = 8

    def __init__(self) -> None:
        # Every text embedded, in order: tests count what an index run embedded.
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [[b / 255 for b in hashlib.sha256(t.encode()).digest()[:8]] for t in texts]
