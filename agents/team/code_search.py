"""`search_code`: find code by meaning and by text at once.

The semantic half asks the project's code index (chunks of the default branch, embedded
in the vector store) when there is one; the literal half searches the task's own work
tree with `search_files`' engine, so it also sees what changed on the branch. Hits are
merged per file and line range (a range both halves found comes first) and each is shown
as `path:start-end` with the lines that matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.context.repo_map import words
from agents.runtime.ports import CallContext, SearchFn, Snippet, ToolError, ToolResult
from agents.runtime.toolset import schema
from agents.tools.base import FunctionTool, ToolContext
from agents.tools.base import ToolError as ToolsError
from agents.tools.search import Match, SearchQuery, search
from storage.vectors.base import VectorError

DEFAULT_RESULTS = 8
MAX_RESULTS = 20
# Literal matches this close together are one hit.
JOIN_LINES = 6
SHOWN_LINES = 6
MAX_LINE_CHARS = 200
MAX_TERMS = 5
NO_INDEX = (
    "No semantic index for this repository (it has not been indexed), so this is a text "
    "search only: use the exact identifiers or phrases you expect in the code."
)


@dataclass
class Hit:
    path: str
    start: int
    end: int
    sources: set[str] = field(default_factory=set)
    # (line number, text) worth showing; semantic chunks keep their lines too.
    lines: dict[int, str] = field(default_factory=dict)
    rank: float = 0.0

    def overlaps(self, other: Hit) -> bool:
        return (
            self.path == other.path
            and self.start <= other.end + JOIN_LINES
            and other.start <= self.end + JOIN_LINES
        )

    def absorb(self, other: Hit) -> None:
        self.start, self.end = min(self.start, other.start), max(self.end, other.end)
        self.sources |= other.sources
        self.lines.update(other.lines)
        self.rank = max(self.rank, other.rank)

    def render(self, terms: set[str]) -> str:
        kind = " + ".join(sorted(self.sources))
        head = f"{self.path}:{self.start}-{self.end} ({kind})"
        # The lines naming a query word first, then the first lines of the range.
        numbered = sorted(self.lines.items())
        wanted = [(n, t) for n, t in numbered if terms & words(t)]
        chosen = sorted(dict(wanted[:SHOWN_LINES] or numbered[:SHOWN_LINES]).items())
        body = [f"  {n}: {t[:MAX_LINE_CHARS]}" for n, t in chosen if t.strip()]
        return "\n".join([head, *body])


def literal_terms(query: str) -> list[str]:
    """The whole query, then its distinctive words (identifiers as written)."""
    terms = [query.strip()]
    seen = {query.strip().lower()}
    for word in query.replace("(", " ").replace(")", " ").split():
        cleaned = word.strip(".,:;'\"`")
        if cleaned.lower() not in seen and words(cleaned):
            seen.add(cleaned.lower())
            terms.append(cleaned)
    return terms[: MAX_TERMS + 1]


def literal_hits(context: ToolContext, query: str, limit: int) -> list[Hit]:
    """Grouped matches of the whole query, or, when it never appears, of its words."""
    terms = literal_terms(query)
    whole = _matches(context, terms[0], limit * 4)
    if whole or len(terms) == 1:
        return _grouped(whole, rank_of=lambda _: 2.0)
    per_file: dict[str, set[str]] = {}
    found: list[Match] = []
    for term in terms[1:]:
        for match in _matches(context, term, limit * 4):
            per_file.setdefault(match.path, set()).add(term.lower())
            found.append(match)
    # Files holding more of the words rank higher.
    return _grouped(found, rank_of=lambda path: float(len(per_file[path])))


def _matches(context: ToolContext, pattern: str, limit: int) -> list[Match]:
    query = SearchQuery(pattern, False, False, ".", None, limit)
    try:
        return search(context, query)[:limit]
    except ToolsError as exc:
        raise ToolError(str(exc)) from None


def _grouped(matches: Iterable[Match], *, rank_of: Callable[[str], float]) -> list[Hit]:
    hits: list[Hit] = []
    for match in sorted(matches, key=lambda m: (m.path, m.line)):
        hit = Hit(match.path, match.line, match.line, {"text"}, {match.line: match.text})
        hit.rank = rank_of(match.path)
        if hits and hits[-1].overlaps(hit):
            hits[-1].absorb(hit)
        else:
            hits.append(hit)
    return sorted(hits, key=lambda h: -h.rank)


def semantic_hits(snippets: Iterable[Snippet]) -> list[Hit]:
    hits = []
    for snippet in snippets:
        start = snippet.start_line or 1
        lines = snippet.text.splitlines()
        numbered = {start + i: line for i, line in enumerate(lines)}
        hits.append(
            Hit(snippet.path, start, start + max(len(lines) - 1, 0), {"semantic"}, numbered)
        )
    return hits


def merge(semantic: list[Hit], literal: list[Hit], limit: int) -> list[Hit]:
    """One hit per file range; ranges both searches found first, then alternating."""
    merged: list[Hit] = []
    for hit in _interleave(semantic, literal):
        same = next((m for m in merged if m.overlaps(hit)), None)
        if same is None:
            merged.append(hit)
        else:
            same.absorb(hit)
    both = [h for h in merged if len(h.sources) > 1]
    return (both + [h for h in merged if len(h.sources) == 1])[:limit]


def _interleave(first: list[Hit], second: list[Hit]) -> list[Hit]:
    out = []
    for i in range(max(len(first), len(second))):
        out += [h for h in (first[i : i + 1] + second[i : i + 1])]
    return out


def code_search_tool(context: ToolContext, index: SearchFn | None) -> FunctionTool[CallContext]:
    def run(ctx: CallContext, args: dict[str, Any]) -> ToolResult:
        query = str(args.get("query", "")).strip()
        if not query:
            raise ToolError("the query is empty; describe the code or name the identifier")
        limit = max(1, min(int(args.get("max_results", DEFAULT_RESULTS)), MAX_RESULTS))
        notes = []
        semantic: list[Hit] = []
        if index is None:
            notes.append(NO_INDEX)
        else:
            try:
                semantic = semantic_hits(index(query, limit))
            except VectorError as exc:
                notes.append(f"The semantic index could not be searched ({exc}); text only.")
            else:
                notes.append(
                    "Semantic hits come from the index of the default branch; text hits "
                    "from your work tree."
                )
        hits = merge(semantic, literal_hits(context, query, limit), limit)
        if not hits:
            return ToolResult(True, "\n".join([*notes, f"No code found for {query!r}."]))
        terms = words(query)
        shown = "\n".join(h.render(terms) for h in hits)
        return ToolResult(True, "\n".join(notes) + "\n" + shown)

    return FunctionTool(
        "search_code",
        "Find code by meaning and by text: a description ('where retries are scheduled') "
        "or an identifier. Returns file ranges as path:start-end with the relevant lines; "
        "read them with read_file.",
        schema(
            {
                "query": {"type": "string"},
                "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
            },
            ["query"],
        ),
        run,
        replay_safe=True,
    )
