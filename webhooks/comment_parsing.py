"""Finding what a comment asks of the bot: a slash command or an `@<slug> [role] text` mention.

Only what the author wrote counts: quoted replies (`> ...`) and code (fenced blocks and
inline spans) are ignored, so quoting someone's `/implement` or pasting a log that contains
`@codemonkey` starts nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.roles.names import role_word

COMMANDS = ("plan", "implement", "review", "test", "stop", "status")

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.DOTALL | re.MULTILINE)
_UNCLOSED_FENCE = re.compile(r"^[ \t]*(```|~~~).*\Z", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_COMMAND = re.compile(r"^/(?P<name>[a-z]+)(?![\w/-])[ \t]*(?P<args>.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class SlashCommand:
    name: str
    args: str


@dataclass(frozen=True)
class Mention:
    role: str | None
    request: str


def authored_text(body: str) -> str:
    """The body without quotes and code, where commands and mentions are looked for."""
    text = _FENCE.sub("", body)
    text = _UNCLOSED_FENCE.sub("", text)
    text = _INLINE_CODE.sub("", text)
    return _QUOTE.sub("", text)


def _mention_pattern(slug: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@./-])@{re.escape(slug)}(?:\[bot\])?(?![\w-])[,:]?", re.IGNORECASE)


def parse_comment(
    body: str, *, slug: str, commands: tuple[str, ...] = COMMANDS
) -> SlashCommand | Mention | None:
    """The first command at the start of a line, else the first mention, else None.

    `@slug /plan ...` is the command `/plan`; `@slug architect ...` addresses a role.
    Commands not in `commands` (disabled for the repository) are not recognised.
    """
    text = authored_text(body)
    for line in text.splitlines():
        found = _command(line.strip(), commands)
        if found is not None:
            return found
    match = _mention_pattern(slug).search(text)
    if match is None:
        return None
    rest = text[match.end() :].strip()
    first_line = rest.splitlines()[0] if rest else ""
    command = _command(first_line.strip(), commands)
    if command is not None:
        return command
    word, _, remainder = rest.partition(" ")
    role = role_word(word.strip(",:"))
    if role is not None:
        return Mention(role=role, request=remainder.strip())
    return Mention(role=None, request=rest)


def _command(line: str, commands: tuple[str, ...]) -> SlashCommand | None:
    match = _COMMAND.match(line)
    if match is None:
        return None
    name = match.group("name").lower()
    if name not in commands:
        return None
    return SlashCommand(name=name, args=match.group("args").strip())
