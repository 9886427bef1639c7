"""The top-level members of a JSON object, with where each value sits in the text.

The gateway forwards request and response bodies as they came and changes only a member
or two (the model name, `stream_options`). Knowing each top-level value's span lets it
splice those in place instead of re-serialising the whole body; the values themselves are
decoded by the standard library's C scanner, one `raw_decode` per member.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class JsonObject:
    text: str
    members: dict[str, Member]
    close: int  # offset of the closing brace
    duplicates: frozenset[str]

    def get(self, key: str, default: Any = None) -> Any:
        member = self.members.get(key)
        return default if member is None else member.value

    def values(self) -> dict[str, Any]:
        return {key: member.value for key, member in self.members.items()}


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


def scan_object(text: str) -> JsonObject:
    """Raise NotAnObject unless `text` is exactly one JSON object (whitespace aside)."""
    try:
        return _scan(text)
    except RecursionError:
        raise NotAnObject("the body nests too deeply") from None
    except ValueError as exc:
        if isinstance(exc, NotAnObject):
            raise
        raise NotAnObject(f"the body is not valid JSON ({exc})") from None


def _scan(text: str) -> JsonObject:
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


def _finish(text: str, members: dict[str, Member], close: int, duplicates: set[str]) -> JsonObject:
    if _skip(text, close + 1) != len(text):
        raise NotAnObject("unexpected text after the JSON object")
    return JsonObject(text, members, close, frozenset(duplicates))


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
