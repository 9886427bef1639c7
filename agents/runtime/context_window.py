"""Keeping a conversation inside the model's context window, without ever failing.

Tokens are estimated (about four characters per token, plus a small per-message cost);
the estimate errs high so the real count stays under the window. When the history is too
long, whole turns are dropped oldest first and replaced by a short note of what they did;
if one message alone is still too big, its text is cut in the middle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from agents.providers.types import ChatMessage

MESSAGE_OVERHEAD = 4
CUT_MARKER = "\n[... {n} characters cut to fit the context window ...]\n"


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def message_tokens(message: ChatMessage) -> int:
    total = MESSAGE_OVERHEAD + estimate_tokens(message.content)
    for call in message.tool_calls:
        total += MESSAGE_OVERHEAD + estimate_tokens(call.name + json.dumps(call.arguments))
    return total


def total_tokens(messages: list[ChatMessage]) -> int:
    return sum(message_tokens(m) for m in messages)


@dataclass(frozen=True)
class Fitted:
    messages: list[ChatMessage]
    dropped_messages: int
    cut_messages: int

    @property
    def tokens(self) -> int:
        return total_tokens(self.messages)


def _turns(history: list[ChatMessage]) -> list[list[ChatMessage]]:
    """Group an assistant message with the tool results answering it; they go together."""
    turns: list[list[ChatMessage]] = []
    for message in history:
        if message.role == "tool" and turns:
            turns[-1].append(message)
        else:
            turns.append([message])
    return turns


def _describe(dropped: list[list[ChatMessage]]) -> str:
    calls: list[str] = []
    for turn in dropped:
        for message in turn:
            for call in message.tool_calls:
                path = call.arguments.get("path")
                calls.append(f"{call.name}({path})" if isinstance(path, str) else call.name)
    count = sum(len(t) for t in dropped)
    summary = f"[{count} earlier messages were dropped to fit the context window."
    if calls:
        shown = ", ".join(calls[-20:])
        summary += f" Tools called in them: {shown}."
    return summary + " Re-read files rather than relying on memory of them.]"


def _cut(message: ChatMessage, keep_tokens: int) -> ChatMessage:
    # Room for the marker (with its number) and the per-message overhead.
    keep_chars = max((keep_tokens - MESSAGE_OVERHEAD) * 4 - len(CUT_MARKER) - 16, 64)
    text = message.content
    if len(text) <= keep_chars:
        return message
    head = keep_chars * 2 // 3
    tail = keep_chars - head
    cut = len(text) - head - tail
    return replace(message, content=text[:head] + CUT_MARKER.format(n=cut) + text[-tail:])


def fit_window(pinned: list[ChatMessage], history: list[ChatMessage], *, max_tokens: int) -> Fitted:
    """`pinned` (system prompt and task) always stays; `history` loses its oldest turns first."""
    turns = _turns(history)
    dropped: list[list[ChatMessage]] = []
    note_cost = MESSAGE_OVERHEAD + 120
    sizes = [total_tokens(t) for t in turns]
    size = total_tokens(pinned) + sum(sizes)

    # Keep at least the latest turn: the model must see the result of its last action.
    while size + (note_cost if dropped else 0) > max_tokens and len(turns) > 1:
        dropped.append(turns.pop(0))
        size -= sizes.pop(0)
    kept = [m for t in turns for m in t]
    head = list(pinned)
    if dropped:
        head.append(ChatMessage.user(_describe(dropped)))
    messages = head + kept
    cut = 0
    # Still too big: shorten the largest messages until it fits (never below a floor).
    while total_tokens(messages) > max_tokens:
        index = max(range(len(messages)), key=lambda i: message_tokens(messages[i]))
        largest = messages[index]
        excess = total_tokens(messages) - max_tokens
        target = max(message_tokens(largest) - excess, 64)
        shortened = _cut(largest, target)
        if len(shortened.content) >= len(largest.content):
            break
        messages[index] = shortened
        cut += 1
    return Fitted(messages, sum(len(t) for t in dropped), cut)
