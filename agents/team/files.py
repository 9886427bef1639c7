"""Minimal workspace file tools: read, list, write, replace, confined to one directory.

The local mode and the team flows use these when no richer workspace tool box is
injected. Paths are relative to the workspace root; anything resolving outside it (`..`,
absolute paths, symlinks out) is refused.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from agents.providers.types import ToolSpec
from agents.runtime.ports import CallContext, ToolError, ToolOutcome
from agents.runtime.toolset import FunctionTool, schema

MAX_READ_CHARS = 40_000


class WorkspaceFiles:
    def __init__(self, root: Path, *, writable: frozenset[str] | None = None) -> None:
        """`writable`: the paths this task declared; None allows any path in the workspace."""
        self._root = root.resolve()
        self._writable = writable

    def _resolve(self, path: str) -> Path:
        target = (self._root / path).resolve()
        if not target.is_relative_to(self._root) or target == self._root:
            raise ToolError(f"{path!r} is outside the workspace; use a path relative to its root")
        if ".git" in target.relative_to(self._root).parts:
            raise ToolError("the .git directory is off limits; use the git tools")
        return target

    def _check_writable(self, path: str) -> None:
        if self._writable is not None and path not in self._writable:
            raise ToolError(
                f"{path!r} is not among the paths this task declared ({sorted(self._writable)}); "
                "ask the tech lead to re-plan instead of editing it"
            )

    def read(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        target = self._resolve(args["path"])
        if not target.is_file():
            raise ToolError(f"{args['path']!r} does not exist; use list_files to find the file")
        text = target.read_text(encoding="utf-8", errors="replace")
        if len(text) > MAX_READ_CHARS:
            text = text[:MAX_READ_CHARS] + f"\n[... truncated at {MAX_READ_CHARS} characters]"
        return ToolOutcome(True, text)

    def list_files(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        base = self._root if not args.get("path") else self._resolve(args["path"])
        if not base.is_dir():
            raise ToolError(f"{args.get('path')!r} is not a directory")
        names = sorted(
            str(p.relative_to(self._root))
            for p in base.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self._root).parts
        )
        return ToolOutcome(True, "\n".join(names[:500]) or "(empty)")

    def write(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        path = PurePosixPath(args["path"]).as_posix()
        target = self._resolve(path)
        self._check_writable(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(args["content"], encoding="utf-8")
        return ToolOutcome(True, f"wrote {path}", changed_paths=(path,))

    def replace(self, ctx: CallContext, args: dict[str, Any]) -> ToolOutcome:
        path = PurePosixPath(args["path"]).as_posix()
        target = self._resolve(path)
        self._check_writable(path)
        if not target.is_file():
            raise ToolError(f"{path!r} does not exist; create it with write_file")
        text = target.read_text(encoding="utf-8")
        count = text.count(args["search"])
        if count != 1:
            raise ToolError(
                f"the search text occurs {count} times in {path}; it must occur exactly once, "
                "so include more surrounding lines"
            )
        target.write_text(text.replace(args["search"], args["replace"]), encoding="utf-8")
        return ToolOutcome(True, f"edited {path}", changed_paths=(path,))

    def tools(self) -> list[FunctionTool]:
        path = {"type": "string", "description": "path relative to the repository root"}
        return [
            FunctionTool(
                ToolSpec("read_file", "Read a text file.", schema({"path": path}, ["path"])),
                self.read,
                replay_safe=True,
            ),
            FunctionTool(
                ToolSpec(
                    "list_files",
                    "List files, optionally under a directory.",
                    schema({"path": path}),
                ),
                self.list_files,
                replay_safe=True,
            ),
            FunctionTool(
                ToolSpec(
                    "write_file",
                    "Create or overwrite a file with the given content.",
                    schema({"path": path, "content": {"type": "string"}}, ["path", "content"]),
                ),
                self.write,
                # Writing the same content twice leaves the same file.
                replay_safe=True,
            ),
            FunctionTool(
                ToolSpec(
                    "edit_file",
                    "Replace one exact occurrence of `search` with `replace` in a file.",
                    schema(
                        {"path": path, "search": {"type": "string"}, "replace": {"type": "string"}},
                        ["path", "search", "replace"],
                    ),
                ),
                self.replace,
                # A repeated replace would apply twice (or fail); never repeat it blindly.
                replay_safe=False,
            ),
        ]
