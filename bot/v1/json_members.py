"""The top-level members of a JSON object, with where each value sits in the text.

The gateway forwards request and response bodies as they came and changes only a member
or two (the model name, `stream_options`). Knowing each top-level value's span lets it
splice those in place instead of re-serialising the whole body; the values themselves are
decoded by the standard library's C scanner, one `raw_decode` per member.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# The C string scanner `JSONDecoder` uses itself; typeshed does not list it.
_scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class NotAnObject(ValueError):
    """The text is not one JSON object; the message says what is wrong."""


@dataclass(frozen=True)
class Member:
    value: Any
    start: int  # offset of the value's first character
    end: int  # offset just past the value


class JsonObject:
    """A JSON object's text and top-level values; where a member's value sits in the text
    is found when asked (`member`), for the one or two members that get changed."""

    def __init__(self, text: str, values: dict[str, Any], counts: dict[str, int]) -> None:
        self.text = text
        self._values = values
        self._counts = counts  # how often each top-level name occurs
        self.duplicates = frozenset(key for key, count in counts.items() if count > 1)

    @property
    def close(self) -> int:
        """The offset of the closing brace."""
        return len(self.text.rstrip(" \t\n\r")) - 1

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def values(self) -> dict[str, Any]:
        return dict(self._values)

    def member(self, key: str) -> Member | None:
        """The top-level member `key` (its last occurrence, the one whose value counts)."""
        count = self._counts.get(key)
        if count is None:
            return None
        # Fast: the name's plain spellings at depth 1. Exact when they are as many as the
        # parser counted (a name can also be spelled with escapes, `"mod\\u0065l"`).
        spans = [
            match.end()
            for match in _name_pattern(key).finditer(self.text)
            if _depth(self.text, match.start()) == 1
        ]
        if len(spans) == count:
            end = _DECODER.raw_decode(self.text, spans[-1])[1]
            return Member(self._values[key], spans[-1], end)
        return _scan(self.text).members[key]


@dataclass(frozen=True)
class _Scanned:
    members: dict[str, Member]


@functools.lru_cache(maxsize=64)
def _name_pattern(key: str) -> re.Pattern[str]:
    # An unescaped quote followed by the name, a quote and a colon opens a member name in
    # valid JSON (inside a string the quotes would be escaped).
    return re.compile(r'(?<!\\)"' + re.escape(key) + r'"[ \t\n\r]*:[ \t\n\r]*')


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _depth(text: str, index: int) -> int:
    """How deep `index` sits in valid JSON `text` (1: in the top-level object)."""
    outside = _STRING.sub("", text[:index])
    return outside.count("{") + outside.count("[") - outside.count("}") - outside.count("]")


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


def scan_object(text: str) -> JsonObject:
    """Raise NotAnObject unless `text` is exactly one JSON object (whitespace aside)."""
    # The C parser decodes everything; the hook sees each object's members in order, the
    # top-level object's last (it closes last), so its repeated names are known exactly.
    top: list[list[tuple[str, Any]]] = [[]]

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        top[0] = pairs
        return dict(pairs)

    try:
        values = json.loads(text, object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        values = None  # the scan below says what is wrong
    if isinstance(values, dict):
        counts: dict[str, int] = {}
        for key, _ in top[0]:
            counts[key] = counts.get(key, 0) + 1
        return JsonObject(text, values, counts)
    try:
        _scan(text)
        raise NotAnObject("the body must be a JSON object")
    except RecursionError:
        raise NotAnObject("the body nests too deeply") from None
    except ValueError as exc:
        if isinstance(exc, NotAnObject):
            raise
        raise NotAnObject(f"the body is not valid JSON ({exc})") from None


def _scan(text: str) -> _Scanned:
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        raise NotAnObject("the body must be a JSON object")
    index = _skip(text, index + 1)
    members: dict[str, Member] = {}
    duplicates: set[str] = set()
    if text[index : index + 1] == "}":
        return _finish(text, members, index, duplicates)
    while True:
        if text[index : index + 1] != '"':
            raise NotAnObject(f"expected a member name at offset {index}")
        key, index = _scan_string(text, index + 1)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise NotAnObject(f"expected ':' at offset {index}")
        start = _skip(text, index + 1)
        value, end = _DECODER.raw_decode(text, start)
        if key in members:
            duplicates.add(key)
        members[key] = Member(value, start, end)
        index = _skip(text, end)
        separator = text[index : index + 1]
        if separator == ",":
            index = _skip(text, index + 1)
        elif separator == "}":
            return _finish(text, members, index, duplicates)
        else:
            raise NotAnObject(f"expected ',' or '}}' at offset {index}")


def find_member(text: str, key: str) -> Member | None:
    """The top-level member `key` of the object in `text`, reading members only up to it
    (a stream event's `model` comes before its `choices`, which are then never decoded).
    None when the text is not an object, or breaks off, before `key` is found."""
    try:
        index = _skip(text, 0)
        if text[index : index + 1] != "{":
            return None
        index = _skip(text, index + 1)
        while text[index : index + 1] == '"':
            name, index = _scan_string(text, index + 1)
            index = _skip(text, index)
            if text[index : index + 1] != ":":
                return None
            start = _skip(text, index + 1)
            value, end = _DECODER.raw_decode(text, start)
            if name == key:
                return Member(value, start, end)
            index = _skip(text, end)
            if text[index : index + 1] != ",":
                return None
            index = _skip(text, index + 1)
    except (ValueError, RecursionError):
        return None
    return None


def _finish(text: str, members: dict[str, Member], close: int, duplicates: set[str]) -> _Scanned:
    if _skip(text, close + 1) != len(text):
        raise NotAnObject("unexpected text after the JSON object")
    return _Scanned(members)


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) range replaced; ranges must not overlap."""
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
