"""Real semantic retrieval with the local model, on both Chroma backends."""

from __future__ import annotations

import re

from storage.vectors import ChromaVectorStore, VectorItem

TARGET = VectorItem("oom", "The server process crashed because it ran out of memory.")
DISTRACTORS = [
    VectorItem("bread", "Knead sourdough, let it rise overnight, then bake the loaf."),
    VectorItem("money", "Quarterly revenue grew twelve percent thanks to new customers."),
    VectorItem("cat", "Our cat naps on the sunny windowsill every afternoon."),
    VectorItem("rain", "Heavy rain and strong winds are forecast for the weekend."),
    VectorItem("css", "Make the button blue and center the heading on the page."),
]
QUERY = "application died after exhausting RAM"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_paraphrase_ranks_first_without_shared_words(
    store: ChromaVectorStore, project: str
) -> None:
    assert not _words(QUERY) & _words(TARGET.text)
    store.upsert(project, "docs", [*DISTRACTORS, TARGET])
    hits = store.query(project, "docs", QUERY, n=6)
    assert hits[0].id == "oom"
    assert len(hits) == 6
    # Clearly ahead, not a coin toss.
    assert hits[0].score - hits[1].score > 0.1
