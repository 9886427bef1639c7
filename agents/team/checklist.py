"""The issue's task checklist: a Markdown block between markers in the issue body."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

START = "<!-- codemonkey:tasks:start -->"
END = "<!-- codemonkey:tasks:end -->"


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    done: bool = False


def render(items: Sequence[ChecklistItem]) -> str:
    lines = [f"- [{'x' if item.done else ' '}] {item.text}" for item in items]
    return "\n".join([START, "### CodeMonkey tasks", *lines, END])


def merge(body: str, items: Sequence[ChecklistItem]) -> str:
    """The body with its checklist block replaced (or appended when it has none)."""
    block = render(items)
    start, end = body.find(START), body.find(END)
    if start != -1 and end > start:
        return body[:start] + block + body[end + len(END) :]
    separator = "\n\n" if body.strip() else ""
    return body.rstrip() + separator + block
