"""list_files, read_file and write_file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agents.git.process import git
from agents.tools.base import FunctionTool, ToolContext, ToolError, ToolResult
from agents.tools.paths import GIT_DIR, git_layout, glob_match, resolve
from agents.tools.readfile import DEFAULT_MAX_BYTES, UnreadableFile, read_regular

BINARY_SNIFF_BYTES = 8192


def workspace_files(ctx: ToolContext, under: str = ".") -> list[str]:
    """Workspace-relative files under `under`, honouring .gitignore inside a git work tree."""
    directory, relative = resolve(ctx, under)
    if not directory.is_dir():
        raise ToolError(f"{under!r} is not a directory; give a directory relative to the root")
    root = ctx.workspace.resolve()
    layout = git_layout(ctx)
    if layout is not None:
        proc = git(
            root,
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "-z",
            "--",
            relative,
            layout=layout,
            check=True,
        )
        names = {n for n in proc.stdout.split("\0") if n}
        # Files deleted in the work tree but still in the index are not there to read.
        return sorted(n for n in names if (root / n).is_file())
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d != GIT_DIR)
        for filename in filenames:
            found.append((Path(dirpath) / filename).relative_to(root).as_posix())
    return sorted(found)


def list_files(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    pattern = args.get("pattern") or "**"
    names = [n for n in workspace_files(ctx, args.get("path", ".")) if glob_match(n, pattern)]
    if not names:
        return ToolResult(True, f"no files match {pattern!r}")
    limit = min(int(args.get("max_results", ctx.max_list_results)), ctx.max_list_results)
    shown = names[:limit]
    text = "\n".join(shown)
    if len(names) > limit:
        text += (
            f"\n[{len(names) - limit} more files not shown ({len(names)} in all); "
            "narrow the pattern or the path]"
        )
    return ToolResult(True, text)


def read_text(
    path: Path, shown_as: str, *, strict: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> str:
    """The file's text; `strict` refuses files that are not UTF-8 (so edits cannot mangle them).

    Only regular files are read (never through a symbolic link, never a pipe or device),
    and a file over `max_bytes` is refused before any of it is read.
    """
    if not path.exists() and not path.is_symlink():
        raise ToolError(f"{shown_as!r} does not exist; use list_files to find the right path")
    if path.is_dir():
        raise ToolError(f"{shown_as!r} is a directory; use list_files to see what it holds")
    try:
        data = read_regular(path, max_bytes=max_bytes)
    except UnreadableFile as exc:
        raise ToolError(
            f"{shown_as!r} cannot be read: {exc}; only regular files up to {max_bytes} bytes "
            "can be read (use run_command with head, tail or grep for others)"
        ) from None
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        raise ToolError(f"{shown_as!r} is a binary file ({len(data)} bytes) and cannot be shown")
    try:
        return data.decode("utf-8", errors="strict" if strict else "replace")
    except UnicodeDecodeError:
        raise ToolError(
            f"{shown_as!r} is not UTF-8 text; edits would corrupt it, so change it with "
            "run_command (e.g. sed) or replace it whole with write_file"
        ) from None


def read_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    path, relative = resolve(ctx, args["path"])
    lines = read_text(path, args["path"]).splitlines()
    total = len(lines)
    start = int(args.get("start_line", 1))
    end = min(int(args.get("end_line", total)), total)
    if total == 0:
        return ToolResult(True, f"{relative} is empty")
    if start > total:
        raise ToolError(
            f"start_line {start} is past the end of {relative} ({total} lines); "
            f"use a start_line between 1 and {total}"
        )
    if end < start:
        raise ToolError(f"end_line {end} is before start_line {start}; swap or widen the range")
    out: list[str] = []
    size = 0
    last = start - 1
    width = len(str(end))
    for number in range(start, end + 1):
        line = f"{number:>{width}}\t{lines[number - 1]}"
        if out and (size + len(line) + 1 > ctx.max_read_bytes or len(out) >= ctx.max_read_lines):
            break
        out.append(line)
        size += len(line) + 1
        last = number
    text = "\n".join(out)
    if last < end:
        text += (
            f"\n[truncated: showed lines {start}-{last} of {total}; "
            f"call read_file with start_line={last + 1} to read on]"
        )
    return ToolResult(True, text)


def write_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    path, relative = resolve(ctx, args["path"], write=True)
    if path.is_dir():
        raise ToolError(f"{relative!r} is a directory; choose a file path")
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    content: str = args["content"]
    path.write_text(content, encoding="utf-8")
    verb = "overwrote" if existed else "created"
    lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    return ToolResult(True, f"{verb} {relative} ({lines} lines)", (relative,))


LIST_FILES = FunctionTool(
    name="list_files",
    description=(
        "List files in the repository (ignored files excluded). `pattern` is a glob: `*` "
        "stays within a directory, `**` spans directories, a pattern without `/` matches "
        "file names at any depth (e.g. '*.py', 'src/**/test_*.py')."
    ),
    parameters={
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "glob; default all files"},
            "path": {"type": "string", "description": "directory to list; default the root"},
            "max_results": {"type": "integer", "minimum": 1},
        },
        "additionalProperties": False,
    },
    function=list_files,
    # A read changes nothing: repeated after a crash.
    replay_safe=True,
)

READ_FILE = FunctionTool(
    name="read_file",
    description=(
        "Read a text file with line numbers. Use start_line/end_line (1-based, inclusive) "
        "for part of a large file; long output is truncated with a note saying where to go on."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "start_line": {"type": "integer", "minimum": 1},
            "end_line": {"type": "integer", "minimum": 1},
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    function=read_file,
    # A read changes nothing: repeated after a crash.
    replay_safe=True,
)

WRITE_FILE = FunctionTool(
    name="write_file",
    description=(
        "Create a file or replace its whole content (parent directories are created). "
        "Prefer edit_file to change part of an existing file."
    ),
    parameters={
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
        "additionalProperties": False,
    },
    function=write_file,
    # The same content written twice is the same: repeated after a crash.
    replay_safe=True,
)
