"""apply_patch: apply a unified diff with `git apply`, after confining every path it names.

`git apply --check` runs first so a patch applies completely or not at all. Hunk line
counts are recomputed before git sees the patch (models often miscount them; git's own
`--recount` would run a hunk into the next file's `---` header), but context lines must
still match. A failing hunk is shown back to the model with the file's nearest lines.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.git.process import GitLayout, git, plain_git
from agents.tools.base import FunctionTool, ToolContext, ToolError, ToolResult
from agents.tools.files import read_text
from agents.tools.matching import describe_miss
from agents.tools.paths import git_layout, resolve

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$")
_FAILED = re.compile(r"^error: patch failed: (.+):(\d+)$", re.MULTILINE)
DEV_NULL = "/dev/null"


@dataclass
class Hunk:
    old_start: int
    new_start: int
    section: str
    lines: list[str] = field(default_factory=list)  # the header line, then the body

    def render(self) -> str:
        body = self.lines[1:]
        # An empty line is an empty context line, as GNU diff and git write it.
        old = sum(1 for line in body if line[:1] in (" ", "-", ""))
        new = sum(1 for line in body if line[:1] in (" ", "+", ""))
        return "\n".join(
            [f"@@ -{self.old_start},{old} +{self.new_start},{new} @@{self.section}", *body]
        )

    def old_side(self) -> str:
        kept = [line[1:] for line in self.lines[1:] if line[:1] in (" ", "-")]
        return "\n".join(kept) + "\n"


@dataclass
class FilePatch:
    old: str | None = None
    new: str | None = None
    headers: list[str] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join([*self.headers, *(h.render() for h in self.hunks)])


def _header_path(raw: str) -> str:
    name = raw.split("\t", 1)[0].strip()
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    return name


def parse_patch(text: str) -> list[FilePatch]:
    files: list[FilePatch] = []
    current: FilePatch | None = None
    minus_seen = False
    lines = text.splitlines()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        # A removed line "-- x" also reads "--- x"; a header is always followed by "+++ ".
        is_header = line.startswith("--- ") and following.startswith("+++ ")
        if line.startswith("diff --git ") or (
            is_header and (current is None or current.hunks or minus_seen)
        ):
            current = FilePatch()
            files.append(current)
            minus_seen = False
        if current is None:
            continue
        if not current.hunks and not _HUNK.match(line):
            current.headers.append(line)
        if is_header:
            current.old = _header_path(line[4:])
            minus_seen = True
        elif line.startswith("+++ ") and lines[index - 1].startswith("--- "):
            current.new = _header_path(line[4:])
        elif line.startswith(("rename from ", "copy from ")) and not current.hunks:
            current.old = "a/" + line.split(" from ", 1)[1]
        elif line.startswith(("rename to ", "copy to ")) and not current.hunks:
            current.new = "b/" + line.split(" to ", 1)[1]
        elif match := _HUNK.match(line):
            hunk = Hunk(int(match.group(1)), int(match.group(2)), match.group(3), [line])
            current.hunks.append(hunk)
        elif current.hunks and line[:1] in (" ", "-", "+", "\\", ""):
            current.hunks[-1].lines.append(line)
    for patch in files:
        # Blank lines after a file's last hunk are spacing between files, not context.
        while patch.hunks and len(patch.hunks[-1].lines) > 1 and patch.hunks[-1].lines[-1] == "":
            patch.hunks[-1].lines.pop()
    return [f for f in files if f.old or f.new]


def _strip_level(files: list[FilePatch]) -> int:
    names = [n for f in files for n in (f.old, f.new) if n and n != DEV_NULL]
    return 1 if names and all(n.startswith(("a/", "b/")) for n in names) else 0


def _strip(name: str | None, level: int) -> str | None:
    if name is None or name == DEV_NULL:
        return None
    return name.split("/", level)[level] if level else name


def touched_paths(text: str) -> list[str]:
    """The workspace paths a patch would create, change, rename or delete."""
    files = parse_patch(text)
    level = _strip_level(files)
    names = {_strip(n, level) for f in files for n in (f.old, f.new)}
    return sorted(n for n in names if n)


def _failure_report(ctx: ToolContext, stderr: str, files: list[FilePatch], level: int) -> str:
    parts = [f"the patch does not apply; nothing was changed.\ngit apply said:\n{stderr.strip()}"]
    for match in _FAILED.finditer(stderr):
        name, line = match.group(1), int(match.group(2))
        for patch in files:
            if name not in (_strip(patch.old, level), _strip(patch.new, level)):
                continue
            hunk = next((h for h in patch.hunks if h.old_start == line), None)
            if hunk is None:
                continue
            parts.append(f"The hunk that failed ({name}):\n" + "\n".join(hunk.lines))
            path, _ = resolve(ctx, name)
            if path.is_file():
                content = read_text(path, name)
                parts.append(describe_miss(content, hunk.old_side(), "The hunk's old lines"))
    parts.append(
        "Fix the context and '-' lines to match the file exactly (read_file shows them), "
        "or use edit_file."
    )
    return "\n\n".join(parts)


def git_apply(
    root: Path, layout: GitLayout | None, options: list[str], text: str
) -> subprocess.CompletedProcess[str]:
    if layout is not None:
        return git(root, "apply", *options, "-", layout=layout, input_text=text)
    # Outside a git checkout `git apply` works as `patch`; the ceiling keeps git from
    # finding a repository above the workspace.
    ceiling = {"GIT_CEILING_DIRECTORIES": str(root.parent)}
    return plain_git(root, "apply", *options, "-", env=ceiling, input_text=text)


def apply_patch(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    text: str = args["patch"]
    if not text.endswith("\n"):
        text += "\n"
    files = parse_patch(text)
    if not files:
        raise ToolError(
            "no file headers found; give a unified diff with '--- a/path' and '+++ b/path' "
            "lines followed by '@@ -start,count +start,count @@' hunks"
        )
    level = _strip_level(files)
    text = "\n".join(f.render() for f in files) + "\n"
    changed: list[str] = []
    for patch in files:
        for name in (_strip(patch.old, level), _strip(patch.new, level)):
            if name is None:
                continue
            _, relative = resolve(ctx, name, write=True)
            if relative not in changed:
                changed.append(relative)
    root = ctx.workspace.resolve()
    options = [f"-p{level}", "--whitespace=nowarn"]
    layout = git_layout(ctx)
    check = git_apply(root, layout, ["--check", *options], text)
    if check.returncode != 0:
        return ToolResult.error(_failure_report(ctx, check.stderr, files, level))
    applied = git_apply(root, layout, options, text)
    if applied.returncode != 0:
        return ToolResult.error(_failure_report(ctx, applied.stderr, files, level))
    return ToolResult(True, f"patched {', '.join(changed)}", tuple(changed))


APPLY_PATCH = FunctionTool(
    name="apply_patch",
    description=(
        "Apply a unified diff (as from `git diff`) to the repository. Context and '-' lines "
        "must match the files exactly; the whole patch applies or nothing does."
    ),
    parameters={
        "type": "object",
        "properties": {"patch": {"type": "string", "description": "the unified diff"}},
        "required": ["patch"],
        "additionalProperties": False,
    },
    function=apply_patch,
)
