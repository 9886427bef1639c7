"""Cutting a server-sent-events byte stream into whole events, as the bytes arrive.

The gateway looks at each event (to rewrite the model name and to read the usage), so it
needs event boundaries; everything else about the bytes is kept.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_BOUNDARY = re.compile(rb"\r?\n\r?\n")
_DATA = re.compile(rb"data: ?")


class Frame(NamedTuple):
    raw: bytes  # the event as received, its blank-line terminator included
    data_start: int  # where the single `data:` payload starts in `raw`, or -1
    data_end: int

    @property
    def data(self) -> bytes | None:
        return self.raw[self.data_start : self.data_end] if self.data_start >= 0 else None


class FrameSplitter:
    """Feed it chunks; it returns the events completed so far and keeps the rest."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[Frame]:
        buffer = self._pending + chunk if self._pending else chunk
        frames: list[Frame] = []
        position = 0
        while (match := _BOUNDARY.search(buffer, position)) is not None:
            frames.append(_frame(buffer[position : match.end()], match.start() - position))
            position = match.end()
        self._pending = buffer[position:]
        return frames

    @property
    def leftover(self) -> bytes:
        return self._pending


def _frame(raw: bytes, body_end: int) -> Frame:
    # One `data:` line is what OpenAI-compatible upstreams send; anything else (comments,
    # `event:` lines, multi-line data) is passed on untouched.
    if b"\n" in raw[:body_end] or not raw.startswith(b"data:"):
        return Frame(raw, -1, -1)
    match = _DATA.match(raw)
    assert match is not None
    return Frame(raw, match.end(), body_end)
