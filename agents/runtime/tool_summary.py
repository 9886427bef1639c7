"""One short line per tool call or result, for people reading progress and traces.

`run_command python3 -m unittest`, `write_file app.py`, `delegate backend_developer: Add
farewell`: the argument that says what the call does, not the whole JSON (file contents
would flood the terminal).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# The argument that best says what a call does, in order of preference.
_TELLING_KEYS = ("command", "path", "paths", "query", "pattern", "url", "ref", "title", "body")
DEFAULT_WIDTH = 80


def shorten(text: str, width: int = DEFAULT_WIDTH) -> str:
    """The first line of `text`, cut to `width` characters with an ellipsis."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    if len(lines) > 1 and len(line) < width:
        line += " …"
    return line if len(line) <= width else line[: width - 1] + "…"


def _telling(arguments: Mapping[str, Any]) -> str:
    if "role" in arguments and "title" in arguments:  # delegate
        return f"{arguments['role']}: {arguments['title']}"
    for key in _TELLING_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value:
            return " ".join(str(v) for v in value)
    if "event" in arguments:  # review
        return str(arguments["event"])
    if not arguments:
        return ""
    return json.dumps(dict(arguments), default=str, ensure_ascii=False)


def call_line(name: str, arguments: Mapping[str, Any], width: int = DEFAULT_WIDTH) -> str:
    """e.g. `run_command python3 -m unittest`, `write_file app.py`."""
    detail = shorten(_telling(arguments), max(width - len(name) - 1, 10))
    return f"{name} {detail}".rstrip()


def result_line(name: str, ok: bool, output: str, width: int = DEFAULT_WIDTH) -> str:
    """`write_file: ok`, or `run_command: error: <the reason's first line>`."""
    if ok:
        return f"{name}: ok"
    reason = shorten(output, max(width - len(name) - 9, 10)) or "no reason given"
    return f"{name}: error: {reason}"
