"""search_files: text or regular-expression search over the repository.

Inside a git work tree `git grep` does the work (fast on large trees, honours .gitignore,
skips binaries); elsewhere, or when git lacks PCRE for a regex, a Python scan does.
Results stream in and the search stops once the cap is reached.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Any

from agents.tools.base import FunctionTool, ToolContext, ToolError, ToolResult
from agents.tools.files import BINARY_SNIFF_BYTES, workspace_files
from agents.tools.gitcli import git_env, is_work_tree
from agents.tools.paths import glob_match, resolve

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
    """Matches via git grep, or None when git cannot run this pattern (no PCRE)."""
    argv = ["git", "-c", "core.quotePath=false", "grep", "-n", "-I", "-z", "--no-color"]
    argv += ["--untracked", "--exclude-standard"]
    argv += ["-P"] if query.regex else ["-F"]
    if not query.case_sensitive:
        argv.append("-i")
    argv += ["-e", query.pattern, "--", *_pathspec(query)]
    proc = subprocess.Popen(
        argv,
        cwd=ctx.workspace.resolve(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
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
        if proc.poll() is None:
            proc.kill()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if proc.returncode not in (0, 1, -9) and not matches:
        if "PCRE" in stderr or "perl" in stderr.lower():
            return None
        raise ToolError(f"search failed: {stderr.strip()}; check the pattern")
    return matches


def python_scan(ctx: ToolContext, query: SearchQuery) -> list[Match]:
    flags = 0 if query.case_sensitive else re.IGNORECASE
    source = query.pattern if query.regex else re.escape(query.pattern)
    try:
        compiled = re.compile(source, flags)
    except re.error as exc:
        raise ToolError(f"invalid regular expression: {exc}; fix it or pass regex=false") from None
    root = ctx.workspace.resolve()
    matches: list[Match] = []
    for name in workspace_files(ctx, query.under):
        if query.glob is not None and not glob_match(name, query.glob):
            continue
        path = (root / name).resolve()
        # A symbolic link may point out of the workspace; only what is inside is searched.
        if not path.is_relative_to(root) or not path.is_file():
            continue
        if path.stat().st_size > MAX_SCAN_FILE_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            continue
        for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            if compiled.search(line):
                matches.append(Match(name, number, line))
                if len(matches) > query.limit:
                    return matches
    return matches


def search(ctx: ToolContext, query: SearchQuery) -> list[Match]:
    if query.regex:
        try:
            re.compile(query.pattern)
        except re.error as exc:
            raise ToolError(
                f"invalid regular expression: {exc}; fix it or pass regex=false"
            ) from None
    if is_work_tree(ctx.workspace.resolve()):
        found = git_grep(ctx, query)
        if found is not None:
            return found
    return python_scan(ctx, query)


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
)
