"""search_files: text or regular-expression search over the repository.

Inside a git work tree `git grep` does the work (fast on large trees, honours .gitignore,
skips binaries); elsewhere, or when git lacks PCRE for a regex, a Python scan does.
Results stream in and the search stops once the cap is reached, or at a time limit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import regex

from agents.git.process import start_git
from agents.tools.base import FunctionTool, ToolContext, ToolError, ToolResult
from agents.tools.files import BINARY_SNIFF_BYTES, workspace_files
from agents.tools.paths import git_layout, glob_match, resolve
from agents.tools.readfile import UnreadableFile, read_regular

MAX_LINE_CHARS = 300
MAX_SCAN_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Match:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class SearchQuery:
    pattern: str
    regex: bool
    case_sensitive: bool
    under: str
    glob: str | None
    limit: int


def _pathspec(query: SearchQuery) -> list[str]:
    base = "" if query.under == "." else query.under.rstrip("/") + "/"
    if query.glob is None:
        return [query.under]
    glob = query.glob if "/" in query.glob else "**/" + query.glob
    return [f":(glob){base}{glob}"]


def git_grep(ctx: ToolContext, query: SearchQuery) -> list[Match] | None:
    """Matches via git grep, or None outside a git checkout or when git cannot run this
    pattern (no PCRE)."""
    layout = git_layout(ctx)
    if layout is None:
        return None
    args = ["grep", "-n", "-I", "-z", "--no-color", "--untracked", "--exclude-standard"]
    args += ["-P"] if query.regex else ["-F"]
    if not query.case_sensitive:
        args.append("-i")
    args += ["-e", query.pattern, "--", *_pathspec(query)]
    proc = start_git(ctx.workspace.resolve(), *args, layout=layout)
    assert proc.stdout is not None and proc.stderr is not None
    # A pathological pattern must not hold the worker: the search is killed at the deadline.
    timer = threading.Timer(ctx.search_seconds, proc.kill)
    timer.start()
    matches: list[Match] = []
    try:
        for raw in proc.stdout:
            # -z output: path NUL line NUL text
            path, _, rest = raw.rstrip(b"\n").partition(b"\0")
            number, _, text = rest.partition(b"\0")
            matches.append(
                Match(path.decode(errors="replace"), int(number), text.decode(errors="replace"))
            )
            if len(matches) > query.limit:
                break
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if proc.returncode == -9 and len(matches) <= query.limit:
        raise ToolError(_too_slow(ctx, query))
    if proc.returncode not in (0, 1) and not matches:
        if "PCRE" in stderr or "perl" in stderr.lower():
            return None
        raise ToolError(f"search failed: {stderr.strip()}; check the pattern")
    return matches


def _too_slow(ctx: ToolContext, query: SearchQuery) -> str:
    return (
        f"the search for {query.pattern!r} took longer than {ctx.search_seconds:g}s and was "
        "stopped; simplify the pattern (nested repetition such as '(a+)+' backtracks "
        "without end), narrow the path or glob, or search for plain text"
    )


def python_scan(ctx: ToolContext, query: SearchQuery) -> list[Match]:
    """The scan outside git. `regex` rather than `re`: it can stop a match at a timeout, so
    a catastrophically backtracking pattern costs at most the search's time limit."""
    flags = 0 if query.case_sensitive else regex.IGNORECASE
    source = query.pattern if query.regex else regex.escape(query.pattern)
    try:
        compiled = regex.compile(source, flags)
    except regex.error as exc:
        raise ToolError(f"invalid regular expression: {exc}; fix it or pass regex=false") from None
    root = ctx.workspace.resolve()
    deadline = time.monotonic() + ctx.search_seconds
    matches: list[Match] = []
    for name in workspace_files(ctx, query.under):
        if query.glob is not None and not glob_match(name, query.glob):
            continue
        try:
            # Never through a symbolic link (it may point out of the workspace).
            data = read_regular(root / name, max_bytes=MAX_SCAN_FILE_BYTES)
        except UnreadableFile:
            continue
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            continue
        for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                found = compiled.search(line, timeout=left)
            except TimeoutError:
                raise ToolError(_too_slow(ctx, query)) from None
            if found:
                matches.append(Match(name, number, line))
                if len(matches) > query.limit:
                    return matches
    return matches


def search(ctx: ToolContext, query: SearchQuery) -> list[Match]:
    if query.regex:
        try:
            regex.compile(query.pattern)
        except regex.error as exc:
            raise ToolError(
                f"invalid regular expression: {exc}; fix it or pass regex=false"
            ) from None
    found = git_grep(ctx, query)
    return found if found is not None else python_scan(ctx, query)


def search_files(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    if not args["pattern"]:
        raise ToolError("the pattern is empty; give the text or regular expression to find")
    _, under = resolve(ctx, args.get("path", "."))
    glob = args.get("glob") or None
    if glob is not None and (glob.startswith("/") or ".." in glob.split("/")):
        raise ToolError(f"glob {glob!r} must be relative and without '..', e.g. '*.py'")
    limit = min(int(args.get("max_results", ctx.max_search_results)), ctx.max_search_results)
    query = SearchQuery(
        pattern=args["pattern"],
        regex=bool(args.get("regex", False)),
        case_sensitive=bool(args.get("case_sensitive", True)),
        under=under,
        glob=glob,
        limit=limit,
    )
    matches = search(ctx, query)
    if not matches:
        return ToolResult(True, f"no matches for {query.pattern!r}")
    lines = []
    for m in matches[:limit]:
        text = m.text if len(m.text) <= MAX_LINE_CHARS else m.text[:MAX_LINE_CHARS] + " [...]"
        lines.append(f"{m.path}:{m.line}: {text}")
    if len(matches) > limit:
        lines.append(f"[stopped after {limit} matches; narrow the pattern, the path or the glob]")
    return ToolResult(True, "\n".join(lines))


SEARCH_FILES = FunctionTool(
    name="search_files",
    description=(
        "Search file contents in the repository; prints 'path:line: text' per match. "
        "Plain text by default; regex=true for a Perl-style regular expression."
    ),
    parameters={
        "type": "object",
        "properties": {
            "pattern": {"type": "string"},
            "regex": {"type": "boolean"},
            "case_sensitive": {"type": "boolean"},
            "path": {"type": "string", "description": "directory to search; default the root"},
            "glob": {"type": "string", "description": "only files matching, e.g. '*.py'"},
            "max_results": {"type": "integer", "minimum": 1},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
    function=search_files,
    # A read changes nothing: repeated after a crash.
    replay_safe=True,
)
