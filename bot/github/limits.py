"""GitHub's size limits on text the App posts, and trimming to them with a note.

GitHub refuses the whole request (422) when an issue, pull request or comment body is over
65,536 characters, or a check run's `output.summary` or `output.text` over 65,535
(https://docs.github.com/en/rest/checks/runs#create-a-check-run). A long test log or
summary must still land: the middle is cut (the start says what ran, the end how it
failed) and a note says where the full text is. The full text goes to the service log
with the task id, so the note can point there.
"""

from __future__ import annotations

import logging

from bot.logs import current_context

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 65536
MAX_CHECK_OUTPUT_CHARS = 65535
# Of what is kept, the share taken from the end.
TAIL_SHARE = 0.25


def task_log_note() -> str:
    task_id = current_context().get("task_id")
    if task_id is None:
        return "the full text is in the service log"
    return f"the full text is in the service log of task {task_id}"


def fit(text: str, limit: int, *, what: str, elsewhere: str | None = None) -> str:
    """`text` if it fits in `limit` characters; else its start and end around a note
    saying how much was cut and where the full text is (`elsewhere`, or the task's log,
    which then receives the full text)."""
    if len(text) <= limit:
        return text
    if elsewhere is None:
        elsewhere = task_log_note()
        log.warning(
            "%s trimmed to GitHub's limit; full text follows",
            what,
            extra={"fields": {"full_text": text}},
        )

    def note(cut: int) -> str:
        return (
            f"\n\n[… {cut} characters of this {what} were cut to fit GitHub's limit of "
            f"{limit}; {elsewhere} …]\n\n"
        )

    # The note's length with the largest possible count bounds the real one from above.
    keep = max(limit - len(note(len(text))), 0)
    tail = int(keep * TAIL_SHARE)
    head = keep - tail
    return text[:head] + note(len(text) - keep) + (text[len(text) - tail :] if tail else "")
