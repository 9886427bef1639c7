"""Text written by people outside the team (issues, pull requests, comments): strip what a
human reader cannot see, and fence the rest so a model treats it as data.

Prompt injection hides where a reviewer does not look: HTML comments (invisible in
rendered Markdown), zero-width and other format characters, bidirectional overrides that
reorder what is displayed, Unicode tag characters (U+E0000..U+E007F), and Markdown link
reference definitions used as comments (`[//]: # (text)`, `[comment]: <> (text)`), which
render as nothing.

Ingress sanitizes once (`webhooks.sanitize`); the fence sanitizes again, so text that
reached a payload some other way is never shown to a model with hidden parts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# A link reference definition on its own line: `[label]: destination "optional title"`.
_LINK_DEFINITION = re.compile(
    r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(?P<dest><[^>\n]*>|\S*)"
    r"(?P<title>[ \t]+(?:\(.*\)|\".*\"|'.*'))?[ \t]*$",
    re.MULTILINE,
)
# Destinations that point nowhere: the definition exists only to hold hidden text.
_COMMENT_DESTINATIONS = ("", "#", "<>", "//", "<#>")
_TAG_BLOCK = range(0xE0000, 0xE0080)


def _invisible(char: str) -> bool:
    code = ord(char)
    if char in "\n\t":
        return False
    if code in _TAG_BLOCK:
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    # Cf covers zero-width (U+200B-U+200D), joiners, bidi controls (U+202A-U+202E,
    # U+2066-U+2069, U+200E/F, U+061C), U+FEFF and soft hyphen.
    return unicodedata.category(char) in ("Cf", "Cc", "Co", "Cn")


def _hidden_definition(match: re.Match[str]) -> str:
    # A definition with a title hides the title (a tooltip at most); one without a real
    # destination hides everything. A plain `[x]: https://...` stays, links may use it.
    if match.group("title") or match.group("dest") in _COMMENT_DESTINATIONS:
        return ""
    return match.group(0)


def strip_hidden(text: str) -> str:
    """Remove hidden content; the visible text is left as the author's readers saw it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Invisible characters first: a zero-width space must not break up `<!--` or `[//]:`.
    text = "".join(ch for ch in text if not _invisible(ch))
    text = _HTML_COMMENT.sub("", text)
    return _LINK_DEFINITION.sub(_hidden_definition, text)


def fence(name: str, text: str, *, attributes: str = "") -> str:
    """`text` (hidden content stripped) between markers the text cannot forge.

    The marker's name carries a digest of the content, so a `</name>` (or any guess at
    the real marker) written inside the text closes nothing; such look-alikes are also
    escaped so a model reading the block sees them as text.
    """
    body = strip_hidden(text)
    body = re.sub(rf"<(/?\s*{re.escape(name)})", r"&lt;\1", body, flags=re.IGNORECASE)
    tag = f"{name}-{hashlib.sha256(body.encode('utf-8')).hexdigest()[:16]}"
    opening = f"<{tag}{' ' + attributes if attributes else ''}>"
    return f"{opening}\n{body}\n</{tag}>"
