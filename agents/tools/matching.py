"""Finding where a block of text the model quoted sits in a file, or nearly sits.

Nothing here edits: it locates exact occurrences and, when there are none, the closest
window of lines so the model can correct its quote. Near matches are never applied.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CANDIDATES = 12
MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class NearMatch:
    start_line: int  # 1-based, inclusive
    end_line: int
    similarity: float
    text: str


def occurrence_lines(content: str, needle: str) -> list[int]:
    """1-based line numbers where each (possibly overlapping) occurrence of `needle` starts."""
    lines: list[int] = []
    index = content.find(needle)
    while index != -1:
        lines.append(content.count("\n", 0, index) + 1)
        index = content.find(needle, index + 1)
    return lines


def nearest_match(content: str, needle: str) -> NearMatch | None:
    """The window of lines most like `needle`, if any is at least half similar."""
    lines = content.splitlines(keepends=True)
    wanted = needle.splitlines(keepends=True)
    if not lines or not wanted:
        return None
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(needle)
    scored: list[tuple[float, int, int]] = []
    for size in {max(1, len(wanted) - 1), len(wanted), len(wanted) + 1}:
        for start in range(0, max(1, len(lines) - size + 1)):
            matcher.set_seq1("".join(lines[start : start + size]))
            if matcher.real_quick_ratio() < MIN_SIMILARITY:
                continue
            scored.append((matcher.quick_ratio(), start, size))
    scored.sort(reverse=True)
    best: NearMatch | None = None
    for _, start, size in scored[:CANDIDATES]:
        window = "".join(lines[start : start + size])
        matcher.set_seq1(window)
        ratio = matcher.ratio()
        if ratio >= MIN_SIMILARITY and (best is None or ratio > best.similarity):
            end = min(start + size, len(lines))
            best = NearMatch(start + 1, end, ratio, window)
    return best


def numbered(text: str, first_line: int) -> str:
    return "\n".join(f"{n:>5}| {line}" for n, line in enumerate(text.splitlines(), first_line))


def describe_miss(content: str, needle: str, what: str) -> str:
    """A report for text that was not found: the nearest lines and how they differ."""
    near = nearest_match(content, needle)
    if near is None:
        return (
            f"{what} was not found in the file and nothing in it is similar. "
            "Read the file (read_file) and quote its current lines exactly."
        )
    head = (
        f"{what} was not found exactly. The nearest match is lines "
        f"{near.start_line}-{near.end_line} ({near.similarity:.0%} similar):\n"
        f"{numbered(near.text, near.start_line)}\n"
    )
    if "".join(needle.split()) == "".join(near.text.split()):
        head += "They differ only in whitespace or indentation.\n"
    diff = difflib.unified_diff(
        needle.splitlines(),
        near.text.splitlines(),
        "your text",
        f"file lines {near.start_line}-{near.end_line}",
        lineterm="",
    )
    return (
        head
        + "Differences (- yours, + the file):\n"
        + "\n".join(list(diff)[2:])
        + "\nQuote the file's lines exactly (whitespace included) and send the edit again."
    )
