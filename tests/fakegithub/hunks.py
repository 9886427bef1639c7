"""Where GitHub lets a review comment sit: inside a hunk of the pull request's diff.

GitHub places `line`/`side` (and `start_line`/`start_side`) on the diff of `base...head`
(three dots: from the merge base) with three lines of context: RIGHT is a new-file line
of a hunk (an addition or a context line), LEFT an old-file line of a hunk (a deletion
or a context line), and a multi-line comment's start must be in the same hunk and come
before its line. Anything else is refused with 422.

The fake parses the diff itself rather than reusing the product's parser, so a mistake
in the product's hunk arithmetic cannot hide behind the same mistake in the fake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

# GitHub's messages for a misplaced thread; the reviews endpoint joins them into one
# sentence, the review-comments endpoint lists them as `custom` errors on these fields.
NOT_IN_DIFF = ("line", "must be part of the diff")
START_NOT_IN_HUNK = ("start_line", "must be part of the same hunk as the line.")
START_AFTER_LINE = ("start_line", "must precede the end line.")
HUNK_BLANK = ("diff_hunk", "can't be blank")


@dataclass
class FileHunks:
    # (old_start, old_count, new_start, new_count) per hunk.
    hunks: list[tuple[int, int, int, int]] = field(default_factory=list)

    def hunk_of(self, line: int, side: str) -> int | None:
        for index, (old_start, old_count, new_start, new_count) in enumerate(self.hunks):
            start, count = (new_start, new_count) if side == "RIGHT" else (old_start, old_count)
            if start <= line < start + count:
                return index
        return None


def parse(diff: str) -> dict[str, FileHunks]:
    """Hunks of a `git diff` per path (the new path; the old one for a deleted file)."""
    files: dict[str, FileHunks] = {}
    old_path: str | None = None
    current: FileHunks | None = None
    for text in diff.splitlines():
        if text.startswith("diff --git "):
            current, old_path = None, None
        elif text.startswith("--- ") and current is None:
            old_path = text[4:].removeprefix("a/")
        elif text.startswith("+++ ") and current is None:
            new_path = text[4:].removeprefix("b/")
            path = old_path if new_path == "/dev/null" and old_path else new_path
            current = files.setdefault(path, FileHunks())
        elif (match := _HUNK.match(text)) is not None and current is not None:
            old_start, old_count, new_start, new_count = match.groups()
            current.hunks.append(
                (
                    int(old_start),
                    1 if old_count is None else int(old_count),
                    int(new_start),
                    1 if new_count is None else int(new_count),
                )
            )
    return files


def problems(
    files: dict[str, FileHunks],
    path: str,
    line: int,
    side: str,
    start_line: int | None,
    start_side: str,
) -> list[tuple[str, str]]:
    """GitHub's (field, message) objections to a thread at this place; empty when it fits."""
    hunks = files.get(path)
    found = [] if hunks is None else [hunks.hunk_of(line, side)]
    if hunks is None or found[0] is None:
        out = [NOT_IN_DIFF]
        if start_line is not None:
            out.append(START_NOT_IN_HUNK)
        return [*out, HUNK_BLANK]
    if start_line is None:
        return []
    if hunks.hunk_of(start_line, start_side) != found[0]:
        return [START_NOT_IN_HUNK]
    if start_side == side and start_line >= line:
        return [START_AFTER_LINE]
    return []


def sentence(objections: list[tuple[str, str]]) -> str:
    """The reviews endpoint's form: 'Pull request review thread line must ..., and ...'."""
    parts = [
        f"Pull request review thread {name.replace('_', ' ')} {text}" for name, text in objections
    ]
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]
