"""Top-level definitions of a source file, with their line numbers.

Python is parsed with `ast` (classes with their methods, functions); a few other
languages get a light regular expression for their common definition forms. Anything
else has no symbols: the file is still listed, by path.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_METHODS = 8


@dataclass(frozen=True)
class Symbol:
    kind: str  # "class" | "def" | "func" | "type" | "fn" | "struct" | "impl" | ...
    name: str
    line: int
    # Methods of a class (Python), in source order.
    members: tuple[str, ...] = ()

    def render(self) -> str:
        text = f"{self.kind} {self.name}:{self.line}"
        if self.members:
            shown = self.members[:MAX_METHODS]
            more = len(self.members) - len(shown)
            text += "(" + ", ".join(shown) + (f", +{more}" if more else "") + ")"
        return text


def python_symbols(text: str) -> tuple[Symbol, ...]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = tuple(
                m.name for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            found.append(Symbol("class", node.name, node.lineno, methods))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(Symbol("def", node.name, node.lineno))
    return tuple(found)


_JS = re.compile(
    r"^(?:export\s+(?:default\s+)?)?(?:async\s+)?"
    r"(?P<kind>function\*?|class|interface|type|enum|const)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.M,
)
_GO = re.compile(
    r"^(?P<kind>func|type)\s+(?:\([^)]*\)\s*)?(?P<name>[A-Za-z_]\w*)",
    re.M,
)
_RUST = re.compile(
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?"
    r"(?P<kind>fn|struct|enum|trait|impl|mod)\b(?:<[^>]*>)?\s+(?P<name>[A-Za-z_][\w:]*)",
    re.M,
)
_PATTERNS = {
    ".js": _JS,
    ".jsx": _JS,
    ".mjs": _JS,
    ".ts": _JS,
    ".tsx": _JS,
    ".go": _GO,
    ".rs": _RUST,
}


def regex_symbols(pattern: re.Pattern[str], text: str) -> tuple[Symbol, ...]:
    found = []
    for match in pattern.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        kind = match.group("kind").rstrip("*")
        found.append(Symbol(kind, match.group("name"), line))
    return tuple(found)


def symbols_of(path: str, text: str) -> tuple[Symbol, ...]:
    """The file's top-level definitions, or () for a language this does not read."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in (".py", ".pyi"):
        return python_symbols(text)
    pattern = _PATTERNS.get(suffix)
    return regex_symbols(pattern, text) if pattern is not None else ()
