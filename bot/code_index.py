"""The project's code index (`repo.index`) as the agents' semantic search."""

from __future__ import annotations

from agents.runtime.ports import SearchFn, Snippet
from storage.vectors.base import VectorError, VectorStore

KIND = "code"


def index_search(vectors: VectorStore, project: str) -> SearchFn | None:
    """Semantic search over `project`'s indexed code, or None when nothing is indexed
    (or the store cannot be reached), so the agents are told they search text only."""
    try:
        if vectors.count(project, KIND) == 0:
            return None
    except VectorError:
        return None

    def search(query: str, limit: int) -> list[Snippet]:
        snippets = []
        for hit in vectors.query(project, KIND, query, n=limit):
            path = str(hit.metadata.get("path", ""))
            start = hit.metadata.get("start_line", 0)
            # Indexed chunks open with their path (`bot.index_build.chunks`); the lines follow.
            text = hit.text.removeprefix(f"{path}\n")
            snippets.append(Snippet(path, text, hit.score, start if isinstance(start, int) else 0))
        return snippets

    return search
