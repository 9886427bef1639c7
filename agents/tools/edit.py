"""edit_file: exact search/replace edits, as {path, old, new} pairs or SEARCH/REPLACE blocks.

Blocks use the widely known format:

    path/to/file.py
    <<<<<<< SEARCH
    lines as they are now
    =======
    lines as they should be
    >>>>>>> REPLACE

An edit applies only when its search text occurs exactly once. A miss is answered with the
nearest lines and a diff, an ambiguous match with the line numbers of every occurrence; in
either case no file is changed, so a call is all or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.tools.base import FunctionTool, ToolContext, ToolError, ToolResult
from agents.tools.files import read_text
from agents.tools.matching import describe_miss, occurrence_lines
from agents.tools.paths import resolve

_SEARCH = re.compile(r"^\s*<{5,9} SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} REPLACE\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Edit:
    path: str
    old: str
    new: str


def _filename_before(lines: list[str], index: int) -> str | None:
    for back in range(index - 1, max(-1, index - 4), -1):
        candidate = lines[back].strip()
        if not candidate or _FENCE.match(candidate):
            continue
        candidate = candidate.strip("`*:# ").strip()
        return candidate or None
    return None


def parse_blocks(text: str, default_path: str | None) -> list[Edit]:
    """Edits from SEARCH/REPLACE blocks; a block without a filename line reuses the last one."""
    lines = text.splitlines(keepends=True)
    edits: list[Edit] = []
    current = default_path
    i = 0
    while i < len(lines):
        if not _SEARCH.match(lines[i]):
            i += 1
            continue
        named = _filename_before(lines, i)
        is_marker = named is not None and (_REPLACE.match(named) or _DIVIDER.match(named))
        # Prose before a block ("Change this:") is not a file name when one is known already.
        is_prose = named is not None and " " in named and current is not None
        if named is not None and not is_marker and not is_prose:
            current = named
        if current is None:
            raise ToolError(
                f"the SEARCH block at line {i + 1} has no file name; put the file's path on "
                "the line just before '<<<<<<< SEARCH' or pass `path`"
            )
        start = i + 1
        divider = next((j for j in range(start, len(lines)) if _DIVIDER.match(lines[j])), None)
        if divider is None:
            raise ToolError(f"the SEARCH block at line {i + 1} has no '=======' line")
        end = next((j for j in range(divider + 1, len(lines)) if _REPLACE.match(lines[j])), None)
        if end is None:
            raise ToolError(f"the SEARCH block at line {i + 1} has no '>>>>>>> REPLACE' line")
        edits.append(
            Edit(current, "".join(lines[start:divider]), "".join(lines[divider + 1 : end]))
        )
        i = end + 1
    if not edits:
        raise ToolError(
            "no SEARCH/REPLACE blocks found; write each as: the file path, then "
            "'<<<<<<< SEARCH', the current lines, '=======', the new lines, '>>>>>>> REPLACE'"
        )
    return edits


def collect_edits(args: dict[str, Any]) -> list[Edit]:
    default_path: str | None = args.get("path")
    edits: list[Edit] = []
    for item in args.get("edits", []):
        path = item.get("path", default_path)
        if path is None:
            raise ToolError("an edit has no path; give `path` on the edit or on the call")
        edits.append(Edit(path, item["old"], item["new"]))
    if args.get("blocks"):
        edits.extend(parse_blocks(args["blocks"], default_path))
    if not edits:
        raise ToolError("no edits given; pass `edits` ([{path, old, new}]) or `blocks`")
    return edits


def _apply_one(content: str | None, edit: Edit, label: str) -> tuple[str | None, str | None]:
    """(new content, None) on success or (None, problem) on failure."""
    if edit.old == "":
        if content is None:
            return edit.new, None
        return None, (
            f"{label}: the search text is empty but {edit.path} already exists; quote the "
            "lines to replace, or use write_file to replace the whole file"
        )
    if content is None:
        return None, (
            f"{label}: {edit.path} does not exist; to create it use an empty search text "
            "or write_file"
        )
    if "\r\n" in content and "\r" not in edit.old:
        # Models quote lines with "\n"; match a CRLF file on its own terms.
        edit = Edit(edit.path, edit.old.replace("\n", "\r\n"), edit.new.replace("\n", "\r\n"))
    where = occurrence_lines(content, edit.old)
    if len(where) == 1:
        return content.replace(edit.old, edit.new, 1), None
    if not where:
        return None, f"{label}: " + describe_miss(content, edit.old, "the search text")
    return None, (
        f"{label}: the search text occurs {len(where)} times (starting at lines "
        f"{', '.join(map(str, where))}); include more surrounding lines so it matches "
        "exactly one place"
    )


def edit_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    edits = collect_edits(args)
    targets: dict[str, Path] = {}
    contents: dict[str, str | None] = {}
    problems: list[str] = []
    for number, edit in enumerate(edits, 1):
        path, relative = resolve(ctx, edit.path, write=True)
        if relative not in contents:
            targets[relative] = path
            exists = path.exists()
            contents[relative] = read_text(path, edit.path, strict=True) if exists else None
        label = f"edit {number} ({relative})"
        updated, problem = _apply_one(contents[relative], edit, label)
        if problem is not None:
            problems.append(problem)
        else:
            contents[relative] = updated
    if problems:
        return ToolResult.error(
            "\n\n".join(problems) + f"\n\nNo file was changed ({len(edits)} edits in this call)."
        )
    changed: list[str] = []
    for relative, text in contents.items():
        assert text is not None
        targets[relative].parent.mkdir(parents=True, exist_ok=True)
        targets[relative].write_text(text, encoding="utf-8")
        changed.append(relative)
    return ToolResult(True, f"applied {len(edits)} edits to {', '.join(changed)}", tuple(changed))


_EDIT_ITEM = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "old": {"type": "string", "description": "exact current text, unique in the file"},
        "new": {"type": "string"},
    },
    "required": ["old", "new"],
    "additionalProperties": False,
}

EDIT_FILE = FunctionTool(
    name="edit_file",
    description=(
        "Change files by exact search and replace. Give `edits` as [{path, old, new}] "
        "and/or `blocks` as SEARCH/REPLACE blocks (path line, '<<<<<<< SEARCH', current "
        "lines, '=======', new lines, '>>>>>>> REPLACE'). Each search text must match exactly "
        "one place; an empty search text creates a new file. All edits apply or none do."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "default path for edits without one"},
            "edits": {"type": "array", "items": _EDIT_ITEM, "minItems": 1},
            "blocks": {"type": "string"},
        },
        "anyOf": [{"required": ["edits"]}, {"required": ["blocks"]}],
        "additionalProperties": False,
    },
    function=edit_file,
)
