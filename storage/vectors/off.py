"""The vector store when the semantic index is off: nothing is indexed, agents search text.

The Action runs on a fresh checkout each job, where building an index would cost minutes
of CPU per run; it uses this store unless configured otherwise, and needs no Chroma.
"""

from __future__ import annotations

from typing import Any

from storage.vectors.base import VectorHit, VectorItem, VectorStoreUnavailableError, check_kind

OFF = (
    "the semantic index is off (CODEMONKEY_SEMANTIC_INDEX=false, the Action's default); "
    "set CODEMONKEY_SEMANTIC_INDEX=true and install 'codemonkey[index]' to search by meaning"
)


class NoVectorStore:
    """Holds nothing: counts are 0 (so agents are told they search text only), queries and
    writes are refused with the fix, deleting finds nothing to delete."""

    where = "off"

    def upsert(self, project: str, kind: str, items: list[VectorItem]) -> None:
        check_kind(kind)
        raise VectorStoreUnavailableError(OFF)

    def query(
        self,
        project: str,
        kind: str,
        text: str,
        *,
        n: int = 5,
        where: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        check_kind(kind)
        raise VectorStoreUnavailableError(OFF)

    def delete(
        self,
        project: str,
        kind: str,
        *,
        ids: list[str] | None = None,
        where: dict[str, Any] | None = None,
    ) -> None:
        check_kind(kind)

    def drop(self, project: str, kind: str) -> None:
        check_kind(kind)

    def count(self, project: str, kind: str) -> int:
        check_kind(kind)
        return 0

    def ping(self) -> None:
        return None
