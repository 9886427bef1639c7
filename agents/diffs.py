"""Unified diffs as data: files, hunks and numbered lines, and where a review comment fits.

GitHub accepts an inline comment only inside a hunk of the pull request's diff: on the
RIGHT side a new-file line of a hunk (added or context), on the LEFT side an old-file
line of a hunk (deleted or context); a multi-line comment's `start_line` must be in the
same hunk and before `line`. `placement_problem` applies those rules before GitHub does,
and says which lines would be valid, so a model can correct its comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Side = Literal["LEFT", "RIGHT"]
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "+", "-" or " "
    text: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class Hunk:
    header: str
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    def span(self, side: Side) -> tuple[int, int] | None:
        """The first and last line of this hunk on one side; None when it has none there."""
        start, count = (
            (self.new_start, self.new_count)
            if side == "RIGHT"
            else (self.old_start, self.old_count)
        )
        return None if count == 0 else (start, start + count - 1)

    def holds(self, line: int, side: Side) -> bool:
        span = self.span(side)
        return span is not None and span[0] <= line <= span[1]


@dataclass(frozen=True)
class FileDiff:
    path: str  # the new path; the old one for a deleted file
    old_path: str | None  # None for an added file
    text: str  # this file's part of the diff, verbatim
    hunks: tuple[Hunk, ...]

    @property
    def binary(self) -> bool:
        return not self.hunks and "Binary files" in self.text

    def ranges(self, side: Side) -> list[tuple[int, int]]:
        return [s for h in self.hunks if (s := h.span(side)) is not None]


def parse_diff(text: str) -> list[FileDiff]:
    """The files of a `git diff` (with or without `diff --git` headers)."""
    chunks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("diff --git ") or not chunks:
            chunks.append([])
        chunks[-1].append(line)
    files = [_file(chunk) for chunk in chunks]
    return [f for f in files if f is not None]


def _file(lines: list[str]) -> FileDiff | None:
    old_path: str | None = None
    new_path: str | None = None
    hunks: list[Hunk] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _HUNK.match(line)
        if match is not None:
            hunk, index = _hunk(lines, index, match)
            hunks.append(hunk)
            continue
        if line.startswith("--- ") and not hunks:
            old_path = _strip(line[4:], "a/")
        elif line.startswith("+++ ") and not hunks:
            new_path = _strip(line[4:], "b/")
        elif line.startswith("diff --git ") and " b/" in line:
            new_path = new_path or line.rsplit(" b/", 1)[1]
            old_path = old_path or line[len("diff --git a/") :].rsplit(" b/", 1)[0]
        index += 1
    path = new_path or old_path
    if path is None:
        return None
    return FileDiff(path, old_path, "\n".join(lines) + "\n", tuple(hunks))


def _strip(name: str, prefix: str) -> str | None:
    name = name.split("\t", 1)[0]
    return None if name == "/dev/null" else name.removeprefix(prefix)


def _hunk(lines: list[str], index: int, match: re.Match[str]) -> tuple[Hunk, int]:
    old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
    new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
    old, new = old_start, new_start
    body: list[DiffLine] = []
    header = lines[index]
    index += 1
    while index < len(lines) and (old < old_start + old_count or new < new_start + new_count):
        line = lines[index]
        kind, text = (line[:1] or " "), line[1:]
        if kind == "\\":  # "\ No newline at end of file"
            index += 1
            continue
        if kind == "+":
            body.append(DiffLine("+", text, None, new))
            new += 1
        elif kind == "-":
            body.append(DiffLine("-", text, old, None))
            old += 1
        else:
            body.append(DiffLine(" ", text, old, new))
            old, new = old + 1, new + 1
        index += 1
    return Hunk(header, old_start, old_count, new_start, new_count, tuple(body)), index


def describe_ranges(diff: FileDiff) -> str:
    """'RIGHT (new file) lines 1-6, 25-29; LEFT (old file) lines 1-6, 25-30'."""
    parts = []
    sides: tuple[tuple[Side, str], ...] = (("RIGHT", "new file"), ("LEFT", "old file"))
    for side, name in sides:
        spans = diff.ranges(side)
        if spans:
            shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
            parts.append(f"{side} ({name}) lines {shown}")
    return "; ".join(parts) or "no line (the file has no text hunks)"


def placement_problem(
    files: list[FileDiff], path: str, line: int, side: Side, start_line: int | None = None
) -> str | None:
    """Why GitHub would refuse a comment here (with the valid lines), or None when it fits."""
    diff = next((f for f in files if f.path == path), None)
    if diff is None:
        changed = ", ".join(f.path for f in files) or "none"
        return f"{path} is not changed by this pull request; files in the diff: {changed}"
    hunk = next((h for h in diff.hunks if h.holds(line, side)), None)
    valid = f"valid lines for {path}: {describe_ranges(diff)}"
    if hunk is None:
        return f"{path} line {line} ({side}) is outside the diff's hunks; {valid}"
    if start_line is not None:
        if not hunk.holds(start_line, side):
            return (
                f"{path} start_line {start_line} is not in the same hunk as line {line} "
                f"({side}); {valid}"
            )
        if start_line >= line:
            return f"{path} start_line {start_line} must be less than line {line}"
    return None


def numbered(diff: FileDiff) -> str:
    """The file's diff with line numbers: new-file numbers for added and context lines,
    `L<n>` (old-file numbers) for deleted lines, so comments can name them exactly."""
    out = [f"### {diff.path}" + (f" (was {diff.old_path})" if _renamed(diff) else "")]
    if diff.binary:
        return out[0] + "\n(binary file)\n"
    for hunk in diff.hunks:
        out.append(hunk.header)
        for line in hunk.lines:
            number = f"L{line.old}" if line.new is None else str(line.new)
            out.append(f"{number:>6} {line.kind}{line.text}")
    return "\n".join(out) + "\n"


def _renamed(diff: FileDiff) -> bool:
    return diff.old_path is not None and diff.old_path != diff.path
