"""What README.md claims, pulled out of its text: commands, HTTP paths, settings, inputs.

The extraction is deliberately plain (regular expressions over inline code and fenced
blocks) so that a claim the tests cannot recognise shows up as a test failure to look at,
not as something silently skipped.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class CodeBlock:
    language: str
    text: str


@dataclass(frozen=True)
class HttpPath:
    method: str | None  # None when the README names only the path
    path: str


def text() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(source: str) -> list[CodeBlock]:
    return [CodeBlock(m[1], m[2]) for m in FENCE.finditer(source)]


def prose(source: str) -> str:
    """The README without its fenced blocks (inline code stays)."""
    return FENCE.sub("", source)


def inline_code(source: str) -> list[str]:
    return [m.replace("\\|", "|") for m in INLINE.findall(prose(source))]


def section(source: str, title: str) -> str:
    """The text under `## title`, up to the next second-level heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", source, re.M | re.S)
    assert match is not None, f"README has no section '## {title}'"
    return match[1]


def commands(source: str) -> list[list[str]]:
    """Each `codemonkey ...` invocation as words after `codemonkey`, from inline code and
    shell blocks, and a table row's "also `keys list`" (the row's command without its prefix)."""
    found: list[list[str]] = []
    shell = "\n".join(b.text for b in code_blocks(source) if b.language in ("sh", "bash"))
    for line in shell.splitlines():
        found.extend(_invocations(line.split("#", 1)[0]))
    for line in prose(source).splitlines():
        spans = [s.replace("\\|", "|") for s in INLINE.findall(line)]
        head: str | None = None
        for span in spans:
            words = _invocations(span)
            if words:
                found.extend(words)
                head = head or words[0][0]
            elif head is not None and span.split()[0] == head:
                found.append(_split(span))
    return found


def _split(span: str) -> list[str]:
    try:
        return shlex.split(span)
    except ValueError:
        return span.split()


def _invocations(line: str) -> list[list[str]]:
    out: list[list[str]] = []
    for part in re.split(r"&&|\|\||;|\|", line):
        words = _split(part.strip())
        for i, word in enumerate(words):
            if word.endswith("codemonkey") and word.split("/")[-1] == "codemonkey":
                rest = words[i + 1 :]
                if rest:
                    out.append(rest)
                break
    return out


def http_paths(source: str) -> list[HttpPath]:
    """Paths the README names in inline code: `POST /x`, `GET /x`, `/x`, `https://HOST/x`."""
    found: list[HttpPath] = []
    for span in inline_code(source):
        match = re.fullmatch(rf"(?:({'|'.join(HTTP_METHODS)}) )?(/[\w\-./{{}}]*)", span)
        if match:
            found.append(HttpPath(match[1], match[2]))
            continue
        url = re.fullmatch(r"https?://(?:HOST|127\.0\.0\.1:8000)(/[\w\-./{}]+)(?:\?.*)?", span)
        if url:
            found.append(HttpPath(None, url[1]))
    for url in re.findall(r"http://127\.0\.0\.1:8000(/[\w\-./]+)", prose(source)):
        found.append(HttpPath(None, url))
    return found


def variables(source: str) -> set[str]:
    """Environment variable names, with `NAME[_SUFFIX]` expanded to both spellings; a family
    written `PREFIX_*` is kept as it is."""
    names: set[str] = set()
    pattern = r"\b([A-Z][A-Z0-9_]*_[A-Z0-9_]+\*?)(\[(_[A-Z_]+)\])?"
    for match in re.finditer(pattern, source):
        names.add(match[1])
        if match[3]:
            names.add(match[1] + match[3])
    return names
