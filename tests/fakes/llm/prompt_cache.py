"""Anthropic's prompt cache, as the fake's usage figures: what a request reads from the
cache and what it writes, from the prefixes earlier requests marked with `cache_control`.

As documented (/en/docs/build-with-claude/prompt-caching): the prompt is tools, then
system, then messages; a block with `cache_control` makes the prefix ending at it
cacheable (when it is at least the model's minimum length); a request reads the longest
cached prefix that ends at one of its breakpoints or at most 20 blocks before one, and
writes every breakpoint's prefix beyond that. `input_tokens` is what is neither read
nor written. Tokens are counted at about four characters each.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

MIN_CACHEABLE_TOKENS = 1024
LOOKBACK_BLOCKS = 20


@dataclass(frozen=True)
class CacheUsage:
    input_tokens: int
    cache_write: int
    cache_read: int


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def blocks(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each block of the prompt in cache order, as (canonical text, is a breakpoint)."""
    out: list[tuple[str, bool]] = []

    def add(kind: str, block: Any) -> None:
        marked = isinstance(block, dict) and "cache_control" in block
        plain = {k: v for k, v in block.items() if k != "cache_control"} if marked else block
        out.append((json.dumps([kind, plain], sort_keys=True), marked))

    for tool in body.get("tools") or []:
        add("tool", tool)
    system = body.get("system")
    for block in [{"type": "text", "text": system}] if isinstance(system, str) else system or []:
        add("system", block)
    for message in body["messages"]:
        content = message["content"]
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            add(message["role"], block)
    return out


@dataclass
class PromptCache:
    min_tokens: int = MIN_CACHEABLE_TOKENS
    _prefixes: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def usage(self, body: dict[str, Any]) -> CacheUsage:
        prompt = blocks(body)
        digest = hashlib.sha256(str(body.get("model")).encode())
        digests, totals, total = [], [], 0
        for text, _ in prompt:
            digest.update(text.encode())
            digests.append(digest.hexdigest())
            total += _tokens(text)
            totals.append(total)
        breakpoints = [i for i, (_, marked) in enumerate(prompt) if marked]
        with self._lock:
            hit = -1
            for point in breakpoints:
                for i in range(point, max(point - LOOKBACK_BLOCKS, -1), -1):
                    if digests[i] in self._prefixes:
                        hit = max(hit, i)
                        break
            read = totals[hit] if hit >= 0 else 0
            written = [p for p in breakpoints if p > hit and totals[p] >= self.min_tokens]
            for point in written:
                self._prefixes.add(digests[point])
        write = totals[written[-1]] - read if written else 0
        return CacheUsage(total - read - write, write, read)
